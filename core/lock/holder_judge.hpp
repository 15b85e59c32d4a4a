// Is a recorded holder gone? The lock-file backends break a lock only on proof:
//   same host, same boot:  the pid no longer names a process started at start_time
//                          (so a reused pid does not keep a dead holder's lock alive);
//   ... another PID namespace: no proof (its pid means another process here, or none):
//                          kept, like another host's;
//   same host, other boot: dead (every process of that boot is gone);
//   another host:          no proof is possible; the lock counts as stale only when it is
//                          older than stale_after_ms (0: never).
// "Same host" is the same machine id where both sides have one (NFS clients may share a
// host name), else the same host name (records of older versions).
// A lock without a readable record (still being written, or damaged) is stale only by
// age, and likewise only when stale_after_ms is set.
#pragma once

#include <cstdint>
#include <string>

#include "lock/holder_record.hpp"
#include "platform/process.hpp"

namespace filelock {

struct HolderJudgement {
  bool has_record = false;
  HolderRecord record;
  platform::Liveness alive = platform::Liveness::unknown;
  bool stale = false;
  std::string reason;  // why it is stale, or why it is kept
  int64_t age_ms = 0;
};

HolderJudgement judge_holder(const std::string &record_bytes, int64_t mtime_ms,
                             int64_t stale_after_ms);

}  // namespace filelock
