// Process identity on Linux: /proc/PID/stat field 22 (start time in clock ticks since
// boot), the boot id the kernel makes at every boot, the machine id and the PID
// namespace (/proc/self/ns/pid).
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "platform/file.hpp"
#include "platform/posix/os_process.hpp"
#include "platform/posix/syscall.hpp"

namespace filelock::platform::os {

namespace {

int64_t start_time_from(const char *path) {
  std::string text;
  if (const OsError e = read_system_file(path, text, 4096)) return e.err == ENOENT ? -1 : 0;
  // The command name (field 2) may hold spaces and parentheses: skip to the last ')'.
  const char *p = std::strrchr(text.c_str(), ')');
  if (p == nullptr || p[1] == '\0') return 0;
  p += 2;  // now at field 3 (state)
  for (int field = 3; field < 22 && *p; ++field) {
    p = std::strchr(p, ' ');
    if (p == nullptr) return 0;
    ++p;
  }
  return std::strtoll(p, nullptr, 10);
}

std::string first_line(const char *path) {
  std::string text;
  if (read_system_file(path, text, 4096)) return std::string();
  return text.substr(0, text.find('\n'));
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
  FileInfo info;
  return path_info("/proc/self/ns/pid", info) ? 0 : info.ino;
}

std::string boot_id() { return first_line("/proc/sys/kernel/random/boot_id"); }

uint64_t thread_id() noexcept { return static_cast<uint64_t>(::syscall(SYS_gettid)); }

}  // namespace filelock::platform::os
