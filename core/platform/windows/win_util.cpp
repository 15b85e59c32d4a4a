#include "platform/windows/win_util.hpp"

#include <cerrno>

namespace filelock::platform::win {

bool widen(const std::string &utf8, std::wstring &out) {
  out.clear();
  if (utf8.empty()) return true;
  const int n = ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(),
                                      static_cast<int>(utf8.size()), nullptr, 0);
  if (n <= 0) return false;
  out.resize(static_cast<size_t>(n));
  ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), static_cast<int>(utf8.size()),
                        out.data(), n);
  return true;
}

std::string narrow(const wchar_t *utf16, size_t length) {
  if (length == 0) return std::string();
  const int n = ::WideCharToMultiByte(CP_UTF8, 0, utf16, static_cast<int>(length), nullptr, 0,
                                      nullptr, nullptr);
  if (n <= 0) return std::string();
  std::string out(static_cast<size_t>(n), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, utf16, static_cast<int>(length), out.data(), n, nullptr,
                        nullptr);
  return out;
}

Status status_from_win32(DWORD err) noexcept {
  switch (err) {
    case ERROR_FILE_NOT_FOUND: case ERROR_PATH_NOT_FOUND: case ERROR_INVALID_DRIVE:
      return Status::not_found;
    case ERROR_ACCESS_DENIED: case ERROR_SHARING_VIOLATION: case ERROR_WRITE_PROTECT:
    case ERROR_PRIVILEGE_NOT_HELD: case ERROR_CANT_ACCESS_FILE:
      return Status::permission;
    case ERROR_LOCK_VIOLATION:
      return Status::busy;
    case ERROR_NOT_ENOUGH_MEMORY: case ERROR_OUTOFMEMORY:
      return Status::no_memory;
    case ERROR_DISK_FULL: case ERROR_HANDLE_DISK_FULL: case ERROR_FILE_TOO_LARGE:
      return Status::no_space;
    case ERROR_INVALID_NAME: case ERROR_INVALID_PARAMETER: case ERROR_DIRECTORY:
    case ERROR_FILENAME_EXCED_RANGE: case ERROR_BAD_PATHNAME: case ERROR_CANT_RESOLVE_FILENAME:
      return Status::invalid;
    case ERROR_NOT_SUPPORTED: case ERROR_INVALID_FUNCTION: case ERROR_CALL_NOT_IMPLEMENTED:
      return Status::unsupported;
    case ERROR_OPERATION_ABORTED:
      return Status::canceled;
    case ERROR_TIMEOUT: case WAIT_TIMEOUT:
      return Status::timeout;
    case ERROR_POSSIBLE_DEADLOCK:
      return Status::deadlock;
    case ERROR_NOT_LOCKED:
      return Status::not_locked;
    default:
      return Status::io;
  }
}

std::string win32_reason(DWORD err) {
  wchar_t *text = nullptr;
  const DWORD n = ::FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, err, 0, reinterpret_cast<wchar_t *>(&text), 0, nullptr);
  std::string message = n > 0 ? narrow(text, n) : std::string("unknown error");
  if (text != nullptr) ::LocalFree(text);
  // System messages end in ".\r\n"; the engine's messages carry no trailing punctuation.
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r' ||
                              message.back() == '.' || message.back() == ' '))
    message.pop_back();
  return message + " (Win32 error " + std::to_string(err) + ")";
}

uint64_t filetime_ticks(const FILETIME &ft) noexcept {
  return (static_cast<uint64_t>(ft.dwHighDateTime) << 32) | ft.dwLowDateTime;
}

int64_t filetime_to_unix_ms(const FILETIME &ft) noexcept {
  constexpr uint64_t kUnixEpochTicks = 116444736000000000ull;  // 1970-01-01 in FILETIME
  const uint64_t t = filetime_ticks(ft);
  return t < kUnixEpochTicks ? 0 : static_cast<int64_t>((t - kUnixEpochTicks) / 10000);
}

bool transfer(HANDLE h, bool write, uint64_t offset, void *data, DWORD size, DWORD &done) {
  OVERLAPPED ov = {};
  ov.Offset = static_cast<DWORD>(offset);
  ov.OffsetHigh = static_cast<DWORD>(offset >> 32);
  ov.hEvent = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (ov.hEvent == nullptr) return false;
  BOOL ok = write ? ::WriteFile(h, data, size, nullptr, &ov) : ::ReadFile(h, data, size, nullptr, &ov);
  if (!ok && ::GetLastError() == ERROR_IO_PENDING) ok = TRUE;
  if (ok) ok = ::GetOverlappedResult(h, &ov, &done, TRUE);
  const DWORD err = ::GetLastError();
  ::CloseHandle(ov.hEvent);
  ::SetLastError(err);
  return ok != FALSE;
}

}  // namespace filelock::platform::win
