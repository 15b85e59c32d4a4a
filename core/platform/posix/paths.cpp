#include "platform/paths.hpp"

#include <climits>
#include <cstdlib>

#include "common/error.hpp"

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

std::string absolute_path(const std::string &path) {
  const std::string dir = dir_name(path);
  char buf[PATH_MAX];
  if (::realpath(dir.c_str(), buf) == nullptr) throw_os_error("resolve directory", dir, errno);
  std::string out(buf);
  if (out != "/") out += '/';
  return out + base_name(path);
}

}  // namespace filelock::platform
