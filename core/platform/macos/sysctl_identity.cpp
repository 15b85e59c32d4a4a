// Process identity on macOS: the start time sysctl reports for a pid (in µs since 1970)
// and the boot session's UUID.
#include <pthread.h>
#include <sys/sysctl.h>
#include <sys/types.h>

#include <cstdint>

#include "platform/posix/os_process.hpp"

namespace filelock::platform::os {

int64_t process_start_time(int64_t pid) {
  int mib[4] = {CTL_KERN, KERN_PROC, KERN_PROC_PID, static_cast<int>(pid)};
  struct kinfo_proc info = {};
  size_t size = sizeof info;
  if (::sysctl(mib, 4, &info, &size, nullptr, 0) != 0) return 0;
  if (size == 0) return -1;  // no such process
  const struct timeval &t = info.kp_proc.p_starttime;
  return static_cast<int64_t>(t.tv_sec) * 1000000 + t.tv_usec;
}

// No machine id is read on macOS (records then compare host names, as before).
std::string machine_id() { return ""; }

uint64_t pid_namespace() { return 0; }  // macOS has no PID namespaces

std::string boot_id() {
  char buf[64] = {};
  size_t size = sizeof buf - 1;
  if (::sysctlbyname("kern.bootsessionuuid", buf, &size, nullptr, 0) != 0) return "";
  return buf;
}

uint64_t thread_id() noexcept {
  uint64_t id = 0;
  ::pthread_threadid_np(nullptr, &id);
  return id;
}

}  // namespace filelock::platform::os
