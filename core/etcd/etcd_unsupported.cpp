// Builds without etcd support (Windows, macOS, Linux without libcurl's headers).
#include "common/error.hpp"
#include "etcd/etcd.hpp"

namespace filelock::etcd {

namespace {
[[noreturn]] void refuse(const char *op, const std::string &url) {
  throw_error(Status::unsupported, op, url,
              "etcd:// names are not available in this build (Linux with libcurl only)");
}
}  // namespace

std::unique_ptr<Lock> open_lock(const std::string &url, const LockOptions &) { refuse("open lock", url); }
LockReport query_lock(const std::string &url, const LockOptions &) { refuse("query lock", url); }
ScanReport scan_locks(const std::string &url, const LockOptions &) { refuse("scan locks", url); }
std::shared_ptr<state::Store> open_state(const std::string &url, const state::StateOptions &) {
  refuse("open state", url);
}

}  // namespace filelock::etcd
