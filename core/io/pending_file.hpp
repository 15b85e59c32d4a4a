// A file's next contents, written beside it and switched in by one rename, so readers
// and crashes only ever see the old or the new contents, never a mix (the shape of Go's
// renameio): create, write, sync, close, [the caller's own steps], replace, sync the
// directory. Until replace() nothing the target's readers see has changed; a
// PendingFile dropped before it removes its temp file.
#pragma once

#include <string>
#include <string_view>

#include "io/file_io.hpp"

namespace filelock::io {

class PendingFile {
 public:
  // A fresh temp file beside `target` ("<dir>/.<name>.tmp-<random>", O_EXCL), with the
  // permission bits `mode`, or (mode < 0) the target's, or 0666 & ~umask for a first
  // version. Throws Error.
  PendingFile(const std::string &target, int mode);
  ~PendingFile();  // removes the temp file unless replace() succeeded
  PendingFile(const PendingFile &) = delete;
  PendingFile &operator=(const PendingFile &) = delete;

  void write(std::string_view content);  // every byte
  void sync();                           // fsync: on disk before any name points at it
  void close();                          // checked: some filesystems report late errors here
  // The switch: atomic, readers see either file whole. After it the temp name is gone.
  void replace();
  // fsync of the directory, so the rename itself survives a power cut (`dir`: a handle
  // kept open for it, or null). A failure is reported, not retried: the new contents
  // are in place but not known to be durable, and the message says so.
  void sync_dir(const File *dir);

  bool replaced() const noexcept { return replaced_; }

 private:
  std::string target_, temp_;
  File file_ = platform::kInvalidFile;
  bool replaced_ = false;
};

// Temp files are named "<dir>/.<name>.tmp-<random>", so a crash leaves names that
// remove_stale_temps() recognizes. Call only while holding the file's exclusive lock (a
// concurrent writer's temp file would look stale too).
std::string temp_prefix(const std::string &target);
void remove_stale_temps(const std::string &target);

}  // namespace filelock::io
