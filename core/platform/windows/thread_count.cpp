// The process's thread count on Windows: a Toolhelp snapshot of the system's threads.
// (The loader's worker threads and thread pools count too: then nothing is proven.)
#include "platform/threads.hpp"
#include "platform/windows/win_util.hpp"

#include <tlhelp32.h>

namespace filelock::platform {

int thread_count() noexcept {
  HANDLE snap = ::CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
  if (snap == INVALID_HANDLE_VALUE) return -1;
  const DWORD self = ::GetCurrentProcessId();
  THREADENTRY32 entry;
  entry.dwSize = sizeof entry;
  int count = 0;
  for (BOOL more = ::Thread32First(snap, &entry); more; more = ::Thread32Next(snap, &entry))
    if (entry.th32OwnerProcessID == self) ++count;
  ::CloseHandle(snap);
  return static_cast<int>(count);
}

}  // namespace filelock::platform
