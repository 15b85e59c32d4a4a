// The kernel's own list of granted locks: /proc/locks.
#include <sys/sysmacros.h>

#include <cstdio>
#include <cstring>

#include "platform/lock_listing.hpp"

namespace filelock::platform {

bool list_kernel_locks(const FileIdentity &id, std::vector<KernelLockHolder> &out) {
  FILE *f = std::fopen("/proc/locks", "re");
  if (f == nullptr) return false;
  const unsigned want_major = major(static_cast<dev_t>(id.dev));
  const unsigned want_minor = minor(static_cast<dev_t>(id.dev));
  char line[512];
  // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiters have "->" after the
  // number and are skipped: they hold nothing.
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strstr(line, "->") != nullptr) continue;
    char kind[16], type[16], access[16];
    long long pid;
    unsigned maj, min;
    unsigned long long ino;
    if (std::sscanf(line, "%*d: %15s %15s %15s %lld %x:%x:%llu", kind, type, access, &pid, &maj,
                    &min, &ino) != 7)
      continue;
    if (ino != id.ino || maj != want_major || min != want_minor) continue;
    KernelLockHolder h;
    if (std::strcmp(kind, "FLOCK") == 0) h.kind = "flock";
    else if (std::strcmp(kind, "OFDLCK") == 0) h.kind = "ofd";
    else if (std::strcmp(kind, "POSIX") == 0) h.kind = "posix";
    else continue;  // leases, delegations
    h.exclusive = std::strcmp(access, "WRITE") == 0;
    h.pid = pid;
    out.push_back(h);
  }
  std::fclose(f);
  return true;
}

}  // namespace filelock::platform
