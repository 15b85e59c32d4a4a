// Lock files left at "<file>.lock" by the scripts filelock replaces. They lock by the
// name's existence (no kernel lock) and record only a pid:
//   bare-pid        a regular file holding the pid ("1234" or "1234\n")
//   pid-locked_at   a regular file of "pid=1234\nlocked_at=<float epoch seconds>\n"
//   pid-directory   a directory holding only a file "pid" with the pid
// Every backend that meets one at its (sidecar) lock name breaks it only when the pid
// provably names no process on this host (they carry no host, boot or start time, so the
// host whose filesystem holds them is taken as theirs): a dead pid is broken (removed, or
// a kernel backend takes the file over); a pid that names a process now, or that cannot
// be checked, keeps the lock, and the acquirer is busy or waits with a message naming
// the format and the pid. A reused pid therefore keeps such a lock alive until that
// process ends: the format cannot tell it apart. Without a sidecar the lock file is the
// user's own file, whatever it holds: it is never judged so.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "io/lock_io.hpp"
#include "platform/file.hpp"
#include "platform/process.hpp"
#include "platform/wakeup.hpp"

namespace filelock {

enum class LegacyFormat { none, bare_pid, pid_locked_at, pid_directory };

struct LegacyLock {
  LegacyFormat format = LegacyFormat::none;
  int64_t pid = 0;
  int64_t locked_at_ms = 0;  // 0: not recorded (then the entry's mtime is its age)
  platform::FileInfo id;  // the entry at the lock name (file or directory)
  std::string bytes;          // the file's content, or the directory's pid file's
  bool stale = false;         // the pid provably names no process on this host
  int64_t age_ms = 0;
  std::string reason;         // names the format and the pid, and why kept or stale
};

// "bare-pid", "pid-locked_at", "pid-directory" (as fl_scan reports them).
const char *legacy_format_name(LegacyFormat format) noexcept;

// Parses a regular file's content as bare-pid or pid-locked_at; false if it is neither.
bool parse_legacy_file(const std::string &bytes, LegacyLock &out);

// Judges the entry at lock_path with identity `id`: a regular file whose content was
// already read into `file_bytes` (so a file this process holds with a POSIX lock is never
// opened here), or a directory whose pid file is read now. False if it is not a legacy
// lock. Fills stale, age_ms and reason.
bool judge_legacy_entry(const std::string &lock_path, const platform::FileInfo &id,
                        const std::string &file_bytes, LegacyLock &out);

// Removes a legacy lock judged stale, only if the entry at the name is still the judged
// one: it is moved aside (never replacing) to a name derived from it, so concurrent
// breakers exclude each other, checked again and deleted; put back otherwise. True if
// this call removed it. Throws Error.
bool break_legacy_lock(const std::string &lock_path, const LegacyLock &judged);

// LOCKFILE/LOCKDIR acquirers, for an entry inspect_lock_entry calls "other": true if it
// is a legacy lock of a dead pid (broken now, or by someone else meanwhile: try again);
// false if not, with `why` naming a live legacy holder (empty: not a legacy lock).
bool break_dead_legacy_at(const std::string &lock_path, const platform::FileInfo &id,
                          const std::string &bytes, std::string &why);

// Kernel backends, right after the kernel lock was taken on `file` (just stat'ed as `id`,
// without timestamps: the verdict takes no age): true if the file is a legacy lock of a
// pid that may be alive, which holds the lock by the file's existence; `why` names it.
// Only a file whose size is neither 0 nor a holder record's is read, so the uncontended
// path reads nothing. A dead pid's file is simply taken over (false).
bool held_by_legacy_lock(platform::NativeFile file, const platform::FileInfo &id,
                         const std::string &path, std::string &why);

// Kernel backends: sleeps until the next retry (retry_ms) after a live legacy holder was
// found, the kernel lock dropped. Throws Error timeout (deadline passed) or canceled,
// naming the legacy holder `why`.
void wait_out_legacy_lock(platform::Wakeup &wakeup, std::atomic<bool> &cancel,
                          std::atomic<bool> &request, bool forever,
                          std::chrono::steady_clock::time_point deadline, int64_t timeout_ms,
                          int32_t retry_ms, const std::string &path, const std::string &why);

// Kernel backends' open of their lock file: with a sidecar lock name, a pid-directory
// legacy lock there is broken when its pid is dead, and otherwise refused as busy (a
// directory cannot carry a kernel lock), naming it. Else as io::open_lock_file.
io::OpenedFile open_lock_file_past_legacy(const std::string &path, unsigned mode,
                                                bool sidecar);

}  // namespace filelock
