// Appending one JSON value as one line to a JSONL file shared by processes.
#pragma once

#include <string>
#include <string_view>

#include "lock/lock.hpp"

namespace filelock::state {

// Under the file's exclusive lock, one write() of the compact value and "\n": the line
// lands whole or the file is cut back to its old size. `durable`: fsync before
// returning (and the directory when the file was created). Waits for the lock as
// timeout_ms says (kForever by default), and until `token` (may be null) is triggered.
// Throws Error.
void append_line(const std::string &path, std::string_view json, const LockOptions &lock,
                 bool durable, int64_t timeout_ms = kForever, CancelToken *token = nullptr);

}  // namespace filelock::state
