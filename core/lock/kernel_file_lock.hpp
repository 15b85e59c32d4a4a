// A lock held with a kernel lock (flock or OFD) on the handle's own open lock file.
//
// Mixed backends (entry_guard.hpp has the whole rule): on Linux flock and fcntl locks
// (OFD, POSIX) do not see each other on a local filesystem, so an OFD or POSIX holder
// and a FLOCK holder (or a LOCKFILE holder's entry lock) would both hold. So OFD and
// POSIX take flock first, in the same mode, and their own lock on top. Always flock
// first, so two filelock processes never wait for each other crosswise; a wait blocks
// in flock. Where flock is an fcntl lock itself (NFS, SMB), where the two conflict
// anyway (BSDs, macOS) or where flock is unsupported, only the backend's own lock is
// taken (platform::flock_apart_from_fcntl). FLOCK is unchanged: one lock call.
//
// Hot path (uncontended): one non-blocking lock call, one stat without timestamps
// (platform::link_info: the file may have been unlinked by fl_clean_stale between our
// open and our lock: then re-open and retry), and, for a recorded exclusive holder, the
// holder record (HolderRecordWriter: one pwrite, or one pread into a mapped page).
// After fork() the child shares the parent's open file description and with it the lock:
// an inherited handle never unlocks in the child; locking it again re-opens the file.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "io/lock_io.hpp"
#include "lock/holder_record.hpp"
#include "lock/inode_registry.hpp"
#include "lock/lock.hpp"
#include "lock/wait_loop.hpp"
#include "platform/kernel_lock.hpp"
#include "platform/release_wake.hpp"
#include "platform/wakeup.hpp"

namespace filelock {

// open_lock_file for a kernel backend: a directory at the name holding nothing but a
// holder record (or nothing yet) is a LOCKDIR holder's, which no kernel lock can wait for; that fails at once with
// Status::busy naming it. (Any other directory stays Status::invalid.)
io::OpenedFile open_kernel_lock_file(const std::string &path, unsigned mode,
                                           bool sidecar);

// The flock an OFD or POSIX lock takes first (see above), on `file`: try (wait false)
// returns false if busy. Drops `with_flock` for good where flock is unsupported.
bool take_companion_flock(platform::NativeFile file, LockMode mode, const std::string &path,
                          bool &with_flock);

class KernelFileLock final : public Lock {
 public:
  KernelFileLock(std::string lock_path, const LockOptions &options, platform::KernelLockKind kind);
  ~KernelFileLock() override;

  void lock(LockMode mode, int64_t timeout_ms, CancelToken *token = nullptr) override;
  void unlock() override;
  void cancel() noexcept override;
  void clear_cancel() noexcept override;
  bool locked() const noexcept override;
  const std::string &lock_path() const noexcept override { return path_; }
  int inheritable_fd() const noexcept override;
  int wait_fd() const noexcept override;
  bool lock_waited(LockMode mode) override;

 private:
  // The family's steps for WaitLoop (wait_loop.hpp).
  friend struct WaitLoop;
  static constexpr bool kFollowsFile = true;
  void after_fork();
  bool try_once(LockMode mode) { return try_acquire(mode); }
  std::string busy_reason() const;
  void refuse_self_deadlock(LockMode mode);
  WaitStep wait_once(LockMode mode, const WaitBudget &w);
  std::string still_held() const { return "the lock is still held"; }
  void abandon() noexcept {}
  void on_acquired(LockMode mode) noexcept;
  // Shows this handle as the holder in its slot (InodeRegistry::held_here), or not.
  void publish(LockMode mode) noexcept;
  void unpublish() noexcept;
  platform::Wakeup &legacy_wakeup() { return *wakeup_; }
  platform::Wakeup &cancel_wakeup();
  void reopen();

  void make_record();
  void open_file();
  void close_file(bool released) noexcept;  // released: it held a lock until now
  bool inherited() const noexcept;
  bool try_acquire(LockMode mode);
  WaitStep keep_if_linked(LockMode mode);
  void release_kernel();
  platform::WaitOutcome wait_kernel(LockMode mode, bool forever,
                                    std::chrono::steady_clock::time_point deadline,
                                    const std::shared_ptr<platform::Wakeup> &wakeup);
  std::optional<WaitStep> wait_for_local_release(LockMode mode, const WaitBudget &w,
                                                 const std::shared_ptr<platform::Wakeup> &wakeup);
  std::optional<WaitStep> wait_for_release_wake(LockMode mode, const WaitBudget &w,
                                                const std::shared_ptr<platform::Wakeup> &wakeup);

  const std::string path_;
  const LockOptions options_;
  const platform::KernelLockKind kind_;
  platform::NativeFile fd_;
  bool read_only_ = false;
  bool with_flock_ = false;  // OFD taking flock first (see above)
  uint64_t fork_generation_;
  HolderSlot slot_;
  std::shared_ptr<InodeEntry> inode_;
  platform::ReleaseWake wake_;  // this file's slot of the release-wake table
  // The watch of the holder the last wait slept on, kept for the next wait: ending and
  // making one is four system calls, and a holder is often the same process again.
  std::optional<platform::HolderWatch> watch_;
  std::shared_ptr<platform::Wakeup> wakeup_;
  platform::ParkedWait parked_;
  std::atomic<bool> cancel_{false};
  std::atomic<bool> cancel_request_{false};
  std::atomic<int> held_{0};  // LockMode value, 0: none
  HolderRecordWriter record_;
  std::string legacy_;  // the live legacy lock the last attempt met (legacy_record.hpp)
};

}  // namespace filelock
