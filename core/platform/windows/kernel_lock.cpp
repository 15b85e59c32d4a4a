// LockFileEx locks, and waiting for them without polling.
//
// Windows byte-range locks are mandatory: a locked byte cannot be read or written through
// any other handle. So the lock covers one byte far beyond any data (kLockOffset), and the
// holder record at the start of the file stays readable by fl_query and other processes.
// A lock belongs to the handle that took it (like flock), dies with the handle or the
// process, and conflicts between two handles of one process too.
//
// Waiting: an overlapped LockFileEx completes the moment the holder releases; we sleep on
// its event together with the handle's Wakeup (cancel) and the deadline. To stop a wait
// we CancelIoEx the request and ask GetOverlappedResult how it ended: the lock may have
// been granted just before the cancel arrived, and then it is ours.
//
// Wine (tests run there) answers an overlapped LockFileEx that has to wait with "pending"
// and never completes it. Under Wine only, the wait retries a non-blocking LockFileEx
// every kWineRetry instead; Windows itself never takes that path.
#include "platform/kernel_lock.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "platform/syscalls.hpp"
#include "platform/windows/win_util.hpp"

namespace filelock::platform {

namespace {

constexpr uint64_t kLockOffset = 1ull << 62;
constexpr auto kWineRetry = std::chrono::milliseconds(2);

OVERLAPPED lock_range(HANDLE event) {
  OVERLAPPED ov = {};
  ov.Offset = static_cast<DWORD>(kLockOffset);
  ov.OffsetHigh = static_cast<DWORD>(kLockOffset >> 32);
  ov.hEvent = event;
  return ov;
}

DWORD lock_flags(LockMode mode, bool wait) {
  return (mode == LockMode::exclusive ? LOCKFILE_EXCLUSIVE_LOCK : 0) |
         (wait ? 0 : LOCKFILE_FAIL_IMMEDIATELY);
}

bool running_on_wine() {
  static const bool wine = [] {
    HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
    return ntdll != nullptr && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
  }();
  return wine;
}

void require_lockfileex(KernelLockKind kind, const std::string &path) {
  if (kind == KernelLockKind::flock) return;
  throw_error(Status::unsupported, "lock", path,
              std::string(kind == KernelLockKind::ofd ? "OFD" : "POSIX") +
                  " fcntl locks do not exist on Windows; use the default backend (LockFileEx)");
}

// Holds an event handle for the duration of one call.
struct Event {
  HANDLE h = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
  ~Event() {
    if (h != nullptr) ::CloseHandle(h);
  }
};

WaitOutcome wait_by_retry(NativeFile file, KernelLockKind kind, LockMode mode, bool forever,
                          std::chrono::steady_clock::time_point deadline,
                          const std::shared_ptr<Wakeup> &wakeup, const std::atomic<bool> &cancel,
                          const std::string &path) {
  while (true) {
    if (cancel.load(std::memory_order_acquire)) return WaitOutcome::canceled;
    if (kernel_try_lock(file, kind, mode, path)) return WaitOutcome::acquired;
    const auto now = std::chrono::steady_clock::now();
    if (!forever && now >= deadline) return WaitOutcome::timed_out;
    const auto next = forever ? now + kWineRetry : std::min(deadline, now + kWineRetry);
    wakeup->wait_until(false, next);
  }
}

}  // namespace

// LockFileEx reports Win32 errors, never these errno values: only injected faults (tests)
// arrive here, and they read as they do on POSIX.
[[noreturn]] void throw_kernel_lock_error(KernelLockKind kind, const std::string &path, int err) {
  require_lockfileex(kind, path);
  if (err == ENOLCK || err == EOPNOTSUPP || err == ENOSYS || err == EINVAL)
    throw_error(Status::unsupported, "lock", path,
                "LockFileEx locks are not supported on this filesystem (" +
                    std::string(std::strerror(err)) + ", errno " + std::to_string(err) +
                    "); use the LOCKFILE or LOCKDIR backend (FL_BACKEND_LOCKFILE/LOCKDIR)");
  throw_os_error("lock", path, err);
}

bool kernel_try_lock(NativeFile file, KernelLockKind kind, LockMode mode, const std::string &path) {
  require_lockfileex(kind, path);
  if (const int err = syscalls::enter(Syscall::lock)) throw_kernel_lock_error(kind, path, err);
  Event event;
  if (event.h == nullptr) win::throw_win32("lock (create event)", path, ::GetLastError());
  OVERLAPPED ov = lock_range(event.h);
  BOOL ok = ::LockFileEx(file, lock_flags(mode, false), 0, 1, 0, &ov);
  DWORD err = ok ? ERROR_SUCCESS : ::GetLastError();
  if (!ok && err == ERROR_IO_PENDING) {
    // Fail-immediately requests finish at once, but an overlapped handle may still say
    // "pending": collect the real answer.
    DWORD ignored;
    ok = ::GetOverlappedResult(file, &ov, &ignored, TRUE);
    err = ok ? ERROR_SUCCESS : ::GetLastError();
  }
  if (ok) return true;
  if (err == ERROR_LOCK_VIOLATION) return false;
  win::throw_win32("lock", path, err);
}

void kernel_unlock(NativeFile file, KernelLockKind kind, const std::string &path) {
  require_lockfileex(kind, path);
  if (const int err = syscalls::enter(Syscall::unlock)) throw_os_error("unlock", path, err);
  OVERLAPPED ov = lock_range(nullptr);
  if (!::UnlockFileEx(file, 0, 1, 0, &ov)) win::throw_win32("unlock", path, ::GetLastError());
}

// An overlapped LockFileEx is cancelled with CancelIoEx: nothing is ever parked.
ParkedWait::~ParkedWait() = default;

WaitOutcome kernel_wait_lock(NativeFile &file, KernelLockKind kind, LockMode mode, bool forever,
                             std::chrono::steady_clock::time_point deadline,
                             const std::shared_ptr<Wakeup> &wakeup,
                             const std::atomic<bool> &cancel, const std::string &path,
                             ParkedWait * /*parked*/) {
  require_lockfileex(kind, path);
  if (running_on_wine())
    return wait_by_retry(file, kind, mode, forever, deadline, wakeup, cancel, path);

  Event event;
  if (event.h == nullptr) win::throw_win32("lock (create event)", path, ::GetLastError());
  if (const int err = syscalls::enter(Syscall::lock)) throw_kernel_lock_error(kind, path, err);
  OVERLAPPED ov = lock_range(event.h);
  if (::LockFileEx(file, lock_flags(mode, true), 0, 1, 0, &ov)) return WaitOutcome::acquired;
  if (::GetLastError() != ERROR_IO_PENDING) win::throw_win32("lock", path, ::GetLastError());

  WaitOutcome outcome = WaitOutcome::acquired;
  while (::WaitForSingleObject(event.h, 0) != WAIT_OBJECT_0) {
    if (cancel.load(std::memory_order_acquire)) {
      outcome = WaitOutcome::canceled;
      break;
    }
    if (!wakeup->wait_until_either(event.h, forever, deadline) && !forever) {
      outcome = WaitOutcome::timed_out;
      break;
    }
  }
  if (outcome != WaitOutcome::acquired) ::CancelIoEx(file, &ov);
  // Waits for the request to end either way, so `ov` is never used after we return.
  DWORD ignored;
  if (::GetOverlappedResult(file, &ov, &ignored, TRUE)) {
    // Granted before the cancel took effect: a timed-out caller keeps it (it did get the
    // lock within its wait); a canceled one must not be left holding it.
    if (outcome == WaitOutcome::canceled) {
      kernel_unlock(file, kind, path);
      return outcome;
    }
    return WaitOutcome::acquired;
  }
  const DWORD err = ::GetLastError();
  if (err == ERROR_OPERATION_ABORTED && outcome != WaitOutcome::acquired) return outcome;
  win::throw_win32("lock", path, err);
}

}  // namespace filelock::platform
