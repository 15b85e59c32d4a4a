// The process's thread count on Linux: /proc/self/stat field 20 (num_threads).
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "platform/file.hpp"
#include "platform/posix/syscall.hpp"
#include "platform/threads.hpp"

namespace filelock::platform {

int thread_count() noexcept {
  // One read: the line is far shorter than a page, which the kernel fills at once.
  const int fd = injected(Syscall::open) ? -1 : ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;  // no /proc: cannot be told
  char buf[1024];
  const ssize_t n = injected(Syscall::read) ? -1 : ::read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  // The command name (field 2) may hold spaces and parentheses: skip to the last ')'.
  const char *p = std::strrchr(buf, ')');
  if (p == nullptr) return -1;
  ++p;  // now at the space before field 3
  for (int field = 3; field <= 20; ++field) {
    p = std::strchr(p, ' ');
    if (p == nullptr) return -1;
    ++p;
  }
  return static_cast<int>(std::strtol(p, nullptr, 10));
}

}  // namespace filelock::platform
