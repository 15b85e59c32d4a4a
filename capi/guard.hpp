// The C boundary: every extern "C" function runs its body through guard(), so no C++
// exception ever crosses into C, and every failure leaves a code and a full message
// in this thread's last-error slot.
#pragma once

#include <new>
#include <string>
#include <utility>

#include "common/error.hpp"
#include "filelock.h"

namespace filelock::capi {

// path and os_error: what the failure was about and the errno behind it, if known.
void set_last_error(int code, std::string message, const std::string &path = {},
                    int os_error = 0) noexcept;
void clear_last_error() noexcept;

// Returns FL_OK or the failure's status; `fn` returns void or an int status.
template <typename Fn>
int guard(Fn &&fn) noexcept {
  try {
    if constexpr (std::is_same_v<decltype(fn()), void>) {
      fn();
      return FL_OK;
    } else {
      return fn();
    }
  } catch (const Error &e) {
    set_last_error(static_cast<int>(e.status()), e.what(), e.path(), e.os_error());
    return static_cast<int>(e.status());
  } catch (const std::bad_alloc &) {
    set_last_error(FL_ENOMEM, "out of memory");
    return FL_ENOMEM;
  } catch (const std::exception &e) {
    set_last_error(FL_EIO, std::string("internal error: ") + e.what());
    return FL_EIO;
  } catch (...) {
    set_last_error(FL_EIO, "internal error: unknown exception");
    return FL_EIO;
  }
}

// Fails with FL_EINVAL naming the operation when a required pointer is NULL.
void require(const void *p, const char *op, const char *what);

// A copy of s the caller frees with fl_free().
char *dup_string(const std::string &s);

}  // namespace filelock::capi
