// Process identity on Windows: the pid with the process creation time (in microseconds)
// names one process, whatever pid reuse. Liveness opens the process by pid and compares
// its creation time, so a recycled pid is never mistaken for the holder. There is no
// fork() on Windows: the fork generation never changes.
#include "platform/process.hpp"

#include "platform/windows/win_util.hpp"

namespace filelock::platform {

namespace {

// Microseconds since the Unix epoch. Holder records are read back as JSON numbers
// (doubles), exact only up to 2^53: raw FILETIME ticks (about 1.3e17) lose their last
// bits there, and a live holder would then be judged dead. Microseconds stay exact
// until the year 2255.
int64_t creation_time(HANDLE process) {
  FILETIME created, exited, kernel, user;
  if (!::GetProcessTimes(process, &created, &exited, &kernel, &user)) return 0;
  constexpr uint64_t kUnixEpochTicks = 116444736000000000ull;  // 1970-01-01 in FILETIME
  const uint64_t t = win::filetime_ticks(created);
  return t <= kUnixEpochTicks ? 0 : static_cast<int64_t>((t - kUnixEpochTicks) / 10);
}

}  // namespace

ProcessIdentity self_identity() {
  ProcessIdentity id;
  id.pid = static_cast<int64_t>(::GetCurrentProcessId());
  id.start_time = creation_time(::GetCurrentProcess());
  id.host = host_name();
  // No boot id: Windows offers no stable one, and creation times already differ across
  // boots, so a holder from before a reboot is judged dead by start time instead.
  return id;
}

Liveness local_process_liveness(int64_t pid, int64_t start_time) {
  if (pid <= 0 || pid > 0xFFFFFFFFll) return Liveness::unknown;
  HANDLE h = ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, FALSE, static_cast<DWORD>(pid));
  if (h == nullptr) {
    // ERROR_INVALID_PARAMETER: no such process. Access denied: it exists, we cannot look.
    return ::GetLastError() == ERROR_INVALID_PARAMETER ? Liveness::dead : Liveness::unknown;
  }
  DWORD code = 0;
  Liveness result = Liveness::unknown;
  if (::GetExitCodeProcess(h, &code)) {
    if (code != STILL_ACTIVE) {
      result = Liveness::dead;  // exited; only our handle keeps the record around
    } else {
      const int64_t now_start = creation_time(h);
      // STILL_ACTIVE is also a possible exit code; a waitable handle settles it.
      if (::WaitForSingleObject(h, 0) == WAIT_OBJECT_0) result = Liveness::dead;
      else if (now_start == 0 || start_time == 0) result = Liveness::unknown;
      else result = now_start == start_time ? Liveness::alive : Liveness::dead;
    }
  }
  ::CloseHandle(h);
  return result;
}

uint64_t fork_generation() noexcept { return 0; }

uint64_t current_thread_id() noexcept { return static_cast<uint64_t>(::GetCurrentThreadId()); }

int64_t wall_clock_ms() noexcept {
  FILETIME ft;
  ::GetSystemTimePreciseAsFileTime(&ft);
  return win::filetime_to_unix_ms(ft);
}

int64_t current_pid() noexcept { return static_cast<int64_t>(::GetCurrentProcessId()); }

std::string host_name() {
  wchar_t buf[256];
  DWORD n = sizeof buf / sizeof buf[0];
  if (!::GetComputerNameExW(ComputerNameDnsHostname, buf, &n)) return "";
  return win::narrow(buf, n);
}

}  // namespace filelock::platform
