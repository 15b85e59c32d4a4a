#include "lock/inode_registry.hpp"

#include <pthread.h>

#include <algorithm>

#include "platform/threads.hpp"

namespace filelock {

namespace {
InodeRegistry *g_registry = nullptr;
// A fork while another thread holds the registry mutex would leave it locked forever in
// the child; holding it across fork() makes the child's copy consistent.
void before_fork() { g_registry->mutex().lock(); }
void after_fork() { g_registry->mutex().unlock(); }
}  // namespace

InodeRegistry::InodeRegistry() = default;

InodeRegistry &InodeRegistry::instance() {
  // Never destroyed: handles may still be closed while static destructors run.
  static InodeRegistry *registry = [] {
    g_registry = new InodeRegistry();
    ::pthread_atfork(before_fork, after_fork, after_fork);
    return g_registry;
  }();
  return *registry;
}

std::shared_ptr<InodeEntry> InodeRegistry::join(const platform::FileIdentity &id,
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

bool InodeRegistry::has_open(const platform::FileIdentity &id) {
  std::lock_guard<std::mutex> guard(mutex_);
  for (const auto &entry : entries_)
    if (entry->id == id) return true;
  return false;
}

bool InodeRegistry::has_posix_open(const platform::FileIdentity &id) {
  std::lock_guard<std::mutex> guard(mutex_);
  for (const auto &entry : entries_)
    if (entry->id == id && entry->posix) return true;
  return false;
}

bool InodeRegistry::would_deadlock(const InodeEntry &entry, const HolderSlot *self,
                                   uint64_t thread, LockMode want) {
  bool holds_conflicting = false;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    for (const HolderSlot *slot : entry.slots) {
      if (slot == self || slot->thread.load(std::memory_order_acquire) != thread) continue;
      const int held = slot->mode.load(std::memory_order_acquire);
      if (held == static_cast<int>(LockMode::exclusive) ||
          (held == static_cast<int>(LockMode::shared) && want == LockMode::exclusive)) {
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
