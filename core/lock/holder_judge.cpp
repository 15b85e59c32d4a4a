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
  if (j.record.host == self.host && !self.host.empty()) {
    if (!j.record.boot_id.empty() && !self.boot_id.empty() && j.record.boot_id != self.boot_id) {
      j.alive = platform::Liveness::dead;
      j.stale = true;
      j.reason = "holder's host has rebooted since";
      return j;
    }
    j.alive = platform::local_process_liveness(j.record.pid, j.record.start_time);
    j.stale = j.alive == platform::Liveness::dead;
    j.reason = j.stale ? "holder process " + std::to_string(j.record.pid) + " is gone"
                       : "holder process " + std::to_string(j.record.pid) + " is alive";
    return j;
  }
  j.stale = old;
  j.reason = old ? "holder on host '" + j.record.host + "' is older than stale_after_ms"
                 : "holder on another host '" + j.record.host + "'";
  return j;
}

}  // namespace filelock
