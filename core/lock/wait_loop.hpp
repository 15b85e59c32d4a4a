// The one lock() sequence of the three lock families (kernel_file_lock, posix_lock,
// name_lock): the checks before a try, one try, the refusals before a wait, then waits
// until one ends it, and every error in wait_rules' wording. A family supplies the steps;
// it is a template over the family (no virtual call, nothing allocated on the hot path:
// an uncontended lock() is the checks, one try_once and on_acquired).
//
// A family F (which declares `friend struct WaitLoop;`) has:
//   static constexpr bool kFollowsFile;  // its lock file can be replaced or unlinked, or
//                                        // held by a legacy lock: reopen() and legacy_
//   std::atomic<bool> cancel_;
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
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "common/deadline.hpp"
#include "common/lock_mode.hpp"
#include "lock/legacy_record.hpp"
#include "lock/lock.hpp"
#include "lock/wait_rules.hpp"

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
  static void lock(F &f, LockMode mode, int64_t timeout_ms) {
    const std::string &path = f.lock_path();
    if (f.locked()) wait_rules::already_held(path);
    f.after_fork();
    wait_rules::take_early_cancel(f.cancel_, path);
    if (f.try_once(mode)) return f.on_acquired(mode);
    Abandon<F> undo{f};
    if (timeout_ms == kNoWait) wait_rules::busy(path, f.busy_reason());
    const bool forever = timeout_ms < 0;
    if (forever) f.refuse_self_deadlock(mode);
    const WaitBudget w{timeout_ms, forever, deadline_after(forever ? 0 : timeout_ms)};
    while (true) {
      switch (f.wait_once(mode, w)) {
        case WaitStep::acquired:
          undo.armed = false;
          return f.on_acquired(mode);
        case WaitStep::timed_out:
          wait_rules::timed_out(path, timeout_ms, f.still_held());
        case WaitStep::canceled:
          wait_rules::canceled(f.cancel_, path);
        case WaitStep::legacy:
          if constexpr (F::kFollowsFile)
            wait_out_legacy_lock(f.legacy_wakeup(), f.cancel_, forever, w.deadline, timeout_ms,
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
