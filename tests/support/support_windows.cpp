// Windows counterpart of support_posix.cpp: helpers are this binary re-executed through
// CreateProcessW, their stdout a pipe read through a CRT descriptor, and kill_hard is
// TerminateProcess with the exit code a SIGKILL gives on POSIX (128 + 9).
#include <windows.h>
#include <fcntl.h>
#include <io.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>

#include <gtest/gtest.h>

#include "support.hpp"

namespace fltest {

namespace {

std::map<std::string, HelperFn> &roles() {
  static std::map<std::string, HelperFn> r;
  return r;
}

// Process handles by pid: Process keeps only the pid, like on POSIX.
std::mutex g_mutex;
std::map<long, HANDLE> g_processes;

std::wstring widen(const std::string &s) {
  if (s.empty()) return std::wstring();
  const int n = MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
  std::wstring out(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), out.data(), n);
  return out;
}

std::wstring self_exe() {
  std::wstring buf(32768, L'\0');
  const DWORD n = GetModuleFileNameW(nullptr, buf.data(), static_cast<DWORD>(buf.size()));
  buf.resize(n);
  return buf;
}

// One argument quoted the way CommandLineToArgvW and the CRT split it back.
void append_quoted(std::wstring &cmd, const std::wstring &arg) {
  if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring::npos) {
    cmd += arg;
    return;
  }
  cmd += L'"';
  size_t backslashes = 0;
  for (wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    if (c == L'"') cmd.append(backslashes * 2 + 1, L'\\');
    else cmd.append(backslashes, L'\\');
    backslashes = 0;
    cmd += c;
  }
  cmd.append(backslashes * 2, L'\\');
  cmd += L'"';
}

HANDLE take_handle(long pid) {
  std::lock_guard<std::mutex> guard(g_mutex);
  auto it = g_processes.find(pid);
  return it == g_processes.end() ? nullptr : it->second;
}

}  // namespace

TempDir::TempDir() {
  std::filesystem::path base = std::filesystem::temp_directory_path();
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    char name[32];
    std::snprintf(name, sizeof name, "filelock-test-%08x", static_cast<unsigned>(rd()));
    std::filesystem::path dir = base / name;
    if (CreateDirectoryW(dir.wstring().c_str(), nullptr)) {
      path_ = dir.u8string();
      return;
    }
  }
  throw std::runtime_error("could not create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(std::filesystem::u8path(path_), ec);
}

bool backdate(const std::string &path, int seconds) {
  // Backup semantics open directories too; the reparse point flag keeps a link itself.
  HANDLE h = CreateFileW(std::filesystem::u8path(path).wstring().c_str(), FILE_WRITE_ATTRIBUTES,
                         FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                         OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT,
                         nullptr);
  if (h == INVALID_HANDLE_VALUE) return false;
  FILETIME now;
  GetSystemTimeAsFileTime(&now);
  ULARGE_INTEGER t;
  t.LowPart = now.dwLowDateTime;
  t.HighPart = now.dwHighDateTime;
  t.QuadPart -= static_cast<ULONGLONG>(seconds) * 10000000ull;  // 100 ns ticks
  FILETIME when = {t.LowPart, t.HighPart};
  const BOOL ok = SetFileTime(h, nullptr, &when, &when);
  CloseHandle(h);
  return ok != FALSE;
}

bool register_helper(const std::string &role, HelperFn fn) {
  roles()[role] = std::move(fn);
  return true;
}

Process spawn_helper(const std::string &role, const std::vector<std::string> &args) {
  SECURITY_ATTRIBUTES inherit = {sizeof inherit, nullptr, TRUE};
  HANDLE read_end, write_end;
  if (!CreatePipe(&read_end, &write_end, &inherit, 0)) throw std::runtime_error("CreatePipe failed");
  SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0);  // only the child's end is inherited

  const std::wstring exe = self_exe();
  std::wstring cmd;
  append_quoted(cmd, exe);
  cmd += L" --helper ";
  append_quoted(cmd, widen(role));
  for (const auto &a : args) {
    cmd += L' ';
    append_quoted(cmd, widen(a));
  }
  STARTUPINFOW si = {};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
  si.hStdOutput = write_end;
  si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
  PROCESS_INFORMATION pi = {};
  const BOOL ok = CreateProcessW(exe.c_str(), cmd.data(), nullptr, nullptr, TRUE, 0, nullptr,
                                 nullptr, &si, &pi);
  CloseHandle(write_end);
  if (!ok) {
    CloseHandle(read_end);
    throw std::runtime_error("CreateProcessW failed");
  }
  CloseHandle(pi.hThread);
  {
    std::lock_guard<std::mutex> guard(g_mutex);
    g_processes[static_cast<long>(pi.dwProcessId)] = pi.hProcess;
  }
  const int fd = _open_osfhandle(reinterpret_cast<intptr_t>(read_end), _O_RDONLY | _O_BINARY);
  return Process{static_cast<long>(pi.dwProcessId), fd};
}

std::string read_line(Process &p) {
  std::string line;
  char c;
  while (true) {
    const int n = _read(p.stdout_fd, &c, 1);
    if (n <= 0 || c == '\n') break;
    if (c != '\r') line.push_back(c);
  }
  return line;
}

int wait_exit(Process &p) {
  HANDLE h = take_handle(p.pid);
  if (h == nullptr) return -1;
  WaitForSingleObject(h, INFINITE);
  DWORD code = 0;
  const BOOL ok = GetExitCodeProcess(h, &code);
  {
    std::lock_guard<std::mutex> guard(g_mutex);
    g_processes.erase(p.pid);
  }
  CloseHandle(h);
  if (p.stdout_fd >= 0) _close(p.stdout_fd);
  p.stdout_fd = -1;
  return ok ? static_cast<int>(code) : -1;
}

void kill_hard(Process &p) {
  HANDLE h = take_handle(p.pid);
  if (h != nullptr) TerminateProcess(h, 128 + 9);
}

int run_main(int argc, char **argv) {
  if (argc >= 3 && std::string(argv[1]) == "--helper") {
    auto it = roles().find(argv[2]);
    if (it == roles().end()) {
      std::fprintf(stderr, "unknown helper role %s\n", argv[2]);
      return 127;
    }
    // Helpers talk line by line: no "\r\n" translation, and no buffering (the Windows CRT
    // treats _IOLBF as full buffering).
    _setmode(_fileno(stdout), _O_BINARY);
    setvbuf(stdout, nullptr, _IONBF, 0);
    return it->second(std::vector<std::string>(argv + 3, argv + argc));
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

}  // namespace fltest
