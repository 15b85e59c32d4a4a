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

#include "platform/syscalls.hpp"
#include "platform/windows/win_file.hpp"

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

// Only KernelLockKind::flock exists here (as LockFileEx): 0, or kNoSuchLock.
int require_lockfileex(KernelLockKind kind) {
  return kind == KernelLockKind::flock ? 0 : kNoSuchLock;
}

OsError lock_error(int err) { return OsError{err, 0, nullptr}; }
OsError with_op(OsError e, const char *op) {
  e.op = op;
  return e;
}

// Holds an event handle for the duration of one call; made through the system-call
// table's wakeup entry, as every event the platform makes.
struct Event {
  HANDLE h = nullptr;
  OsError error;
  Event() {
    if (const int err = syscalls::enter(Syscall::wakeup)) {
      error = lock_error(err);
      return;
    }
    h = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    if (h == nullptr) error = win::last_error();
  }
  Event(const Event &) = delete;
  Event &operator=(const Event &) = delete;
  ~Event() {
    if (h != nullptr) ::CloseHandle(h);
  }
};

OsError wait_by_retry(NativeFile file, KernelLockKind kind, LockMode mode, bool forever,
                      std::chrono::steady_clock::time_point deadline,
                      const std::shared_ptr<Wakeup> &wakeup, const std::atomic<bool> &cancel,
                      WaitOutcome &outcome) {
  while (true) {
    if (cancel.load(std::memory_order_acquire)) {
      outcome = WaitOutcome::canceled;
      return OsError{};
    }
    bool acquired = false;
    if (const OsError e = kernel_try_lock(file, kind, mode, acquired)) return e;
    if (acquired) {
      outcome = WaitOutcome::acquired;
      return OsError{};
    }
    const auto now = std::chrono::steady_clock::now();
    if (!forever && now >= deadline) {
      outcome = WaitOutcome::timed_out;
      return OsError{};
    }
    const auto next = forever ? now + kWineRetry : std::min(deadline, now + kWineRetry);
    wakeup->wait_until(false, next);
  }
}

}  // namespace

const char *kernel_lock_name(KernelLockKind kind) noexcept {
  switch (kind) {
    case KernelLockKind::flock: return "LockFileEx";
    case KernelLockKind::ofd: return "OFD fcntl";
    default: return "POSIX fcntl";
  }
}

const char *missing_lock_reason(KernelLockKind kind) noexcept {
  return kind == KernelLockKind::ofd
             ? "OFD fcntl locks do not exist on Windows; use the default backend (LockFileEx)"
             : "POSIX fcntl locks do not exist on Windows; use the default backend (LockFileEx)";
}

// LockFileEx reports Win32 errors (OsError::native); an injected fault (tests) carries
// an errno only, and reads as it does on POSIX.
OsError kernel_try_lock(NativeFile file, KernelLockKind kind, LockMode mode, bool &acquired) {
  acquired = false;
  if (const int err = require_lockfileex(kind)) return lock_error(err);
  if (const int err = syscalls::enter(Syscall::lock)) return lock_error(err);
  Event event;
  if (event.h == nullptr) return with_op(event.error, "lock (create event)");
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
  acquired = ok != FALSE;
  if (ok || err == ERROR_LOCK_VIOLATION) return OsError{};
  return win::from_win32(err);
}

OsError kernel_unlock(NativeFile file, KernelLockKind kind) {
  if (const int err = require_lockfileex(kind)) return with_op(lock_error(err), "unlock");
  if (const int err = syscalls::enter(Syscall::unlock)) return with_op(lock_error(err), "unlock");
  OVERLAPPED ov = lock_range(nullptr);
  if (!::UnlockFileEx(file, 0, 1, 0, &ov)) return with_op(win::last_error(), "unlock");
  return OsError{};
}

// An overlapped LockFileEx is cancelled with CancelIoEx: nothing is ever parked.
ParkedWait::~ParkedWait() = default;

OsError kernel_wait_lock(NativeFile &file, KernelLockKind kind, LockMode mode, bool forever,
                         std::chrono::steady_clock::time_point deadline,
                         const std::shared_ptr<Wakeup> &wakeup, const std::atomic<bool> &cancel,
                         const std::string & /*path*/, ParkedWait * /*parked*/,
                         WaitOutcome &outcome) {
  outcome = WaitOutcome::acquired;
  if (const int err = require_lockfileex(kind)) return lock_error(err);
  if (running_on_wine())
    return wait_by_retry(file, kind, mode, forever, deadline, wakeup, cancel, outcome);

  Event event;
  if (event.h == nullptr) return with_op(event.error, "lock (create event)");
  if (const int err = syscalls::enter(Syscall::lock)) return lock_error(err);
  OVERLAPPED ov = lock_range(event.h);
  if (::LockFileEx(file, lock_flags(mode, true), 0, 1, 0, &ov)) return OsError{};
  if (::GetLastError() != ERROR_IO_PENDING) return win::last_error();

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
    if (outcome == WaitOutcome::canceled) return kernel_unlock(file, kind);
    outcome = WaitOutcome::acquired;
    return OsError{};
  }
  const DWORD err = ::GetLastError();
  if (err == ERROR_OPERATION_ABORTED && outcome != WaitOutcome::acquired) return OsError{};
  return win::from_win32(err);
}

}  // namespace filelock::platform
