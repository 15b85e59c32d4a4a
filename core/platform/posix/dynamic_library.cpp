#include "platform/dynamic_library.hpp"

#include <dlfcn.h>

namespace filelock::platform {

void *load_library(const char *name, std::string &error) {
  void *library = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char *reason = dlerror();
    error = reason != nullptr ? reason : "dlopen failed";
  }
  return library;
}

void *library_symbol(void *library, const char *symbol, std::string &error) {
  dlerror();
  void *address = dlsym(library, symbol);
  if (address == nullptr) {
    const char *reason = dlerror();
    error = std::string(symbol) + ": " + (reason != nullptr ? reason : "not found");
  }
  return address;
}

}  // namespace filelock::platform
