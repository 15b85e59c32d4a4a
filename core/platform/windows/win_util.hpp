// Shared by the Windows platform files: UTF-8 <-> UTF-16 paths, and a Win32 error's
// status and the system's own message (for native_status, native_reason in file.hpp).
#pragma once

#include <windows.h>

#include <cstdint>
#include <string>

#include "common/error.hpp"

namespace filelock::platform::win {

// Every handle shares reading, writing and deletion, as POSIX descriptors do: others read
// a holder's record, and lock files are renamed and deleted while open.
constexpr DWORD kShareAll = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

// One read or write at `offset`, waited for: works on overlapped handles (lock files)
// and plain ones alike. False with GetLastError() set.
bool transfer(HANDLE h, bool write, uint64_t offset, void *data, DWORD size, DWORD &done);

// Paths arrive as UTF-8 (the C API's encoding) and go to the W functions. False for
// invalid UTF-8 (callers report kInvalidPathEncoding, platform/file.hpp), rather than
// mangling it into another file's name.
bool widen(const std::string &utf8, std::wstring &out);
std::string narrow(const wchar_t *utf16, size_t length);

Status status_from_win32(DWORD err) noexcept;
// "<system message> (Win32 error N)"
std::string win32_reason(DWORD err);

// FILETIME (100 ns since 1601) as milliseconds since the Unix epoch.
int64_t filetime_to_unix_ms(const FILETIME &ft) noexcept;
uint64_t filetime_ticks(const FILETIME &ft) noexcept;

}  // namespace filelock::platform::win
