// The one lock() sequence of the three lock families (kernel_file_lock, posix_lock,
// name_lock): the checks before a try, one try, the refusals before a wait, then waits
// until one ends it, and every error in wait_rules' wording. A family supplies the steps;
// it is a template over the family (no virtual call, nothing allocated on the hot path:
// an uncontended lock() is the checks, one try_once and on_acquired).
//
// A family F (which declares `friend struct WaitLoop;`) has:
//   static constexpr bool kFollowsFile;  // its lock file can be replaced or unlinked, or
//                                        // held by a legacy lock: reopen() and legacy_
//   std::atomic<bool> cancel_;           // what its waits watch (see CancelRequest)
//   std::atomic<bool> cancel_request_;   // cancel()'s request, kept for the next call
//   platform::Wakeup &cancel_wakeup();   // the wake-up its waits sleep on
//   bool locked() const;                 // this handle holds the lock
//   void after_fork();                   // an inherited handle starts afresh
//   bool try_once(LockMode);             // one attempt, never waits
//   std::string busy_reason();           // why the last try_once failed
//   void refuse_self_deadlock(LockMode); // before a wait forever
//   WaitStep wait_once(LockMode, const WaitBudget &);  // one wait, or a step of one
//   std::string still_held();            // how a timed-out wait ends its message
//   void abandon() noexcept;             // a try or wait failed for good: undo its steps
//   void on_acquired(LockMode) noexcept;
// and where kFollowsFile: void reopen(); platform::Wakeup &legacy_wakeup();
// LockOptions options_; std::string legacy_ (the live legacy lock met, legacy_record.hpp).
// A family whose waits also sleep on something else (posix_lock's in-process condition)
// has static constexpr bool kWakesInProcess = true and void wake_in_process() noexcept.
//
// Cancellation: cancel() sets cancel_request_, then cancel_, then signals the wake-up.
// A call's cancel token (cancel_token.hpp) is linked only while the call may wait, and
// its trigger sets cancel_ alone; each call starts by clearing cancel_, so a trigger
// that landed after the wait ended is forgotten, while a request is taken by the next
// call (wait_rules::take_early_cancel).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "common/cancel_token.hpp"
#include "common/deadline.hpp"
#include "common/lock_mode.hpp"
#include "lock/legacy_record.hpp"
#include "lock/lock.hpp"
#include "lock/wait_rules.hpp"
#include "platform/wakeup.hpp"

namespace filelock {

// How one wait_once ended.
enum class WaitStep {
  acquired,
  timed_out,
  canceled,
  replaced,  // the path names another file now, or the one locked was unlinked: reopen
  legacy,    // a live legacy lock holds it by existence: wait it out, then wait again
};

struct WaitBudget {
  int64_t timeout_ms;
  bool forever;
  std::chrono::steady_clock::time_point deadline;
};

struct WaitLoop {
  template <class F>
  static void lock(F &f, LockMode mode, int64_t timeout_ms, CancelToken *token) {
    const std::string &path = f.lock_path();
    if (f.locked()) wait_rules::already_held(path);
    f.after_fork();
    wait_rules::take_early_cancel(f.cancel_, f.cancel_request_, token, path);
    if (f.try_once(mode)) return f.on_acquired(mode);
    Abandon<F> undo{f};
    if (timeout_ms == kNoWait) wait_rules::busy(path, f.busy_reason());
    const bool forever = timeout_ms < 0;
    if (forever) f.refuse_self_deadlock(mode);
    TokenLink<F> link{f, token != nullptr ? &f.cancel_wakeup() : nullptr};
    CancelScope scope(token, link);
    const WaitBudget w{timeout_ms, forever, deadline_after(forever ? 0 : timeout_ms)};
    while (true) {
      switch (f.wait_once(mode, w)) {
        case WaitStep::acquired:
          undo.armed = false;
          return f.on_acquired(mode);
        case WaitStep::timed_out:
          wait_rules::timed_out(path, timeout_ms, f.still_held());
        case WaitStep::canceled:
          wait_rules::canceled(f.cancel_, f.cancel_request_, path);
        case WaitStep::legacy:
          if constexpr (F::kFollowsFile)
            wait_out_legacy_lock(f.legacy_wakeup(), f.cancel_, f.cancel_request_, forever, w.deadline, timeout_ms,
                                 f.options_.retry_interval_ms, path, f.legacy_);
          break;
        case WaitStep::replaced:
          if constexpr (F::kFollowsFile) {
            f.reopen();
            if (f.try_once(mode)) {
              undo.armed = false;
              return f.on_acquired(mode);
            }
          }
          break;
      }
    }
  }

 private:
  // What the call's token does when triggered: cancel() for this call only, without the
  // request. Async-signal-safe unless the family wakes in-process waiters.
  template <class F>
  struct TokenLink final : CancelLink {
    TokenLink(F &family, platform::Wakeup *w) : f(family), wakeup(w) {}
    void fire() noexcept override {
      f.cancel_.store(true);
      wakeup->signal();
      if constexpr (wakes_in_process<F>(0)) f.wake_in_process();
    }
    F &f;
    platform::Wakeup *wakeup;
  };
  template <class F>
  static constexpr auto wakes_in_process(int) -> decltype(F::kWakesInProcess, bool()) {
    return F::kWakesInProcess;
  }
  template <class F>
  static constexpr bool wakes_in_process(long) {
    return false;
  }

  template <class F>
  struct Abandon {
    F &f;
    bool armed = true;
    ~Abandon() {
      if (armed) f.abandon();
    }
  };
};

}  // namespace filelock
