// Helper process roles for the cross-process lock tests.
#include <sys/file.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "lock_test_util.hpp"

using filelock::Backend;
using filelock::LockOptions;

namespace {

LockOptions options_for(const std::vector<std::string> &args, size_t backend_index) {
  LockOptions o;
  if (args.size() > backend_index) o.backend = static_cast<Backend>(std::stoi(args[backend_index]));
  return o;
}

void sleep_ms(int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

long long cpu_us() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec +
         ru.ru_stime.tv_usec;
}

}  // namespace

FLTEST_HELPER("hold") {
  auto lock = locktest::open_lock(args.at(0), options_for(args, 3));
  lock->lock(locktest::parse_mode(args.at(1)), filelock::kForever);
  std::printf("locked\n");
  sleep_ms(std::stoll(args.at(2)));
  std::printf("releasing %lld\n", static_cast<long long>(locktest::mono_ns()));
  lock->unlock();
  return 0;
}

FLTEST_HELPER("try") {
  auto lock = locktest::open_lock(args.at(0), options_for(args, 2));
  auto status = locktest::status_of([&] { lock->lock(locktest::parse_mode(args.at(1)), 0); });
  std::printf("%d\n", static_cast<int>(status));
  return 0;
}

FLTEST_HELPER("wait") {
  auto lock = locktest::open_lock(args.at(0), options_for(args, 2));
  std::printf("waiting %lld\n", cpu_us());
  lock->lock(locktest::parse_mode(args.at(1)), filelock::kForever);
  const long long at = static_cast<long long>(locktest::mono_ns());
  std::printf("locked %lld %lld\n", at, cpu_us());
  return 0;
}

FLTEST_HELPER("raw_flock") {
  int fd = open(args.at(0).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || flock(fd, LOCK_EX) != 0) return 1;
  std::printf("locked\n");
  sleep_ms(std::stoll(args.at(1)));
  return 0;
}

// Tries PATH once and prints the status; a winner holds the lock until the file GO
// exists (the test makes it once every contender has reported, however slowly each
// started), then releases.
FLTEST_HELPER("try_hold_until") {
  auto lock = locktest::open_lock(args.at(0), options_for(args, 2));
  auto status = locktest::status_of([&] { lock->lock(filelock::LockMode::exclusive, 0); });
  std::printf("%d\n", static_cast<int>(status));
  std::fflush(stdout);
  if (status == filelock::Status::ok) {
    for (int i = 0; i < 6000 && locktest::slurp(args.at(1)).empty(); ++i) sleep_ms(5);
    lock->unlock();
  }
  return 0;
}

// Increments the number in COUNTER under the lock for PATH, ITERATIONS times, each time
// with a fresh handle (so the lock file may be removed between open and lock).
FLTEST_HELPER("increment") {
  const int iterations = std::stoi(args.at(2));
  for (int i = 0; i < iterations; ++i) {
    auto lock = locktest::open_lock(args.at(0), options_for(args, 3));
    lock->lock(filelock::LockMode::exclusive, filelock::kForever);
    if (!locktest::increment_counter(args.at(1))) return 1;
    lock->unlock();
  }
  std::printf("done\n");
  return 0;
}
