#include "etcd/keep_alive.hpp"

#include <algorithm>
#include <chrono>

#include "common/error.hpp"
#include "platform/threads.hpp"

namespace filelock::etcd {

int64_t steady_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

KeepAlive::KeepAlive(Client &client, int64_t lease, int64_t ttl_s,
                     std::atomic<int64_t> &valid_until_ms)
    : client_(client), lease_(lease), ttl_s_(ttl_s), valid_until_ms_(valid_until_ms) {
  platform::helper_thread_starting();
  try {
    thread_ = std::thread([this] { run(); });
  } catch (...) {
    platform::helper_thread_ending();
    throw;
  }
}

void KeepAlive::stop() noexcept {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  interrupt_.trigger();
  cv_.notify_all();
}

KeepAlive::~KeepAlive() {
  stop();
  thread_.join();
}

void KeepAlive::run() {
  // A third of the TTL: two refreshes may fail (a member going away) before it expires.
  const auto interval = std::chrono::milliseconds(std::max<int64_t>(ttl_s_ * 1000 / 3, 300));
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, interval, [this] { return stop_; })) {
    lock.unlock();
    const int64_t sent = steady_ms();
    try {
      const int64_t ttl = client_.keep_alive("keep lease alive", lease_, &interrupt_);
      if (ttl <= 0) lost_.store(true);
      else valid_until_ms_.store(sent + ttl * 1000);
    } catch (const Error &) {
      // Unreachable for now: the next refresh tries again (on the next endpoint).
    }
    lock.lock();
    if (lost_.load()) break;
  }
  platform::helper_thread_ending();
}

}  // namespace filelock::etcd
