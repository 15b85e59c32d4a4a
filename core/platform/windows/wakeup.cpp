// Wakeup on an auto-reset event: a wait consumes the signal, as the interface asks, and
// WaitForMultipleObjects can watch a second handle (a lock request's event, a directory
// change notification).
#include "platform/wakeup.hpp"

#include "platform/windows/win_file.hpp"

namespace filelock::platform {

namespace {

// Milliseconds to wait, rounded up so a wait never ends before the deadline.
DWORD wait_ms(bool forever, std::chrono::steady_clock::time_point deadline, bool &expired) {
  expired = false;
  if (forever) return INFINITE;
  const auto left = deadline - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) {
    expired = true;
    return 0;
  }
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms >= static_cast<long long>(INFINITE) ? INFINITE - 1 : static_cast<DWORD>(ms);
}

}  // namespace

Wakeup::Wakeup() noexcept : event_(nullptr) {
  if (const int err = win::injected(Syscall::wakeup)) {
    error_ = win::injected_error(err);
    return;
  }
  event_ = ::CreateEventW(nullptr, FALSE, FALSE, nullptr);
  if (event_ == nullptr) error_ = win::last_error();
}

Wakeup::~Wakeup() {
  if (event_ != nullptr) ::CloseHandle(event_);
}

void Wakeup::signal() noexcept {
  if (event_ != nullptr) ::SetEvent(event_);
}

void Wakeup::drain() noexcept {
  if (event_ != nullptr) ::ResetEvent(event_);
}

bool Wakeup::wait_until(bool forever, std::chrono::steady_clock::time_point deadline) noexcept {
  return wait_until_either(kInvalidFile, forever, deadline);
}

bool Wakeup::wait_until_either(NativeFile other, bool forever,
                               std::chrono::steady_clock::time_point deadline) noexcept {
  if (event_ == nullptr) return false;  // never made (error()): nothing could wake it
  HANDLE handles[2] = {event_, other};
  const DWORD count = other != kInvalidFile && other != nullptr ? 2 : 1;
  while (true) {
    bool expired;
    const DWORD ms = wait_ms(forever, deadline, expired);
    if (expired) return false;
    const DWORD r = ::WaitForMultipleObjects(count, handles, FALSE, ms);
    if (r == WAIT_OBJECT_0 || r == WAIT_OBJECT_0 + 1) return true;
    if (r != WAIT_TIMEOUT) return false;
    // Timer granularity may end a wait a little early: keep going until the deadline.
  }
}

}  // namespace filelock::platform
