// The kernel's own list of granted locks: /proc/locks.
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstdio>
#include <cstddef>
#include <cstring>
#include <string>

#include "platform/lock_listing.hpp"
#include "platform/posix/syscall.hpp"

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
bool read_proc_locks(const FileInfo &id, std::vector<KernelLockHolder> &out) {
  // Every granted lock on the system has a line: room for a great many.
  constexpr size_t kMaxBytes = 64u << 20;
  std::string text;
  if (read_system_file("/proc/locks", text, kMaxBytes)) return false;
  const unsigned want_major = major(static_cast<dev_t>(id.dev));
  const unsigned want_minor = minor(static_cast<dev_t>(id.dev));
  // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiters have "->" after the
  // number and are skipped: they hold nothing.
  std::replace(text.begin(), text.end(), '\n', '\0');  // one C string per line
  for (size_t at = 0; at < text.size(); at += std::strlen(text.c_str() + at) + 1) {
    const char *line = text.c_str() + at;
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
  return true;
}

// Adds to `all` what `pass` shows beyond it: each (kind, mode, pid) as many times as the
// pass with the most of them lists it; an exclusive whole-file lock of one kind once, as
// it has one holder (a second line is a page boundary's repeat, below).
void add_missing(std::vector<KernelLockHolder> &all, const std::vector<KernelLockHolder> &pass) {
  const auto same = [](const KernelLockHolder &a, const KernelLockHolder &b) {
    return a.kind == b.kind && a.exclusive == b.exclusive && (a.exclusive || a.pid == b.pid);
  };
  for (const KernelLockHolder &h : pass) {
    const auto is_h = [&](const KernelLockHolder &o) { return same(o, h); };
    const auto in_pass = std::count_if(pass.begin(), pass.end(), is_h);
    const auto in_all = std::count_if(all.begin(), all.end(), is_h);
    if (in_all < (h.exclusive ? 1 : in_pass)) all.push_back(h);
  }
}

}  // namespace

// The kernel builds /proc/locks a page per read() and lets go of its lock list between
// pages: past one page (many locks on the system) a lock taken or released meanwhile
// shifts the rest, so one pass can list a line twice or not at all. A line one pass
// missed, another usually shows: the passes are merged (a lock released between two
// passes may then still be listed, as it was a moment before). Under heavy churn every
// pass can still miss a line: the list is a report (fl_query, fl_scan), never what
// decides that a lock may be broken.
bool list_kernel_locks(const FileInfo &id, std::vector<KernelLockHolder> &out) {
  constexpr int kPasses = 4;
  std::vector<KernelLockHolder> all, pass;
  for (int i = 0; i < kPasses; ++i) {
    pass.clear();
    if (!read_proc_locks(id, pass)) return false;
    add_missing(all, pass);
  }
  const size_t first = out.size();
  out.insert(out.end(), all.begin(), all.end());
  merge_companions(out, first);
  return true;
}

}  // namespace filelock::platform
