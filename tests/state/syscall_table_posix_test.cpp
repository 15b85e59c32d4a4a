// Every system call of a state commit and of a lock's acquire and release goes through
// the platform's system-call table (platform/syscalls.hpp), and each can be failed:
//  - the calls an operation makes are recorded through the table; this binary also
//    counts the C library's own entry points (fsync, rename, link, unlink, write, open,
//    close of what it opened, flock, ...) during the operation, and a call the table did
//    not see (a bypass) fails the test;
//  - then, for each position in the recorded sequence, that very call is failed (EIO):
//    the operation reports an error naming the path and the reason, or recovers; the
//    data is the old or the new version, whole; no temp file is left; and the next
//    operation works.
// POSIX only: the C library's functions are counted by defining them in this binary
// (tests/support/libc_calls_posix.cpp).
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "lock/lock.hpp"
#include "state/state.hpp"
#include "state_test_util.hpp"
#include "libc_calls_posix.hpp"
#include "support.hpp"
#include "syscall_record.hpp"

namespace {
using filelock::platform::Syscall;
namespace syscalls = filelock::platform::syscalls;
using fltest::record_calls;
}  // namespace

namespace filelock {
namespace {

bool names_path_and_reason(const std::string &msg, const std::string &dir) {
  return msg.find(dir) != std::string::npos && msg.find("errno " + std::to_string(EIO)) != std::string::npos;
}

// --- A state commit ---------------------------------------------------------------

state::StateOptions counter_options() {
  state::StateOptions o;
  o.initial_json = R"({"counter":0})";
  return o;
}

int64_t counter_in(const std::string &json_text) {
  const json::Doc doc = json::parse(json_text);
  return static_cast<int64_t>(json::number_value(cJSON_GetObjectItem(doc.get(), "counter")));
}

int64_t counter_of(state::State &st) { return counter_in(st.read().json); }

// A state at counter 1 and a transaction setting it to 2, not committed yet.
struct Commit {
  explicit Commit(const std::string &path) : st(path, counter_options()) {
    auto first = st.begin();
    first->set("/counter", "1");
    first->commit();
    txn = st.begin();
    txn->set("/counter", "2");
  }
  state::State st;
  std::unique_ptr<state::Transaction> txn;
};

TEST(SyscallTable, EveryCallOfACommitGoesThroughTheTableAndCanFail) {
  std::vector<Syscall> calls;
  {
    fltest::TempDir dir;
    Commit c(dir.file("state.json"));
    calls = record_calls([&] { c.txn->commit(); });
    EXPECT_EQ(counter_of(c.st), 2);
  }
  // The commit's steps are all there: the temp file's create, write, fsync and close,
  // the generation record's pwrite, the replace and the directory's fsync after it.
  for (const Syscall step : {Syscall::open, Syscall::write, Syscall::fsync, Syscall::close,
                             Syscall::pwrite, Syscall::rename})
    EXPECT_GT(fltest::nth_call(calls, step), 0) << platform::syscall_name(step) << ": " << fltest::call_list(calls);
  EXPECT_GT(fltest::nth_call(calls, Syscall::fsync, Syscall::rename), 0) << fltest::call_list(calls);

  int failed = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    SCOPED_TRACE("failing call " + std::to_string(i) + " (" + platform::syscall_name(calls[i]) +
                 ") of: " + fltest::call_list(calls));
    fltest::TempDir dir;
    const std::string path = dir.file("state.json");
    try {
      Commit c(path);
      syscalls::fail(calls[i], fltest::nth_at(calls, i), EIO);
      std::string msg;
      const Status s = statetest::status_of([&] { c.txn->commit(); }, &msg);
      syscalls::clear();
      if (s != Status::ok) {
        ++failed;
        EXPECT_TRUE(names_path_and_reason(msg, dir.path())) << msg;
      }
      c.txn.reset();
    } catch (const Error &e) {
      ADD_FAILURE() << "after the failed commit: " << e.what();
    }
    try {
      // Read from the file itself (the State above may still hold its lock when the
      // unlock was the call that failed): it parses, so it is whole.
      const int64_t counter = counter_in(statetest::slurp(path));
      EXPECT_TRUE(counter == 1 || counter == 2) << counter;
    } catch (const Error &e) {
      ADD_FAILURE() << "reading the document: " << e.what();
    }
    EXPECT_EQ(statetest::temp_files(dir.path()), std::vector<std::string>{});
    // Reopened, the state goes on: the next commit works and verifies.
    try {
      state::State again(path, state::StateOptions{});
      auto next = again.begin();
      next->set("/counter", "3");
      EXPECT_EQ(statetest::status_of([&] { next->commit(); }), Status::ok);
      EXPECT_EQ(counter_of(again), 3);
      EXPECT_TRUE(again.verify().ok);
    } catch (const Error &e) {
      ADD_FAILURE() << "the next commit: " << e.what();
    }
  }
  // Nearly every call's failure is reported (only closes whose errors cannot matter,
  // and what runs after the commit is durable, may pass silently).
  EXPECT_GT(failed, static_cast<int>(calls.size()) / 2);
}

// A journal commit (an append) and a journal checkpoint make every call through the
// table too, so the fault-injection suites (journal_test.cpp) reach all of them.
TEST(SyscallTable, EveryCallOfAJournalCommitAndCheckpointGoesThroughTheTable) {
  for (const int64_t bound : {int64_t{1} << 20, int64_t{40}}) {
    SCOPED_TRACE("journal_max_bytes " + std::to_string(bound));
    fltest::TempDir dir;
    const std::string path = dir.file("state.json");
    state::StateOptions o = counter_options();
    o.journal_max_bytes = int64_t{1} << 20;
    { state::State create(path, o); }
    o.journal_max_bytes = bound;
    state::State st(path, o);
    auto txn = st.begin();
    txn->set("/counter", "1");
    const std::vector<Syscall> calls = record_calls([&] { txn->commit(); });
    EXPECT_EQ(counter_of(st), 1);
    // An append writes the journal at its end (pwrite) and syncs it; a checkpoint
    // renames a new document in and then cuts the journal.
    EXPECT_GT(fltest::nth_call(calls, Syscall::pwrite), 0) << fltest::call_list(calls);
    EXPECT_GT(fltest::nth_call(calls, Syscall::fsync), 0) << fltest::call_list(calls);
    EXPECT_EQ(fltest::nth_call(calls, Syscall::rename) > 0, bound < 100) << fltest::call_list(calls);
    if (bound < 100) {
      EXPECT_GT(fltest::nth_call(calls, Syscall::truncate, Syscall::rename), 0) << fltest::call_list(calls);
    }
  }
}

// --- A lock's acquire and release ---------------------------------------------------

class LockCalls : public ::testing::TestWithParam<Backend> {};

TEST_P(LockCalls, EveryCallOfLockAndUnlockGoesThroughTheTableAndCanFail) {
  LockOptions options;
  options.backend = GetParam();
  auto lock_and_unlock = [&](const std::string &path) {
    auto lock = Lock::open(path, options);
    lock->lock(LockMode::exclusive, kNoWait);
    lock->unlock();
  };
  std::vector<Syscall> calls;
  std::vector<std::string> clean_names;
  {
    fltest::TempDir dir;
    lock_and_unlock(dir.file("data"));  // warms what is computed once per process
    calls = record_calls([&] { lock_and_unlock(dir.file("data")); });
    clean_names = statetest::entries(dir.path());
  }
  EXPECT_GT(fltest::nth_call(calls, Syscall::open), 0) << fltest::call_list(calls);

  for (size_t i = 0; i < calls.size(); ++i) {
    SCOPED_TRACE("failing call " + std::to_string(i) + " (" + platform::syscall_name(calls[i]) +
                 ") of: " + fltest::call_list(calls));
    fltest::TempDir dir;
    const std::string path = dir.file("data");
    lock_and_unlock(path);
    syscalls::fail(calls[i], fltest::nth_at(calls, i), EIO);
    std::string msg;
    const Status s = statetest::status_of([&] { lock_and_unlock(path); }, &msg);
    syscalls::clear();
    if (s != Status::ok) {
      EXPECT_TRUE(names_path_and_reason(msg, dir.path())) << msg;
    }
    // Nothing is left held, and nothing but what a clean run leaves is left behind.
    EXPECT_EQ(statetest::status_of([&] { lock_and_unlock(path); }), Status::ok);
    EXPECT_EQ(statetest::entries(dir.path()), clean_names);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, LockCalls,
                         ::testing::Values(Backend::flock,
#ifdef __linux__
                                           Backend::ofd,
#endif
                                           Backend::posix, Backend::lockfile, Backend::lockdir),
                         [](const ::testing::TestParamInfo<Backend> &info) {
                           switch (info.param) {
                             case Backend::flock: return std::string("flock");
                             case Backend::ofd: return std::string("ofd");
                             case Backend::posix: return std::string("posix");
                             case Backend::lockfile: return std::string("lockfile");
                             default: return std::string("lockdir");
                           }
                         });

}  // namespace
}  // namespace filelock
