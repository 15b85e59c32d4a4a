// A lock-file-backend lock as it sits in the directory: a file created with O_EXCL
// (LOCKFILE) or a directory created with mkdir holding "holder.json" (LOCKDIR), each
// carrying the holder record. Creating the name takes the lock; removing it releases.
#pragma once

#include <string>

#include "lock/lock.hpp"
#include "platform/file.hpp"

namespace filelock {

inline constexpr const char *kLockDirRecordName = "holder.json";

// Reads what is at lock_path now; false if nothing is there.
bool read_lock_entry(const std::string &lock_path, bool directory, platform::FileIdentity &id,
                     std::string &record_bytes);

// Breaks the lock judged stale, atomically against other breakers and acquirers: the
// entry is renamed to a unique name first, and deleted only if it is still the one that
// was judged (same inode, same record); otherwise it is put back where it was. Returns
// true if this call removed the judged lock.
bool break_lock_entry(const std::string &lock_path, bool directory,
                      const platform::FileIdentity &judged, const std::string &judged_bytes);

// Deletes an entry (its record first, for a directory). Throws Error.
void remove_lock_entry(const std::string &lock_path, bool directory);

}  // namespace filelock
