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
//
// Breaking never frees a name that may hold a live lock. The danger: breaker X judges
// entry E dead; another breaker removes E and a new holder C places its entry; X then
// moves or deletes what is at the name, C's entry, and a third process takes the free
// name while C believes it holds the lock. So breakers of an entry exclude each other:
// a breaker first places a claim "<lock>.break-<tag>-<g>" (<tag> hashes E's inode and
// record bytes, the same for every breaker that judged E; placed atomically with the
// breaker's own holder record, never replacing), reads the name again under it, and
// moves the entry away only if it is still E (same inode, same record bytes). Why the
// name cannot change between that read and the move:
//   - while E is at the name, only E's holder or a breaker of E removes it (acquirers
//     only create a free name, and a breaker of another entry finds its own entry gone);
//   - E's holder is proven dead (the judged-by-age exception is below);
//   - breakers of E hold a claim on E, and at most one claim on E has a live breaker:
//     generation g is created only after generations 0..g-1 were each found held by a
//     breaker proven dead, and a claim is removed only by its own breaker, or once E has
//     left the name (E's record names one acquisition: it never comes back, and a claim
//     on a gone entry protects nothing: its breaker's read finds E gone and stops).
// A claim whose breaker cannot be proven dead (another host, no readable record) is
// stepped over once older than kPlacingGraceMs. A holder judged stale only by age
// (stale_after_ms, another host) may be alive and release E itself under a claim: the
// entry moved is then a newer holder's, and it is put back (the one remaining window,
// inherent in breaking a possibly live lock). Orphans are broken by age, under a claim
// the same way; their tag (inode, no record) can recur when an inode is reused, so only
// a breaker's own claim on an orphan is released.
//
// Crash leftovers: placing a LOCKFILE and breaking a lock each use a second name beside
// the lock for a moment, and a process killed in between leaves it there:
//   "<lock>.new-<pid>-<tid>-<n>"       a LOCKFILE (or a claim) with its record, not yet
//                                      moved to its name (create_lock_file); <pid> made it
//   "<lock>.breaking-<16 hex digits>"  an entry moved aside to be deleted or put back
//   "<lock>.breaking-<pid>-<tid>-<n>"  the same, where directories cannot be renamed
//                                      without replacing (break_lock_entry)
//   "<lock>.break-<16 hex digits>-<g>" a breaker's claim (above); removable once the
//                                      entry it was taken for has left the lock name
// <lock> ends in ".lock" (the lock-file backends always use a sidecar name). Only
// fl_clean_stale removes them (lock_inspect.cpp says when).
#pragma once

#include <cstdint>
#include <string>

#include "lock/lock.hpp"
#include "platform/file.hpp"

namespace filelock {

inline constexpr const char *kLockDirRecordName = "holder.json";
inline constexpr int64_t kOrphanGraceMs = 10000;
// A "<lock>.new-" leftover whose creator cannot be proven dead (another host, no
// readable record) is removed once this old. A live creator keeps the name for one
// create, write and rename, so an hour never cuts one short.
inline constexpr int64_t kPlacingGraceMs = 3600 * 1000;

enum class LeftoverKind { none, placing, breaking, claim };

struct LeftoverName {
  LeftoverKind kind = LeftoverKind::none;
  std::string lock_name;  // the name of the lock it belongs to ("x.lock")
  int64_t pid = 0;        // placing: the creator's pid, from the name
  std::string tag;        // claim: the tag of the entry it was taken for
};

// Recognises a leftover by its name alone (a directory entry's name, not a path).
LeftoverName parse_leftover_name(const std::string &name);

// The temporary name create_lock_file places a LOCKFILE through, unique to this call.
std::string placing_name(const std::string &lock_path);
// The name break_lock_entry moves an entry judged as (id, record bytes) to.
std::string breaking_name(const std::string &lock_path, const platform::FileInfo &id,
                          const std::string &bytes);

// Reads what is at lock_path now; false if nothing is there. A record that cannot be
// read is returned empty (judged by age only), unless `strict`: then the Error is thrown
// (a holder checking its own entry must not take an I/O error for a broken lock).
bool read_lock_entry(const std::string &lock_path, bool directory, platform::FileInfo &id,
                     std::string &record_bytes, bool strict = false);

enum class EntryKind { missing, name_lock, orphan, other };

// What is at a lock name, judged by what is there (not by the backend asking).
struct LockEntry {
  EntryKind kind = EntryKind::missing;
  bool directory = false;
  platform::FileInfo id;
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
// `held`: receives the entry lock taken on it before it was placed (entry_guard.hpp).
bool create_lock_file(const std::string &lock_path, unsigned mode, const std::string &record,
                      platform::NativeFile *held = nullptr);

// Breaks the lock judged stale, under the breaker claim on the judged entry (above):
// nothing is moved unless the entry at the name is still the judged one, read again
// under the claim. It is then moved aside (never replacing) and deleted. False if
// another breaker holds the claim, or the name holds another entry now. Returns true if
// this call removed the judged lock.
bool break_lock_entry(const std::string &lock_path, bool directory,
                      const platform::FileInfo &judged, const std::string &judged_bytes);

// True while the entry at lock_path is the one a claim with this tag was taken for.
bool claim_entry_present(const std::string &lock_path, const std::string &tag);

// Deletes an entry (its record first, for a directory). Throws Error.
void remove_lock_entry(const std::string &lock_path, bool directory);

}  // namespace filelock
