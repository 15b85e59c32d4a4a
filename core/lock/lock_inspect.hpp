// Looking at locks from outside: fl_query, fl_scan, fl_clean_stale. Nothing here ever
// takes a lock someone could be waiting for, except fl_clean_stale's non-blocking
// attempt on a file /proc/locks already shows as free. The findings are data;
// capi/reports.cpp turns them into the JSON documents filelock.h describes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lock/holder_record.hpp"
#include "lock/lock.hpp"
#include "platform/process.hpp"

namespace filelock {

// One owner of a lock, as the system lists it (or a name lock's record names it).
struct LockOwner {
  int64_t pid = 0;  // <= 0: not known (OFD locks name no process)
  std::string kind;  // flock, ofd, posix, lockfile, lockdir, legacy
  bool exclusive = true;
};

// What fl_query reports of one lock, and fl_scan of each lock it finds.
struct LockReport {
  std::string path;       // fl_query's path; empty in a scan
  std::string lock_path;
  int exists = -1;        // fl_query: 0 or 1; -1 in a scan, which lists only what exists
  std::string backend;
  std::string format;     // a legacy lock's format; empty otherwise
  bool locked = false;
  bool exclusive = false;  // the mode, when locked
  std::vector<LockOwner> owners;
  enum class Holder { none, record, legacy } holder = Holder::none;
  HolderRecord record;              // Holder::record
  int64_t legacy_pid = 0;           // Holder::legacy
  int64_t legacy_acquired_at = 0;   // Holder::legacy; 0: not known
  platform::Liveness alive = platform::Liveness::unknown;
  bool stale = false;
  bool has_reason = false;  // name and legacy locks say why they are (not) stale
  std::string reason;
  bool has_age = false;     // false where nothing exists to be old
  int64_t age_ms = 0;
  std::string error;        // a scan: this entry could not be read (the rest is unset)
};

// A crash leftover beside a lock (lock_entry.hpp), as fl_scan lists it.
struct LeftoverReport {
  std::string path;
  std::string leftover_of;
  std::string kind;  // new, breaking, break_claim
  int64_t age_ms = 0;
  bool stale = false;
  std::string reason;
  std::string error;  // could not be judged (the fields above but path, leftover_of, kind unset)
};

struct ScanReport {
  std::string dir;
  std::vector<LockReport> locks;
  std::vector<LeftoverReport> leftovers;
};

struct CleanReport {
  struct Item {
    std::string lock_path;
    std::string text;  // removed, kept: the reason; errors: the error
    std::string leftover_of;  // empty unless a leftover
  };
  std::string dir;
  std::vector<Item> removed, kept, errors;
};

LockReport query_lock(const std::string &path, const LockOptions &options);
// `options` apply to an etcd:// prefix only (its connection settings); a directory's
// scan takes none (the caller refuses them).
ScanReport scan_locks(const std::string &dir, const LockOptions &options = {});
CleanReport clean_stale_locks(const std::string &dir, int64_t min_age_ms);

}  // namespace filelock
