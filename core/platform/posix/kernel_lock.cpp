// flock / OFD / POSIX locks, and waiting for them without polling.
//
// Waiting: a blocking flock()/F_OFD_SETLKW is the only way to be woken by the kernel the
// moment the holder releases, but it cannot take a deadline and must not be interrupted
// by a signal handler of ours (Python, Go and .NET own their signals). So the blocking
// call runs in a waiter thread on the handle's own descriptor, with asynchronous
// cancellation enabled only around that one system call; the caller sleeps on its Wakeup
// with the deadline. The thread stays parked between the handle's waits, so a handoff
// costs the kernel's wake-up of the waiter and the waiter's wake-up of the caller, with
// no thread start or join. To stop a wait, the caller cancels the waiter (pthread_cancel
// uses glibc's reserved signal, not a handler of ours), joins it, and asks the kernel
// once more without blocking: the waiter may have won just before it was cancelled, and
// with flock/OFD the lock then already belongs to our descriptor.
#include "platform/kernel_lock.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "common/error.hpp"
#include "platform/process.hpp"

namespace filelock::platform {

namespace {

struct flock whole_file(short type) {
  struct flock fl = {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;  // to the end of the file, however it grows
  return fl;
}

// A cancelled waiter thread leaves its frames by forced unwinding, which AddressSanitizer
// does not see: the frames it would un-poison on return stay poisoned and the thread's
// exit then trips over them. The two functions on that path keep no redzones.
#if defined(__GNUC__)
#define FL_NO_STACK_REDZONES __attribute__((no_sanitize("address")))
#else
#define FL_NO_STACK_REDZONES
#endif

// 0 or an errno; `wait` selects the blocking form.
FL_NO_STACK_REDZONES int lock_call(NativeFile fd, KernelLockKind kind, LockMode mode, bool wait) {
  int rc;
  switch (kind) {
    case KernelLockKind::flock:
      rc = ::flock(fd, (mode == LockMode::exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB));
      break;
    case KernelLockKind::ofd: {
      struct flock fl = whole_file(mode == LockMode::exclusive ? F_WRLCK : F_RDLCK);
      rc = ::fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
      break;
    }
    default: {
      struct flock fl = whole_file(mode == LockMode::exclusive ? F_WRLCK : F_RDLCK);
      rc = ::fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl);
      break;
    }
  }
  return rc == 0 ? 0 : errno;
}

const char *kind_name(KernelLockKind kind) {
  switch (kind) {
    case KernelLockKind::flock: return "flock";
    case KernelLockKind::ofd: return "OFD fcntl";
    default: return "POSIX fcntl";
  }
}

[[noreturn]] void throw_lock_error(KernelLockKind kind, const std::string &path, int err) {
  if (err == EBADF && kind != KernelLockKind::flock)
    throw_error(Status::permission, "lock", path,
                std::string(kind_name(kind)) +
                    " locks need the lock file open for writing, and it may only be read by "
                    "this user (Bad file descriptor, errno 9); flock locks work read-only");
  if (err == ENOLCK || err == EOPNOTSUPP || err == ENOSYS || err == EINVAL)
    throw_error(Status::unsupported, "lock", path,
                std::string(kind_name(kind)) + " locks are not supported on this filesystem (" +
                    strerrordesc_np(err) + ", errno " + std::to_string(err) +
                    "); use the LOCKFILE or LOCKDIR backend (FL_BACKEND_LOCKFILE/LOCKDIR)");
  throw_os_error("lock", path, err);
}

long futex(std::atomic<uint32_t> *word, int op, uint32_t value) {
  return ::syscall(SYS_futex, reinterpret_cast<uint32_t *>(word), op | FUTEX_PRIVATE_FLAG, value,
                   nullptr, nullptr, 0);
}

// One per handle (kept with its Wakeup), holding a waiter thread parked on a futex between
// waits, so a wait starts with one futex wake and a handoff ends with the waiter's report:
// no thread is created or joined on the way. The thread is stopped (cancelled if it is
// inside the lock call) when a wait times out or is cancelled, and when the handle closes;
// the next wait starts a new one. A forked child has no such thread: it starts afresh.
struct ParkedWaiter {
  pthread_t thread;
  uint64_t fork_generation;
  Wakeup *wakeup;                       // the owner's: lives until the thread is joined
  std::atomic<uint32_t> request{0};     // futex word, bumped for each request
  std::atomic<bool> exit{false};
  NativeFile fd = kInvalidFile;         // the current request
  KernelLockKind kind = KernelLockKind::flock;
  LockMode mode = LockMode::exclusive;
  std::atomic<int> state{0};            // 0 waiting, 1 acquired, 2 failed (err)
  int err = 0;

  void post() {
    request.fetch_add(1, std::memory_order_release);
    futex(&request, FUTEX_WAKE, 1);
  }
  // Ends the thread: cancelled out of a lock call it is blocked in, or woken to exit.
  void stop(bool cancel_call) {
    if (cancel_call) ::pthread_cancel(thread);
    exit.store(true, std::memory_order_release);
    post();
    ::pthread_join(thread, nullptr);
  }
};

FL_NO_STACK_REDZONES void *waiter_main(void *arg) {
  auto *w = static_cast<ParkedWaiter *>(arg);
  uint32_t served = 0;
  int ignored;
  while (true) {
    uint32_t seq;
    while ((seq = w->request.load(std::memory_order_acquire)) == served)
      futex(&w->request, FUTEX_WAIT, served);
    served = seq;
    if (w->exit.load(std::memory_order_acquire)) return nullptr;
    int rc;
    do {
      ::pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &ignored);
      rc = lock_call(w->fd, w->kind, w->mode, true);
      ::pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &ignored);
    } while (rc == EINTR);
    // The result must be reported, not cut short by a late cancel; a cancelled waiter is
    // told to exit before it could start another call.
    ::pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &ignored);
    w->err = rc;
    w->state.store(rc == 0 ? 1 : 2, std::memory_order_release);
    w->wakeup->signal();
    ::pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &ignored);
  }
}

void release_parked(void *p) noexcept {
  auto *w = static_cast<ParkedWaiter *>(p);
  // In a forked child the thread does not exist: nothing to stop.
  if (w->fork_generation == fork_generation()) w->stop(false);
  delete w;
}

// The handle's parked waiter, started if it has none (or only its parent's, after fork).
ParkedWaiter &parked_waiter(Wakeup &wakeup, const std::string &path) {
  auto *w = static_cast<ParkedWaiter *>(wakeup.parked().get());
  if (w != nullptr && w->fork_generation == fork_generation()) return *w;
  wakeup.parked().reset();
  auto fresh = std::make_unique<ParkedWaiter>();
  fresh->fork_generation = fork_generation();
  fresh->wakeup = &wakeup;
  pthread_attr_t attr;
  ::pthread_attr_init(&attr);
  ::pthread_attr_setstacksize(&attr, 64 * 1024);  // it only makes system calls
  int rc = ::pthread_create(&fresh->thread, &attr, waiter_main, fresh.get());
  ::pthread_attr_destroy(&attr);
  if (rc != 0) throw_os_error("lock (start waiter thread)", path, rc);
  w = fresh.release();
  wakeup.parked() = std::shared_ptr<void>(w, release_parked);
  return *w;
}

}  // namespace

bool kernel_try_lock(NativeFile file, KernelLockKind kind, LockMode mode, const std::string &path) {
  int err;
  do {
    err = lock_call(file, kind, mode, false);
  } while (err == EINTR);
  if (err == 0) return true;
  if (err == EWOULDBLOCK || err == EAGAIN || err == EACCES) return false;
  throw_lock_error(kind, path, err);
}

void kernel_unlock(NativeFile file, KernelLockKind kind, const std::string &path) {
  int rc;
  if (kind == KernelLockKind::flock) {
    rc = ::flock(file, LOCK_UN);
  } else {
    struct flock fl = whole_file(F_UNLCK);
    rc = ::fcntl(file, kind == KernelLockKind::ofd ? F_OFD_SETLK : F_SETLK, &fl);
  }
  if (rc != 0) throw_os_error("unlock", path, errno);
}

WaitOutcome kernel_wait_lock(NativeFile file, KernelLockKind kind, LockMode mode, bool forever,
                             std::chrono::steady_clock::time_point deadline,
                             const std::shared_ptr<Wakeup> &wakeup,
                             const std::atomic<bool> &cancel, const std::string &path) {
  ParkedWaiter &w = parked_waiter(*wakeup, path);
  w.fd = file;
  w.kind = kind;
  w.mode = mode;
  w.state.store(0, std::memory_order_relaxed);
  w.post();

  WaitOutcome outcome = WaitOutcome::acquired;
  while (w.state.load(std::memory_order_acquire) == 0) {
    if (cancel.load()) {  // seq_cst: pairs with cancel()'s store-then-load of the wake-up
      outcome = WaitOutcome::canceled;
      break;
    }
    if (!wakeup->wait_until(forever, deadline) && !forever) {
      outcome = WaitOutcome::timed_out;
      break;
    }
  }
  int state = w.state.load(std::memory_order_acquire);
  if (state != 0) {  // the thread stays parked for the next wait
    if (state == 2) throw_lock_error(kind, path, w.err);
    return WaitOutcome::acquired;
  }
  w.stop(true);
  state = w.state.load(std::memory_order_acquire);
  const int err = w.err;
  wakeup->parked().reset();  // the thread is gone; the next wait starts another
  wakeup->drain();
  if (state == 2) throw_lock_error(kind, path, err);
  // A waiter cancelled right after its call returned leaves the lock on our descriptor;
  // a non-blocking retry tells (it is a no-op for a lock we already own).
  const bool held = state == 1 || kernel_try_lock(file, kind, mode, path);
  if (state == 1 || (held && outcome == WaitOutcome::timed_out)) return WaitOutcome::acquired;
  if (held) kernel_unlock(file, kind, path);
  return outcome;
}

}  // namespace filelock::platform
