// Mixed backends on one path (issue 14): any two filelock handles of one path exclude
// each other whatever backend each chose, or the later one fails at once with busy
// naming the backend in the way; a live holder's record is never overwritten. Every
// ordered pair of the platform's backends, each side in its own process, and a counter
// hammered by processes of every backend at once. On Windows the kernel backends are
// WINDOWS and AUTO (both LockFileEx); a LOCKFILE holder keeps a LockFileEx lock on its
// file there (core/platform/windows/entry_lock.cpp).
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "lock_test_util.hpp"
#include "io/lock_io.hpp"

namespace {

using filelock::Backend;
using filelock::LockMode;
using filelock::Status;
using locktest::slurp;

#ifdef _WIN32
const Backend kAll[] = {Backend::windows, Backend::automatic, Backend::lockfile,
                        Backend::lockdir};
#else
const Backend kAll[] = {Backend::flock, Backend::ofd, Backend::posix, Backend::lockfile,
                        Backend::lockdir};
#endif

bool is_name_lock(Backend b) { return b == Backend::lockfile || b == Backend::lockdir; }

filelock::LockOptions options_from(const std::string &backend) {
  filelock::LockOptions o = locktest::with_backend(static_cast<Backend>(std::stoi(backend)));
  o.retry_interval_ms = 20;  // a name lock behind a kernel holder re-checks this often
  return o;
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// The status and message of one attempt, on one line: "<status> <message>".
std::string outcome_line(filelock::Lock &lock, int64_t timeout_ms) {
  try {
    lock.lock(LockMode::exclusive, timeout_ms);
    return "0 ok";
  } catch (const filelock::Error &e) {
    return std::to_string(static_cast<int>(e.status())) + " " + e.what();
  }
}

std::string open_and_try(const std::string &path, const std::string &backend, int64_t timeout) {
  try {
    auto lock = locktest::open_lock(path, options_from(backend));
    const std::string line = outcome_line(*lock, timeout);
    if (lock->locked()) lock->unlock();
    return line;
  } catch (const filelock::Error &e) {  // opening failed
    return std::to_string(static_cast<int>(e.status())) + " " + e.what();
  }
}

}  // namespace

// mx_hold PATH BACKEND GO: locks exclusively, prints "locked", holds until the file GO
// exists, prints "releasing <mono_ns>", unlocks.
FLTEST_HELPER("mx_hold") {
  auto lock = locktest::open_lock(args.at(0), options_from(args.at(1)));
  lock->lock(LockMode::exclusive, filelock::kForever);
  std::printf("locked\n");
  std::fflush(stdout);
  for (int i = 0; i < 12000 && slurp(args.at(2)).empty(); ++i) sleep_ms(5);
  std::printf("releasing %lld\n", static_cast<long long>(locktest::mono_ns()));
  std::fflush(stdout);
  lock->unlock();
  return 0;
}

// mx_try PATH BACKEND: one attempt without waiting; prints "<status> <message>".
FLTEST_HELPER("mx_try") {
  std::printf("%s\n", open_and_try(args.at(0), args.at(1), filelock::kNoWait).c_str());
  return 0;
}

// mx_wait PATH BACKEND TIMEOUT_MS: prints "waiting", then one attempt with the timeout;
// prints "<mono_ns>" and then "<status> <message>".
FLTEST_HELPER("mx_wait") {
  std::printf("waiting\n");
  std::fflush(stdout);
  const std::string line = open_and_try(args.at(0), args.at(1), std::stoll(args.at(2)));
  std::printf("%lld\n%s\n", static_cast<long long>(locktest::mono_ns()), line.c_str());
  return 0;
}

// mx_count PATH COUNTER ITERATIONS BACKEND: read-increment-write COUNTER under the lock,
// a fresh handle each time; prints "done".
FLTEST_HELPER("mx_count") {
  const int iterations = std::stoi(args.at(2));
  for (int i = 0; i < iterations; ++i) {
    std::unique_ptr<filelock::Lock> lock;
    while (!lock) {
      try {
        lock = locktest::open_lock(args.at(0), options_from(args.at(3)));
        lock->lock(LockMode::exclusive, filelock::kForever);
      } catch (const filelock::Error &e) {
        // A kernel backend meeting a LOCKDIR holder's directory fails at once: try again.
        if (e.status() != Status::busy) {
          std::printf("error %d %s\n", static_cast<int>(e.status()), e.what());
          return 1;
        }
        lock.reset();
        sleep_ms(2);
      }
    }
    if (!locktest::increment_counter(args.at(1))) return 1;
    lock->unlock();
  }
  std::printf("done\n");
  return 0;
}

namespace {

using Pair = std::tuple<Backend, Backend>;  // holder, contender

class MixedBackends : public testing::TestWithParam<Pair> {
 protected:
  Backend holder() const { return std::get<0>(GetParam()); }
  Backend contender() const { return std::get<1>(GetParam()); }
  static std::string arg(Backend b) { return std::to_string(static_cast<int>(b)); }
  // Read sharing deletion, as the library reads: on Windows a plain fopen fails while a
  // name-lock waiter has the file open to remove it if unheld (it is not).
  std::string record() const {
    std::string bytes;
    filelock::io::read_small_file(
        holder() == Backend::lockdir ? dir.file("x.lock") + fltest::kSeparator + "holder.json"
                                     : dir.file("x.lock"),
        1 << 16, bytes);
    return bytes;
  }
  // The status number at the start of an outcome line.
  static int status_in(const std::string &line) { return std::stoi(line); }

  fltest::TempDir dir;
};

// The contender's try fails with busy while the holder lives, and the holder's record
// stays as it wrote it.
TEST_P(MixedBackends, TryIsBusyWhileHeldAndRecordIsKept) {
  const std::string go = dir.file("go");
  auto h = fltest::spawn_helper("mx_hold", {dir.file("x"), arg(holder()), go});
  ASSERT_EQ(fltest::read_line(h), "locked");
  const std::string before = record();
  ASSERT_NE(before.find("\"pid\":" + std::to_string(h.pid)), std::string::npos) << before;
  auto t = fltest::spawn_helper("mx_try", {dir.file("x"), arg(contender())});
  const std::string line = fltest::read_line(t);
  EXPECT_EQ(fltest::wait_exit(t), 0);
  EXPECT_EQ(status_in(line), static_cast<int>(Status::busy)) << line;
  if (holder() == Backend::lockdir && !is_name_lock(contender())) {
    EXPECT_NE(line.find("LOCKDIR"), std::string::npos) << line;
  }
  EXPECT_EQ(record(), before);
  std::FILE *f = std::fopen(go.c_str(), "w");
  std::fputs("go", f);
  std::fclose(f);
  EXPECT_EQ(fltest::read_line(h).rfind("releasing ", 0), 0u);
  EXPECT_EQ(fltest::wait_exit(h), 0);
}

// A waiting contender gets the lock only after the holder released it, and within its
// 5 s wait: a kernel backend's file left behind is removed at once when unheld, not after
// the 10 s orphan grace. A kernel backend facing a LOCKDIR holder (a directory it cannot
// lock) fails at once with busy instead.
TEST_P(MixedBackends, WaiterGetsItOnlyAfterRelease) {
  const std::string go = dir.file("go");
  auto h = fltest::spawn_helper("mx_hold", {dir.file("x"), arg(holder()), go});
  ASSERT_EQ(fltest::read_line(h), "locked");
  const std::string before = record();
  auto w = fltest::spawn_helper("mx_wait", {dir.file("x"), arg(contender()), "5000"});
  ASSERT_EQ(fltest::read_line(w), "waiting");
  sleep_ms(150);  // let it reach its wait (no harm if it has not: it must wait either way)
  EXPECT_EQ(record(), before) << "the waiter touched the holder's record";
  std::FILE *f = std::fopen(go.c_str(), "w");
  std::fputs("go", f);
  std::fclose(f);
  const std::string released = fltest::read_line(h);
  ASSERT_EQ(released.rfind("releasing ", 0), 0u) << released;
  const long long released_at = std::stoll(released.substr(10));
  const long long done_at = std::stoll(fltest::read_line(w));
  const std::string line = fltest::read_line(w);
  EXPECT_EQ(fltest::wait_exit(w), 0);
  EXPECT_EQ(fltest::wait_exit(h), 0);
  if (holder() == Backend::lockdir && !is_name_lock(contender())) {
    EXPECT_EQ(status_in(line), static_cast<int>(Status::busy)) << line;
    EXPECT_NE(line.find("LOCKDIR"), std::string::npos) << line;
    EXPECT_LT(done_at, released_at) << "it must fail at once, not wait";
    return;
  }
  EXPECT_EQ(status_in(line), 0) << line;
  EXPECT_GT(done_at, released_at) << "locked before the holder released";
}

std::string pair_name(const testing::TestParamInfo<Pair> &info) {
  return locktest::backend_label(std::get<0>(info.param)) + "_held_" +
         locktest::backend_label(std::get<1>(info.param)) + "_comes";
}

INSTANTIATE_TEST_SUITE_P(AllPairs, MixedBackends,
                         testing::Combine(testing::ValuesIn(kAll), testing::ValuesIn(kAll)),
                         pair_name);

// Processes of every backend increment one counter under the lock: none is lost.
TEST(MixedBackendsHammer, NoIncrementIsLost) {
  fltest::TempDir dir;
  const std::string counter = dir.file("counter");
  const int kIterations = 25;  // a few seconds: name locks behind kernel holders poll
  std::vector<fltest::Process> procs;
  for (Backend b : kAll)
    for (int copy = 0; copy < 2; ++copy)
      procs.push_back(fltest::spawn_helper(
          "mx_count", {dir.file("x"), counter, std::to_string(kIterations),
                       std::to_string(static_cast<int>(b))}));
  for (auto &p : procs) {
    EXPECT_EQ(fltest::read_line(p), "done");
    EXPECT_EQ(fltest::wait_exit(p), 0);
  }
  EXPECT_EQ(std::stol(slurp(counter)), static_cast<long>(procs.size()) * kIterations);
}

}  // namespace
