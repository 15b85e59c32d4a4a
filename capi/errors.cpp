// Status text, the per-thread last error, version, and the one deallocator.
#include <cstdlib>
#include <cstring>

#include "guard.hpp"

namespace filelock::capi {

namespace {
thread_local std::string last_error_message;
thread_local std::string last_error_path;
thread_local int last_os_error = 0;
}

static_assert(FL_OK == static_cast<int>(Status::ok));
static_assert(FL_EINVAL == static_cast<int>(Status::invalid));
static_assert(FL_ENOMEM == static_cast<int>(Status::no_memory));
static_assert(FL_EIO == static_cast<int>(Status::io));
static_assert(FL_EPERM == static_cast<int>(Status::permission));
static_assert(FL_ENOTFOUND == static_cast<int>(Status::not_found));
static_assert(FL_EBUSY == static_cast<int>(Status::busy));
static_assert(FL_ETIMEOUT == static_cast<int>(Status::timeout));
static_assert(FL_EALREADY == static_cast<int>(Status::already));
static_assert(FL_ENOTLOCKED == static_cast<int>(Status::not_locked));
static_assert(FL_EDEADLK == static_cast<int>(Status::deadlock));
static_assert(FL_ECANCELED == static_cast<int>(Status::canceled));
static_assert(FL_EUNSUPPORTED == static_cast<int>(Status::unsupported));
static_assert(FL_ECORRUPT == static_cast<int>(Status::corrupt));
static_assert(FL_EVALIDATION == static_cast<int>(Status::validation));
static_assert(FL_ECONFLICT == static_cast<int>(Status::conflict));
static_assert(FL_ERANGE == static_cast<int>(Status::range));
static_assert(FL_ENOSPC == static_cast<int>(Status::no_space));

void set_last_error(int code, std::string message, const std::string &path,
                    int os_error) noexcept {
  (void)code;
  last_os_error = os_error;
  try {
    last_error_message = std::move(message);
    last_error_path = path;
  } catch (...) {
    last_error_message.clear();  // out of memory: an empty message beats none
    last_error_path.clear();
  }
}

void clear_last_error() noexcept {
  last_error_message.clear();
  last_error_path.clear();
  last_os_error = 0;
}

void require(const void *p, const char *op, const char *what) {
  if (p == nullptr) throw Error(Status::invalid, std::string(op) + ": " + what + " is NULL");
}

char *dup_string(const std::string &s) {
  char *out = static_cast<char *>(std::malloc(s.size() + 1));
  if (out == nullptr) throw std::bad_alloc();
  std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

}  // namespace filelock::capi

extern "C" {

FL_API const char *fl_version(void) { return FILELOCK_VERSION_STRING; }

FL_API int fl_version_number(void) { return FILELOCK_VERSION_NUMBER; }

FL_API int fl_check_version(int built_against) {
  const int major = built_against / 10000;
  if (major == FILELOCK_VERSION_MAJOR && built_against <= FILELOCK_VERSION_NUMBER) return FL_OK;
  filelock::capi::set_last_error(
      FL_EUNSUPPORTED, "check version: built against filelock " +
                           std::to_string(major) + "." + std::to_string(built_against / 100 % 100) +
                           "." + std::to_string(built_against % 100) + " but loaded " +
                           FILELOCK_VERSION_STRING);
  return FL_EUNSUPPORTED;
}

FL_API const char *fl_strerror(int code) {
  switch (code) {
    case FL_OK: return "success";
    case FL_EINVAL: return "invalid argument";
    case FL_ENOMEM: return "out of memory";
    case FL_EIO: return "input/output error";
    case FL_EPERM: return "permission denied";
    case FL_ENOTFOUND: return "not found";
    case FL_EBUSY: return "lock is held";
    case FL_ETIMEOUT: return "timed out";
    case FL_EALREADY: return "handle already holds a lock";
    case FL_ENOTLOCKED: return "handle holds no lock";
    case FL_EDEADLK: return "would deadlock";
    case FL_ECANCELED: return "canceled";
    case FL_EUNSUPPORTED: return "not supported";
    case FL_ECORRUPT: return "data is corrupt";
    case FL_EVALIDATION: return "validation failed";
    case FL_ECONFLICT: return "generation conflict";
    case FL_ERANGE: return "value out of range";
    case FL_ENOSPC: return "no space left";
    default: return "unknown error";
  }
}

FL_API const char *fl_last_error(void) { return filelock::capi::last_error_message.c_str(); }

FL_API int fl_last_os_error(void) { return filelock::capi::last_os_error; }

FL_API const char *fl_last_error_path(void) { return filelock::capi::last_error_path.c_str(); }

FL_API void fl_free(void *p) { std::free(p); }

}  // extern "C"
