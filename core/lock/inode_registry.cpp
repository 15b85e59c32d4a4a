#include "lock/inode_registry.hpp"

#include <pthread.h>

#include <algorithm>

#include "platform/process.hpp"
#include "platform/threads.hpp"

namespace filelock {

namespace {
InodeRegistry *g_registry = nullptr;
// A fork while another thread holds the registry mutex would leave it locked forever in
// the child; holding it across fork() makes the child's copy consistent.
void before_fork() { g_registry->mutex().lock(); }
void after_fork() { g_registry->mutex().unlock(); }
// The child has none of the parent's waiting threads: their registrations would
// never be undone, and their wake-ups may be freed.
void after_fork_in_child() {
  g_registry->forget_local_waiters();
  g_registry->mutex().unlock();
}
}  // namespace

InodeRegistry::InodeRegistry() = default;

InodeRegistry &InodeRegistry::instance() {
  // Never destroyed: handles may still be closed while static destructors run.
  static InodeRegistry *registry = [] {
    g_registry = new InodeRegistry();
    ::pthread_atfork(before_fork, after_fork, after_fork_in_child);
    return g_registry;
  }();
  return *registry;
}

std::shared_ptr<InodeEntry> InodeRegistry::join(const platform::FileInfo &id,
                                                const HolderSlot *slot) {
  std::lock_guard<std::mutex> guard(mutex_);
  for (auto &entry : entries_) {
    if (entry->id == id) {
      entry->slots.push_back(slot);
      return entry;
    }
  }
  auto entry = std::make_shared<InodeEntry>();
  entry->id = id;
  entry->slots.push_back(slot);
  entries_.push_back(entry);
  return entry;
}

void InodeRegistry::leave(const std::shared_ptr<InodeEntry> &entry,
                          const HolderSlot *slot) noexcept {
  if (!entry) return;
  std::lock_guard<std::mutex> guard(mutex_);
  // One occurrence only: a handle re-opening the same inode joins before it leaves.
  auto &slots = entry->slots;
  auto it = std::find(slots.begin(), slots.end(), slot);
  if (it != slots.end()) slots.erase(it);
  if (slots.empty())
    entries_.erase(std::remove(entries_.begin(), entries_.end(), entry), entries_.end());
}

bool InodeRegistry::has_open(const platform::FileInfo &id) {
  std::lock_guard<std::mutex> guard(mutex_);
  for (const auto &entry : entries_)
    if (entry->id == id) return true;
  return false;
}

bool InodeRegistry::has_posix_open(const platform::FileInfo &id) {
  std::lock_guard<std::mutex> guard(mutex_);
  for (const auto &entry : entries_)
    if (entry->id == id && entry->posix) return true;
  return false;
}

namespace {
bool conflicts(int held, LockMode want) {
  return held == static_cast<int>(LockMode::exclusive) ||
         (held == static_cast<int>(LockMode::shared) && want == LockMode::exclusive);
}
}  // namespace

bool InodeRegistry::held_here(const InodeEntry &entry, const HolderSlot *self, LockMode want) {
  const uint64_t generation = platform::fork_generation();
  std::lock_guard<std::mutex> guard(mutex_);
  for (const HolderSlot *slot : entry.slots) {
    if (slot == self || !slot->wakes_local_waiters) continue;
    if (slot->thread.load(std::memory_order_acquire) == 0) continue;
    if (slot->generation.load(std::memory_order_relaxed) != generation) continue;
    if (conflicts(slot->mode.load(std::memory_order_relaxed), want)) return true;
  }
  return false;
}

std::shared_ptr<platform::Wakeup> InodeEntry::take_next() noexcept {
  for (Waiter &w : waiters_) {
    if (w.woken) continue;
    w.woken = true;
    return w.wakeup;
  }
  return nullptr;
}

void InodeEntry::released() noexcept {
  // seq_cst, paired with LocalWait's increment: a waiter that registered before its
  // last try either saw the lock free or is counted here.
  if (waiter_count_.load() == 0) return;
  std::shared_ptr<platform::Wakeup> next;
  {
    std::lock_guard<std::mutex> guard(InodeRegistry::instance().mutex());
    next = take_next();
  }
  if (next) next->signal();
}

void InodeRegistry::forget_local_waiters() noexcept {
  for (auto &entry : entries_) {
    entry->waiters_.clear();
    entry->waiter_count_.store(0);
  }
}

LocalWait::LocalWait(InodeEntry &entry, std::shared_ptr<platform::Wakeup> wakeup)
    : entry_(entry), wakeup_(std::move(wakeup)) {
  std::lock_guard<std::mutex> guard(InodeRegistry::instance().mutex());
  entry_.waiters_.push_back({wakeup_, false});
  entry_.waiter_count_.fetch_add(1);
}

void LocalWait::retrying() noexcept {
  std::lock_guard<std::mutex> guard(InodeRegistry::instance().mutex());
  for (InodeEntry::Waiter &w : entry_.waiters_)
    if (w.wakeup == wakeup_) w.woken = false;
}

LocalWait::~LocalWait() {
  std::shared_ptr<platform::Wakeup> next;
  {
    std::lock_guard<std::mutex> guard(InodeRegistry::instance().mutex());
    auto &w = entry_.waiters_;
    w.erase(std::find_if(w.begin(), w.end(), [&](const InodeEntry::Waiter &x) { return x.wakeup == wakeup_; }));
    entry_.waiter_count_.fetch_sub(1);
    if (!holds_baton_) next = entry_.take_next();
  }
  if (next) next->signal();
}

bool InodeRegistry::would_deadlock(const InodeEntry &entry, const HolderSlot *self,
                                   uint64_t thread, LockMode want) {
  bool holds_conflicting = false;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    for (const HolderSlot *slot : entry.slots) {
      if (slot == self || slot->thread.load(std::memory_order_acquire) != thread) continue;
      if (conflicts(slot->mode.load(std::memory_order_acquire), want)) {
        holds_conflicting = true;
        break;
      }
    }
  }
  // The handle this thread locked may be unlocked by another thread (a pool thread took
  // it for a task; the task's continuation releases it elsewhere): the wait is then no
  // deadlock. Only with no other thread in the process is it certain to be one.
  return holds_conflicting && platform::only_thread();
}

}  // namespace filelock
