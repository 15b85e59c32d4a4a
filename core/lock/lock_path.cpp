#include "lock/lock_path.hpp"

#include <cstdint>
#include <cstdio>

#include "common/error.hpp"
#include "io/lock_io.hpp"
#include "io/os_objects.hpp"
#include "platform/file.hpp"
#include "platform/paths.hpp"

namespace filelock {

namespace {

uint64_t fnv1a64(const std::string &s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string escape_name(const std::string &name) {
  std::string out;
  for (char c : name) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '-' || c == '_';
    out.push_back(keep ? c : '_');
    if (out.size() >= 96) break;  // keeps the whole name well under NAME_MAX
  }
  return out;
}

}  // namespace

std::string resolve_lock_path(const std::string &path, const LockOptions &options) {
  if (path.empty()) throw Error(Status::invalid, "open lock: path is empty");
  // "dir/" would lock "dir/.lock" while "dir" locks "dir.lock": a lock names a file.
  if (path.back() == '/')
    throw_error(Status::invalid, "open lock", path,
                "path ends in '/'; a lock is taken on a file path, not a directory");
  platform::FileInfo id;
  if (options.sidecar && io::identify_path(path, id) && id.directory)
    throw_error(Status::invalid, "open lock", path,
                "is a directory; a lock is taken on a file path, not a directory");
  if (!options.sidecar) return path;
  if (options.lock_dir.empty()) return path + ".lock";
  const std::string absolute = io::absolute_path(path);
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(fnv1a64(absolute)));
  return platform::join_path(options.lock_dir,
                             escape_name(platform::base_name(absolute)) + "." + hash + ".lock");
}

}  // namespace filelock
