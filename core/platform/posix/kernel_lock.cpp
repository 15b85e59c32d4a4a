// flock / OFD / POSIX locks, and waiting for them without polling.
//
// Waiting: a blocking flock()/F_OFD_SETLKW is the only way to be woken by the kernel the
// moment the holder releases, but it cannot take a deadline and must not be interrupted
// by a signal handler of ours (Python, Go and .NET own their signals). So the blocking
// call runs in a short-lived waiter thread on the handle's own descriptor, with
// asynchronous cancellation enabled only around that one system call; the caller sleeps
// on its Wakeup with the deadline. To stop a wait, the caller cancels the waiter
// (pthread_cancel uses glibc's reserved signal, not a handler of ours), joins it, and
// asks the kernel once more without blocking: the waiter may have won just before it was
// cancelled, and with flock/OFD the lock then already belongs to our descriptor.
#include "platform/kernel_lock.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"

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

// Shared by the caller and the waiter thread; whoever lets go last frees it. After a
// successful wait the caller detaches the thread instead of joining it, so the handoff
// does not wait for the thread to finish exiting.
struct Waiter {
  NativeFile fd;
  KernelLockKind kind;
  LockMode mode;
  std::shared_ptr<Wakeup> wakeup;
  std::atomic<int> state{0};  // 0 waiting, 1 acquired, 2 failed (err)
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
    ::pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &ignored);
    rc = lock_call(w->fd, w->kind, w->mode, true);
    ::pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &ignored);
  } while (rc == EINTR);
  // From here on the result must be reported, not cut short by a late cancel.
  ::pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &ignored);
  std::shared_ptr<Wakeup> wakeup = w->wakeup;  // outlives the handle if it is closed first
  w->err = rc;
  w->state.store(rc == 0 ? 1 : 2, std::memory_order_release);
  wakeup->signal();
  release(w);
  return nullptr;
}

}  // namespace

[[noreturn]] void throw_kernel_lock_error(KernelLockKind kind, const std::string &path, int err) {
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

bool kernel_try_lock(NativeFile file, KernelLockKind kind, LockMode mode, const std::string &path) {
  int err;
  do {
    err = lock_call(file, kind, mode, false);
  } while (err == EINTR);
  if (err == 0) return true;
  if (err == EWOULDBLOCK || err == EAGAIN || err == EACCES) return false;
  throw_kernel_lock_error(kind, path, err);
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
  auto *w = new Waiter{file, kind, mode, wakeup};
  pthread_attr_t attr;
  ::pthread_attr_init(&attr);
  ::pthread_attr_setstacksize(&attr, 64 * 1024);  // it only makes one system call
  pthread_t thread;
  int rc = ::pthread_create(&thread, &attr, waiter_main, w);
  ::pthread_attr_destroy(&attr);
  if (rc != 0) {
    delete w;
    throw_os_error("lock (start waiter thread)", path, rc);
  }

  WaitOutcome outcome = WaitOutcome::acquired;
  while (w->state.load(std::memory_order_acquire) == 0) {
    if (cancel.load()) {  // seq_cst: pairs with cancel()'s store-then-load of the wake-up
      outcome = WaitOutcome::canceled;
      break;
    }
    if (!wakeup->wait_until(forever, deadline) && !forever) {
      outcome = WaitOutcome::timed_out;
      break;
    }
  }
  int state = w->state.load(std::memory_order_acquire);
  if (state != 0) {
    const int err = w->err;
    ::pthread_detach(thread);
    release(w);
    if (state == 2) throw_kernel_lock_error(kind, path, err);
    return WaitOutcome::acquired;
  }
  ::pthread_cancel(thread);
  ::pthread_join(thread, nullptr);
  state = w->state.load(std::memory_order_acquire);
  const int err = w->err;
  delete w;  // the thread is gone; it let go of its share only if it finished
  wakeup->drain();
  if (state == 2) throw_kernel_lock_error(kind, path, err);
  // A waiter cancelled right after its call returned leaves the lock on our descriptor;
  // a non-blocking retry tells (it is a no-op for a lock we already own).
  const bool held = state == 1 || kernel_try_lock(file, kind, mode, path);
  if (state == 1 || (held && outcome == WaitOutcome::timed_out)) return WaitOutcome::acquired;
  if (held) kernel_unlock(file, kind, path);
  return outcome;
}

}  // namespace filelock::platform
