// A cross-process, cross-thread lock on a path: the engine behind fl_handle.
// Implemented in core/lock/ on top of one platform backend (core/platform/).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/lock_mode.hpp"

namespace filelock {

class CancelToken;

enum class Backend { automatic = 0, flock = 1, ofd = 2, posix = 3, lockfile = 4, lockdir = 5,
                     windows = 6 };

struct LockOptions {
  Backend backend = Backend::automatic;
  std::string lock_dir;          // empty: lock file beside the path
  bool sidecar = true;           // false: lock the path itself
  unsigned file_mode = 0644;
  std::string owner;             // label recorded with the holder
  bool record_holder = true;
  int32_t retry_interval_ms = 100;
  int64_t stale_after_ms = 0;    // 0: never break another host's lock by age
  // etcd:// names only: connection settings given as options rather than in the name's
  // query (core/etcd/etcd_url.cpp merges the two). 0 / empty: not set.
  struct Etcd {
    int64_t ttl_ms = 0, dial_timeout_ms = 0, request_timeout_ms = 0;
    std::string tls_ca, tls_cert, tls_key, user, password_file;
  } etcd;
};

// timeout_ms: 0 tries once (Status::busy), < 0 waits forever, > 0 waits that long.
inline constexpr int64_t kNoWait = 0;
inline constexpr int64_t kForever = -1;

// Owner labels end up in JSON documents and on terminals: they must be valid UTF-8
// without control characters.
bool is_printable_utf8(const std::string &text) noexcept;
// `text` with each byte that is not part of valid UTF-8 (and, if drop_controls, each
// control character) replaced by U+FFFD: for bytes read from files anyone could write.
std::string to_printable_utf8(const std::string &text, bool drop_controls);

class Lock {
 public:
  // Opens (creating if needed) the lock file for `path`; does not lock. Throws Error.
  static std::unique_ptr<Lock> open(const std::string &path, const LockOptions &options);
  virtual ~Lock() = default;  // releases the lock if held

  // Throws Error: busy, timeout, already, deadlock, canceled, io... `token` (may be
  // null) ends this call's wait when triggered (canceled), and only this call's.
  virtual void lock(LockMode mode, int64_t timeout_ms, CancelToken *token = nullptr) = 0;
  virtual void unlock() = 0;  // throws Error(not_locked) when nothing is held
  // Thread-safe. Ends a wait in progress (canceled); if none, the next lock() is canceled.
  virtual void cancel() noexcept = 0;
  // Forgets a cancel request no lock() has consumed (another wait sharing the request,
  // a state's change wait, consumed it).
  virtual void clear_cancel() noexcept = 0;
  virtual bool locked() const noexcept = 0;
  virtual const std::string &lock_path() const noexcept = 0;
  // While held: a descriptor that carries the lock into a child process that inherits
  // it (kernel locks owned by the open file), or -1 where no descriptor does.
  virtual int inheritable_fd() const noexcept { return -1; }

  // A wait made by the caller's own blocking flock(2) (fl_wait_fd, for runtimes whose
  // threads of execution block in system calls cheaply, such as Go's goroutines): the
  // descriptor to block on, or -1 where this lock is not a flock on a descriptor (the
  // POSIX and lock-file backends, Windows) or is held.
  virtual int wait_fd() const noexcept { return -1; }
  // Ends such a wait after flock(wait_fd(), mode) returned 0: completes the lock as
  // lock() would (the OFD lock on top, the file's identity, a legacy lock, the holder
  // record) and returns true; or lets go of everything and returns false when something
  // flock does not show still holds it (then wait with lock()). Throws Error.
  virtual bool lock_waited(LockMode mode);

  // A lock held through a lease (etcd) can be lost while held, when the lease expires
  // (the holder paused or cut off for its TTL). fencing_token(): while held, a number
  // that grows with every acquisition, for a store to refuse writes from an older
  // holder; Error(not_locked) when nothing is held, Error(unsupported) for a kernel or
  // lock-file lock, which nobody else can take while it is held. lost(): the lease
  // is known to have expired while held (unlock() will report it).
  virtual int64_t fencing_token() const;
  virtual bool lost() const noexcept { return false; }
};

}  // namespace filelock
