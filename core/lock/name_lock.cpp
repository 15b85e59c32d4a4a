#include "lock/name_lock.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>

#include "common/deadline.hpp"
#include "common/error.hpp"
#include "lock/entry_guard.hpp"
#include "lock/holder_judge.hpp"
#include "lock/legacy_record.hpp"
#include "lock/wait_loop.hpp"
#include "lock/wait_rules.hpp"
#include "lock/lock_entry.hpp"
#include "platform/dir_watch.hpp"
#include "io/lock_io.hpp"
#include "io/os_objects.hpp"
#include "platform/paths.hpp"
#include "platform/process.hpp"

namespace filelock {

namespace {

// Name locks have no inode while free; the registry keys them by their path instead.
platform::FileInfo path_identity(const std::string &lock_path) {
  platform::FileInfo id;
  id.dev = ~uint64_t{0};
  id.ino = std::hash<std::string>{}(io::absolute_path(lock_path));
  return id;
}

// The lock's directory resolved now: every later step acts on the directory the handle
// opened, even once a symlink on the way is retargeted (unlock must remove what lock
// placed). A directory that cannot be resolved yet is used as given.
std::string resolved_at_open(const std::string &lock_path) {
  std::string resolved;
  return platform::absolute_path(lock_path, resolved) ? lock_path : resolved;
}

uint64_t next_handle_id() {
  static std::atomic<uint64_t> counter{0};
  return ++counter;
}

}  // namespace

NameLock::NameLock(std::string lock_path, const LockOptions &options, bool directory)
    : path_(std::move(lock_path)),
      at_(resolved_at_open(path_)),
      gate_(at_),
      options_(options),
      directory_(directory),
      fork_generation_(platform::fork_generation()),
      handle_id_(next_handle_id()),
      record_(platform::self_identity(), options.owner,
              backend_name(directory ? Backend::lockdir : Backend::lockfile), handle_id_) {
  if (!options_.sidecar)
    throw_error(Status::invalid, "open lock", path_,
                "the LOCKFILE and LOCKDIR backends create and delete their lock; they need a "
                "sidecar lock name, not the file itself");
  io::check_wakeup(wakeup_, path_);
  entry_ = InodeRegistry::instance().join(path_identity(path_), &slot_);
}

NameLock::~NameLock() {
  if (held_.load() && !inherited()) {
    try {
      unlock();
    } catch (const Error &) {
      // Already broken by someone else: nothing of ours is left to remove.
    }
  }
  InodeRegistry::instance().leave(entry_, &slot_);
}

bool NameLock::inherited() const noexcept {
  return fork_generation_ != platform::fork_generation();
}

bool NameLock::create_entry(const std::string &record) {
  if (!directory_) return create_lock_file(at_, options_.file_mode, record, guard_.slot());
  if (!io::create_exclusive_dir(at_, options_.file_mode | 0111)) return false;
  try {
    guard_.hold(at_, true);
    io::create_exclusive_file(platform::join_path(at_, kLockDirRecordName),
                                    options_.file_mode, record);
  } catch (...) {
    guard_.release();
    io::remove_dir(at_);
    throw;
  }
  return true;
}

// One attempt: create the name; if taken by a holder proven dead, break it and retry.
bool NameLock::try_acquire() {
  legacy_.clear();
  for (int attempt = 0; attempt < 8; ++attempt) {
    // Look first: a try against a taken name then changes nothing in the directory, so
    // it wakes no waiter's watch (this one's included: a waiter would spin).
    platform::FileInfo seen;
    if (!io::identify_path(at_, seen)) {
      std::string record = record_.render(platform::wall_clock_ms());
      if (create_entry(record)) {
        held_record_ = std::move(record);
        try {
          if (!io::identify_path(at_, held_id_))
            throw_error(Status::io, "lock", path_, "lock vanished right after it was created");
        } catch (const Error &) {
          // Not held, so not left behind: what was just created is removed again.
          try {
            remove_lock_entry(at_, directory_);
          } catch (const Error &) {
          }
          guard_.release();
          throw;
        }
        return true;
      }
    }
    const LockEntry e = inspect_lock_entry(at_);
    if (e.kind == EntryKind::missing) continue;  // released meanwhile
    if (e.kind == EntryKind::orphan) {
      if (!orphan_expired(e, options_.stale_after_ms) && !kernel_backend_leftover(e)) return false;
      remove_orphan_entry(at_, e);
      continue;
    }
    if (e.kind == EntryKind::other && break_dead_legacy_at(at_, e.id, e.record_bytes, legacy_))
      continue;
    if (e.kind != EntryKind::name_lock) return false;
    HolderJudgement j = judge_holder(e.record_bytes, e.id.mtime_ms, options_.stale_after_ms);
    if (!j.stale || entry_guarded(at_, e)) return false;
    break_lock_entry(at_, e.directory, e.id, e.record_bytes);
  }
  return false;
}

void NameLock::after_fork() {
  if (!inherited()) return;
  guard_.release();  // the parent's entry lock
  fork_generation_ = platform::fork_generation();
  record_ = HolderRecordTemplate(platform::self_identity(), options_.owner,
                                 backend_name(directory_ ? Backend::lockdir : Backend::lockfile),
                                 handle_id_);
}

// This process's turn (gate_), then the name. A failed try keeps the turn for the wait
// that may follow (abandon lets it go).
bool NameLock::try_once(LockMode) {
  gate_busy_ = !gate_.try_enter();
  if (gate_busy_) return false;
  gate_entered_ = true;
  try {
    return try_acquire();
  } catch (...) {
    abandon();
    throw;
  }
}

std::string NameLock::busy_reason() const {
  if (gate_busy_) return "held by, or being taken through, another handle of this process";
  return legacy_.empty() ? name_taken_reason(at_) : "held by " + legacy_;
}

void NameLock::refuse_self_deadlock(LockMode mode) {
  wait_rules::refuse_self_deadlock(*entry_, &slot_, mode, path_);
}

// Waits for this process's turn, unless taken already, then for the name itself.
WaitStep NameLock::wait_once(LockMode, const WaitBudget &w) {
  if (!gate_entered_) {
    if (!gate_.enter(wakeup_, w.forever, w.deadline, cancel_))
      return cancel_.load() ? WaitStep::canceled : WaitStep::timed_out;
    gate_entered_ = true;
  }
  // Watch before the next attempt so a release right after it is not missed.
  platform::DirectoryWatch watch(platform::dir_name(at_), platform::base_name(at_));
  while (!try_acquire()) {
    if (cancel_.load(std::memory_order_acquire)) return WaitStep::canceled;
    const auto now = std::chrono::steady_clock::now();
    if (!w.forever && now >= w.deadline) return WaitStep::timed_out;
    auto next = now + std::chrono::milliseconds(options_.retry_interval_ms);
    if (!w.forever) next = std::min(next, w.deadline);
    // Sleeps until the name goes away, or for the retry interval (a release the watch
    // cannot see: another host's, a holder that died). Other names' events sleep on.
    while (wakeup_.wait_until_either(watch.native(), false, next) && !watch.drain() &&
           !cancel_.load(std::memory_order_acquire)) {
    }
  }
  return WaitStep::acquired;
}

std::string NameLock::still_held() const {
  if (!gate_entered_)
    return "the lock is still held (by, or waited for through, another handle of this process)";
  return legacy_.empty() ? "the lock is still held" : "still held by " + legacy_;
}

void NameLock::abandon() noexcept {
  if (!gate_entered_) return;
  gate_entered_ = false;
  gate_.leave();
}

void NameLock::on_acquired(LockMode mode) noexcept {
  gate_entered_ = false;  // the turn is the held lock's now: unlock() passes it on
  slot_.mode.store(static_cast<int>(mode), std::memory_order_relaxed);
  slot_.thread.store(platform::current_thread_id(), std::memory_order_release);
  held_.store(true, std::memory_order_release);
}

void NameLock::lock(LockMode mode, int64_t timeout_ms, CancelToken *token) {
  if (mode != LockMode::exclusive)
    throw_error(Status::unsupported, "lock", path_,
                "the LOCKFILE and LOCKDIR backends have exclusive locks only; use FL_EXCLUSIVE, "
                "or a kernel backend (flock, OFD) for shared locks");
  WaitLoop::lock(*this, mode, timeout_ms, token);
}

void NameLock::unlock() {
  if (!held_.load(std::memory_order_acquire))
    throw_error(Status::not_locked, "unlock", path_, "this handle holds no lock");
  // Ours only if it is the inode we created with the record we wrote (inodes are reused).
  // Checked before anything is let go: an I/O error reading it leaves the lock held by
  // this handle, so that unlocking again (or closing the handle) still removes it.
  bool ours = true;
  if (!inherited()) {
    platform::FileInfo now;
    std::string bytes;
    ours = read_lock_entry(at_, directory_, now, bytes, true) && now == held_id_ &&
           bytes == held_record_;
  }
  cancel_request_.store(false);
  cancel_.store(false, std::memory_order_release);
  const uint64_t thread = slot_.thread.exchange(0, std::memory_order_acq_rel);
  const int mode = slot_.mode.exchange(0, std::memory_order_acq_rel);
  held_.store(false, std::memory_order_release);
  // The next thread of this process goes on once the name is free (one wake-up, not two).
  struct LeaveGate {
    NameGate &gate;
    bool leave = true;
    ~LeaveGate() {
      if (leave) gate.leave();
    }
  } leave_gate{gate_};
  if (inherited()) {
    guard_.release();  // closes our copy only: the parent's entry lock stays
    return;            // the parent's lock: a child never removes it
  }
  if (!ours) {
    guard_.release();
    throw_error(Status::not_locked, "unlock", path_,
                "the lock was broken by another process while held (judged stale); nothing "
                "was removed");
  }
  try {
    remove_lock_entry(at_, directory_);
  } catch (const Error &) {
    // Still ours and still there: held, as before the call. A lock directory whose
    // record went before its removal failed is still ours without one.
    if (directory_) {
      platform::FileInfo id;
      std::string bytes;
      try {
        if (read_lock_entry(at_, true, id, bytes, true) && id == held_id_ && bytes.empty())
          held_record_.clear();
      } catch (const Error &) {
      }
    }
    leave_gate.leave = false;
    slot_.mode.store(mode, std::memory_order_relaxed);
    slot_.thread.store(thread, std::memory_order_release);
    held_.store(true, std::memory_order_release);
    throw;
  }
  guard_.release();  // after the name is gone: a kernel waiter then re-opens a fresh file
}

void NameLock::cancel() noexcept {
  cancel_request_.store(true);
  cancel_.store(true);
  wakeup_.signal();
}

void NameLock::clear_cancel() noexcept {
  cancel_request_.store(false);
  cancel_.store(false);
}

bool NameLock::locked() const noexcept { return held_.load(std::memory_order_acquire); }

}  // namespace filelock
