#include "lock/name_gate.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <vector>

#include "lock/inode_registry.hpp"
#include "platform/process.hpp"

namespace filelock {

namespace {

struct GateState {
  uint64_t generation = 0;  // the fork generation it belongs to
  bool taken = false;
  int handles = 0;
  std::vector<platform::Wakeup *> waiters;  // in arrival order; the first is woken
};

// Guarded by the registry's mutex, which is held across fork(), so a child never finds
// it locked by a thread it does not have.
std::mutex &gate_mutex() { return InodeRegistry::instance().mutex(); }

std::map<std::string, GateState> &gates() {
  static auto *all = new std::map<std::string, GateState>();  // never destroyed: handles may outlive statics
  return *all;
}

GateState &state_of(const std::string &key) {
  GateState &s = gates()[key];
  const uint64_t now = platform::fork_generation();
  if (s.generation != now) {
    s.generation = now;
    s.taken = false;
    s.waiters.clear();
  }
  return s;
}

void wake_first(GateState &s) {
  if (!s.taken && !s.waiters.empty()) s.waiters.front()->signal();
}

}  // namespace

NameGate::NameGate(std::string key) : key_(std::move(key)) {
  std::lock_guard<std::mutex> g(gate_mutex());
  ++state_of(key_).handles;
}

NameGate::~NameGate() {
  std::lock_guard<std::mutex> g(gate_mutex());
  GateState &s = state_of(key_);
  if (--s.handles <= 0 && !s.taken && s.waiters.empty()) gates().erase(key_);
}

bool NameGate::try_enter() {
  std::lock_guard<std::mutex> g(gate_mutex());
  GateState &s = state_of(key_);
  if (s.taken) return false;
  s.taken = true;
  return true;
}

bool NameGate::enter(platform::Wakeup &wakeup, bool forever,
                     std::chrono::steady_clock::time_point deadline,
                     const std::atomic<bool> &cancel) {
  std::unique_lock<std::mutex> g(gate_mutex());
  GateState *s = &state_of(key_);
  if (!s->taken) {
    s->taken = true;
    return true;
  }
  s->waiters.push_back(&wakeup);
  while (true) {
    g.unlock();
    wakeup.wait_until(forever, deadline);
    g.lock();
    s = &state_of(key_);
    const bool entered = !s->taken;
    if (entered || cancel.load(std::memory_order_acquire) ||
        (!forever && std::chrono::steady_clock::now() >= deadline)) {
      s->waiters.erase(std::remove(s->waiters.begin(), s->waiters.end(), &wakeup), s->waiters.end());
      if (entered) s->taken = true;
      else wake_first(*s);  // the turn this caller gives up passes on
      return entered;
    }
  }
}

void NameGate::leave() noexcept {
  std::lock_guard<std::mutex> g(gate_mutex());
  GateState &s = state_of(key_);
  s.taken = false;
  wake_first(s);
}

}  // namespace filelock
