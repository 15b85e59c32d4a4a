// The one layer that turns the platform's OS errors (values) into the Errors the engine
// throws, naming the operation, the path and the OS reason. These are the state engine's
// file steps (each reported to the observer of io/observe.hpp once it succeeded); the
// lock engine's are in io/lock_io.hpp.
#pragma once

#include <string>
#include <string_view>

#include "platform/dir.hpp"
#include "platform/file.hpp"

namespace filelock::io {

// Throws the Error for `op` on `path` with the OS reason of `e` (its own op if set).
[[noreturn]] void fail(const char *op, const std::string &path, const platform::OsError &e);

// "dir" of "dir/name" ("." when there is no separator) and "name", as the platform
// spells paths.
std::string dir_of(const std::string &path);
std::string base_of(const std::string &path);
// 16 random hex digits, for names nobody else can predict or collide with.
std::string random_token();

// Whole file contents (and, when asked, its attributes as of the read). Returns false
// if it does not exist; throws on other errors.
bool read_file(const std::string &path, std::string &out, platform::FileInfo *info = nullptr);

using File = platform::NativeFile;

// A new file that must not exist yet (exclusive, never through a symlink), write-only.
File create_exclusive(const std::string &path, unsigned mode);
// Every byte, retrying short writes and EINTR.
void write_all(File file, std::string_view data, const std::string &path);
void sync_file(File file, const std::string &path);
// Closes the file (always) and reports a failed close, which can carry a deferred write error.
void close_file(File file, const std::string &path);
void sync_dir(const std::string &dir);
// Through a handle from platform::open_dir; `dir` names it in errors.
void sync_dir(File handle, const std::string &dir);

// A directory kept open for sync_dir (fewer system calls per commit); closed on
// destruction.
class DirHandle {
 public:
  explicit DirHandle(const std::string &dir);  // throws Error
  ~DirHandle();
  DirHandle(const DirHandle &) = delete;
  DirHandle &operator=(const DirHandle &) = delete;
  const File *get() const { return &file_; }

 private:
  File file_;
};
void rename_file(const std::string &from, const std::string &to, bool wait_for_readers = true);
// Hard link. `unsupported` where the filesystem cannot link (EPERM, EXDEV, ENOTSUP,
// EMLINK) so the caller can copy instead, `exists` when `to` is taken; throws on
// other errors.
enum class Link { made, exists, unsupported };
Link link_file(const std::string &from, const std::string &to);
// Best-effort unlink used on cleanup paths; never throws.
void remove_quietly(const std::string &path) noexcept;
// Creates dir if missing (one level). Throws if it cannot.
void make_dir(const std::string &dir, unsigned mode);

}  // namespace filelock::io
