// What the engine asks of the OS beside files: a path's directory resolved, a wake-up
// made. The platform's calls (platform/paths.hpp, wakeup.hpp) with their OS errors turned
// into Errors naming the operation, the path and the reason.
#pragma once

#include <string>

#include "platform/wakeup.hpp"

namespace filelock::io {

// platform::absolute_path; throws Error("resolve directory", the directory, reason).
std::string absolute_path(const std::string &path);

// Throws Error("create wake-up event", `path`, reason) if `wakeup` could not be made;
// `path` is the lock or state the wake-up serves.
void check_wakeup(const platform::Wakeup &wakeup, const std::string &path);

}  // namespace filelock::io
