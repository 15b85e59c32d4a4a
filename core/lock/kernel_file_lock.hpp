// A lock held with a kernel lock (flock or OFD) on the handle's own open lock file.
//
// Hot path (uncontended): one non-blocking lock call, one fstat (the file may have been
// unlinked by fl_clean_stale between our open and our lock: then re-open and retry), and,
// for a recorded exclusive holder, one pwrite of the holder record.
// After fork() the child shares the parent's open file description and with it the lock:
// an inherited handle never unlocks in the child; locking it again re-opens the file.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "lock/holder_record.hpp"
#include "lock/inode_registry.hpp"
#include "lock/lock.hpp"
#include "platform/kernel_lock.hpp"
#include "platform/wakeup.hpp"

namespace filelock {

// Fault injection (io::Step::kernel_lock): throws, as the kernel's lock call would have,
// when a test made this call fail (ENOLCK or EOPNOTSUPP: a filesystem without such
// locks). Called just before each lock call; a no-op otherwise.
void take_kernel_lock_fault(platform::KernelLockKind kind, const std::string &path);

class KernelFileLock final : public Lock {
 public:
  KernelFileLock(std::string lock_path, const LockOptions &options, platform::KernelLockKind kind);
  ~KernelFileLock() override;

  void lock(LockMode mode, int64_t timeout_ms) override;
  void unlock() override;
  void cancel() noexcept override;
  bool locked() const noexcept override;
  const std::string &lock_path() const noexcept override { return path_; }
  int inheritable_fd() const noexcept override;

 private:
  void make_record();
  void open_file();
  void reopen();
  void close_file() noexcept;
  bool inherited() const noexcept;
  bool try_acquire(LockMode mode);
  void on_acquired(LockMode mode) noexcept;

  const std::string path_;
  const LockOptions options_;
  const platform::KernelLockKind kind_;
  platform::NativeFile fd_;
  bool read_only_ = false;
  uint64_t fork_generation_;
  HolderSlot slot_;
  std::shared_ptr<InodeEntry> inode_;
  std::shared_ptr<platform::Wakeup> wakeup_;
  platform::ParkedWait parked_;
  std::atomic<bool> cancel_{false};
  std::atomic<int> held_{0};  // LockMode value, 0: none
  HolderRecordTemplate record_;
  char record_buf_[kHolderRecordSize];
  std::string legacy_;  // the live legacy lock the last attempt met (legacy_record.hpp)
};

}  // namespace filelock
