// The kernel's own list of granted locks: /proc/locks.
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstdio>
#include <cstddef>
#include <cstring>

#include "platform/lock_listing.hpp"

namespace filelock::platform {

namespace {

// A filelock OFD or POSIX holder also takes flock in the same mode (kernel_file_lock.hpp):
// /proc/locks then shows two locks for one holder. Each fcntl lock is paired with one
// flock of the same mode and process (an OFD lock names none: any pid) and listed once,
// with the flock's pid where it had none. Pairs with the same pid are matched first.
void merge_companions(std::vector<KernelLockHolder> &out, size_t first) {
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = first; i < out.size(); ++i) {
      if (out[i].kind == "flock") continue;
      for (size_t j = first; j < out.size(); ++j) {
        const KernelLockHolder &fl = out[j];
        if (fl.kind != "flock" || fl.exclusive != out[i].exclusive) continue;
        if (pass == 0 ? fl.pid != out[i].pid : out[i].pid > 0) continue;
        if (out[i].pid <= 0) out[i].pid = fl.pid;
        out.erase(out.begin() + static_cast<std::ptrdiff_t>(j));
        if (j < i) --i;
        break;
      }
    }
  }
}

// One pass over /proc/locks: the granted locks on `id`, unmerged. False if unreadable.
bool read_proc_locks(const FileIdentity &id, std::vector<KernelLockHolder> &out) {
  const size_t first = out.size();
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
    // An exclusive whole-file lock of one kind has one holder: a second line is a page
    // boundary's repeat (below), not a second holder.
    const bool repeat = h.exclusive && std::any_of(out.begin() + static_cast<std::ptrdiff_t>(first),
                                                    out.end(), [&](const KernelLockHolder &o) {
                                                      return o.exclusive && o.kind == h.kind;
                                                    });
    if (!repeat) out.push_back(h);
  }
  std::fclose(f);
  return true;
}

bool same_holders(const std::vector<KernelLockHolder> &a, const std::vector<KernelLockHolder> &b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].kind != b[i].kind || a[i].exclusive != b[i].exclusive || a[i].pid != b[i].pid)
      return false;
  return true;
}

}  // namespace

// The kernel builds /proc/locks a page per read() and lets go of its lock list between
// pages: past one page (many locks on the system) a lock taken or released meanwhile
// shifts the rest, so a line can appear twice or not at all. A repeated exclusive line
// is dropped as it is read; two passes that agree on this inode's lines are taken as
// its state.
bool list_kernel_locks(const FileIdentity &id, std::vector<KernelLockHolder> &out) {
  std::vector<KernelLockHolder> last, now;
  if (!read_proc_locks(id, last)) return false;
  for (int pass = 0; pass < 8; ++pass) {
    now.clear();
    if (!read_proc_locks(id, now)) return false;
    if (same_holders(last, now)) break;
    last.swap(now);
  }
  const size_t first = out.size();
  out.insert(out.end(), now.begin(), now.end());
  merge_companions(out, first);
  return true;
}

}  // namespace filelock::platform
