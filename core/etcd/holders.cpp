#include "etcd/holders.hpp"

#include "lock/holder_record.hpp"

namespace filelock::etcd {

bool is_shared(const KeyValue &kv) {
  HolderRecord record;
  return parse_holder_record(kv.value, record) && record.mode == "shared";
}

std::vector<const KeyValue *> holders(const RangeResult &queue) {
  std::vector<const KeyValue *> out;
  for (const KeyValue &kv : queue.kvs) {
    const bool shared = is_shared(kv);
    if (!out.empty() && !shared) break;
    out.push_back(&kv);
    if (!shared) break;
  }
  return out;
}

const KeyValue *blocker(const RangeResult &queue, int64_t create_revision, bool exclusive) {
  const KeyValue *found = nullptr;
  for (const KeyValue &kv : queue.kvs) {
    if (kv.create_revision >= create_revision) break;
    if (exclusive || !is_shared(kv)) found = &kv;
  }
  return found;
}

std::string describe(const KeyValue &kv) {
  HolderRecord r;
  if (!parse_holder_record(kv.value, r)) return "key '" + kv.key + "' (no holder record)";
  std::string out = "pid " + std::to_string(r.pid) + " on " + (r.host.empty() ? "?" : r.host);
  if (!r.owner.empty()) out += " (owner '" + r.owner + "')";
  out += ", " + (r.mode.empty() ? std::string("exclusive") : r.mode) + ", key '" + kv.key + "'";
  return out;
}

}  // namespace filelock::etcd
