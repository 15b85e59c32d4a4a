#include "io/os_objects.hpp"

#include "io/file_io.hpp"
#include "platform/paths.hpp"

namespace filelock::io {

std::string absolute_path(const std::string &path) {
  std::string out;
  if (const platform::OsError e = platform::absolute_path(path, out))
    fail("resolve directory", platform::dir_name(path), e);
  return out;
}

void check_wakeup(const platform::Wakeup &wakeup, const std::string &path) {
  if (const platform::OsError e = wakeup.error()) fail("create wake-up event", path, e);
}

}  // namespace filelock::io
