// Process identity on POSIX systems: a pid with its start stamp (os_process.hpp, per
// system) names one process for the whole boot, whatever pid reuse.
#include "platform/process.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>

#include "platform/posix/os_process.hpp"

namespace filelock::platform {

namespace {

std::atomic<uint64_t> g_fork_generation{0};

void on_fork_child() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

// Registered once when the library is loaded; an atfork handler is not a signal handler.
const bool g_atfork_registered = [] {
  ::pthread_atfork(nullptr, nullptr, on_fork_child);
  return true;
}();

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
  id.start_time = os::process_start_time(id.pid);
  static const std::string boot = os::boot_id();
  static const std::string machine = os::machine_id();
  id.boot_id = boot;
  id.machine_id = machine;
  id.pid_ns = os::pid_namespace();
  id.host = host_name();
  cached = id;
  cached_generation = generation;
  return id;
}

int64_t current_pid() noexcept { return static_cast<int64_t>(::getpid()); }

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

Liveness local_process_liveness(int64_t pid, int64_t start_time) {
  if (pid <= 0) return Liveness::unknown;
  int64_t now_start = os::process_start_time(pid);
  if (now_start < 0) {
    // No such process; kill(0) confirms it is gone rather than hidden from us.
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
  // Cached per fork generation: after fork() the forking thread is another thread (of
  // another process), and the slots of handles inherited from the parent still name the
  // parent's threads. Folding the generation in keeps those from ever matching a thread
  // of the child, even one whose kernel id a dead parent thread had.
  static thread_local uint64_t id = 0;
  static thread_local uint64_t id_generation = 0;
  const uint64_t generation = fork_generation();
  if (id == 0 || id_generation != generation) {
    id = os::thread_id() ^ (generation << 48);
    id_generation = generation;
  }
  return id;
}

int64_t wall_clock_ms() noexcept {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace filelock::platform
