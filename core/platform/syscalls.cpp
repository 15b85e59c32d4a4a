#include "platform/syscalls.hpp"

#include <cstddef>

namespace filelock::platform {

const char *syscall_name(Syscall call) noexcept {
  static const char *const names[] = {"open",  "fcntl", "stat",   "read",   "write",  "pwrite", "truncate",
                                      "chmod", "fsync",  "close",  "rename", "link",   "unlink",
                                      "mkdir", "rmdir",  "opendir", "lock",  "unlock", "realpath",
                                      "wakeup", "watch", "watch_add", "wake_table", "wake_sleep", "record_page"};
  static_assert(sizeof names / sizeof names[0] == static_cast<size_t>(Syscall::count_));
  const auto i = static_cast<size_t>(call);
  return i < static_cast<size_t>(Syscall::count_) ? names[i] : "?";
}

namespace syscalls {

namespace {
constexpr int kCalls = static_cast<int>(Syscall::count_);
// countdown[c] > 0: calls of entry c left until the one that fails with error_of[c].
std::atomic<int> countdown[kCalls];
std::atomic<int> error_of[kCalls];
std::atomic<bool> persists[kCalls];
std::atomic<Recorder> recorder_fn{nullptr};
std::atomic<void *> recorder_context{nullptr};
std::atomic<bool> failing{false};

void rearm() noexcept {
  detail::armed.store(failing.load() || recorder_fn.load() != nullptr);
}
}  // namespace

namespace detail {
std::atomic<bool> armed{false};

int enter_armed(Syscall call) noexcept {
  if (const Recorder r = recorder_fn.load()) r(call, recorder_context.load());
  const int c = static_cast<int>(call);
  int left = countdown[c].load();
  while (left > 0) {
    // A persistent failure keeps its countdown at 1: every call from then on fails.
    const int next = left == 1 && persists[c].load() ? 1 : left - 1;
    if (countdown[c].compare_exchange_weak(left, next)) return left == 1 ? error_of[c].load() : 0;
  }
  return 0;
}
}  // namespace detail

void fail(Syscall call, int nth, int err, bool persistent) noexcept {
  const int c = static_cast<int>(call);
  error_of[c].store(err);
  persists[c].store(persistent);
  countdown[c].store(err == 0 ? 0 : nth);
  if (err != 0) failing.store(true);
  rearm();
}

void clear() noexcept {
  for (int c = 0; c < kCalls; ++c) countdown[c].store(0);
  failing.store(false);
  rearm();
}

void set_recorder(Recorder recorder, void *context) noexcept {
  recorder_context.store(context);
  recorder_fn.store(recorder);
  rearm();
}

}  // namespace syscalls
}  // namespace filelock::platform
