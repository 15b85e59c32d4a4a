// Reading an etcd lock's queue: who holds, whom a waiter waits for.
#pragma once

#include <string>
#include <vector>

#include "etcd/client.hpp"

namespace filelock::etcd {

// A key's mode from its value (the holder record). Keys without a record (etcdctl lock
// writes none) are exclusive.
bool is_shared(const KeyValue &kv);

// The keys holding the lock: the oldest, and if it is shared every shared key up to the
// first exclusive one.
std::vector<const KeyValue *> holders(const RangeResult &queue);

// The key an acquirer with `create_revision` waits for: for exclusive, the newest key
// created before it; for shared, the newest exclusive one. nullptr: it holds.
const KeyValue *blocker(const RangeResult &queue, int64_t create_revision, bool exclusive);

// "pid 123 on host db1 (owner 'nightly'), since 2026-..." for messages.
std::string describe(const KeyValue &kv);

}  // namespace filelock::etcd
