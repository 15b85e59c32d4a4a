// How many threads this process runs, for deadlock detection: a lock this thread holds
// through one handle can be released by any thread that can reach the handle (a pool
// thread takes it for a task, the event loop releases it), so waiting forever for it is
// a deadlock only when no other thread exists.
#pragma once

namespace filelock::platform {

// True only when the system shows the calling thread to be the process's only thread,
// not counting the library's own helpers. False when there are others, and when it
// cannot be told.
bool only_thread() noexcept;

// The library's own helper threads (lock waiters) never release a lock, so they are no
// reason to wait: each is counted from before it starts until its last step.
void helper_thread_starting() noexcept;
void helper_thread_ending() noexcept;

// Every thread of the process, as the system counts them; -1 when it cannot be told.
// Each OS has its own.
int thread_count() noexcept;

}  // namespace filelock::platform
