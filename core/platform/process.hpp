// Who we are (recorded with exclusive holders) and whether a recorded holder still lives.
#pragma once

#include <cstdint>
#include <string>

namespace filelock::platform {

struct ProcessIdentity {
  int64_t pid = 0;
  int64_t start_time = 0;  // OS-specific start stamp; with pid, immune to pid reuse
  std::string host;
  std::string boot_id;     // changes at every boot
  // What tells apart machines sharing a host name (NFS) and processes whose pids mean
  // nothing here (another PID namespace): "" and 0 where the system has no such thing.
  std::string machine_id;  // /etc/machine-id on Linux
  uint64_t pid_ns = 0;     // inode of the PID namespace (Linux)
};

// This process, as of now (recomputed after fork).
ProcessIdentity self_identity();

enum class Liveness { alive, dead, unknown };
// Same host and boot only: alive if a process `pid` with `start_time` exists.
Liveness local_process_liveness(int64_t pid, int64_t start_time);

// Bumped in the child at every fork(); handles compare it to notice they were inherited.
uint64_t fork_generation() noexcept;

// A stable id of the calling thread, never 0, and never that of a thread of the parent
// process after fork().
uint64_t current_thread_id() noexcept;

int64_t wall_clock_ms() noexcept;  // milliseconds since the Unix epoch

int64_t current_pid() noexcept;
// This machine's name ("" if it has none).
std::string host_name();

}  // namespace filelock::platform
