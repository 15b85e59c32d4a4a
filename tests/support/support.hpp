// Test support shared by every suite: temporary directories and helper processes.
// Helper processes are this same test binary re-executed with "--helper ROLE ARGS...",
// never fork(), so multi-process tests run unchanged wherever the binary can spawn itself.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace fltest {

#ifdef _WIN32
inline constexpr char kSeparator = '\\';
#else
inline constexpr char kSeparator = '/';
#endif

// A fresh directory removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::string &path() const { return path_; }
  // Joined the way the platform writes paths, as the library's reports are.
  std::string file(const std::string &name) const { return path_ + kSeparator + name; }

 private:
  std::string path_;
};

// Sets the access and modification times of `path` (a file or directory, never a
// symlink's target) to `seconds` before now; false on failure. Tests age lock entries
// with it past grace periods instead of waiting.
bool backdate(const std::string &path, int seconds);

using HelperFn = std::function<int(const std::vector<std::string> &args)>;

// Registers a helper role; use FLTEST_HELPER at namespace scope.
bool register_helper(const std::string &role, HelperFn fn);
#define FLTEST_HELPER_CAT2(a, b) a##b
#define FLTEST_HELPER_CAT(a, b) FLTEST_HELPER_CAT2(a, b)
#define FLTEST_HELPER(role)                                                          \
  static int FLTEST_HELPER_CAT(helper_fn_, __LINE__)(const std::vector<std::string> &); \
  static const bool FLTEST_HELPER_CAT(helper_reg_, __LINE__) =                         \
      ::fltest::register_helper(role, FLTEST_HELPER_CAT(helper_fn_, __LINE__));        \
  static int FLTEST_HELPER_CAT(helper_fn_, __LINE__)(const std::vector<std::string> &args)

// A running helper process.
struct Process {
  long pid = -1;
  int stdout_fd = -1;  // read end of the helper's stdout
};

// Starts this binary as helper `role` with `args`; its stdout is piped back.
Process spawn_helper(const std::string &role, const std::vector<std::string> &args);
// Reads one line from the helper's stdout (blocks); "" at end of file.
std::string read_line(Process &p);
// Waits for exit: the exit code, or 128 + signal number if it was killed.
int wait_exit(Process &p);
// Sends SIGKILL (TerminateProcess on Windows).
void kill_hard(Process &p);

#ifndef _WIN32
// This process's descriptors whose /proc/self/fd link starts with `target` (an epoll set
// is "anon_inode:[eventpoll]", a memfd "/memfd:NAME"); none where there is no /proc.
std::vector<int> descriptors_linked_to(const std::string &target);
#endif

// Test main: dispatches "--helper ROLE ARGS..." or runs GoogleTest.
int run_main(int argc, char **argv);

}  // namespace fltest
