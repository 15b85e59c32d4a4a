// Path helpers that need the OS (current directory, directory resolution).
#pragma once

#include <string>

namespace filelock::platform {

// `path` made absolute with its directory resolved (symlinks in the directory part are
// followed, the last component is kept as written). Works when the file does not exist.
std::string absolute_path(const std::string &path);

std::string dir_name(const std::string &path);   // "." when there is no slash
std::string base_name(const std::string &path);

}  // namespace filelock::platform
