// What the rest of the engine sees of etcd: locks and states named
// "etcd://host:port,.../name".
// Built on Linux with libcurl's headers; elsewhere each entry point fails with
// Status::unsupported naming the URL (etcd_unsupported.cpp).
#pragma once

#include <memory>
#include <string>

#include "etcd/etcd_url.hpp"
#include "lock/lock.hpp"
#include "lock/lock_inspect.hpp"
#include "state/state.hpp"

namespace filelock::etcd {

std::unique_ptr<Lock> open_lock(const std::string &url, const LockOptions &options);
// fl_query on an etcd:// name: the holders from the key's queue.
LockReport query_lock(const std::string &url, const LockOptions &options);
// fl_scan on "etcd://.../prefix": every lock whose queue is under the prefix, at any
// depth, each named by its own etcd:// URL. `options`: its etcd settings (TLS, user...)
// as for a lock; a backend other than automatic is refused.
ScanReport scan_locks(const std::string &url, const LockOptions &options = {});
// fl_state_open on an etcd:// name (etcd_state.hpp).
std::shared_ptr<state::Store> open_state(const std::string &url, const state::StateOptions &options);

}  // namespace filelock::etcd
