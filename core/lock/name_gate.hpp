// Threads of one process taking one LOCKFILE/LOCKDIR lock pass it one at a time: the
// others sleep in-process, each woken in turn by a release, instead of all watching the
// directory and racing for the name at every release (with N threads waiting, each
// release cost N attempts: 100 threads x 100 acquisitions took minutes).
// A forked child starts with every gate open: its parent's threads are not its own.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "platform/wakeup.hpp"

namespace filelock {

class NameGate {
 public:
  explicit NameGate(std::string key);  // key: the lock name, resolved
  ~NameGate();
  NameGate(const NameGate &) = delete;
  NameGate &operator=(const NameGate &) = delete;

  bool try_enter();
  // Sleeps on `wakeup` until the gate is this caller's (true), the deadline passes or
  // `cancel` is set (false; the caller tells which). cancel wakes it through `wakeup`.
  bool enter(platform::Wakeup &wakeup, bool forever,
             std::chrono::steady_clock::time_point deadline, const std::atomic<bool> &cancel);
  void leave() noexcept;

 private:
  const std::string key_;
};

}  // namespace filelock
