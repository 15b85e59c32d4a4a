// One lock as the library's scan and query reports describe it.
#pragma once

#include <cjson/cJSON.h>

#include <cstdint>
#include <string>

#include "args.hpp"
#include "filelock.h"

namespace filelock::cli {

// The lock options shared by run and lock-info: --no-sidecar, --backend NAME and
// --owner LABEL. `opts` points into `args`, which must outlive it.
extern const OptionSpec kLockOptionSpecs[3];
void lock_options_from(const ParsedArgs &args, fl_lock_options *opts);

struct LockEntry {
  std::string lock_path;
  std::string backend;
  std::string format;  // a legacy lock's format ("bare-pid", ...), else ""
  bool locked = false;
  std::string mode;  // "exclusive", "shared" or "" when free
  int64_t pid = -1;  // the recorded (or first) holder; -1: none known
  std::string pids;  // every holder the kernel names ("12,34"), shared holders included
  std::string host;
  std::string owner;
  int64_t age_ms = -1;
  bool stale = false;
  std::string reason;  // why the library judges it stale, when it does
};

LockEntry lock_entry(const cJSON *item);

// Would clean-stale remove this lock file? fl_clean_stale's rule: it is at least
// min_age_ms old, and either nobody holds it or it is a lock-file-backend lock whose
// holder is gone (a legacy lock: its pid names no process). Returns the reason, or ""
// to keep it.
std::string removal_reason(const LockEntry &e, int64_t min_age_ms);

}  // namespace filelock::cli
