// The thread that keeps a lock's lease alive while the lock is waited for or held.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "etcd/client.hpp"

namespace filelock::etcd {

// Milliseconds on the steady clock (for lease deadlines shared between threads).
int64_t steady_ms() noexcept;

class KeepAlive {
 public:
  // Refreshes `lease` every third of its TTL; after each answer sets `valid_until_ms`
  // (steady_ms) to when the lease would expire without another.
  KeepAlive(Client &client, int64_t lease, int64_t ttl_s, std::atomic<int64_t> &valid_until_ms);
  ~KeepAlive();  // stops the thread, ending a refresh in flight, and joins it
  KeepAlive(const KeepAlive &) = delete;
  KeepAlive &operator=(const KeepAlive &) = delete;

  // Asks the thread to stop without waiting for it (the destructor joins it later): a
  // release then costs its round trip only, not a thread's wake-up too.
  void stop() noexcept;

  // etcd said the lease is gone (expired or revoked): the lock may be someone else's.
  bool lost() const noexcept { return lost_.load(); }

 private:
  void run();

  Client &client_;
  const int64_t lease_;
  const int64_t ttl_s_;
  std::atomic<int64_t> &valid_until_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  Interrupt interrupt_;
  std::atomic<bool> lost_{false};
  std::thread thread_;
};

}  // namespace filelock::etcd
