// Path helpers that need the OS (current directory, directory resolution).
#pragma once

#include <string>

namespace filelock::platform {

// `path` made absolute with its directory resolved (symlinks in the directory part are
// followed, the last component is kept as written). Works when the file does not exist.
std::string absolute_path(const std::string &path);

std::string dir_name(const std::string &path);   // "." when there is no slash
// `name` inside `dir`, with the separator the platform writes ('\\' on Windows), so a
// path we report looks like the ones the caller's language builds (filepath.Join...).
std::string join_path(const std::string &dir, const std::string &name);
std::string base_name(const std::string &path);

}  // namespace filelock::platform
