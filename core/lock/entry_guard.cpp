#include "lock/entry_guard.hpp"

#include "io/lock_io.hpp"
#include "lock/holder_record.hpp"
#include "platform/kernel_lock.hpp"

namespace filelock {

void EntryGuard::hold(const std::string &path, bool directory) {
  release();
  file_ = io::hold_entry_lock(path, directory);
}

void EntryGuard::release() noexcept {
  platform::drop_entry_lock(file_);
  file_ = platform::kInvalidFile;
}

bool entry_guarded(const std::string &lock_path, const LockEntry &entry) {
  return platform::entry_lock_held(lock_path, entry.directory);
}

bool kernel_backend_leftover(const LockEntry &entry) {
  if (entry.kind != EntryKind::orphan || entry.directory) return false;
  HolderRecord rec;
  if (!parse_holder_record(entry.record_bytes, rec)) return false;
  return rec.backend == "flock" || rec.backend == "ofd" || rec.backend == "posix";
}

std::string name_taken_reason(const std::string &lock_path) {
  const LockEntry e = inspect_lock_entry(lock_path);
  HolderRecord rec;
  const bool has = parse_holder_record(e.record_bytes, rec);
  const std::string pid = has ? ", pid " + std::to_string(rec.pid) : "";
  if (e.kind == EntryKind::name_lock)
    return "held by another process or handle through the " +
           std::string(e.directory ? "LOCKDIR" : "LOCKFILE") + " backend (lock " +
           (e.directory ? "directory" : "file") + " exists" + pid + ")";
  if (e.kind == EntryKind::orphan && !e.directory)
    return "held by another process or handle through a kernel backend (" +
           (has ? rec.backend + pid : std::string("FLOCK, OFD or POSIX")) +
           "): its lock file is locked or not yet old enough to remove";
  return "held by another process or handle (lock file exists)";
}

}  // namespace filelock
