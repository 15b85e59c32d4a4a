// C API for cancel tokens and per-call wait options.
#include <cerrno>
#include <cstddef>
#include <memory>
#include <string>

#include "guard.hpp"
#include "wait_opts.hpp"

namespace filelock::capi {

WaitOpts to_wait_opts(const fl_wait_opts *opts, const char *op) {
  WaitOpts out;
  if (opts == nullptr) return out;
  if (opts->size < offsetof(fl_wait_opts, timeout_ms) + sizeof opts->timeout_ms)
    throw Error(Status::invalid, std::string(op) + ": fl_wait_opts.size is not set; call fl_wait_opts_init");
  if (opts->timeout_ms < FL_TIMEOUT_DEFAULT)
    throw Error(Status::invalid, std::string(op) + ": timeout_ms " + std::to_string(opts->timeout_ms) +
                                     " is not FL_NOWAIT, FL_FOREVER, FL_TIMEOUT_DEFAULT or positive");
  out.timeout_ms = opts->timeout_ms;
  if (opts->size >= offsetof(fl_wait_opts, cancel) + sizeof opts->cancel && opts->cancel != nullptr)
    out.token = &opts->cancel->impl;
  return out;
}

}  // namespace filelock::capi

using filelock::capi::guard;
using filelock::capi::require;

extern "C" {

FL_API int fl_cancel_token_create(fl_cancel_token **out) {
  return guard([&] {
    require(out, "create cancel token", "out");
    *out = new fl_cancel_token;
  });
}

FL_API void fl_cancel_token_trigger(fl_cancel_token *token) {
  if (token == nullptr) return;
  const int saved = errno;  // a signal handler's caller must find errno as it was
  token->impl.trigger();
  errno = saved;
}

FL_API int fl_cancel_token_is_triggered(const fl_cancel_token *token) {
  return token != nullptr && token->impl.triggered() ? 1 : 0;
}

FL_API void fl_cancel_token_reset(fl_cancel_token *token) {
  if (token != nullptr) token->impl.reset();
}

FL_API void fl_cancel_token_free(fl_cancel_token *token) { delete token; }

FL_API void fl_wait_opts_init(fl_wait_opts *opts) {
  if (opts == nullptr) return;
  *opts = fl_wait_opts{};
  opts->size = sizeof(fl_wait_opts);
  opts->timeout_ms = FL_TIMEOUT_DEFAULT;
  opts->cancel = nullptr;
}

}  // extern "C"
