// The lock engine's file and lock steps: the platform's calls (platform/file.hpp,
// dir.hpp, kernel_lock.hpp, lock_listing.hpp) with their OS errors turned into Errors
// naming the operation, the path and the reason.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/lock_mode.hpp"
#include "platform/dir.hpp"
#include "platform/file.hpp"
#include "platform/kernel_lock.hpp"
#include "platform/lock_listing.hpp"

namespace filelock::io {

struct OpenedFile {
  platform::NativeFile file;
  bool read_only;  // another user's lock file we may lock but not write
  platform::FileInfo id;
};

// platform::open_lock_file; a symlink is Status::permission, a directory or anything
// else not a regular file Status::invalid.
OpenedFile open_lock_file(const std::string &path, unsigned mode);

// Identity, link count and size of the open lock file `file` (named `path` in errors);
// no timestamps (platform::link_info).
platform::FileInfo identify(platform::NativeFile file, const std::string &path);
// Identity of what `path` names now (not following a final symlink); false if missing.
bool identify_path(const std::string &path, platform::FileInfo &out);

// Up to `max` bytes from offset 0.
std::string read_head(platform::NativeFile file, size_t max, const std::string &path);
// Up to `max` bytes of a regular file (never following a symlink); false if missing.
bool read_small_file(const std::string &path, size_t max, std::string &out);

// Creates `path` exclusively holding `content`; false if a name already exists there.
bool create_exclusive_file(const std::string &path, unsigned mode, const std::string &content);
// mkdir; false if the name exists.
bool create_exclusive_dir(const std::string &path, unsigned mode);

// Renames, replacing `to`; false if `from` does not exist.
bool rename_path(const std::string &from, const std::string &to);
// Renames only if `to` does not exist (false then, or if `from` is gone).
bool rename_no_replace(const std::string &from, const std::string &to);

// Remove a file / an empty directory; false if it did not exist.
bool remove_file(const std::string &path);
bool remove_dir(const std::string &path);

// Names in `dir` (no "." or "..").
std::vector<std::string> list_dir(const std::string &dir);

// --- Kernel locks (platform/kernel_lock.hpp) -----------------------------------------

// Throws the Error for a failed lock call of `kind` on `path`: unsupported where the
// filesystem or the system has no such locks (naming the backends that need none),
// permission for an fcntl lock on a read-only descriptor, else the OS's reason; a step
// of the call (e.op: "unlock", "lock (start waiter thread)"...) is named as such.
[[noreturn]] void fail_kernel_lock(platform::KernelLockKind kind, const std::string &path,
                                   const platform::OsError &e);

// true: acquired; false: someone holds a conflicting lock.
bool kernel_try_lock(platform::NativeFile file, platform::KernelLockKind kind, LockMode mode,
                     const std::string &path);
void kernel_unlock(platform::NativeFile file, platform::KernelLockKind kind,
                   const std::string &path);
platform::WaitOutcome kernel_wait_lock(platform::NativeFile &file, platform::KernelLockKind kind,
                                       LockMode mode, bool forever,
                                       std::chrono::steady_clock::time_point deadline,
                                       const std::shared_ptr<platform::Wakeup> &wakeup,
                                       const std::atomic<bool> &cancel, const std::string &path,
                                       platform::ParkedWait *parked);
// platform::hold_entry_lock.
platform::NativeFile hold_entry_lock(const std::string &path, bool directory);

// platform::probe_kernel_lock: 0 (free), 1 (shared) or 2 (exclusive).
int probe_kernel_lock(const std::string &path);
platform::RemoveOutcome remove_unheld_lock_file(const std::string &path);

}  // namespace filelock::io
