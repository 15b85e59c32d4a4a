// A lock-file-backend lock as it sits in the directory: a file (LOCKFILE) or a directory
// holding "holder.json" (LOCKDIR), each carrying the holder record. Placing the name
// takes the lock; removing it releases.
//
// What may be broken, and why it is safe:
//   - a name lock (it carries a LOCKFILE/LOCKDIR holder record): when its holder is
//     proven gone (holder_judge.hpp);
//   - an orphan (no name-lock record: an empty or foreign-record regular file such as a
//     flock-backend lock file or flock(1) leftover, or a directory with nothing but an
//     unreadable or missing holder.json): when it is older than kOrphanGraceMs (or than
//     stale_after_ms, if set and shorter) and, for a file, no kernel lock is held on it.
//     A LOCKFILE is placed with its record already written (create_lock_file), so a live
//     one never looks like an orphan; the grace period covers LOCKDIR's mkdir-then-write
//     window and writers older than this rule.
// Anything else (symlink, FIFO, a directory holding other files) is never touched.
#pragma once

#include <cstdint>
#include <string>

#include "lock/lock.hpp"
#include "platform/file.hpp"

namespace filelock {

inline constexpr const char *kLockDirRecordName = "holder.json";
inline constexpr int64_t kOrphanGraceMs = 10000;

// Reads what is at lock_path now; false if nothing is there.
bool read_lock_entry(const std::string &lock_path, bool directory, platform::FileIdentity &id,
                     std::string &record_bytes);

enum class EntryKind { missing, name_lock, orphan, other };

// What is at a lock name, judged by what is there (not by the backend asking).
struct LockEntry {
  EntryKind kind = EntryKind::missing;
  bool directory = false;
  platform::FileIdentity id;
  std::string record_bytes;
};

// Never reads a file this process holds with a POSIX lock (closing a descriptor of it
// would drop that lock): pass skip_read for such a file; it then counts as an orphan.
LockEntry inspect_lock_entry(const std::string &lock_path, bool skip_read = false);

// Age of an entry from its record's acquisition time, or its mtime.
int64_t orphan_age_ms(const LockEntry &entry);
bool orphan_expired(const LockEntry &entry, int64_t stale_after_ms);

// Removes an orphan judged expired if it is still that entry and, for a file, no kernel
// lock is held on it. True if this call removed it.
bool remove_orphan_entry(const std::string &lock_path, const LockEntry &judged);

// Places a LOCKFILE atomically: the record is written under a temporary name first and
// moved to lock_path only if that name is free, so a reader never sees it without its
// record. False if the name is taken. Throws Error; never leaves the temporary file.
bool create_lock_file(const std::string &lock_path, unsigned mode, const std::string &record);

// Breaks the lock judged stale. The entry is moved (never replacing) to a name derived
// from the judged entry, so concurrent breakers of one entry exclude each other; it is
// deleted only if it is the judged one (same inode, same record). Otherwise it is put
// back where it was; if a third process took the name meanwhile, the moved entry is
// left aside, never deleted. Returns true if this call removed the judged lock.
bool break_lock_entry(const std::string &lock_path, bool directory,
                      const platform::FileIdentity &judged, const std::string &judged_bytes);

// Deletes an entry (its record first, for a directory). Throws Error.
void remove_lock_entry(const std::string &lock_path, bool directory);

}  // namespace filelock
