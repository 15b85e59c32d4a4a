// Process identity on Linux: /proc/PID/stat field 22 (start time in clock ticks since
// boot), the boot id the kernel makes at every boot, the machine id and the PID
// namespace (/proc/self/ns/pid).
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "platform/posix/os_process.hpp"

namespace filelock::platform::os {

namespace {

int64_t start_time_from(const char *path) {
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

std::string first_line(const char *path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

int64_t process_start_time(int64_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%lld/stat", static_cast<long long>(pid));
  return start_time_from(path);
}

std::string machine_id() {
  // systemd's file, or D-Bus's where systemd is absent (the same id where both exist).
  std::string id = first_line("/etc/machine-id");
  if (id.empty()) id = first_line("/var/lib/dbus/machine-id");
  return id;
}

uint64_t pid_namespace() {
  struct stat st;
  return ::stat("/proc/self/ns/pid", &st) == 0 ? static_cast<uint64_t>(st.st_ino) : 0;
}

std::string boot_id() { return first_line("/proc/sys/kernel/random/boot_id"); }

uint64_t thread_id() noexcept { return static_cast<uint64_t>(::syscall(SYS_gettid)); }

}  // namespace filelock::platform::os
