// What every backend's lock() checks and says the same way (WaitLoop, wait_loop.hpp, for
// kernel_file_lock, posix_lock and name_lock; and legacy_record's wait): the refusals
// before a wait and the errors that end one, in one wording.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "common/lock_mode.hpp"

namespace filelock {

class CancelToken;
struct InodeEntry;
struct HolderSlot;

namespace wait_rules {

[[noreturn]] void already_held(const std::string &path);
// Starts a lock() call's cancellation (wait_loop.hpp): forgets a token trigger an
// earlier call left in `cancel`; a cancel() request that came before this call ends it
// (and is consumed by it), and so does `token` (may be null) if already triggered.
void take_early_cancel(std::atomic<bool> &cancel, std::atomic<bool> &request,
                       const CancelToken *token, const std::string &path);
// Waiting forever for a lock this thread holds through another handle would never end.
void refuse_self_deadlock(const InodeEntry &entry, const HolderSlot *self, LockMode mode,
                          const std::string &path);
// The wait was canceled: the request (if any) is consumed.
[[noreturn]] void canceled(std::atomic<bool> &cancel, std::atomic<bool> &request,
                           const std::string &path);
// `still`: what holds it, e.g. "the lock is still held".
[[noreturn]] void timed_out(const std::string &path, int64_t timeout_ms, const std::string &still);
[[noreturn]] void busy(const std::string &path, const std::string &reason);

}  // namespace wait_rules
}  // namespace filelock
