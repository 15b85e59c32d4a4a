// Concurrent breakers of a dead LOCKFILE/LOCKDIR lock never make two holders.
//
// A breaker judges the entry at the name dead, then moves it away. If another breaker
// removed that entry meanwhile and a new holder took the name, moving the new holder's
// entry would free the name for a third process while the new holder still believes it
// holds the lock. Real processes, with the window held open by a pause point
// (io::set_pause_hook), and a hammer: several processes taking the lock in turn while
// the test kills them at random, each checking on entry that nobody else is inside.
// FILELOCK_HAMMER_SECONDS sets the hammer's length (scripts/hammer-namelock.sh).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "io/observe.hpp"
#include "lock/lock_entry.hpp"
#include "lock/lock_inspect.hpp"
#include "lock_test_util.hpp"
#include "io/lock_io.hpp"

using filelock::Backend;
using filelock::LockMode;
using filelock::LockOptions;
using filelock::Status;

namespace {

void sleep_ms(int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

bool exists(const std::string &path) { return ::access(path.c_str(), F_OK) == 0; }

void touch(const std::string &path) { std::fclose(std::fopen(path.c_str(), "w")); }

LockOptions options_of(const std::string &backend_arg) {
  LockOptions o;
  o.backend = static_cast<Backend>(std::stoi(backend_arg));
  o.retry_interval_ms = 5;
  return o;
}

// The pause hook of the "break_paused" helper: at its n-th pause point it prints
// "pause <n> <point>" and waits for the file "<go dir>/go-<n>".
std::string g_go_dir;
int g_pauses = 0;

void wait_for_go(filelock::io::Pause point) {
  const int n = g_pauses++;
  std::printf("pause %d %d\n", n, static_cast<int>(point));
  std::fflush(stdout);
  const std::string go = g_go_dir + "/go-" + std::to_string(n);
  for (int i = 0; i < 20000 && !exists(go); ++i) sleep_ms(1);
}

// The hammer's pause hook: a short random pause at some break points, so the windows a
// race needs open often.
void random_pause(filelock::io::Pause) {
  static thread_local std::minstd_rand rng(static_cast<unsigned>(::getpid()));
  if (rng() % 2 == 0) std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
}

}  // namespace

// break_paused LOCK_BASE BACKEND GO_DIR: one NOWAIT attempt whose breaking stops at each
// pause point until the test says go; prints the status, then (if it got the lock)
// holds it until GO_DIR/release exists and prints the unlock's status.
FLTEST_HELPER("break_paused") {
  g_go_dir = args.at(2);
  filelock::io::set_pause_hook(wait_for_go);
  auto lock = locktest::open_lock(args.at(0), options_of(args.at(1)));
  const Status st = locktest::status_of([&] { lock->lock(LockMode::exclusive, 0); });
  std::printf("status %d\n", static_cast<int>(st));
  std::fflush(stdout);
  if (st != Status::ok) return 0;
  for (int i = 0; i < 20000 && !exists(g_go_dir + "/release"); ++i) sleep_ms(1);
  std::printf("unlock %d\n", static_cast<int>(locktest::status_of([&] { lock->unlock(); })));
  return 0;
}

// hammer LOCK_BASE BACKEND DIR PAUSE(0|1): takes the lock again and again until DIR/stop
// exists. Inside, it places DIR/inside (never replacing, holding its pid): finding one whose
// process lives means two holders; it appends a line to DIR/overlaps and exits 3. A
// marker of a dead process is a holder killed inside: removed. Each acquisition appends
// a byte to DIR/count. Prints "done <count>".
FLTEST_HELPER("hammer") {
  const std::string dir = args.at(2);
  if (args.at(3) == "1") filelock::io::set_pause_hook(random_pause);
  LockOptions o = options_of(args.at(1));
  o.stale_after_ms = 3000;  // a LOCKDIR killed between mkdir and its record: not 10 s
  const std::string inside = dir + "/inside";
  const std::string me = std::to_string(::getpid());
  auto report = [&](const std::string &what) {
    int fd = ::open((dir + "/overlaps").c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
    const std::string line = me + " " + what + "\n";
    if (fd >= 0 && ::write(fd, line.data(), line.size()) < 0) {
    }
    if (fd >= 0) ::close(fd);
    std::printf("overlap\n");
    std::fflush(stdout);
    std::_Exit(3);
  };
  long count = 0;
  while (!exists(dir + "/stop")) {
    auto lock = locktest::open_lock(args.at(0), o);
    if (locktest::status_of([&] { lock->lock(LockMode::exclusive, 2000); }) != Status::ok) continue;
    // The marker is placed with its pid in one step (link), so a holder killed while
    // placing it never leaves one without a pid.
    const std::string mine = dir + "/marker." + me;
    int fd = ::open(mine.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ::write(fd, me.data(), me.size()) < 0) report("cannot write the marker");
    ::close(fd);
    while (::link(mine.c_str(), inside.c_str()) != 0) {
      if (errno != EEXIST) report("cannot place the marker");
      const std::string other = locktest::slurp(inside);
      if (other.empty()) continue;  // removed meanwhile: only by a second holder
      if (::kill(static_cast<pid_t>(std::stol(other)), 0) == 0 || errno != ESRCH)
        report("inside with " + other);
      ::unlink(inside.c_str());  // left by a holder killed inside
    }
    ::unlink(mine.c_str());
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    int counter = ::open((dir + "/count").c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (counter >= 0 && ::write(counter, "+", 1) < 0) report("cannot count");
    if (counter >= 0) ::close(counter);
    ::unlink(inside.c_str());
    const Status st = locktest::status_of([&] { lock->unlock(); });
    if (st != Status::ok) report("unlock said " + std::to_string(static_cast<int>(st)));
    ++count;
  }
  std::printf("done %ld\n", count);
  return 0;
}

namespace {

class BreakRace : public ::testing::TestWithParam<Backend> {
 protected:
  std::string backend_arg() const { return std::to_string(static_cast<int>(GetParam())); }
  fltest::TempDir dir;
  fltest::TempDir go;  // the helpers' go-ahead files, apart from the lock's directory
};

// A lock whose holder was killed.
void plant_dead_lock(const std::string &base, const std::string &backend) {
  fltest::Process holder = fltest::spawn_helper("hold", {base, "exclusive", "600000", backend});
  ASSERT_EQ(fltest::read_line(holder), "locked");
  fltest::kill_hard(holder);
  fltest::wait_exit(holder);
}

// Breaker B stops after re-reading the dead entry, right before moving it. Meanwhile C
// tries the lock, then (while B stops again, after its move) D does. C and D must never
// both hold it: before the fix C broke the dead lock and took the name, B then moved
// C's live entry aside, and D took the free name.
TEST_P(BreakRace, ABreakerPausedBeforeItsMoveNeverLetsTwoHold) {
  const std::string base = dir.file("x");
  plant_dead_lock(base, backend_arg());
  fltest::Process breaker = fltest::spawn_helper("break_paused", {base, backend_arg(), go.path()});
  ASSERT_EQ(fltest::read_line(breaker).rfind("pause 0 ", 0), 0u);
  auto c = locktest::open_lock(base, locktest::with_backend(GetParam()));
  const Status c_status = locktest::status_of([&] { c->lock(LockMode::exclusive, 0); });
  touch(go.file("go-0"));
  const std::string second = fltest::read_line(breaker);  // after its move, or its result
  auto d = locktest::open_lock(base, locktest::with_backend(GetParam()));
  const Status d_status = locktest::status_of([&] { d->lock(LockMode::exclusive, 0); });
  EXPECT_FALSE(c_status == Status::ok && d_status == Status::ok) << "two holders at once";
  for (int n = 1; n < 8; ++n) touch(go.file("go-" + std::to_string(n)));
  touch(go.file("release"));
  std::string line = second;
  while (!line.empty() && line.rfind("status ", 0) != 0) line = fltest::read_line(breaker);
  EXPECT_EQ(line, "status " + std::to_string(static_cast<int>(Status::busy)))
      << "C or D holds the lock";
  fltest::wait_exit(breaker);
  if (c_status == Status::ok) {
    EXPECT_EQ(locktest::status_of([&] { c->unlock(); }), Status::ok);
  }
  if (d_status == Status::ok) {
    EXPECT_EQ(locktest::status_of([&] { d->unlock(); }), Status::ok);
  }
  // Nothing left behind: no entry, no claim, nothing aside.
  EXPECT_TRUE(filelock::io::list_dir(dir.path()).empty());
}

std::vector<std::string> names_starting(const std::string &dir, const std::string &prefix) {
  std::vector<std::string> out;
  for (const auto &n : filelock::io::list_dir(dir))
    if (n.rfind(prefix, 0) == 0) out.push_back(n);
  return out;
}

// A breaker killed while it holds its claim leaves the claim behind: listed by fl_scan
// as a leftover kept while the lock it was taken for is at the name. fl_clean_stale
// breaks that dead lock (stepping over the claim) and removes the claim with it.
TEST_P(BreakRace, AKilledBreakersClaimIsListedThenCleaned) {
  const std::string base = dir.file("x");
  plant_dead_lock(base, backend_arg());
  fltest::Process breaker = fltest::spawn_helper("break_paused", {base, backend_arg(), go.path()});
  ASSERT_EQ(fltest::read_line(breaker).rfind("pause 0 ", 0), 0u);
  fltest::kill_hard(breaker);
  fltest::wait_exit(breaker);
  const auto claims = names_starting(dir.path(), "x.lock.break-");
  ASSERT_EQ(claims.size(), 1u);
  locktest::Json scan(locktest::scan_json(dir.path()));
  const cJSON *leftover = cJSON_GetArrayItem(scan.get("leftovers"), 0);
  ASSERT_NE(leftover, nullptr) << scan.text;
  EXPECT_STREQ(cJSON_GetObjectItem(leftover, "kind")->valuestring, "break_claim") << scan.text;
  EXPECT_TRUE(cJSON_IsFalse(cJSON_GetObjectItem(leftover, "stale"))) << scan.text;
  locktest::Json cleaned(locktest::clean_json(dir.path(), 0));
  EXPECT_TRUE(names_starting(dir.path(), "x.lock").empty()) << cleaned.text;
}

// With the lock gone, a claim left behind is removed by fl_clean_stale.
TEST_P(BreakRace, AClaimOnAGoneLockIsCleaned) {
  const std::string base = dir.file("x");
  plant_dead_lock(base, backend_arg());
  fltest::Process breaker = fltest::spawn_helper("break_paused", {base, backend_arg(), go.path()});
  ASSERT_EQ(fltest::read_line(breaker).rfind("pause 0 ", 0), 0u);
  fltest::kill_hard(breaker);
  fltest::wait_exit(breaker);
  const auto claims = names_starting(dir.path(), "x.lock.break-");
  ASSERT_EQ(claims.size(), 1u);
  filelock::remove_lock_entry(dir.file("x.lock"), GetParam() == Backend::lockdir);
  locktest::Json cleaned(locktest::clean_json(dir.path(), 0));
  EXPECT_TRUE(names_starting(dir.path(), "x.lock").empty()) << cleaned.text;
  EXPECT_NE(cleaned.text.find("breaker's claim on a lock that is gone"), std::string::npos)
      << cleaned.text;
}

TEST_P(BreakRace, ANewBreakerStepsOverAKilledBreakersClaim) {
  const std::string base = dir.file("x");
  plant_dead_lock(base, backend_arg());
  fltest::Process breaker = fltest::spawn_helper("break_paused", {base, backend_arg(), go.path()});
  ASSERT_EQ(fltest::read_line(breaker).rfind("pause 0 ", 0), 0u);
  fltest::kill_hard(breaker);
  fltest::wait_exit(breaker);
  ASSERT_EQ(names_starting(dir.path(), "x.lock.break-").size(), 1u);
  auto a = locktest::open_lock(base, locktest::with_backend(GetParam()));
  ASSERT_EQ(locktest::status_of([&] { a->lock(LockMode::exclusive, 0); }), Status::ok);
  EXPECT_EQ(names_starting(dir.path(), "x.lock"), std::vector<std::string>{"x.lock"});
  a->unlock();
}

int hammer_seconds() {
  const char *env = std::getenv("FILELOCK_HAMMER_SECONDS");
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : 3;
}

// Several processes take the lock in turn, with random pauses at the break points,
// while the test kills one of them every few tens of milliseconds (holders, waiters and
// breakers alike) and starts another. No one ever finds a live process inside.
TEST_P(BreakRace, HammerWithKillsNeverMakesTwoHolders) {
  const std::string base = dir.file("x");
  const int kProcesses = 5;
  std::vector<fltest::Process> procs;
  auto start = [&] {
    procs.push_back(fltest::spawn_helper("hammer", {base, backend_arg(), go.path(), "1"}));
  };
  for (int i = 0; i < kProcesses; ++i) start();
  std::minstd_rand rng(12345);
  int kills = 0;
  // A kill only after an acquisition since the last one, so slow starts (sanitizers, a
  // loaded machine) still make progress; at least 20 acquisitions, within 20 s.
  auto acquisitions = [&] { return locktest::slurp(go.file("count")).size(); };
  const auto start_at = std::chrono::steady_clock::now();
  const auto end = start_at + std::chrono::seconds(hammer_seconds());
  const auto hard_end = std::max(end, start_at + std::chrono::seconds(20));
  size_t at_last_kill = 0;
  while (!exists(go.file("overlaps"))) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= hard_end || (now >= end && acquisitions() >= 20)) break;
    sleep_ms(40 + static_cast<int>(rng() % 120));
    const size_t count = acquisitions();
    if (count == at_last_kill) continue;
    at_last_kill = count;
    const size_t victim = rng() % procs.size();
    fltest::kill_hard(procs[victim]);
    fltest::wait_exit(procs[victim]);
    procs.erase(procs.begin() + static_cast<long>(victim));
    ++kills;
    start();
  }
  touch(go.file("stop"));
  for (auto &p : procs) {
    fltest::read_line(p);
    fltest::wait_exit(p);
  }
  const size_t total = acquisitions();
  EXPECT_FALSE(exists(go.file("overlaps"))) << locktest::slurp(go.file("overlaps"));
  EXPECT_GT(total, 0u) << "no progress";
  std::printf("hammer: %d kills, %zu acquisitions\n", kills, total);
}

INSTANTIATE_TEST_SUITE_P(Backends, BreakRace,
                         ::testing::Values(Backend::lockfile, Backend::lockdir),
                         locktest::BackendName());

}  // namespace
