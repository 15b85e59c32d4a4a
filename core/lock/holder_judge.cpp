#include "lock/holder_judge.hpp"

namespace filelock {

HolderJudgement judge_holder(const std::string &record_bytes, int64_t mtime_ms,
                             int64_t stale_after_ms) {
  HolderJudgement j;
  const int64_t now = platform::wall_clock_ms();
  j.has_record = parse_holder_record(record_bytes, j.record);
  j.age_ms = now - (j.has_record && j.record.acquired_at > 0 ? j.record.acquired_at : mtime_ms);
  if (j.age_ms < 0) j.age_ms = 0;
  const bool old = stale_after_ms > 0 && j.age_ms > stale_after_ms;
  if (!j.has_record) {
    j.stale = old;
    j.reason = old ? "no readable holder record and older than stale_after_ms"
                   : "no readable holder record";
    return j;
  }
  const platform::ProcessIdentity self = platform::self_identity();
  // Same machine: by machine id where both records have one (host names repeat across
  // machines), else by host name as records of older versions allow.
  const bool both_ids = !j.record.machine_id.empty() && !self.machine_id.empty();
  const bool same_machine = both_ids ? j.record.machine_id == self.machine_id
                                     : j.record.host == self.host && !self.host.empty();
  if (same_machine) {
    if (!j.record.boot_id.empty() && !self.boot_id.empty() && j.record.boot_id != self.boot_id) {
      j.alive = platform::Liveness::dead;
      j.stale = true;
      j.reason = "holder's host has rebooted since";
      return j;
    }
    if (j.record.pid_ns != 0 && self.pid_ns != 0 && j.record.pid_ns != self.pid_ns) {
      // Its pid names another process here, or none: nothing can be proven, as for
      // another host's holder.
      j.stale = old;
      j.reason = "holder process " + std::to_string(j.record.pid) +
                 " is in another PID namespace" +
                 (old ? " and older than stale_after_ms" : "; it cannot be proven gone");
      return j;
    }
    j.alive = platform::local_process_liveness(j.record.pid, j.record.start_time);
    j.stale = j.alive == platform::Liveness::dead;
    j.reason = j.stale ? "holder process " + std::to_string(j.record.pid) + " is gone"
                       : "holder process " + std::to_string(j.record.pid) + " is alive";
    return j;
  }
  if (both_ids && j.record.host == self.host) {
    j.stale = old;
    j.reason = old ? "holder on another machine named '" + j.record.host +
                         "' is older than stale_after_ms"
                   : "holder on another machine named '" + j.record.host +
                         "' (its machine id differs)";
    return j;
  }
  j.stale = old;
  j.reason = old ? "holder on host '" + j.record.host + "' is older than stale_after_ms"
                 : "holder on another host '" + j.record.host + "'";
  return j;
}

}  // namespace filelock
