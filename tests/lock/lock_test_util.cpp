#include "lock_test_util.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include "platform/threads.hpp"

namespace locktest {

bool increment_counter(const std::string &path) {
  long value = 0;
  if (FILE *f = std::fopen(path.c_str(), "r")) {
    if (std::fscanf(f, "%ld", &value) != 1) value = 0;
    std::fclose(f);
  }
  std::this_thread::yield();  // widen the window a lost update would need
  FILE *f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  std::fprintf(f, "%ld\n", value + 1);
  std::fclose(f);
  return true;
}

int64_t mono_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int64_t elapsed_ms_since(int64_t start_ns) { return (mono_ns() - start_ns) / 1000000; }

std::string slurp(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<filelock::Lock> open_lock(const std::string &path, filelock::LockOptions options) {
  return filelock::Lock::open(path, options);
}

bool only_thread_left() {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!filelock::platform::only_thread()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

filelock::LockMode parse_mode(const std::string &s) {
  return s == "shared" ? filelock::LockMode::shared : filelock::LockMode::exclusive;
}

std::string backend_label(filelock::Backend backend) {
  switch (backend) {
    case filelock::Backend::automatic: return "auto";
    case filelock::Backend::flock: return "flock";
    case filelock::Backend::ofd: return "ofd";
    case filelock::Backend::posix: return "posix";
    case filelock::Backend::lockfile: return "lockfile";
    case filelock::Backend::lockdir: return "lockdir";
    case filelock::Backend::windows: return "windows";
    default: return "other";
  }
}

}  // namespace locktest
