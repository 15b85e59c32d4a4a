#include "lock/posix_lock.hpp"

#include <algorithm>
#include <chrono>

#include "common/deadline.hpp"
#include "common/error.hpp"
#include "lock/kernel_file_lock.hpp"
#include "lock/legacy_record.hpp"
#include "lock/wait_loop.hpp"
#include "lock/wait_rules.hpp"
#include "io/lock_io.hpp"
#include "io/os_objects.hpp"
#include "platform/file.hpp"
#include "platform/kernel_lock.hpp"
#include "platform/process.hpp"

namespace filelock {

using platform::KernelLockKind;

PosixInodeState::~PosixInodeState() {
  platform::close(fd);
  for (auto spare_fd : spare) platform::close(spare_fd);
}

PosixLock::PosixLock(std::string lock_path, const LockOptions &options)
    : path_(std::move(lock_path)),
      options_(options),
      fork_generation_(platform::fork_generation()) {
  if (options_.record_holder)
    record_ = HolderRecordWriter(HolderRecordTemplate(platform::self_identity(), options_.owner, "posix"),
                                 false);  // its descriptor is the process's, swapped at fork
  io::check_wakeup(*wakeup_, path_);
  open_file();
}

PosixLock::~PosixLock() {
  if (held_.load() != 0 && fork_generation_ == platform::fork_generation()) {
    try {
      unlock();
    } catch (const Error &) {
      // The last descriptor closes below and the kernel drops the lock with it.
    }
  }
  close_file();
}

void PosixLock::sync_after_fork(PosixInodeState &state) {
  // The child holds none of the parent's POSIX locks: its copy of the counts is void.
  const uint64_t now = platform::fork_generation();
  if (state.fork_generation == now) return;
  parked_.forget();  // the parent's waiter thread, which the child does not have
  if (state.with_flock) {
    // The descriptor's open file description, and any flock on it, is the parent's too:
    // lock through one of our own (opened first: a failure changes nothing). Closing the
    // inherited ones drops nothing of the parent's (POSIX locks are per process; its
    // flock lives on in its own descriptor).
    io::OpenedFile f = open_kernel_lock_file(path_, options_.file_mode, options_.sidecar);
    if (f.id == io::identify(state.fd, path_)) {
      platform::close(state.fd);
      for (auto spare_fd : state.spare) platform::close(spare_fd);
      state.spare.clear();
      state.fd = f.file;
      state.read_only = f.read_only;
    } else {
      // The path names another file now: this one is dead, and a lock taken on it is let
      // go at the "still linked?" check. Only POSIX is taken on it meanwhile.
      platform::close(f.file);
      state.with_flock = false;
    }
  }
  state.fork_generation = now;
  state.readers = 0;
  state.writer = false;
  state.acquiring = false;
}

void PosixLock::open_file() {
  io::OpenedFile f = open_kernel_lock_file(path_, options_.file_mode, options_.sidecar);
  std::shared_ptr<PosixInodeState> state;
  try {
    inode_ = InodeRegistry::instance().join(f.id, &slot_);
    std::lock_guard<std::mutex> guard(InodeRegistry::instance().mutex());
    if (!inode_->posix) {
      inode_->posix = std::make_shared<PosixInodeState>();
      inode_->posix->fd = f.file;
      inode_->posix->read_only = f.read_only;
      inode_->posix->with_flock = platform::flock_apart_from_fcntl(f.file);
      inode_->posix->fork_generation = platform::fork_generation();
      f.file = platform::kInvalidFile;
    }
    state = inode_->posix;
  } catch (...) {
    platform::close(f.file);
    throw;
  }
  std::atomic_store(&state_, state);  // cancel() may read it from another thread
  if (f.file == platform::kInvalidFile) return;
  std::lock_guard<std::mutex> guard(state->mutex);
  sync_after_fork(*state);
  if (state->readers == 0 && !state->writer && !state->acquiring) platform::close(f.file);
  else state->spare.push_back(f.file);  // closing it now would drop the process's lock
}

void PosixLock::close_file() noexcept {
  InodeRegistry::instance().leave(inode_, &slot_);
  inode_.reset();
  // The last handle's reference closes the descriptors.
  std::atomic_store(&state_, std::shared_ptr<PosixInodeState>());
}

platform::WaitOutcome PosixLock::acquire_kernel(LockMode mode, bool wait, bool forever,
                                               std::chrono::steady_clock::time_point deadline) {
  using platform::WaitOutcome;
  // Only this thread changes with_flock or the descriptor now (state.acquiring).
  PosixInodeState &state = *state_;
  if (state.with_flock && !take_companion_flock(state.fd, mode, path_, state.with_flock)) {
    if (!wait) return WaitOutcome::timed_out;
    auto outcome = io::kernel_wait_lock(state.fd, KernelLockKind::flock, mode, forever,
                                              deadline, wakeup_, cancel_, path_, &parked_);
    if (outcome != WaitOutcome::acquired) return outcome;
  }
  const bool with_flock = state.with_flock;
  WaitOutcome outcome = WaitOutcome::timed_out;
  try {
    if (io::kernel_try_lock(state.fd, KernelLockKind::posix, mode, path_))
      outcome = WaitOutcome::acquired;
    else if (wait) {
      outcome = wait_posix(state.fd, mode, forever, deadline);
    }
  } catch (...) {
    if (with_flock) io::kernel_unlock(state.fd, KernelLockKind::flock, path_);
    throw;
  }
  if (outcome != WaitOutcome::acquired && with_flock)
    io::kernel_unlock(state.fd, KernelLockKind::flock, path_);
  return outcome;
}

// Lets go of the file the path no longer names, for the one it names now.
void PosixLock::reopen() {
  std::shared_ptr<InodeEntry> old_inode = inode_;
  open_file();  // joins the new inode before leaving the old: a failure changes nothing
  InodeRegistry::instance().leave(old_inode, &slot_);
}

void PosixLock::unlock_kernel(PosixInodeState &state) {
  io::kernel_unlock(state.fd, KernelLockKind::posix, path_);
  if (state.with_flock) io::kernel_unlock(state.fd, KernelLockKind::flock, path_);
}

// The kernel's EDEADLK only suspects a deadlock: it sees a cycle between processes where
// their threads hold and wait independently (and this process's own handles never reach
// the kernel twice: the in-process phase orders them). Back off and wait on; a cycle that
// is real waits like any flock or OFD wait, until timeout or cancel.
platform::WaitOutcome PosixLock::wait_posix(platform::NativeFile fd, LockMode mode, bool forever,
                                           std::chrono::steady_clock::time_point deadline) {
  using platform::WaitOutcome;
  auto backoff = std::chrono::milliseconds(2);
  while (true) {
    try {
      return io::kernel_wait_lock(fd, KernelLockKind::posix, mode, forever, deadline,
                                        wakeup_, cancel_, path_, nullptr);
    } catch (const Error &e) {
      if (e.status() != Status::deadlock) throw;
    }
    auto until = std::chrono::steady_clock::now() + backoff;
    if (!forever) until = std::min(until, deadline);
    wakeup_->wait_until(false, until);  // cancel() signals it
    if (cancel_.load(std::memory_order_acquire)) return WaitOutcome::canceled;
    if (io::kernel_try_lock(fd, KernelLockKind::posix, mode, path_))
      return WaitOutcome::acquired;
    if (!forever && std::chrono::steady_clock::now() >= deadline) return WaitOutcome::timed_out;
    backoff = std::min(backoff * 2, std::chrono::milliseconds(100));
  }
}

void PosixLock::release(PosixInodeState &state, LockMode mode) {
  bool drop_kernel = true;
  if (mode == LockMode::exclusive) state.writer = false;
  else drop_kernel = --state.readers == 0;
  if (drop_kernel) {
    try {
      unlock_kernel(state);
    } catch (...) {
      state.changed.notify_all();
      throw;
    }
    for (auto fd : state.spare) platform::close(fd);
    state.spare.clear();
  }
  state.changed.notify_all();
}

// One pass: the in-process phase, where handles of this process exclude each other,
// then the process's kernel lock, taken by one thread while the others wait in-process.
// Without `w` nothing waits: acquired, or busy_reason() says what holds it (timed_out;
// legacy: a live legacy lock); replaced: re-open and try again (both ways).
WaitStep PosixLock::pass(LockMode mode, const WaitBudget *w) {
  std::shared_ptr<PosixInodeState> keep = state_;
  PosixInodeState &state = *keep;
  std::unique_lock<std::mutex> lk(state.mutex);
  sync_after_fork(state);
  auto compatible = [&] {
    return !state.writer && !state.acquiring && (mode == LockMode::shared || state.readers == 0);
  };
  while (!compatible()) {
    if (!w) {
      busy_ = "held by another handle of this process";
      return WaitStep::timed_out;
    }
    // Here rather than before the wait: only this process's handles can make it one.
    if (w->forever) wait_rules::refuse_self_deadlock(*inode_, &slot_, mode, path_);
    if (cancel_.load()) return WaitStep::canceled;
    if (w->forever) state.changed.wait(lk);
    else if (state.changed.wait_until(lk, w->deadline) == std::cv_status::timeout && !compatible())
      return WaitStep::timed_out;
  }
  if (mode == LockMode::shared && state.readers > 0) {
    ++state.readers;  // the process already holds the kernel lock shared
    return WaitStep::acquired;
  }
  state.acquiring = true;
  lk.unlock();
  auto outcome = platform::WaitOutcome::timed_out;
  try {
    outcome = w ? acquire_kernel(mode, true, w->forever, w->deadline)
                : acquire_kernel(mode, false, false, {});
  } catch (...) {
    lk.lock();
    state.acquiring = false;
    state.changed.notify_all();
    throw;
  }
  lk.lock();
  state.acquiring = false;
  if (outcome != platform::WaitOutcome::acquired) {
    if (state.readers == 0 && !state.writer) {
      for (auto fd : state.spare) platform::close(fd);
      state.spare.clear();
    }
    state.changed.notify_all();
    busy_ = "held by another process (Resource temporarily unavailable)";
    if (outcome == platform::WaitOutcome::canceled) return WaitStep::canceled;
    if (outcome == platform::WaitOutcome::replaced) return WaitStep::replaced;
    return WaitStep::timed_out;
  }
  if (mode == LockMode::exclusive) state.writer = true;
  else state.readers = 1;
  const platform::FileInfo id = io::identify(state.fd, path_);
  legacy_.clear();
  const bool held_legacy =
      id.nlink > 0 && options_.sidecar && held_by_legacy_lock(state.fd, id, path_, legacy_);
  if (id.nlink > 0 && !held_legacy) return WaitStep::acquired;
  release(state, mode);
  busy_ = nullptr;
  // A live legacy lock holds it by existence (legacy_record.hpp); or unlinked under us
  // (fl_clean_stale).
  return held_legacy ? WaitStep::legacy : WaitStep::replaced;
}

void PosixLock::after_fork() { fork_generation_ = platform::fork_generation(); }

bool PosixLock::try_once(LockMode mode) {
  WaitStep step;
  while ((step = pass(mode, nullptr)) == WaitStep::replaced) reopen();
  return step == WaitStep::acquired;
}

std::string PosixLock::busy_reason() const {
  return busy_ ? std::string(busy_) : "held by " + legacy_;
}

void PosixLock::on_acquired(LockMode mode) noexcept {
  slot_.mode.store(static_cast<int>(mode), std::memory_order_relaxed);
  slot_.thread.store(platform::current_thread_id(), std::memory_order_release);
  held_.store(static_cast<int>(mode), std::memory_order_release);
  if (mode == LockMode::exclusive && options_.record_holder && !state_->read_only)
    record_.write(state_->fd);
}

void PosixLock::lock(LockMode mode, int64_t timeout_ms, CancelToken *token) {
  WaitLoop::lock(*this, mode, timeout_ms, token);
}

void PosixLock::unlock() {
  const int mode = held_.load(std::memory_order_acquire);
  if (mode == 0) throw_error(Status::not_locked, "unlock", path_, "this handle holds no lock");
  cancel_request_.store(false);
  cancel_.store(false, std::memory_order_release);
  slot_.thread.store(0, std::memory_order_release);
  slot_.mode.store(0, std::memory_order_release);
  held_.store(0, std::memory_order_release);
  if (fork_generation_ != platform::fork_generation()) return;  // the parent's, not ours
  std::lock_guard<std::mutex> lk(state_->mutex);
  release(*state_, static_cast<LockMode>(mode));
}

void PosixLock::cancel() noexcept {
  cancel_request_.store(true);
  cancel_.store(true);
  wakeup_->signal();
  wake_in_process();
}

void PosixLock::wake_in_process() noexcept {
  std::shared_ptr<PosixInodeState> state = std::atomic_load(&state_);
  if (!state) return;
  { std::lock_guard<std::mutex> lk(state->mutex); }
  state->changed.notify_all();
}

void PosixLock::clear_cancel() noexcept {
  cancel_request_.store(false);
  cancel_.store(false);
}

bool PosixLock::locked() const noexcept { return held_.load(std::memory_order_acquire) != 0; }

}  // namespace filelock
