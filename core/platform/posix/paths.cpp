#include "platform/paths.hpp"

#include <climits>
#include <cstdlib>

#include "platform/posix/syscall.hpp"

namespace filelock::platform {

std::string dir_name(const std::string &path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_name(const std::string &path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string join_path(const std::string &dir, const std::string &name) {
  return dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
}

OsError absolute_path(const std::string &path, std::string &out) {
  const std::string dir = dir_name(path);
  char buf[PATH_MAX];
  if (injected(Syscall::realpath) || ::realpath(dir.c_str(), buf) == nullptr)
    return OsError{errno, 0, nullptr};
  out = buf;
  if (out != "/") out += '/';
  out += base_name(path);
  return OsError{};
}

}  // namespace filelock::platform
