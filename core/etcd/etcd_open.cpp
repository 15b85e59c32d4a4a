#include <algorithm>
#include <map>

#include "common/error.hpp"
#include "etcd/etcd.hpp"
#include "etcd/etcd_lock.hpp"
#include "etcd/holders.hpp"
#include "lock/holder_record.hpp"

namespace filelock::etcd {

namespace {

Target checked_target(const std::string &url, const LockOptions &options, const char *op) {
  Target target = parse_target(url, op, options.etcd);
  if (options.backend != Backend::automatic)
    throw_error(Status::invalid, op, url,
                std::string("backend ") + backend_name(options.backend) +
                    " does not apply to an etcd:// name (leave it AUTO)");
  if (!is_printable_utf8(options.owner))
    throw_error(Status::invalid, op, url, "option 'owner' must be valid UTF-8 without control characters");
  return target;
}

}  // namespace

std::unique_ptr<Lock> open_lock(const std::string &url, const LockOptions &options) {
  return std::make_unique<EtcdLock>(checked_target(url, options, "open lock"), options);
}

namespace {

// What fl_query says of one lock's queue (`url` names the lock).
LockReport report_of(const std::string &url, const RangeResult &queue) {
  LockReport r;
  r.lock_path = url;
  r.backend = "etcd";
  const std::vector<const KeyValue *> now = holders(queue);
  r.locked = !now.empty();
  r.exclusive = r.locked && !is_shared(*now.front());
  for (const KeyValue *kv : now) {
    LockOwner owner;
    HolderRecord record;
    if (parse_holder_record(kv->value, record)) owner.pid = record.pid;
    owner.kind = "etcd";
    owner.exclusive = !is_shared(*kv);
    r.owners.push_back(owner);
  }
  // The oldest holder's record, as the file backends report their recorded holder.
  if (r.locked && parse_holder_record(now.front()->value, r.record)) {
    r.holder = LockReport::Holder::record;
    r.has_age = r.record.acquired_at > 0;
    r.age_ms = r.has_age ? std::max<int64_t>(0, platform::wall_clock_ms() - r.record.acquired_at) : 0;
  }
  r.alive = r.locked ? platform::Liveness::alive : platform::Liveness::unknown;  // its lease lives
  return r;
}

// A lock's queue key "<lock>/<lease id in hex>": the lock's name, or "" for another key.
std::string lock_of(const std::string &key) {
  const size_t slash = key.rfind('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == key.size()) return "";
  if (key.find_first_not_of("0123456789abcdef", slash + 1) != std::string::npos) return "";
  return key.substr(0, slash);
}

}  // namespace

LockReport query_lock(const std::string &url, const LockOptions &options) {
  const char *op = "query lock";
  Target target = checked_target(url, options, op);
  Client client(target, op);
  const RangeResult queue = client.range_prefix(op, target.name + "/");
  LockReport r = report_of(url, queue);
  r.path = url;
  r.exists = queue.kvs.empty() ? 0 : 1;
  return r;
}

ScanReport scan_locks(const std::string &url, const LockOptions &options) {
  const char *op = "scan locks";
  Target target = checked_target(url, options, op);
  Client client(target, op);
  const RangeResult all = client.range_subtree(op, target.name + "/");
  // Each lock's queue, its keys still oldest first; locks in name order.
  std::map<std::string, RangeResult> queues;
  for (const KeyValue &kv : all.kvs) {
    const std::string lock = lock_of(kv.key);
    if (lock.empty()) continue;
    RangeResult &queue = queues[lock];
    queue.revision = all.revision;
    queue.kvs.push_back(kv);
  }
  // Each lock's own URL: the cluster part of `url`, then its name.
  const size_t hosts_end = url.find('/', std::string("etcd://").size());
  ScanReport report;
  report.dir = url;
  for (const auto &[lock, queue] : queues)
    report.locks.push_back(report_of(url.substr(0, hosts_end + 1) + lock, queue));
  return report;
}

}  // namespace filelock::etcd
