// The OS lock calls the lock and wait halves of posix/ share (kernel_lock.cpp,
// kernel_wait.cpp): internal to the POSIX platform layer.
#pragma once

#include "common/lock_mode.hpp"
#include "platform/file.hpp"
#include "platform/kernel_lock.hpp"

namespace filelock::platform {

// A cancelled waiter thread leaves its frames by forced unwinding, which AddressSanitizer
// does not see: the frames it would un-poison on return stay poisoned and the thread's
// exit then trips over them. The functions on that path keep no redzones.
#if defined(__GNUC__)
#define FL_NO_STACK_REDZONES __attribute__((no_sanitize("address")))
#else
#define FL_NO_STACK_REDZONES
#endif

// One lock call on the whole file, through the system-call table: 0 or an errno;
// `wait` selects the blocking form.
FL_NO_STACK_REDZONES int lock_call(NativeFile fd, KernelLockKind kind, LockMode mode, bool wait);
// The same call without the table's check, for a waiter thread that asks the table
// first (syscalls::enter) and only then lets itself be cancelled asynchronously: the
// forced unwind out of the blocked call must meet no frame holding the check's inlined
// noexcept code, which turns the unwind into std::terminate (seen under ThreadSanitizer).
FL_NO_STACK_REDZONES int lock_call_unchecked(NativeFile fd, KernelLockKind kind, LockMode mode, bool wait);

}  // namespace filelock::platform
