// Replacing a file so that readers and crashes only ever see the old or the new
// contents, never a mix: the commit protocol of the state engine.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "platform/file.hpp"

namespace filelock::io {

struct ReplaceOptions {
  bool durable = true;  // fsync the file and the directory (FL_DURABILITY_FULL)
  // Runs once the temp file is complete, just before the rename (backups, generation
  // record). If it throws, the target is untouched and the temp file removed.
  std::function<void()> before_rename;
  // The target's permission bits when the caller read them under the same lock (-1:
  // looked up here).
  int mode = -1;
  // An open handle on the target's directory (fs::open_dir), fsynced instead of
  // opening the directory again.
  const platform::NativeFile *dir_handle = nullptr;
};

// Writes `content` to `target` atomically (see the protocol in atomic_replace.cpp).
// Throws Error; on any failure no temp file is left behind and the target is as it was,
// except when only the final directory fsync fails: then the new contents are in place
// (readers see them) but may not survive a power cut, and the message says so.
// *renamed (when given) tells, after a failure, whether the new contents were in place.
void atomic_replace(const std::string &target, std::string_view content,
                    const ReplaceOptions &options, bool *renamed = nullptr);

// Temp files for `target` are named "<dir>/.<name>.tmp-<random>", so a crash leaves
// names that remove_stale_temps() recognizes. Call only while holding the file's
// exclusive lock (a concurrent writer's temp file would look stale too).
std::string temp_prefix(const std::string &target);
void remove_stale_temps(const std::string &target);

}  // namespace filelock::io
