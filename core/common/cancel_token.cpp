#include "common/cancel_token.hpp"

#include <thread>

namespace filelock {

void CancelToken::trigger() noexcept {
  triggered_.store(true);
  pending_.store(true);
  deliver();
}

// Fires every link while a trigger is pending, unless the list is taken: its holder
// then delivers on giving it back (give_back), so no trigger is ever lost.
void CancelToken::deliver() noexcept {
  while (pending_.load()) {
    if (busy_.exchange(true, std::memory_order_acquire)) return;
    if (pending_.exchange(false))
      for (CancelLink *l = head_; l != nullptr; l = l->next_) l->fire();
    busy_.store(false, std::memory_order_release);
  }
}

// Held only for a few pointer moves; a trigger never waits for it (see deliver).
void CancelToken::take() noexcept {
  while (busy_.exchange(true, std::memory_order_acquire)) std::this_thread::yield();
}

void CancelToken::give_back() noexcept {
  busy_.store(false, std::memory_order_release);
  deliver();
}

void CancelToken::link(CancelLink &l) noexcept {
  take();
  l.prev_ = nullptr;
  l.next_ = head_;
  if (head_ != nullptr) head_->prev_ = &l;
  head_ = &l;
  give_back();
  // A trigger before the link was in the list did not see it.
  if (triggered_.load()) l.fire();
}

void CancelToken::unlink(CancelLink &l) noexcept {
  take();
  if (l.prev_ != nullptr) l.prev_->next_ = l.next_;
  else head_ = l.next_;
  if (l.next_ != nullptr) l.next_->prev_ = l.prev_;
  l.prev_ = l.next_ = nullptr;
  give_back();
}

}  // namespace filelock
