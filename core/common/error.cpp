#include "common/error.hpp"

#include <cerrno>
#include <cstring>

namespace filelock {

Status status_from_errno(int err) noexcept {
  switch (err) {
    case EINVAL: case ENAMETOOLONG: case ENOTDIR: case EISDIR: case ELOOP:
      return Status::invalid;
    case ENOMEM:
      return Status::no_memory;
    case EACCES: case EPERM: case EROFS:
      return Status::permission;
    case ENOENT:
      return Status::not_found;
    case EWOULDBLOCK:
      return Status::busy;
    case ETIMEDOUT:
      return Status::timeout;
    case EDEADLK:
      return Status::deadlock;
    case ECANCELED:
      return Status::canceled;
    case ENOLCK: case EOPNOTSUPP: case ENOSYS:
      return Status::unsupported;
    case ENOSPC: case EFBIG: case EDQUOT:
      return Status::no_space;
    case ERANGE: case EOVERFLOW:
      return Status::range;
    default:
      return Status::io;
  }
}

std::string os_reason(int err) {
  char buf[256];
  // Portable strerror_r: the GNU variant may return a static string instead of filling buf.
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  const char *text = strerror_r(err, buf, sizeof buf);
#else
  const char *text = strerror_r(err, buf, sizeof buf) == 0 ? buf : "unknown error";
#endif
  return std::string(text) + " (errno " + std::to_string(err) + ")";
}

void throw_os_error(const char *op, const std::string &path, int err) {
  throw_os_error(status_from_errno(err), op, path, err);
}

void throw_os_error(Status status, const char *op, const std::string &path, int err) {
  throw_error(status, op, path, os_reason(err), err);
}

void throw_error(Status status, const char *op, const std::string &path,
                 const std::string &reason, int os_error) {
  throw Error(status, std::string(op) + " '" + path + "': " + reason, path, os_error);
}

}  // namespace filelock
