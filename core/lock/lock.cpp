// Lock::open: picks the backend for a path.
#include "lock/lock.hpp"

#include <cstdint>

#include "common/error.hpp"
#include "etcd/etcd.hpp"
#include "lock/kernel_file_lock.hpp"
#include "lock/lock_path.hpp"
#include "lock/name_lock.hpp"
#include "lock/posix_lock.hpp"

namespace filelock {

namespace {

// Length of the valid UTF-8 sequence at text[i] (1-4), or 0 if it is not one.
size_t utf8_sequence(const std::string &text, size_t i) noexcept {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp, min;
  if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; min = 0x80; }
  else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; min = 0x800; }
  else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; min = 0x10000; }
  else return 0;
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  // Overlong forms, UTF-16 surrogates and code points beyond Unicode are not UTF-8.
  if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 0;
  return n;
}

bool is_control(const std::string &text, size_t i, size_t n) noexcept {
  const auto c = static_cast<unsigned char>(text[i]);
  if (n == 1) return c < 0x20 || c == 0x7F;
  return n == 2 && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0;  // C1
}

}  // namespace

bool is_printable_utf8(const std::string &text) noexcept {
  for (size_t i = 0; i < text.size();) {
    const size_t n = utf8_sequence(text, i);
    if (n == 0 || is_control(text, i, n)) return false;
    i += n;
  }
  return true;
}

std::string to_printable_utf8(const std::string &text, bool drop_controls) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = utf8_sequence(text, i);
    if (n == 0 || (drop_controls && is_control(text, i, n))) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      i += n == 0 ? 1 : n;
    } else {
      out.append(text, i, n);
      i += n;
    }
  }
  return out;
}

bool Lock::lock_waited(LockMode) {
  throw_error(Status::invalid, "lock", lock_path(),
              "this lock's backend has no descriptor to wait on (fl_wait_fd returned -1)");
}

int64_t Lock::fencing_token() const {
  if (!locked()) throw_error(Status::not_locked, "fencing token", lock_path(), "this handle holds no lock");
  throw_error(Status::unsupported, "fencing token", lock_path(),
              "only etcd:// locks have one: a file lock cannot pass to another holder while it is held");
}

std::unique_ptr<Lock> Lock::open(const std::string &path, const LockOptions &requested) {
  if (etcd::is_etcd_url(path)) return etcd::open_lock(path, requested);
  LockOptions options = requested;
  // Without a sidecar the lock file is the user's own file: its bytes are theirs, so no
  // holder record is written into it.
  if (!options.sidecar) options.record_holder = false;
  std::string lock_path = resolve_lock_path(path, options);
  if (!is_printable_utf8(options.owner))
    throw_error(Status::invalid, "open lock", lock_path,
                "option 'owner' must be valid UTF-8 without control characters");
  switch (options.backend) {
    case Backend::windows:
      if (!platform::whole_file_lock_is_lockfileex())
        throw_error(Status::unsupported, "open lock", lock_path,
                    "the WINDOWS backend (LockFileEx) exists only on Windows; use AUTO");
      [[fallthrough]];
    case Backend::automatic:  // flock: the lock every other Linux/macOS tool speaks
    case Backend::flock:
      return std::make_unique<KernelFileLock>(std::move(lock_path), options,
                                              platform::KernelLockKind::flock);
    case Backend::ofd:
      return std::make_unique<KernelFileLock>(std::move(lock_path), options,
                                              platform::KernelLockKind::ofd);
    case Backend::posix:
      return std::make_unique<PosixLock>(std::move(lock_path), options);
    case Backend::lockfile:
      return std::make_unique<NameLock>(std::move(lock_path), options, false);
    case Backend::lockdir:
      return std::make_unique<NameLock>(std::move(lock_path), options, true);
    default:
      throw_error(Status::unsupported, "open lock", lock_path,
                  "this backend is not available on this platform");
  }
}

}  // namespace filelock
