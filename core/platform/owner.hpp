// Who owns a file and who we are, for refusing metadata another user planted.
#pragma once

#include <cstdint>
#include <string>

#include "platform/file.hpp"

namespace filelock::platform {

// Who owns what `path` names. `follow`: stat (else lstat). Where files have no owner ids
// to compare (Windows) `known` is false.
struct Ownership {
  bool known = false;
  uint64_t uid = 0;
  bool symlink = false;
  bool directory = false;
  bool others_write = false;  // writable by users other than the owner and group
};
OsError ownership(const std::string &path, bool follow, Ownership &out);
// The effective user id (0 where there is none).
uint64_t current_uid() noexcept;
// "name (uid N)", or "uid N" when the name is unknown.
std::string user_name(uint64_t uid);

}  // namespace filelock::platform
