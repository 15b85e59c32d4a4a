#include "lock/wait_rules.hpp"

#include "common/cancel_token.hpp"
#include "common/error.hpp"
#include "lock/inode_registry.hpp"
#include "platform/process.hpp"

namespace filelock::wait_rules {

void already_held(const std::string &path) {
  throw_error(Status::already, "lock", path, "this handle already holds the lock");
}

void take_early_cancel(std::atomic<bool> &cancel, std::atomic<bool> &request,
                       const CancelToken *token, const std::string &path) {
  // Cleared before the request is looked at: a cancel() setting both in between is seen
  // either here or, through `cancel`, by the wait.
  cancel.store(false);
  if (request.load() && request.exchange(false))
    throw_error(Status::canceled, "lock", path,
                "canceled (a cancel request came before the wait began)");
  if (token != nullptr && token->triggered())
    throw_error(Status::canceled, "lock", path,
                "canceled (the call's cancel token was triggered before it began)");
}

void refuse_self_deadlock(const InodeEntry &entry, const HolderSlot *self, LockMode mode,
                          const std::string &path) {
  if (InodeRegistry::instance().would_deadlock(entry, self, platform::current_thread_id(), mode))
    throw_error(Status::deadlock, "lock", path,
                "this thread already holds this lock through another handle; waiting "
                "forever would deadlock");
}

void canceled(std::atomic<bool> &cancel, std::atomic<bool> &request, const std::string &path) {
  request.store(false);
  cancel.store(false);
  throw_error(Status::canceled, "lock", path, "wait canceled");
}

void timed_out(const std::string &path, int64_t timeout_ms, const std::string &still) {
  throw_error(Status::timeout, "lock", path,
              "timed out after " + std::to_string(timeout_ms) + " ms; " + still);
}

void busy(const std::string &path, const std::string &reason) {
  throw_error(Status::busy, "lock", path, reason);
}

}  // namespace filelock::wait_rules
