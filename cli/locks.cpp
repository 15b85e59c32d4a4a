// Lock entries from fl_scan/fl_query reports, and clean-stale's removal rule.
#include "locks.hpp"

#include "format.hpp"
#include "json.hpp"

namespace filelock::cli {

LockEntry lock_entry(const cJSON *item) {
  LockEntry e;
  e.lock_path = text_field(item, "lock_path");
  e.backend = text_field(item, "backend");
  e.locked = bool_field(item, "locked");
  e.mode = text_field(item, "mode");
  e.stale = bool_field(item, "stale");
  number_field(item, "age_ms", &e.age_ms);
  const cJSON *holder = field(item, "holder");
  if (cJSON_IsObject(holder)) {
    number_field(holder, "pid", &e.pid);
    e.host = text_field(holder, "host");
    e.owner = text_field(holder, "owner");
    if (e.mode.empty()) e.mode = text_field(holder, "mode");
  }
  // Shared holders record no details; the kernel still names their pids.
  const cJSON *holders = field(item, "holders");
  if (e.pid < 0 && cJSON_IsArray(holders) && cJSON_GetArraySize(holders) > 0)
    number_field(cJSON_GetArrayItem(holders, 0), "pid", &e.pid);
  if (e.pid < 0) number_field(item, "pid", &e.pid);
  if (e.host.empty()) e.host = text_field(item, "host");
  if (e.owner.empty()) e.owner = text_field(item, "owner");
  return e;
}

std::string removal_reason(const LockEntry &e, int64_t min_age_ms) {
  if (!e.locked && e.age_ms >= min_age_ms) return "not held, unused for " + format_age(e.age_ms);
  if (e.stale && (e.backend == "lockfile" || e.backend == "lockdir"))
    return "holder process is gone";
  return "";
}

}  // namespace filelock::cli
