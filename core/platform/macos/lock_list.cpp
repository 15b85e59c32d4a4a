// macOS keeps no list of granted locks a process may read: fl_query and fl_scan probe.
#include "platform/lock_listing.hpp"

namespace filelock::platform {

bool list_kernel_locks(const FileInfo &, std::vector<KernelLockHolder> &) { return false; }

}  // namespace filelock::platform
