// What each POSIX system tells in its own way about processes: linux/ reads /proc,
// macos/ asks sysctl. posix/process.cpp builds the platform's process.hpp on these.
#pragma once

#include <cstdint>
#include <string>

namespace filelock::platform::os {

// The start stamp of process `pid` (with the pid, it names one process for the whole
// boot): -1 when no such process exists, 0 when it cannot be told.
int64_t process_start_time(int64_t pid);
// Changes at every boot; "" where the system has no such id.
std::string boot_id();
// The machine's id, the same across boots; "" where none can be read.
std::string machine_id();
// The id of the calling process's PID namespace; 0 where there are none.
uint64_t pid_namespace();
// The kernel's id of the calling thread.
uint64_t thread_id() noexcept;

}  // namespace filelock::platform::os
