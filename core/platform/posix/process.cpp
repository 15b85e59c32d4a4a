// Process identity on Linux: /proc/PID/stat field 22 (start time in clock ticks since
// boot) together with the pid names one process for the whole boot, whatever pid reuse.
#include "platform/process.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace filelock::platform {

namespace {

std::atomic<uint64_t> g_fork_generation{0};

void on_fork_child() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

// Registered once when the library is loaded; an atfork handler is not a signal handler.
const bool g_atfork_registered = [] {
  ::pthread_atfork(nullptr, nullptr, on_fork_child);
  return true;
}();

// -1 when the process does not exist (or /proc is unavailable: then 0).
int64_t proc_start_time(int64_t pid) {
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

std::string read_boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

}  // namespace

ProcessIdentity self_identity() {
  // Cached per fork generation: pid and start time change only across fork(). The cache
  // is per thread, so it needs no lock.
  static thread_local ProcessIdentity cached;
  static thread_local uint64_t cached_generation = ~uint64_t{0};
  const uint64_t generation = fork_generation();
  if (cached_generation == generation) return cached;
  ProcessIdentity id;
  id.pid = static_cast<int64_t>(::getpid());
  id.start_time = proc_start_time(id.pid);
  static const std::string boot = read_boot_id();
  id.boot_id = boot;
  id.host = host_name();
  cached = id;
  cached_generation = generation;
  return id;
}

Liveness local_process_liveness(int64_t pid, int64_t start_time) {
  if (pid <= 0) return Liveness::unknown;
  int64_t now_start = proc_start_time(pid);
  if (now_start < 0) {
    // No /proc entry; kill(0) confirms the process is gone rather than hidden from us.
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return Liveness::dead;
    return Liveness::unknown;
  }
  if (now_start == 0 || start_time == 0) return Liveness::unknown;
  return now_start == start_time ? Liveness::alive : Liveness::dead;  // pid reused
}

uint64_t fork_generation() noexcept {
  (void)g_atfork_registered;
  return g_fork_generation.load(std::memory_order_relaxed);
}

uint64_t current_thread_id() noexcept {
  static thread_local uint64_t id = static_cast<uint64_t>(::syscall(SYS_gettid));
  return id;
}

int64_t wall_clock_ms() noexcept {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace filelock::platform
