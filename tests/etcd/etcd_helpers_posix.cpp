// Helper process roles for the etcd lock tests (this binary re-executed, see support.hpp).
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "etcd_test_env.hpp"
#include "lock/lock.hpp"
#include "support.hpp"

using filelock::Lock;
using filelock::LockMode;

namespace {

LockMode mode_of(const std::string &text) {
  return text == "shared" ? LockMode::shared : LockMode::exclusive;
}

}  // namespace

// URL MODE HOLD_MS [TTL_MS]: locks, prints "locked", holds HOLD_MS (forever if < 0),
// prints "releasing <mono_ns>" and unlocks. TTL_MS: the lease TTL as an option.
FLTEST_HELPER("etcd_hold") {
  filelock::LockOptions options;
  options.owner = "etcd-test-helper";
  if (args.size() > 3) options.etcd.ttl_ms = std::stoll(args.at(3));
  auto lock = Lock::open(args.at(0), options);
  lock->lock(mode_of(args.at(1)), filelock::kForever);
  std::printf("locked\n");
  std::fflush(stdout);
  const long long hold_ms = std::stoll(args.at(2));
  if (hold_ms < 0)
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
  std::printf("releasing %lld\n", static_cast<long long>(etcdtest::mono_ns()));
  std::fflush(stdout);
  lock->unlock();
  return 0;
}

// URL COUNTER_FILE ROUNDS: ROUNDS times, under the lock: read the counter, write it back
// plus one, with a marker file created O_EXCL around it that an overlap would find.
// Prints "overlaps <n>".
FLTEST_HELPER("etcd_count") {
  auto lock = Lock::open(args.at(0), {});
  const std::string counter = args.at(1);
  const std::string marker = counter + ".inside";
  const int rounds = std::stoi(args.at(2));
  int overlaps = 0;
  for (int i = 0; i < rounds; ++i) {
    lock->lock(LockMode::exclusive, filelock::kForever);
    const int fd = open(marker.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd < 0) ++overlaps;
    else close(fd);
    long long value = 0;
    if (FILE *f = std::fopen(counter.c_str(), "r")) {
      if (std::fscanf(f, "%lld", &value) != 1) value = 0;
      std::fclose(f);
    }
    if (FILE *f = std::fopen(counter.c_str(), "w")) {
      std::fprintf(f, "%lld\n", value + 1);
      std::fclose(f);
    }
    if (fd >= 0) unlink(marker.c_str());
    lock->unlock();
  }
  std::printf("overlaps %d\n", overlaps);
  return 0;
}
