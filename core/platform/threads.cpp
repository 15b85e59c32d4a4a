// The part of thread counting every OS shares: helpers are subtracted, and a thread that
// is ending is given a moment to go.
#include "platform/threads.hpp"

#include <atomic>
#include <chrono>
#include <thread>

namespace filelock::platform {

namespace {
std::atomic<int> helpers{0};
}

void helper_thread_starting() noexcept { helpers.fetch_add(1, std::memory_order_relaxed); }
void helper_thread_ending() noexcept { helpers.fetch_sub(1, std::memory_order_relaxed); }

bool only_thread() noexcept {
  // A thread just joined, or a helper past its last step, may still be counted for a
  // moment (the kernel wakes the joiner before it unlinks the thread): a few
  // milliseconds let such a one go.
  for (int attempt = 0; attempt < 10; ++attempt) {
    const int count = thread_count();
    if (count < 1) return false;
    if (count - helpers.load(std::memory_order_relaxed) == 1) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

}  // namespace filelock::platform
