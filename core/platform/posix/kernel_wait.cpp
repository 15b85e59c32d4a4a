// Waiting for a flock / OFD / POSIX lock without polling (the lock calls themselves:
// kernel_lock.cpp).
//
// A blocking flock()/F_OFD_SETLKW is the only way to be woken by the kernel the
// moment the holder releases, but it cannot take a deadline and must not be interrupted
// by a signal handler of ours (Python, Go and .NET own their signals). So the blocking
// call runs in a short-lived waiter thread; the caller sleeps on its Wakeup with the
// deadline. How a wait that ends early stops its waiter depends on the system:
//  - cancelled: glibc leaves any blocking call by asynchronous cancellation (its
//    reserved signal, not a handler of ours), and fcntl(F_SETLKW) is a cancellation
//    point everywhere. The waiter locks the handle's own descriptor; the caller cancels
//    and joins it, then asks the kernel once more without blocking: the waiter may have
//    won just before it was cancelled, and the lock then already belongs to us.
//  - parked: elsewhere (macOS) nothing but a signal ends a blocked flock(). The waiter
//    locks a descriptor of its own (its own open file description), so that when the
//    caller stops waiting, the lock the waiter may still get is not ours: it releases
//    it and ends. Until then it is parked for the handle's next wait (ParkedWait). A
//    won lock moves to the handle by handing over that descriptor.
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "platform/kernel_lock.hpp"
#include "platform/posix/lock_call.hpp"
#include "platform/posix/syscall.hpp"
#include "platform/threads.hpp"

namespace filelock::platform {

namespace {

// Whether a blocked flock() is left by asynchronous cancellation. FL_FLOCK_WAIT_PARKS
// selects parking on Linux too, so the test suite exercises the macOS way there.
#if defined(__linux__) && !defined(FL_FLOCK_WAIT_PARKS)
constexpr bool kFlockWaitCancels = true;
#else
constexpr bool kFlockWaitCancels = false;
#endif

// Shared by the caller (or a ParkedWait) and the waiter thread; whoever lets go last
// frees it. After a successful wait the caller detaches the thread instead of joining
// it, so the handoff does not wait for the thread to finish exiting.
struct Waiter {
  enum State { waiting, acquired, failed, abandoned, ended };
  NativeFile fd;
  bool own_fd;  // parked kind: a descriptor of its own, closed unless handed over
  KernelLockKind kind;
  LockMode mode;
  std::shared_ptr<Wakeup> wakeup;
  uint64_t dev = 0, ino = 0;  // the file own_fd has open
  std::atomic<int> state{waiting};
  int err = 0;
  std::atomic<int> refs{2};
};

void release(Waiter *w) {
  if (w->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete w;
}

FL_NO_STACK_REDZONES void *waiter_main(void *arg) {
  auto *w = static_cast<Waiter *>(arg);
  int rc;
  int ignored;
  do {
    // The table first, while cancellation is deferred (see lock_call_unchecked).
    rc = syscalls::enter(Syscall::lock);
    if (rc != 0) break;
    if (!w->own_fd) ::pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &ignored);
    rc = lock_call_unchecked(w->fd, w->kind, w->mode, true);
    if (!w->own_fd) ::pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &ignored);
  } while (rc == EINTR);
  // From here on the result must be reported, not cut short by a late cancel.
  ::pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &ignored);
  std::shared_ptr<Wakeup> wakeup = w->wakeup;  // outlives the handle if it is closed first
  w->err = rc;
  while (true) {
    int state = w->state.load(std::memory_order_acquire);
    if (state == Waiter::waiting) {
      if (!w->state.compare_exchange_weak(state, rc == 0 ? Waiter::acquired : Waiter::failed,
                                          std::memory_order_acq_rel))
        continue;
      wakeup->signal();
      break;
    }
    // Abandoned: no one wants this lock now. Ending here races with a wait that takes
    // the waiter over (abandoned -> waiting); the exchange decides.
    if (!w->state.compare_exchange_weak(state, Waiter::ended, std::memory_order_acq_rel))
      continue;
    if (rc == 0) static_cast<void>(kernel_unlock(w->fd, w->kind));
    close(w->fd);
    break;
  }
  release(w);
  helper_thread_ending();
  return nullptr;
}

// A descriptor of its own for a parking waiter, opened like the handle's `file` (same
// access, so a won lock can be handed over) in `out`; kInvalidFile when the path names
// another file than `id` (the handle's) now: gone, or a LOCKDIR lock's directory since.
OsError open_own(NativeFile file, const std::string &path, const FileInfo &id, NativeFile &out) {
  out = kInvalidFile;
  const int flags = injected(Syscall::fcntl) ? -1 : ::fcntl(file, F_GETFL);
  if (flags < 0) return OsError{errno, 0, "lock (open a descriptor to wait on)"};
  const int fd = injected(Syscall::open)
                     ? -1
                     : ::open(path.c_str(), (flags & O_ACCMODE) | O_NOFOLLOW | O_CLOEXEC |
                                                O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT || errno == EISDIR) return OsError{};
    return OsError{errno, 0, "lock (open a descriptor to wait on)"};
  }
  FileInfo own;
  if (const OsError e = info(fd, own)) {
    close(fd);
    return OsError{e.err, 0, "lock (stat a descriptor to wait on)"};
  }
  if (own != id) {
    close(fd);
    return OsError{};
  }
  // Only O_NONBLOCK was set: it kept a FIFO from hanging us.
  if ((injected(Syscall::fcntl) ? -1 : ::fcntl(fd, F_SETFL, 0)) != 0) {
    const int err = errno;
    close(fd);
    return OsError{err, 0, "lock (open a descriptor to wait on)"};
  }
  out = fd;
  return OsError{};
}

// Lets go of a parked waiter: it ends by itself once its lock call returns.
void abandon(Waiter *w) {
  int state = Waiter::waiting;
  w->state.compare_exchange_strong(state, Waiter::abandoned, std::memory_order_acq_rel);
  release(w);
}

// The parked waiter if it waits for this mode on this file and can be taken over;
// `parked` is left empty either way.
Waiter *take_parked(ParkedWait &parked, LockMode mode, const FileInfo &id) {
  auto *w = static_cast<Waiter *>(parked.waiter);
  if (w == nullptr) return nullptr;
  parked.waiter = nullptr;
  int state = Waiter::abandoned;
  if (w->mode == mode && w->dev == id.dev && w->ino == id.ino &&
      w->state.compare_exchange_strong(state, Waiter::waiting, std::memory_order_acq_rel))
    return w;
  abandon(w);  // ended already, or of no use to this wait
  return nullptr;
}

OsError start_waiter(Waiter *w, pthread_t &thread) {
  pthread_attr_t attr;
  ::pthread_attr_init(&attr);
  ::pthread_attr_setstacksize(&attr, 64 * 1024);  // it only makes one system call
  helper_thread_starting();
  const int rc = ::pthread_create(&thread, &attr, waiter_main, w);
  ::pthread_attr_destroy(&attr);
  if (rc == 0) return OsError{};
  helper_thread_ending();
  if (w->own_fd) close(w->fd);
  delete w;
  return OsError{rc, 0, "lock (start waiter thread)"};
}

// After a wait that stopped early: the lock may be ours all the same (the waiter won
// just before it was stopped, or the holder let go meanwhile): one non-blocking try
// tells. A timed-out wait keeps it (it came within the wait); a canceled one lets go.
OsError settle(NativeFile file, KernelLockKind kind, LockMode mode, WaitOutcome &outcome) {
  bool held = false;
  if (const OsError e = kernel_try_lock(file, kind, mode, held)) return e;
  if (!held) return OsError{};
  if (outcome == WaitOutcome::timed_out) {
    outcome = WaitOutcome::acquired;
    return OsError{};
  }
  return kernel_unlock(file, kind);
}

}  // namespace

ParkedWait::~ParkedWait() {
  if (waiter != nullptr) abandon(static_cast<Waiter *>(waiter));
}

OsError kernel_wait_lock(NativeFile &file, KernelLockKind kind, LockMode mode, bool forever,
                         std::chrono::steady_clock::time_point deadline,
                         const std::shared_ptr<Wakeup> &wakeup, const std::atomic<bool> &cancel,
                         const std::string &path, ParkedWait *parked, WaitOutcome &outcome) {
  const bool parks = kind == KernelLockKind::flock && !kFlockWaitCancels;
  Waiter *w = nullptr;
  pthread_t thread{};
  if (parks) {
    FileInfo id;
    if (const OsError e = info(file, id)) return OsError{e.err, 0, "lock (stat lock file)"};
    w = take_parked(*parked, mode, id);
    if (w == nullptr) {
      NativeFile own;
      if (const OsError e = open_own(file, path, id, own)) return e;
      if (own == kInvalidFile) {
        outcome = WaitOutcome::replaced;
        return OsError{};
      }
      w = new Waiter{own, true, kind, mode, wakeup};
      w->dev = id.dev;
      w->ino = id.ino;
      if (const OsError e = start_waiter(w, thread)) return e;
      ::pthread_detach(thread);  // never joined: it may outlive this wait
    }
  } else {
    w = new Waiter{file, false, kind, mode, wakeup};
    if (const OsError e = start_waiter(w, thread)) return e;
  }

  outcome = WaitOutcome::acquired;
  while (w->state.load(std::memory_order_acquire) == Waiter::waiting) {
    if (cancel.load()) {  // seq_cst: pairs with cancel()'s store-then-load of the wake-up
      outcome = WaitOutcome::canceled;
      break;
    }
    if (!wakeup->wait_until(forever, deadline) && !forever) {
      outcome = WaitOutcome::timed_out;
      break;
    }
  }

  if (parks) {
    int state = Waiter::waiting;
    if (outcome != WaitOutcome::acquired &&
        w->state.compare_exchange_strong(state, Waiter::abandoned, std::memory_order_acq_rel)) {
      parked->waiter = w;  // emptied by take_parked above
      wakeup->drain();
      // The lock may be free by now: one non-blocking try on our own descriptor.
      return settle(file, kind, mode, outcome);
    }
    // The waiter finished: its result is ours, whatever stopped us meanwhile.
    state = w->state.load(std::memory_order_acquire);
    const int err = w->err;
    const NativeFile own = w->fd;
    release(w);
    if (state == Waiter::failed) {
      close(own);
      return OsError{err, 0, nullptr};
    }
    close(file);  // held no lock: the lock is on `own`, which takes its place
    file = own;
    outcome = WaitOutcome::acquired;
    return OsError{};
  }

  int state = w->state.load(std::memory_order_acquire);
  if (state != Waiter::waiting) {
    const int err = w->err;
    ::pthread_detach(thread);
    release(w);
    outcome = WaitOutcome::acquired;
    return state == Waiter::failed ? OsError{err, 0, nullptr} : OsError{};
  }
  ::pthread_cancel(thread);
  ::pthread_join(thread, nullptr);
  state = w->state.load(std::memory_order_acquire);
  // Cancelled inside its lock call, the thread never reached its own count down (past
  // that call it cannot be cancelled, and it reports a state).
  if (state == Waiter::waiting) helper_thread_ending();
  const int err = w->err;
  delete w;  // the thread is gone; it let go of its share only if it finished
  wakeup->drain();
  if (state == Waiter::failed) return OsError{err, 0, nullptr};
  if (state == Waiter::acquired) {
    outcome = WaitOutcome::acquired;
    return OsError{};
  }
  // A waiter cancelled right after its call returned leaves the lock on our descriptor;
  // the retry tells (it is a no-op for a lock we already own).
  return settle(file, kind, mode, outcome);
}

}  // namespace filelock::platform
