// fs_ops.hpp's list_dir, on every OS: the names fs::list_dir reports, or the Error.
#include "platform/fs_io.hpp"
#include "platform/fs_ops.hpp"

namespace filelock::platform {

std::vector<std::string> list_dir(const std::string &dir) {
  std::vector<std::string> names;
  if (const fs::OsError e = fs::list_dir(dir, [&](std::string_view name) { names.emplace_back(name); }))
    fs::fail("list directory", dir, e);
  return names;
}

}  // namespace filelock::platform
