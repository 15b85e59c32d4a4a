// Looking at locks from outside: fl_query, fl_scan, fl_clean_stale. Nothing here ever
// takes a lock someone could be waiting for, except fl_clean_stale's non-blocking
// attempt on a file /proc/locks already shows as free.
#pragma once

#include <cstdint>
#include <string>

#include "lock/lock.hpp"

namespace filelock {

// JSON documents; formats are described in filelock.h.
std::string query_lock(const std::string &path, const LockOptions &options);
std::string scan_locks(const std::string &dir);
std::string clean_stale_locks(const std::string &dir, int64_t min_age_ms);

}  // namespace filelock
