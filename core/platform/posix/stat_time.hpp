// A stat's modification time in ms: Linux names the field st_mtim, macOS st_mtimespec.
#pragma once

#include <sys/stat.h>

#include <cstdint>

namespace filelock::platform {

inline int64_t stat_mtime_ms(const struct stat &st) {
#ifdef __APPLE__
  const struct timespec &t = st.st_mtimespec;
#else
  const struct timespec &t = st.st_mtim;
#endif
  return static_cast<int64_t>(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
}

}  // namespace filelock::platform
