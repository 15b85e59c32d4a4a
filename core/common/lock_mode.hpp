// The two ways to hold a lock. Here, below platform/, because the OS lock calls take it.
#pragma once

namespace filelock {

enum class LockMode { exclusive = 1, shared = 2 };

}  // namespace filelock
