#include "lock/kernel_file_lock.hpp"

#include <chrono>
#include <optional>

#include "common/deadline.hpp"
#include "common/error.hpp"
#include "lock/legacy_record.hpp"
#include "lock/wait_rules.hpp"
#include "lock/wait_loop.hpp"
#include "lock/lock_entry.hpp"
#include "platform/file.hpp"
#include "io/lock_io.hpp"
#include "io/os_objects.hpp"
#include "platform/process.hpp"

namespace filelock {

namespace {

// What LOCKDIR makes: a directory holding its record, or nothing yet (just created).
bool looks_like_lockdir(const std::string &path) {
  try {
    for (const auto &name : io::list_dir(path))
      if (name != kLockDirRecordName) return false;
    return true;
  } catch (const Error &) {
    return true;  // removed meanwhile: it was a lock being released
  }
}

}  // namespace

io::OpenedFile open_kernel_lock_file(const std::string &path, unsigned mode,
                                           bool sidecar) {
  for (int attempt = 0;; ++attempt) {
    try {
      // A legacy lock directory is judged (broken or FL_EBUSY) before a LOCKDIR one.
      return open_lock_file_past_legacy(path, mode, sidecar);
    } catch (const Error &e) {
      if (e.status() != Status::invalid) throw;
      platform::FileInfo id;
      // Released (and maybe replaced by a file) since the open: open again.
      if ((!io::identify_path(path, id) || id.regular) && attempt < 100) continue;
      if (!id.directory || !looks_like_lockdir(path)) throw;
    }
    throw_error(Status::busy, "lock", path,
                "held through the LOCKDIR backend (a lock directory is at this name); a kernel "
                "backend cannot wait for it: use the LOCKDIR backend for this path to wait, or "
                "remove a dead holder's directory with fl_clean_stale");
  }
}

bool take_companion_flock(platform::NativeFile file, LockMode mode, const std::string &path,
                          bool &with_flock) {
  try {
    return io::kernel_try_lock(file, platform::KernelLockKind::flock, mode, path);
  } catch (const Error &e) {
    if (e.status() != Status::unsupported) throw;
    with_flock = false;  // no flock here: nothing can hold one against us
    return true;
  }
}

KernelFileLock::KernelFileLock(std::string lock_path, const LockOptions &options,
                               platform::KernelLockKind kind)
    : path_(std::move(lock_path)),
      options_(options),
      kind_(kind),
      fd_(platform::kInvalidFile),
      fork_generation_(platform::fork_generation()) {
  slot_.wakes_local_waiters = true;
  make_record();
  open_file();
}

KernelFileLock::~KernelFileLock() {
  const bool release = held_.load() != 0 && !inherited();
  const bool exclusive = held_.load() == static_cast<int>(LockMode::exclusive);
  if (release) {
    try {
      release_kernel();
    } catch (const Error &) {
      // Closing the descriptor below releases the lock anyway.
    }
  }
  close_file(release);
  if (release && exclusive) wake_.released();
}

int KernelFileLock::inheritable_fd() const noexcept {
  return locked() ? platform::inheritable_descriptor(fd_, kind_) : -1;
}

void KernelFileLock::make_record() {
  if (!options_.record_holder) return;
  const Backend named = kind_ == platform::KernelLockKind::flock ? Backend::flock
                        : kind_ == platform::KernelLockKind::ofd ? Backend::ofd
                                                                 : Backend::posix;
  record_ = HolderRecordWriter(
      HolderRecordTemplate(platform::self_identity(), options_.owner, backend_name(named)), true);
}

void KernelFileLock::open_file() {
  io::OpenedFile f = open_kernel_lock_file(path_, options_.file_mode, options_.sidecar);
  try {
    inode_ = InodeRegistry::instance().join(f.id, &slot_);
  } catch (...) {
    platform::close(f.file);
    throw;
  }
  fd_ = f.file;
  read_only_ = f.read_only;
  wake_ = platform::ReleaseWake::for_file(f.id);
  with_flock_ = kind_ != platform::KernelLockKind::flock && platform::flock_apart_from_fcntl(fd_);
}

// Opens the path afresh and only then lets go of the old descriptor, so a failure to
// open leaves the handle as it was.
void KernelFileLock::reopen() {
  std::shared_ptr<InodeEntry> old_inode = inode_;
  const platform::NativeFile old_fd = fd_;
  open_file();
  record_.forget();
  InodeRegistry::instance().leave(old_inode, &slot_);
  platform::close(old_fd);
}

void KernelFileLock::close_file(bool released) noexcept {
  std::shared_ptr<InodeEntry> entry = std::move(inode_);
  InodeRegistry::instance().leave(entry, &slot_);
  record_.forget();
  platform::close(fd_);
  fd_ = platform::kInvalidFile;
  // A lock this handle held is gone with the descriptor: local waiters look again. One
  // that held nothing changes nothing for them, and a signal would only wake them for
  // nothing (or end the next wait's first sleep at once).
  if (entry && released) entry->released();
}

bool KernelFileLock::inherited() const noexcept {
  return fork_generation_ != platform::fork_generation();
}

void KernelFileLock::release_kernel() {
  io::kernel_unlock(fd_, kind_, path_);
  if (with_flock_) io::kernel_unlock(fd_, platform::KernelLockKind::flock, path_);
}

// flock first, then the backend's own lock on top (see the header). A flock-only wait is
// a single kernel wait; with both, the fcntl lock is normally free once flock is ours
// (every filelock holder takes both) and is waited for only against a foreign holder.
platform::WaitOutcome KernelFileLock::wait_kernel(LockMode mode, bool forever,
                                                  std::chrono::steady_clock::time_point deadline,
                                                  const std::shared_ptr<platform::Wakeup> &wakeup) {
  using platform::KernelLockKind;
  if (!with_flock_)
    return io::kernel_wait_lock(fd_, kind_, mode, forever, deadline, wakeup, cancel_,
                                      path_, &parked_);
  auto outcome = io::kernel_wait_lock(fd_, KernelLockKind::flock, mode, forever, deadline,
                                            wakeup, cancel_, path_, &parked_);
  if (outcome != platform::WaitOutcome::acquired) return outcome;
  try {
    if (io::kernel_try_lock(fd_, kind_, mode, path_)) return outcome;
    outcome = io::kernel_wait_lock(fd_, kind_, mode, forever, deadline, wakeup, cancel_,
                                         path_, &parked_);
  } catch (...) {
    io::kernel_unlock(fd_, KernelLockKind::flock, path_);
    throw;
  }
  if (outcome != platform::WaitOutcome::acquired)
    io::kernel_unlock(fd_, KernelLockKind::flock, path_);
  return outcome;
}

// After a lock call succeeded: kept (acquired), or let go again because a live legacy
// lock holds the file (legacy) or someone unlinked it (fl_clean_stale): a lock on it
// protects nothing, the next acquirer creates a new file (replaced: re-open it).
// Shown held from the start: a handle of this process whose try fails while we check
// the file sees a holder here to wait for (a local wait), not a free lock to wait for in
// the kernel (a waiter thread). Taken back, with a look again for local waiters, if the
// lock is not kept.
WaitStep KernelFileLock::keep_if_linked(LockMode mode) {
  publish(mode);
  WaitStep kept;
  try {
    const platform::FileInfo id = io::identify(fd_, path_);
    const bool legacy =
        id.nlink > 0 && options_.sidecar && held_by_legacy_lock(fd_, id, path_, legacy_);
    if (id.nlink > 0 && !legacy) return WaitStep::acquired;
    kept = legacy ? WaitStep::legacy : WaitStep::replaced;
  } catch (...) {  // the file could not be checked: not kept
    try {
      release_kernel();
    } catch (const Error &) {
      // The error being thrown says more; closing the descriptor releases it anyway.
    }
    unpublish();
    inode_->released();
    throw;
  }
  release_kernel();
  unpublish();
  inode_->released();
  return kept;
}

// Non-blocking attempt; an unlinked file is re-opened and tried again.
bool KernelFileLock::try_acquire(LockMode mode) {
  legacy_.clear();
  while (true) {
    if (with_flock_ && !take_companion_flock(fd_, mode, path_, with_flock_)) return false;
    bool got;
    try {
      got = io::kernel_try_lock(fd_, kind_, mode, path_);
    } catch (...) {
      if (with_flock_) io::kernel_unlock(fd_, platform::KernelLockKind::flock, path_);
      throw;
    }
    if (!got) {
      if (with_flock_) io::kernel_unlock(fd_, platform::KernelLockKind::flock, path_);
      return false;
    }
    const WaitStep kept = keep_if_linked(mode);
    if (kept != WaitStep::replaced) return kept == WaitStep::acquired;
    reopen();
  }
}

void KernelFileLock::publish(LockMode mode) noexcept {
  slot_.mode.store(static_cast<int>(mode), std::memory_order_relaxed);
  slot_.generation.store(fork_generation_, std::memory_order_relaxed);
  slot_.thread.store(platform::current_thread_id(), std::memory_order_release);
}

void KernelFileLock::unpublish() noexcept {
  slot_.thread.store(0, std::memory_order_release);
  slot_.mode.store(0, std::memory_order_release);
}

// Shown held in the slot already (keep_if_linked).
void KernelFileLock::on_acquired(LockMode mode) noexcept {
  held_.store(static_cast<int>(mode), std::memory_order_release);
  if (mode == LockMode::exclusive) wake_.held();
  if (mode == LockMode::exclusive && options_.record_holder && !read_only_) record_.write(fd_);
}

// While another handle of this process holds the lock, its unlock wakes us directly: no
// waiter thread, one wake-up, where a wait in the kernel costs both a thread and a
// second wake-up on the way back. Ends acquired, timed_out or canceled; nothing as soon
// as no handle of this process holds it in a conflicting mode (the holder, if any, is
// elsewhere: the kernel wait follows, which other tools' releases wake too).
std::optional<WaitStep> KernelFileLock::wait_for_local_release(LockMode mode,
                                                               const WaitBudget &w,
                                                               const std::shared_ptr<platform::Wakeup> &wakeup) {
  std::shared_ptr<InodeEntry> entry = inode_;
  // Nobody here holds it: no registration; the other waits follow.
  if (!InodeRegistry::instance().held_here(*entry, &slot_, mode)) return std::nullopt;
  // Registered before the next try, so no release after it is missed; kept across
  // wake-ups, so a woken waiter tries at once instead of queueing on the registry mutex
  // the releaser may still hold.
  std::optional<LocalWait> registered(std::in_place, *entry, wakeup);
  while (true) {
    if (try_acquire(mode)) {
      if (mode == LockMode::exclusive) registered->acquired_exclusive();
      return WaitStep::acquired;
    }
    if (inode_ != entry) {  // re-opened (the file was replaced): wait on the new one
      registered.reset();
      entry = inode_;
      registered.emplace(*entry, wakeup);
      continue;
    }
    if (!InodeRegistry::instance().held_here(*entry, &slot_, mode)) return std::nullopt;
    if (!wakeup->wait_until(w.forever, w.deadline) && !w.forever) return WaitStep::timed_out;
    if (cancel_.load()) return WaitStep::canceled;
    registered->retrying();
  }
}

void KernelFileLock::after_fork() {
  if (!inherited()) return;
  // The descriptor is shared with the parent: a lock on it would be the parent's lock.
  reopen();
  std::atomic_store(&wakeup_, std::shared_ptr<platform::Wakeup>());  // the parent's
  parked_.forget();  // the parent's waiter thread, which the child does not have
  watch_.reset();    // the parent's watch (ending it here leaves the parent's alone)
  make_record();
  fork_generation_ = platform::fork_generation();
}

std::string KernelFileLock::busy_reason() const {
  return legacy_.empty() ? "held by another process or handle (Resource temporarily unavailable)"
                         : "held by " + legacy_;
}

void KernelFileLock::refuse_self_deadlock(LockMode mode) {
  wait_rules::refuse_self_deadlock(*inode_, &slot_, mode, path_);
}

// Created only for a wait: most handles never wait and need no event. It exists before
// the wait checks the cancel flag, so a cancel() that finds none is seen by the flag.
platform::Wakeup &KernelFileLock::cancel_wakeup() {
  std::shared_ptr<platform::Wakeup> wakeup = std::atomic_load(&wakeup_);
  if (!wakeup) {
    wakeup = std::make_shared<platform::Wakeup>();
    io::check_wakeup(*wakeup, path_);  // kept only once made: the next wait tries again
    std::atomic_store(&wakeup_, wakeup);
  }
  return *wakeup;
}

// While another filelock process holds the lock exclusively, its release wakes us through
// the release-wake table (platform/release_wake.hpp): one wake-up, no waiter thread; its
// death wakes us through a HolderWatch. Ends acquired, timed_out, canceled or legacy;
// nothing when the holder is not one that wakes us (then at once), or after
// kReleaseWakeSpan (see there): the kernel wait follows.
std::optional<WaitStep> KernelFileLock::wait_for_release_wake(
    LockMode mode, const WaitBudget &w, const std::shared_ptr<platform::Wakeup> &wakeup) {
  const platform::ReleaseWake slot = wake_;
  // Not a filelock holder that wakes us (flock(1), gofrs, a shared holder...): on to the
  // kernel (wait_once), without this loop's try and sleep.
  if (!slot || slot.waking_holder() == 0) return std::nullopt;
  auto until = std::chrono::steady_clock::now() + platform::kReleaseWakeSpan;
  if (!w.forever && w.deadline < until) until = w.deadline;
  while (true) {
    // Both read before the try: a release or a cancel after it changes what we sleep on.
    const uint32_t generation = slot.generation();
    const uint32_t signals = wakeup->signals();
    if (cancel_.load()) return WaitStep::canceled;
    if (try_acquire(mode)) return WaitStep::acquired;
    if (!legacy_.empty()) return WaitStep::legacy;
    const int32_t holder = wake_ == slot ? slot.waking_holder() : 0;
    if (holder == 0) return std::nullopt;
    // A watch kept from an earlier wait serves while its process lives.
    if (!watch_ || watch_->pid() != holder || !watch_->live()) {
      watch_.reset();
      watch_.emplace(holder, wakeup);
      if (!*watch_) return std::nullopt;  // gone already: the kernel's wait has its lock
    }
    const bool woken = slot.sleep(generation, *wakeup, signals, until) !=
                       platform::ReleaseWake::Sleep::timed_out;
    const auto now = std::chrono::steady_clock::now();
    if (woken && now < until) continue;
    if (w.forever || now < w.deadline) return std::nullopt;
    // The deadline: a release in its last moment still counts, as in the kernel wait.
    return try_acquire(mode) ? WaitStep::acquired : WaitStep::timed_out;
  }
}

// The local wait first (a holder in this process wakes it), then the release-wake one (a
// filelock holder elsewhere wakes it), then the kernel's.
WaitStep KernelFileLock::wait_once(LockMode mode, const WaitBudget &w) {
  cancel_wakeup();
  if (mode == LockMode::exclusive && options_.record_holder && !read_only_) record_.prepare(fd_);
  std::shared_ptr<platform::Wakeup> wakeup = std::atomic_load(&wakeup_);
  if (auto step = wait_for_local_release(mode, w, wakeup)) return *step;
  if (auto step = wait_for_release_wake(mode, w, wakeup)) return *step;
  // One more try before a waiter thread (tens of µs): the holder that made the last try
  // fail may be gone already, above all one of this process (a pool of threads).
  if (try_acquire(mode)) return WaitStep::acquired;
  if (!legacy_.empty()) return WaitStep::legacy;
  switch (wait_kernel(mode, w.forever, w.deadline, wakeup)) {
    case platform::WaitOutcome::acquired:
      return keep_if_linked(mode);
    case platform::WaitOutcome::timed_out:
      return WaitStep::timed_out;
    case platform::WaitOutcome::canceled:
      return WaitStep::canceled;
    case platform::WaitOutcome::replaced:
      break;
  }
  return WaitStep::replaced;
}

void KernelFileLock::lock(LockMode mode, int64_t timeout_ms, CancelToken *token) {
  WaitLoop::lock(*this, mode, timeout_ms, token);
}

// FLOCK's lock, and the flock OFD takes first, can be waited for by the caller itself.
int KernelFileLock::wait_fd() const noexcept {
  if (held_.load(std::memory_order_acquire) != 0 || inherited()) return -1;
  if (kind_ != platform::KernelLockKind::flock && !with_flock_) return -1;
  return platform::inheritable_descriptor(fd_, platform::KernelLockKind::flock);  // -1: Windows
}

// What lock() does once its kernel wait got flock, without waiting for anything else.
bool KernelFileLock::lock_waited(LockMode mode) {
  if (held_.load(std::memory_order_acquire) != 0) wait_rules::already_held(path_);
  if (wait_fd() < 0) return Lock::lock_waited(mode);
  legacy_.clear();
  try {
    if (with_flock_ && !io::kernel_try_lock(fd_, kind_, mode, path_)) {
      io::kernel_unlock(fd_, platform::KernelLockKind::flock, path_);
      return false;  // a foreign fcntl holder: lock() waits for it
    }
    const WaitStep kept = keep_if_linked(mode);
    if (kept == WaitStep::acquired) {
      on_acquired(mode);
      return true;
    }
    if (kept == WaitStep::replaced) reopen();  // unlinked while we waited: lock() takes the new file
    return false;
  } catch (...) {
    if (held_.load(std::memory_order_acquire) == 0) {
      try {
        release_kernel();
      } catch (const Error &) {
        // The error being thrown says more; the next lock call finds what is left.
      }
    }
    throw;
  }
}

void KernelFileLock::unlock() {
  if (held_.load(std::memory_order_acquire) == 0)
    throw_error(Status::not_locked, "unlock", path_, "this handle holds no lock");
  cancel_request_.store(false);
  cancel_.store(false, std::memory_order_release);
  // In a forked child the lock is the parent's: forget it here, never release it.
  if (!inherited()) {
    release_kernel();
    if (held_.load(std::memory_order_relaxed) == static_cast<int>(LockMode::exclusive))
      wake_.released();
  }
  // Shown held until the kernel let go: a handle of this process whose try failed before
  // that waits for our release (inode_->released() below), not in the kernel.
  unpublish();
  held_.store(0, std::memory_order_release);
  inode_->released();
}

void KernelFileLock::cancel() noexcept {
  cancel_request_.store(true);
  cancel_.store(true);
  if (auto wakeup = std::atomic_load(&wakeup_)) wakeup->signal();
}

void KernelFileLock::clear_cancel() noexcept {
  cancel_request_.store(false);
  cancel_.store(false);
}

bool KernelFileLock::locked() const noexcept { return held_.load(std::memory_order_acquire) != 0; }

}  // namespace filelock
