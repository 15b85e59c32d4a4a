// Errors inside the engine: one exception type carrying a stable status and a full
// message ("lock '/srv/x/state.json.lock': Resource temporarily unavailable (errno 11)").
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace filelock {

// Values are part of the public contract (the C API returns them unchanged).
enum class Status : int {
  ok = 0,
  invalid = -1,
  no_memory = -2,
  io = -3,
  permission = -4,
  not_found = -5,
  busy = -6,
  timeout = -7,
  already = -8,
  not_locked = -9,
  deadlock = -10,
  canceled = -11,
  unsupported = -12,
  corrupt = -13,
  validation = -14,
  conflict = -15,
  range = -16,
  no_space = -17,
};

// Besides the status and message, an error keeps what bindings turn into their own
// error types: the path it is about and the OS error number behind it (0: none).
class Error : public std::runtime_error {
 public:
  Error(Status status, const std::string &message, std::string path = {}, int os_error = 0)
      : std::runtime_error(message), status_(status), path_(std::move(path)),
        os_error_(os_error) {}
  Status status() const noexcept { return status_; }
  const std::string &path() const noexcept { return path_; }
  int os_error() const noexcept { return os_error_; }  // an errno value

 private:
  Status status_;
  std::string path_;
  int os_error_;
};

// The status an OS error number stands for (EACCES -> permission, ENOSPC -> no_space...).
Status status_from_errno(int err) noexcept;

// "<strerror> (errno N)": the OS's reason as every message spells it.
std::string os_reason(int err);

// "<op> '<path>': <strerror> (errno N)", with the status that errno maps to.
[[noreturn]] void throw_os_error(const char *op, const std::string &path, int err);
[[noreturn]] void throw_os_error(Status status, const char *op, const std::string &path, int err);

// "<op> '<path>': <reason>"; os_error: the errno value behind it, if any.
[[noreturn]] void throw_error(Status status, const char *op, const std::string &path,
                              const std::string &reason, int os_error = 0);

}  // namespace filelock
