// Process identity on Linux: /proc/PID/stat field 22 (start time in clock ticks since
// boot) and the boot id the kernel makes at every boot.
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "platform/posix/os_process.hpp"

namespace filelock::platform::os {

int64_t process_start_time(int64_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%lld/stat", static_cast<long long>(pid));
  FILE *f = std::fopen(path, "re");
  if (f == nullptr) return errno == ENOENT ? -1 : 0;
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // The command name (field 2) may hold spaces and parentheses: skip to the last ')'.
  const char *p = std::strrchr(buf, ')');
  if (p == nullptr) return 0;
  p += 2;  // now at field 3 (state)
  for (int field = 3; field < 22 && *p; ++field) {
    p = std::strchr(p, ' ');
    if (p == nullptr) return 0;
    ++p;
  }
  return std::strtoll(p, nullptr, 10);
}

std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

uint64_t thread_id() noexcept { return static_cast<uint64_t>(::syscall(SYS_gettid)); }

}  // namespace filelock::platform::os
