// fl_cancel_token and fl_wait_opts for the calls that take them (lock_api.cpp,
// state_api.cpp).
#pragma once

#include <cstdint>

#include "common/cancel_token.hpp"
#include "filelock.h"

struct fl_cancel_token {
  filelock::CancelToken impl;
};

namespace filelock::capi {

struct WaitOpts {
  int64_t timeout_ms = FL_TIMEOUT_DEFAULT;
  CancelToken *token = nullptr;
};

// Checked: FL_EINVAL naming `op` for an unset size or a timeout below FL_TIMEOUT_DEFAULT.
WaitOpts to_wait_opts(const fl_wait_opts *opts, const char *op);

}  // namespace filelock::capi
