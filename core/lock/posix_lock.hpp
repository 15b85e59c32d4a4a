// The POSIX fcntl backend, for filesystems where only classic record locks work.
//
// Caveat, and why this file exists: a POSIX record lock belongs to the PROCESS, not to
// a descriptor. Two handles of one process never exclude each other through it, and
// closing ANY descriptor of the file drops ALL of the process's locks on it. So all
// handles of an inode share one descriptor (kept in the inode's registry entry), other
// descriptors of it are closed only while the process holds no lock on it, and an
// in-process reader/writer lock makes handles of this process exclude each other; the
// kernel lock is taken once for the process (shared while any handle reads, exclusive
// for a writer). Code outside filelock that opens and closes the lock file in this
// process still drops the lock: prefer flock or OFD wherever they work.
// After fork() the child holds none of the parent's POSIX locks (they are not
// inherited); its inherited handles forget them and start afresh.
// Mixed backends: as for OFD (kernel_file_lock.hpp), the process takes flock on the
// shared descriptor first, in the same mode and for as long as it holds its POSIX lock.
// The flock belongs to that open file description, which a forked child shares: the
// child opens a descriptor of its own before it locks (sync_after_fork), so it can
// neither take over nor release the parent's flock.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lock/holder_record.hpp"
#include "lock/inode_registry.hpp"
#include "lock/lock.hpp"
#include "lock/wait_loop.hpp"
#include "platform/file.hpp"
#include "platform/kernel_lock.hpp"
#include "platform/wakeup.hpp"

namespace filelock {

struct PosixInodeState {
  ~PosixInodeState();
  std::mutex mutex;
  std::condition_variable changed;
  platform::NativeFile fd = platform::kInvalidFile;  // every lock goes through this one
  std::vector<platform::NativeFile> spare;  // closed once the process holds no lock
  bool read_only = false;
  bool with_flock = false;  // flock taken first (see above)
  int readers = 0;         // handles holding shared
  bool writer = false;     // a handle holds exclusive
  bool acquiring = false;  // one thread is taking the kernel lock for the process
  uint64_t fork_generation = 0;
};

class PosixLock final : public Lock {
 public:
  PosixLock(std::string lock_path, const LockOptions &options);
  ~PosixLock() override;

  void lock(LockMode mode, int64_t timeout_ms, CancelToken *token = nullptr) override;
  void unlock() override;
  void cancel() noexcept override;
  void clear_cancel() noexcept override;
  bool locked() const noexcept override;
  const std::string &lock_path() const noexcept override { return path_; }

 private:
  // The family's steps for WaitLoop (wait_loop.hpp).
  friend struct WaitLoop;
  static constexpr bool kFollowsFile = true;
  void after_fork();
  bool try_once(LockMode mode);
  std::string busy_reason() const;
  // Checked in the in-process phase instead (pass), the one that waits for this
  // process's own handles.
  void refuse_self_deadlock(LockMode) {}
  WaitStep wait_once(LockMode mode, const WaitBudget &w) { return pass(mode, &w); }
  std::string still_held() const { return "the lock is still held"; }
  void abandon() noexcept {}
  void on_acquired(LockMode mode) noexcept;
  platform::Wakeup &legacy_wakeup() { return *wakeup_; }
  platform::Wakeup &cancel_wakeup() { return *wakeup_; }
  // The in-process phase sleeps on its condition: a cancel wakes it too.
  static constexpr bool kWakesInProcess = true;
  void wake_in_process() noexcept;
  void reopen();

  WaitStep pass(LockMode mode, const WaitBudget *w);
  void open_file();
  void close_file() noexcept;
  // Takes the process's kernel lock: acquired, or timed_out (also a try that found it
  // busy), canceled, or replaced (the path names another file now: open it and retry).
  platform::WaitOutcome acquire_kernel(LockMode mode, bool wait, bool forever,
                                       std::chrono::steady_clock::time_point deadline);
  void release(PosixInodeState &state, LockMode mode);
  void sync_after_fork(PosixInodeState &state);
  void unlock_kernel(PosixInodeState &state);
  platform::WaitOutcome wait_posix(platform::NativeFile fd, LockMode mode, bool forever,
                                   std::chrono::steady_clock::time_point deadline);

  const std::string path_;
  const LockOptions options_;
  uint64_t fork_generation_;
  HolderSlot slot_;
  std::shared_ptr<InodeEntry> inode_;
  std::shared_ptr<PosixInodeState> state_;
  const std::shared_ptr<platform::Wakeup> wakeup_ = std::make_shared<platform::Wakeup>();
  platform::ParkedWait parked_;  // for flock waits (never used where they cancel)
  std::atomic<bool> cancel_{false};
  std::atomic<bool> cancel_request_{false};
  std::atomic<int> held_{0};
  HolderRecordWriter record_;
  const char *busy_ = nullptr;  // why the last try failed; none: legacy_ holds it
  std::string legacy_;  // the live legacy lock the last attempt met (legacy_record.hpp)
};

}  // namespace filelock
