// Windows paths: both '/' and '\' separate components; the result uses the separator the
// system returns.
#include "platform/paths.hpp"

#include <cerrno>

#include "platform/windows/win_file.hpp"

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

OsError absolute_path(const std::string &path, std::string &out) {
  const std::string dir = dir_name(path);
  std::wstring wide;
  if (!win::widen(dir, wide)) return win::bad_path();
  // Open the directory itself so junctions and symlinks in it resolve as the system sees
  // them, the counterpart of realpath().
  if (const int err = win::injected(Syscall::open)) return win::injected_error(err);
  HANDLE h = ::CreateFileW(wide.c_str(), 0, win::kShareAll, nullptr, OPEN_EXISTING,
                           FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (h == INVALID_HANDLE_VALUE) return win::last_error();
  constexpr DWORD kMax = 32768;
  std::wstring buf(kMax, L'\0');
  DWORD n = 0;
  OsError e;
  if (const int err = win::injected(Syscall::realpath)) {
    e = win::injected_error(err);
  } else {
    n = ::GetFinalPathNameByHandleW(h, buf.data(), kMax, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
    if (n == 0 || n >= kMax) e = win::last_error();
  }
  ::CloseHandle(h);  // opened for no access: nothing a failed close could lose
  if (e) return e;
  const std::wstring plain = strip_verbatim(buf.substr(0, n));
  out = win::narrow(plain.c_str(), plain.size());
  if (out.empty() || (out.back() != '\\' && out.back() != '/')) out += '\\';
  out += base_name(path);
  return OsError{};
}

}  // namespace filelock::platform
