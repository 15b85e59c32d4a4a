// A cancel token for one call at a time (fl_cancel_token): what a caller triggers to end
// the waits of the calls it was given to, without touching the handles those calls used.
// A call that may wait links itself to the token for the length of its wait; a trigger
// fires the links present then (each sets its wait's flag and signals the wake-up the
// wait already sleeps on), and a link added after a trigger fires at once. Unlinked, a
// call never hears of the token again: a trigger that comes too late changes nothing.
//
// trigger() never blocks and calls nothing but atomics and the links' fire(), so it is
// safe from any thread and from a signal handler: the list of links is guarded by a
// try-lock, and a trigger that finds it taken leaves the delivery to whoever holds it.
#pragma once

#include <atomic>

namespace filelock {

class CancelToken;

// One wait's part of a token. fire() must be async-signal-safe and idempotent.
class CancelLink {
 public:
  virtual void fire() noexcept = 0;

 protected:
  CancelLink() = default;
  ~CancelLink() = default;
  CancelLink(const CancelLink &) = delete;
  CancelLink &operator=(const CancelLink &) = delete;

 private:
  friend class CancelToken;
  CancelLink *prev_ = nullptr;
  CancelLink *next_ = nullptr;
};

class CancelToken {
 public:
  CancelToken() = default;
  CancelToken(const CancelToken &) = delete;
  CancelToken &operator=(const CancelToken &) = delete;

  void trigger() noexcept;
  // Untriggers; only while no call uses the token.
  void reset() noexcept { triggered_.store(false); }
  bool triggered() const noexcept { return triggered_.load(); }

  // Links a wait; fires it at once if already triggered.
  void link(CancelLink &l) noexcept;
  // Unlinks it; once this returns no trigger fires it, nor is firing it.
  void unlink(CancelLink &l) noexcept;

 private:
  void take() noexcept;
  void give_back() noexcept;  // and deliver what a trigger left meanwhile
  void deliver() noexcept;

  std::atomic<bool> triggered_{false};
  std::atomic<bool> pending_{false};  // a trigger whose links are still to be fired
  std::atomic<bool> busy_{false};     // guards the list
  CancelLink *head_ = nullptr;
};

// Links `link` to `token` (if any) for one scope.
class CancelScope {
 public:
  CancelScope(CancelToken *token, CancelLink &link) noexcept : token_(token), link_(link) {
    if (token_ != nullptr) token_->link(link_);
  }
  ~CancelScope() {
    if (token_ != nullptr) token_->unlink(link_);
  }
  CancelScope(const CancelScope &) = delete;
  CancelScope &operator=(const CancelScope &) = delete;

 private:
  CancelToken *token_;
  CancelLink &link_;
};

}  // namespace filelock
