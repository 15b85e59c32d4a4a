// Where the lock for a path lives.
#pragma once

#include <string>

#include "lock/lock.hpp"

namespace filelock {

// sidecar: "<path>.lock"; sidecar off: the path itself; lock_dir: a file inside lock_dir
// named "<escaped basename>.<hash of the absolute path>.lock", so two different paths
// never share a lock file and the name still says what it locks.
std::string resolve_lock_path(const std::string &path, const LockOptions &options);

}  // namespace filelock
