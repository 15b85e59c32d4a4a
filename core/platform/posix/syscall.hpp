// How posix/ makes a system call through the table (platform/syscalls.hpp):
//   int fd = injected(Syscall::open) ? -1 : ::open(...);
// Internal to the POSIX platform layer.
#pragma once

#include <cerrno>
#include <cstddef>
#include <string>

#include "platform/file.hpp"
#include "platform/syscalls.hpp"

namespace filelock::platform {

// True when a test made this call fail: errno is then set to the chosen error and the
// caller takes -1 instead of making the call.
inline bool injected(Syscall call) noexcept {
  const int err = syscalls::enter(call);
  if (err == 0) return false;
  errno = err;
  return true;
}

// Up to `max` bytes of a file the system makes (/proc, /etc/machine-id), read until end
// of file; open, reads and close through the table.
OsError read_system_file(const char *path, std::string &out, size_t max);

// fsync of a file or directory (F_FULLFSYNC where there is one): 0 or -1 with errno.
int full_fsync(int fd);

}  // namespace filelock::platform
