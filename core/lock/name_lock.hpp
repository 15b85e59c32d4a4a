// LOCKFILE and LOCKDIR backends, for filesystems without working kernel locks.
//
// The lock is a name: creating it (O_EXCL file, or mkdir) acquires, deleting it
// releases. Exclusive only. The holder record (always written: it is what proves a
// holder dead) lets a waiter break the lock of a holder that died (holder_judge.hpp);
// breaking is atomic (lock_entry.hpp). Release deletes the name, but only if it is still
// ours. No kernel wake-up exists: a waiter watches the directory (inotify) for the
// name's removal and re-checks every retry_interval_ms for releases it cannot see
// (other hosts); a try against a taken name changes nothing in the directory, so it
// wakes no watch. Threads of one process take the lock in turn (name_gate.hpp): only
// one of them watches. The lock's directory is resolved once, at open. A forked child
// never releases the parent's lock through an inherited handle.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "lock/entry_guard.hpp"
#include "lock/holder_record.hpp"
#include "lock/inode_registry.hpp"
#include "lock/lock.hpp"
#include "lock/name_gate.hpp"
#include "lock/wait_loop.hpp"
#include "platform/file.hpp"
#include "platform/wakeup.hpp"

namespace filelock {

class NameLock final : public Lock {
 public:
  NameLock(std::string lock_path, const LockOptions &options, bool directory);
  ~NameLock() override;

  void lock(LockMode mode, int64_t timeout_ms, CancelToken *token = nullptr) override;
  void unlock() override;
  void cancel() noexcept override;
  void clear_cancel() noexcept override;
  bool locked() const noexcept override;
  const std::string &lock_path() const noexcept override { return path_; }

 private:
  // The family's steps for WaitLoop (wait_loop.hpp).
  friend struct WaitLoop;
  static constexpr bool kFollowsFile = false;  // a name, not a file: nothing to re-open
  void after_fork();
  bool try_once(LockMode mode);
  std::string busy_reason() const;
  void refuse_self_deadlock(LockMode mode);
  WaitStep wait_once(LockMode mode, const WaitBudget &w);
  std::string still_held() const;
  void abandon() noexcept;
  void on_acquired(LockMode mode) noexcept;
  platform::Wakeup &cancel_wakeup() { return wakeup_; }

  bool try_acquire();
  bool create_entry(const std::string &record);
  bool inherited() const noexcept;

  const std::string path_;  // as the caller named it (reports)
  const std::string at_;    // the same, its directory resolved at open (every step)
  NameGate gate_;           // this process's threads take the lock one at a time
  const LockOptions options_;
  const bool directory_;
  uint64_t fork_generation_;
  const uint64_t handle_id_;
  HolderRecordTemplate record_;
  platform::FileInfo held_id_;
  std::string held_record_;
  std::string legacy_;  // the live legacy lock the last attempt met (legacy_record.hpp)
  EntryGuard guard_;  // the kernel lock kept on the entry while held
  HolderSlot slot_;
  std::shared_ptr<InodeEntry> entry_;
  platform::Wakeup wakeup_;
  std::atomic<bool> cancel_{false};
  std::atomic<bool> cancel_request_{false};
  std::atomic<bool> held_{false};
  bool gate_entered_ = false;  // this lock() call has this process's turn (gate_)
  bool gate_busy_ = false;     // the last try found the turn taken
};

}  // namespace filelock
