// C API for locks: fl_handle wraps one filelock::Lock.
#include <memory>
#include <string>

#include "etcd/etcd_url.hpp"
#include "guard.hpp"
#include "lock/lock.hpp"
#include "lock/wait_rules.hpp"
#include "io/lock_io.hpp"
#include "wait_opts.hpp"

struct fl_handle {
  std::unique_ptr<filelock::Lock> lock;
};

namespace filelock::capi {

// Fields beyond the caller's `size` keep their defaults (an older caller's struct is shorter).
#define FL_HAS_FIELD(opts, field) \
  ((opts)->size >= offsetof(fl_lock_options, field) + sizeof((opts)->field))

namespace {

// The etcd_* fields (since 1.4): checked here, merged with the name's settings when an
// etcd:// target is built (core/etcd/etcd_url.cpp).
void read_etcd_settings(const fl_lock_options *opts, const char *op, LockOptions::Etcd &out) {
  auto duration = [&](int64_t value, const char *field, int64_t &to) {
    if (value < 0) throw Error(Status::invalid, std::string(op) + ": " + field + " must be >= 0 (0: not set)");
    to = value;
  };
  auto text = [&](const char *value, const char *field, std::string &to) {
    if (value == nullptr) return;
    if (*value == '\0') throw Error(Status::invalid, std::string(op) + ": " + field + " is empty (NULL: not set)");
    to = value;
  };
  if (FL_HAS_FIELD(opts, etcd_ttl_ms)) {
    duration(opts->etcd_ttl_ms, "etcd_ttl_ms", out.ttl_ms);
    if (out.ttl_ms % 1000 != 0)
      throw Error(Status::invalid, std::string(op) + ": etcd_ttl_ms " + std::to_string(out.ttl_ms) +
                                       " is not a whole number of seconds (etcd's leases count seconds)");
  }
  if (FL_HAS_FIELD(opts, etcd_dial_timeout_ms))
    duration(opts->etcd_dial_timeout_ms, "etcd_dial_timeout_ms", out.dial_timeout_ms);
  if (FL_HAS_FIELD(opts, etcd_request_timeout_ms))
    duration(opts->etcd_request_timeout_ms, "etcd_request_timeout_ms", out.request_timeout_ms);
  if (FL_HAS_FIELD(opts, etcd_tls_ca)) text(opts->etcd_tls_ca, "etcd_tls_ca", out.tls_ca);
  if (FL_HAS_FIELD(opts, etcd_tls_cert)) text(opts->etcd_tls_cert, "etcd_tls_cert", out.tls_cert);
  if (FL_HAS_FIELD(opts, etcd_tls_key)) text(opts->etcd_tls_key, "etcd_tls_key", out.tls_key);
  if (FL_HAS_FIELD(opts, etcd_user)) text(opts->etcd_user, "etcd_user", out.user);
  if (FL_HAS_FIELD(opts, etcd_password_file))
    text(opts->etcd_password_file, "etcd_password_file", out.password_file);
}

}  // namespace

LockOptions to_lock_options(const fl_lock_options *opts, const char *op) {
  LockOptions out;
  if (opts == nullptr) return out;
  if (opts->size < offsetof(fl_lock_options, backend) + sizeof opts->backend)
    throw Error(Status::invalid, std::string(op) +
                                     ": fl_lock_options.size is not set; call fl_lock_options_init");
  if (opts->backend < FL_BACKEND_AUTO || opts->backend > FL_BACKEND_WINDOWS)
    throw Error(Status::invalid, std::string(op) + ": unknown backend " + std::to_string(opts->backend));
  out.backend = static_cast<Backend>(opts->backend);
  if (FL_HAS_FIELD(opts, lock_dir) && opts->lock_dir != nullptr) {
    out.lock_dir = opts->lock_dir;
    if (out.lock_dir.empty()) throw Error(Status::invalid, std::string(op) + ": lock_dir is empty");
  }
  if (FL_HAS_FIELD(opts, sidecar)) out.sidecar = opts->sidecar != 0;
  if (FL_HAS_FIELD(opts, file_mode)) {
    if (opts->file_mode > 07777)
      throw Error(Status::invalid, std::string(op) + ": file_mode is not a permission mode");
    out.file_mode = opts->file_mode;
  }
  if (FL_HAS_FIELD(opts, owner) && opts->owner != nullptr) out.owner = opts->owner;
  if (FL_HAS_FIELD(opts, record_holder)) out.record_holder = opts->record_holder != 0;
  if (FL_HAS_FIELD(opts, retry_interval_ms)) {
    if (opts->retry_interval_ms <= 0)
      throw Error(Status::invalid, std::string(op) + ": retry_interval_ms must be > 0");
    out.retry_interval_ms = opts->retry_interval_ms;
  }
  if (FL_HAS_FIELD(opts, stale_after_ms)) {
    if (opts->stale_after_ms < 0)
      throw Error(Status::invalid, std::string(op) + ": stale_after_ms must be >= 0");
    out.stale_after_ms = opts->stale_after_ms;
  }
  read_etcd_settings(opts, op, out.etcd);
  return out;
}

void refuse_etcd_settings_for_file(const char *path, const LockOptions &options, const char *op) {
  if (path == nullptr || etcd::is_etcd_url(path)) return;
  if (const char *field = etcd::first_setting(options.etcd))
    throw_error(Status::invalid, op, path,
                std::string("option ") + field + " applies to etcd:// names only, and this is a file path");
}

}  // namespace filelock::capi

using filelock::Error;
using filelock::Status;
using filelock::capi::guard;
using filelock::capi::require;

extern "C" {

FL_API void fl_lock_options_init(fl_lock_options *opts) {
  if (opts == nullptr) return;
  *opts = fl_lock_options{};
  opts->size = sizeof(fl_lock_options);
  opts->backend = FL_BACKEND_AUTO;
  opts->lock_dir = nullptr;
  opts->sidecar = 1;
  opts->file_mode = 0644;
  opts->owner = nullptr;
  opts->record_holder = 1;
  opts->retry_interval_ms = 100;
  opts->stale_after_ms = 0;
  // The etcd_* settings stay 0 / NULL: not set.
}

FL_API int fl_open(fl_handle **out, const char *path, const fl_lock_options *opts) {
  return guard([&] {
    require(out, "open lock", "out");
    *out = nullptr;
    require(path, "open lock", "path");
    auto options = filelock::capi::to_lock_options(opts, "open lock");
    filelock::capi::refuse_etcd_settings_for_file(path, options, "open lock");
    auto handle = std::make_unique<fl_handle>();
    handle->lock = filelock::Lock::open(path, options);
    *out = handle.release();
  });
}

namespace {

void lock_checked(fl_handle *h, int mode, int64_t timeout_ms, filelock::CancelToken *token) {
  require(h, "lock", "handle");
  if (mode != FL_EXCLUSIVE && mode != FL_SHARED)
    throw Error(Status::invalid, "lock '" + h->lock->lock_path() + "': mode " +
                                     std::to_string(mode) + " is not FL_EXCLUSIVE or FL_SHARED");
  if (timeout_ms < FL_FOREVER)
    throw Error(Status::invalid, "lock '" + h->lock->lock_path() + "': timeout_ms " +
                                     std::to_string(timeout_ms) +
                                     " is not FL_NOWAIT, FL_FOREVER or positive");
  h->lock->lock(static_cast<filelock::LockMode>(mode), timeout_ms, token);
}

}  // namespace

FL_API int fl_lock(fl_handle *h, int mode, int64_t timeout_ms) {
  return guard([&] { lock_checked(h, mode, timeout_ms, nullptr); });
}

FL_API int fl_lock_with(fl_handle *h, int mode, const fl_wait_opts *wait) {
  return guard([&] {
    const auto w = filelock::capi::to_wait_opts(wait, "lock");
    lock_checked(h, mode, w.timeout_ms == FL_TIMEOUT_DEFAULT ? FL_FOREVER : w.timeout_ms, w.token);
  });
}

FL_API int fl_unlock(fl_handle *h) {
  return guard([&] {
    require(h, "unlock", "handle");
    h->lock->unlock();
  });
}

FL_API int fl_cancel(fl_handle *h) {
  return guard([&] {
    require(h, "cancel", "handle");
    h->lock->cancel();
  });
}

FL_API void fl_close(fl_handle *h) { delete h; }

FL_API int fl_is_locked(const fl_handle *h) { return h != nullptr && h->lock->locked() ? 1 : 0; }

FL_API const char *fl_lock_path(const fl_handle *h) {
  return h == nullptr ? nullptr : h->lock->lock_path().c_str();
}

FL_API int fl_lock_fd(const fl_handle *h) { return h == nullptr ? -1 : h->lock->inheritable_fd(); }

FL_API int fl_wait_fd(const fl_handle *h) { return h == nullptr ? -1 : h->lock->wait_fd(); }

FL_API int fl_fencing_token(const fl_handle *h, int64_t *token) {
  return guard([&] {
    require(h, "fencing token", "handle");
    require(token, "fencing token", "token");
    *token = h->lock->fencing_token();
  });
}

FL_API int fl_lock_lost(const fl_handle *h) { return h != nullptr && h->lock->lost() ? 1 : 0; }

FL_API int fl_lock_waited(fl_handle *h, int mode, int64_t timeout_ms, int wait_errno) {
  return guard([&] {
    require(h, "lock", "handle");
    const std::string &path = h->lock->lock_path();
    if (mode != FL_EXCLUSIVE && mode != FL_SHARED)
      throw Error(Status::invalid, "lock '" + path + "': mode " + std::to_string(mode) +
                                       " is not FL_EXCLUSIVE or FL_SHARED");
    if (wait_errno == FL_ETIMEOUT)
      filelock::wait_rules::timed_out(path, timeout_ms, "the lock is still held");
    if (wait_errno > 0)
      filelock::io::fail_kernel_lock(filelock::platform::KernelLockKind::flock, path,
                                     filelock::platform::OsError{wait_errno, 0, nullptr});
    if (wait_errno != 0)
      throw Error(Status::invalid, "lock '" + path + "': wait_errno " +
                                       std::to_string(wait_errno) +
                                       " is not 0, an errno value or FL_ETIMEOUT");
    if (!h->lock->lock_waited(static_cast<filelock::LockMode>(mode)))
      filelock::wait_rules::busy(path, "still held by a lock flock(2) does not show, or the lock "
                                       "file was replaced meanwhile: wait with fl_lock");
  });
}

}  // extern "C"
