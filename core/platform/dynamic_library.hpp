// Loading a shared library at first use, so that a dependency only some callers need
// (libcurl, for etcd:// locks) is never mapped into processes that do not use it.
#pragma once

#include <string>

namespace filelock::platform {

// A handle from dlopen, or nullptr with the loader's reason in `error`. Never unloaded.
void *load_library(const char *name, std::string &error);
// The address of `symbol` in `library`, or nullptr with the reason in `error`.
void *library_symbol(void *library, const char *symbol, std::string &error);

}  // namespace filelock::platform
