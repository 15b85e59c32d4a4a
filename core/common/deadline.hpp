// A wait's deadline from a timeout in milliseconds that callers may set as large as
// int64_t allows (Go's math.MaxInt64, .NET's TimeSpan.MaxValue): adding that to
// steady_clock::now() would overflow into the past and time out at once.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace filelock {

// A century: far beyond any wait, far inside steady_clock's range.
inline constexpr int64_t kLongestTimeoutMs = 100LL * 365 * 24 * 3600 * 1000;

inline std::chrono::steady_clock::time_point deadline_after(int64_t timeout_ms) {
  return std::chrono::steady_clock::now() +
         std::chrono::milliseconds(std::clamp<int64_t>(timeout_ms, 0, kLongestTimeoutMs));
}

}  // namespace filelock
