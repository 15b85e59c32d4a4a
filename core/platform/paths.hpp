// Path helpers that need the OS (current directory, directory resolution). Nothing here
// throws: io::absolute_path (io/os_objects.hpp) names the operation and path of an error.
#pragma once

#include <string>

#include "platform/file.hpp"

namespace filelock::platform {

// `path` made absolute with its directory resolved (symlinks in the directory part are
// followed, the last component is kept as written). Works when the file does not exist.
// The error is the directory's (dir_name(path)); a directory name that is not UTF-8 where
// the OS takes UTF-16 is kInvalidPathEncoding. realpath (and its Windows counterpart's
// open) go through the system-call table.
OsError absolute_path(const std::string &path, std::string &out);

std::string dir_name(const std::string &path);   // "." when there is no slash
// `name` inside `dir`, with the separator the platform writes ('\\' on Windows), so a
// path we report looks like the ones the caller's language builds (filepath.Join...).
std::string join_path(const std::string &dir, const std::string &name);
std::string base_name(const std::string &path);

}  // namespace filelock::platform
