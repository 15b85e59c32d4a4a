// Lock entries from fl_scan/fl_query reports, and clean-stale's removal rule.
#include "locks.hpp"

#include "cli.hpp"
#include "format.hpp"
#include "json.hpp"

namespace filelock::cli {

const OptionSpec kLockOptionSpecs[3] = {{0, "no-sidecar", OptionSpec::none},
                                        {0, "backend", OptionSpec::required},
                                        {0, "owner", OptionSpec::required}};

void lock_options_from(const ParsedArgs &args, fl_lock_options *opts) {
  fl_lock_options_init(opts);
  if (args.has("no-sidecar")) opts->sidecar = 0;
  if (args.has("owner")) opts->owner = args.values.at("owner").back().c_str();
  if (!args.has("backend")) return;
  static const struct {
    const char *name;
    int backend;
  } kBackends[] = {{"auto", FL_BACKEND_AUTO},         {"flock", FL_BACKEND_FLOCK},
                   {"ofd", FL_BACKEND_OFD},           {"posix", FL_BACKEND_POSIX},
                   {"lockfile", FL_BACKEND_LOCKFILE}, {"lockdir", FL_BACKEND_LOCKDIR}};
  const std::string name = args.get("backend");
  for (const auto &b : kBackends)
    if (name == b.name) {
      opts->backend = b.backend;
      return;
    }
  throw UsageError("--backend: '" + name +
                   "' is not a backend (use auto, flock, ofd, posix, lockfile or lockdir)");
}

LockEntry lock_entry(const cJSON *item) {
  LockEntry e;
  e.lock_path = text_field(item, "lock_path");
  e.backend = text_field(item, "backend");
  e.format = text_field(item, "format");
  e.locked = bool_field(item, "locked");
  e.mode = text_field(item, "mode");
  e.stale = bool_field(item, "stale");
  e.reason = text_field(item, "reason");
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
  const cJSON *h = nullptr;
  cJSON_ArrayForEach(h, holders) {
    int64_t pid;
    if (number_field(h, "pid", &pid)) e.pids += (e.pids.empty() ? "" : ",") + std::to_string(pid);
  }
  if (e.pid < 0) number_field(item, "pid", &e.pid);
  if (e.host.empty()) e.host = text_field(item, "host");
  if (e.owner.empty()) e.owner = text_field(item, "owner");
  return e;
}

std::string removal_reason(const LockEntry &e, int64_t min_age_ms) {
  if (e.age_ms < 0 || e.age_ms < min_age_ms) return "";
  if (!e.locked) return "not held, unused for " + format_age(e.age_ms);
  if (e.stale && (e.backend == "lockfile" || e.backend == "lockdir" || e.backend == "legacy"))
    return e.reason.empty() ? "the holder is gone" : e.reason;
  return "";
}

}  // namespace filelock::cli
