// Windows paths: both '/' and '\' separate components; the result uses the separator the
// system returns.
#include "platform/paths.hpp"

#include <cerrno>

#include "platform/windows/win_util.hpp"

namespace filelock::platform {

namespace {

size_t last_separator(const std::string &path) { return path.find_last_of("/\\"); }

// "\\?\C:\x" -> "C:\x", "\\?\UNC\srv\x" -> "\\srv\x": the plain form other tools accept.
std::wstring strip_verbatim(std::wstring p) {
  if (p.rfind(L"\\\\?\\UNC\\", 0) == 0) return L"\\" + p.substr(7);
  if (p.rfind(L"\\\\?\\", 0) == 0) return p.substr(4);
  return p;
}

}  // namespace

std::string dir_name(const std::string &path) {
  const auto sep = last_separator(path);
  if (sep == std::string::npos) return ".";
  if (sep == 0) return path.substr(0, 1);
  if (sep == 2 && path[1] == ':') return path.substr(0, 3);  // "C:\"
  return path.substr(0, sep);
}

std::string base_name(const std::string &path) {
  const auto sep = last_separator(path);
  return sep == std::string::npos ? path : path.substr(sep + 1);
}

std::string join_path(const std::string &dir, const std::string &name) {
  if (dir.empty() || dir.back() == '\\' || dir.back() == '/') return dir + name;
  return dir + "\\" + name;
}

std::string absolute_path(const std::string &path) {
  const std::string dir = dir_name(path);
  std::wstring wide;
  if (!win::widen(dir, wide))
    throw_error(Status::invalid, "resolve directory", dir, "is not valid UTF-8 (paths are UTF-8)",
                EINVAL);
  // Open the directory itself so junctions and symlinks in it resolve as the system sees
  // them, the counterpart of realpath().
  HANDLE h = ::CreateFileW(wide.c_str(), 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (h == INVALID_HANDLE_VALUE) win::throw_win32("resolve directory", dir, ::GetLastError());
  wchar_t buf[32768];
  const DWORD n = ::GetFinalPathNameByHandleW(h, buf, 32768, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
  const DWORD err = ::GetLastError();
  ::CloseHandle(h);
  if (n == 0 || n >= 32768) win::throw_win32("resolve directory", dir, err);
  std::string out = win::narrow(strip_verbatim(std::wstring(buf, n)).c_str(),
                                strip_verbatim(std::wstring(buf, n)).size());
  if (out.empty() || (out.back() != '\\' && out.back() != '/')) out += '\\';
  return out + base_name(path);
}

}  // namespace filelock::platform
