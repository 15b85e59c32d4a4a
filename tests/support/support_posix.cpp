#include <dirent.h>
#include <fcntl.h>
#ifdef __APPLE__
#include <mach-o/dyld.h>
#endif
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <stdexcept>

#include <gtest/gtest.h>

#include "support.hpp"

extern char **environ;

namespace fltest {

namespace {
std::map<std::string, HelperFn> &roles() {
  static std::map<std::string, HelperFn> r;
  return r;
}
std::string self_exe() {
#ifdef __APPLE__
  char buf[4096];
  uint32_t size = sizeof buf;
  if (_NSGetExecutablePath(buf, &size) != 0) throw std::runtime_error("executable path too long");
  return std::filesystem::canonical(buf).string();
#else
  return std::filesystem::read_symlink("/proc/self/exe").string();
#endif
}
}  // namespace

TempDir::TempDir() {
  const char *base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/filelock-test-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool backdate(const std::string &path, int seconds) {
  struct timespec when[2];
  clock_gettime(CLOCK_REALTIME, &when[0]);
  when[0].tv_sec -= seconds;
  when[1] = when[0];
  return utimensat(AT_FDCWD, path.c_str(), when, AT_SYMLINK_NOFOLLOW) == 0;
}

bool register_helper(const std::string &role, HelperFn fn) {
  roles()[role] = std::move(fn);
  return true;
}

Process spawn_helper(const std::string &role, const std::vector<std::string> &args) {
  int pipefd[2];
#ifdef __linux__
  if (pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
#else
  // No pipe2: a helper spawned by another thread meanwhile may inherit this pipe.
  if (pipe(pipefd) != 0) throw std::runtime_error("pipe failed");
  fcntl(pipefd[0], F_SETFD, FD_CLOEXEC);
  fcntl(pipefd[1], F_SETFD, FD_CLOEXEC);
#endif
  std::string exe = self_exe();
  std::vector<std::string> argv_s = {exe, "--helper", role};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char *> argv;
  for (auto &s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
  pid_t pid;
  int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(pipefd[1]);
  if (rc != 0) {
    close(pipefd[0]);
    throw std::runtime_error("posix_spawn failed");
  }
  return Process{pid, pipefd[0]};
}

std::string read_line(Process &p) {
  std::string line;
  char c;
  while (true) {
    ssize_t n = read(p.stdout_fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') break;
    line.push_back(c);
  }
  return line;
}

int wait_exit(Process &p) {
  int status = 0;
  while (waitpid(static_cast<pid_t>(p.pid), &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (p.stdout_fd >= 0) close(p.stdout_fd);
  p.stdout_fd = -1;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

void kill_hard(Process &p) { kill(static_cast<pid_t>(p.pid), SIGKILL); }

int run_main(int argc, char **argv) {
  if (argc >= 3 && std::string(argv[1]) == "--helper") {
    auto it = roles().find(argv[2]);
    if (it == roles().end()) {
      std::fprintf(stderr, "unknown helper role %s\n", argv[2]);
      return 127;
    }
    setvbuf(stdout, nullptr, _IOLBF, 0);  // helpers talk line by line
    return it->second(std::vector<std::string>(argv + 3, argv + argc));
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

std::vector<int> descriptors_linked_to(const std::string &target) {
  std::vector<int> found;
  DIR *d = ::opendir("/proc/self/fd");
  if (d == nullptr) return found;
  while (const dirent *e = ::readdir(d)) {
    char link[256] = {};
    const std::string at = std::string("/proc/self/fd/") + e->d_name;
    if (::readlink(at.c_str(), link, sizeof link - 1) > 0 &&
        std::string(link).compare(0, target.size(), target) == 0)
      found.push_back(std::atoi(e->d_name));
  }
  ::closedir(d);
  return found;
}

}  // namespace fltest
