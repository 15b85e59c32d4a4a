// How many threads this process runs, for deadlock detection: a lock this thread holds
// through one handle can be released by any thread that can reach the handle (a pool
// thread takes it for a task, the event loop releases it), so waiting forever for it is
// a deadlock only when no other thread exists.
#pragma once

namespace filelock::platform {

// True only when the system shows the calling thread to be the process's only thread.
// False when there are others, and when it cannot be told.
bool only_thread() noexcept;

}  // namespace filelock::platform
