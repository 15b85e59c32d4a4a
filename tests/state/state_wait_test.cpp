// fl_state_wait through the C API: woken by a commit of another process, a restore,
// never by a commit that changes nothing; timeouts and fl_state_cancel.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "filelock.h"
#include "support.hpp"

namespace {

std::string file_text(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Opens the state, says "ready", waits for the gate lock the test holds, then commits
// args[2] as the whole document: the commit lands while the test is waiting.
FLTEST_HELPER("state_commit_after_gate") {
  fl_state *st = nullptr;
  if (fl_state_open(&st, args.at(0).c_str(), nullptr) != FL_OK) return 2;
  fl_handle *gate = nullptr;
  if (fl_open(&gate, args.at(1).c_str(), nullptr) != FL_OK) return 3;
  std::printf("ready\n");
  std::fflush(stdout);
  if (fl_lock(gate, FL_EXCLUSIVE, FL_FOREVER) != FL_OK) return 4;
  const int rc = fl_state_write(st, args.at(2).c_str());
  fl_close(gate);
  fl_state_close(st);
  return rc == FL_OK ? 0 : 5;
}

// The same with a journal: the commit is a one-key transaction appended to it, which
// touches only meta_dir/journal (the document file stays as it was). Then it waits for
// a second gate (args[2]) before closing anything: a close in the document's directory
// (the state's lock file) would wake a waiter that watches only that directory.
FLTEST_HELPER("state_journal_commit_after_gate") {
  fl_state_options o;
  fl_state_options_init(&o);
  o.journal_max_bytes = 1 << 20;
  fl_state *st = nullptr;
  if (fl_state_open(&st, args.at(0).c_str(), &o) != FL_OK) return 2;
  fl_handle *gate = nullptr;
  if (fl_open(&gate, args.at(1).c_str(), nullptr) != FL_OK) return 3;
  std::printf("ready\n");
  std::fflush(stdout);
  if (fl_lock(gate, FL_EXCLUSIVE, FL_FOREVER) != FL_OK) return 4;
  fl_txn *txn = nullptr;
  int rc = fl_txn_begin(st, &txn);
  if (rc == FL_OK) rc = fl_txn_set(txn, "/k", args.at(3).c_str());
  if (rc == FL_OK) rc = fl_txn_commit(txn);
  fl_handle *after = nullptr;
  if (fl_open(&after, args.at(2).c_str(), nullptr) != FL_OK || fl_lock(after, FL_EXCLUSIVE, FL_FOREVER) != FL_OK) return 6;
  fl_close(after);
  fl_close(gate);
  fl_state_close(st);
  return rc == FL_OK ? 0 : 5;
}

struct StateWait : ::testing::Test {
  fltest::TempDir dir;
  std::string path = dir.file("watched.json");
  fl_state *st = nullptr;
  void SetUp() override { ASSERT_EQ(fl_state_open(&st, path.c_str(), nullptr), FL_OK) << fl_last_error(); }
  void TearDown() override { fl_state_close(st); }
  uint64_t generation() {
    uint64_t g = 0;
    EXPECT_EQ(fl_state_read(st, nullptr, &g), FL_OK) << fl_last_error();
    return g;
  }
};

TEST_F(StateWait, CommitOfAnotherProcessWakes) {
  // Re-checks far apart: only the directory watch can wake this wait in time.
  fl_lock_options lock;
  fl_lock_options_init(&lock);
  lock.retry_interval_ms = 600000;
  fl_state_options o;
  fl_state_options_init(&o);
  o.lock = &lock;
  fl_state_close(st);
  ASSERT_EQ(fl_state_open(&st, path.c_str(), &o), FL_OK) << fl_last_error();
  const uint64_t before = generation();
  const std::string gate_path = dir.file("gate");
  fl_handle *gate = nullptr;
  ASSERT_EQ(fl_open(&gate, gate_path.c_str(), nullptr), FL_OK);
  ASSERT_EQ(fl_lock(gate, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  fltest::Process helper = fltest::spawn_helper("state_commit_after_gate", {path, gate_path, R"({"k":1})"});
  ASSERT_EQ(fltest::read_line(helper), "ready");
  // Nothing committed yet: a look finds no change.
  uint64_t seen = 0;
  EXPECT_EQ(fl_state_wait(st, before, FL_NOWAIT, &seen), FL_ETIMEOUT);

  std::atomic<int> rc{1};
  const auto start = std::chrono::steady_clock::now();
  std::thread waiter([&] { rc = fl_state_wait(st, before, 30000, &seen); });
  ASSERT_EQ(fl_unlock(gate), FL_OK);  // lets the helper commit
  waiter.join();
  EXPECT_EQ(rc.load(), FL_OK) << fl_last_error();
  // Long before the timeout's final look: the commit woke it.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
  EXPECT_EQ(seen, before + 1);
  EXPECT_EQ(fltest::wait_exit(helper), 0);
  EXPECT_EQ(generation(), before + 1);
  fl_close(gate);
}

TEST_F(StateWait, JournalCommitOfAnotherProcessWakes) {
  fl_lock_options lock;
  fl_lock_options_init(&lock);
  lock.retry_interval_ms = 600000;  // as above: only the watch can wake it in time
  fl_state_options o;
  fl_state_options_init(&o);
  o.lock = &lock;
  o.journal_max_bytes = 1 << 20;
  fl_state_close(st);
  ASSERT_EQ(fl_state_open(&st, path.c_str(), &o), FL_OK) << fl_last_error();
  // A first journal commit: the journal exists, and the wait below watches it.
  fl_txn *txn = nullptr;
  ASSERT_EQ(fl_txn_begin(st, &txn), FL_OK) << fl_last_error();
  ASSERT_EQ(fl_txn_set(txn, "/k", "0"), FL_OK) << fl_last_error();
  ASSERT_EQ(fl_txn_commit(txn), FL_OK) << fl_last_error();
  const std::string document = file_text(path);
  const uint64_t before = generation();
  // Elsewhere: the gate's own files must not wake a wait that lost its watch.
  fltest::TempDir gates;
  const std::string gate_path = gates.file("gate"), after_path = gates.file("after");
  fl_handle *gate = nullptr, *after = nullptr;
  ASSERT_EQ(fl_open(&gate, gate_path.c_str(), nullptr), FL_OK);
  ASSERT_EQ(fl_lock(gate, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  ASSERT_EQ(fl_open(&after, after_path.c_str(), nullptr), FL_OK);
  ASSERT_EQ(fl_lock(after, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  fltest::Process helper =
      fltest::spawn_helper("state_journal_commit_after_gate", {path, gate_path, after_path, "1"});
  ASSERT_EQ(fltest::read_line(helper), "ready");

  std::atomic<int> rc{1};
  uint64_t seen = 0;
  const auto start = std::chrono::steady_clock::now();
  std::thread waiter([&] { rc = fl_state_wait(st, before, 30000, &seen); });
  ASSERT_EQ(fl_unlock(gate), FL_OK);
  waiter.join();
  EXPECT_EQ(rc.load(), FL_OK) << fl_last_error();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
  EXPECT_EQ(seen, before + 1);
  ASSERT_EQ(fl_unlock(after), FL_OK);  // lets the helper close and exit
  EXPECT_EQ(fltest::wait_exit(helper), 0);
  EXPECT_EQ(file_text(path), document);  // the commit went to the journal
  fl_close(after);
  fl_close(gate);
}

TEST_F(StateWait, ReturnsAtOnceWhenAlreadyPast) {
  const uint64_t g = generation();
  uint64_t seen = 0;
  EXPECT_EQ(fl_state_wait(st, g - 1, FL_FOREVER, &seen), FL_OK);
  EXPECT_EQ(seen, g);
  EXPECT_EQ(fl_state_wait(st, 0, FL_NOWAIT, nullptr), FL_OK);
}

TEST_F(StateWait, TimesOutNamingTheFile) {
  const uint64_t g = generation();
  EXPECT_EQ(fl_state_wait(st, g, 50, nullptr), FL_ETIMEOUT);
  EXPECT_NE(std::string(fl_last_error()).find("watched.json"), std::string::npos) << fl_last_error();
  EXPECT_EQ(fl_state_wait(st, g, -2, nullptr), FL_EINVAL);
}

TEST_F(StateWait, CommitThatChangesNothingWakesNoOne) {
  const uint64_t g = generation();
  char *doc = nullptr;
  ASSERT_EQ(fl_state_read(st, &doc, nullptr), FL_OK);
  const std::string same = doc;
  fl_free(doc);
  ASSERT_EQ(fl_state_write(st, same.c_str()), FL_OK);
  EXPECT_EQ(fl_state_wait(st, g, 200, nullptr), FL_ETIMEOUT);
  EXPECT_EQ(generation(), g);
}

TEST_F(StateWait, RestoreWakes) {
  ASSERT_EQ(fl_state_write(st, R"({"v":1})"), FL_OK);
  ASSERT_EQ(fl_state_write(st, R"({"v":2})"), FL_OK);
  char *list = nullptr;
  ASSERT_EQ(fl_state_backups(st, &list), FL_OK);
  const std::string backups = list;
  fl_free(list);
  const auto at = backups.find("\"id\":\"");
  ASSERT_NE(at, std::string::npos) << backups;
  const std::string id = backups.substr(at + 6, backups.find('"', at + 6) - at - 6);
  const uint64_t g = generation();

  fl_state *other = nullptr;
  ASSERT_EQ(fl_state_open(&other, path.c_str(), nullptr), FL_OK);
  uint64_t seen = 0;
  std::atomic<int> rc{1};
  std::thread waiter([&] { rc = fl_state_wait(st, g, 60000, &seen); });
  EXPECT_EQ(fl_state_restore(other, id.c_str()), FL_OK) << fl_last_error();
  waiter.join();
  EXPECT_EQ(rc.load(), FL_OK) << fl_last_error();
  EXPECT_EQ(seen, g + 1);
  fl_state_close(other);
}

TEST_F(StateWait, CancelEndsEveryWaitInProgress) {
  const uint64_t g = generation();
  std::vector<std::thread> waiters;
  std::atomic<int> canceled{0};
  for (int i = 0; i < 3; ++i) {
    waiters.emplace_back([&] {
      // A cancel that comes before this wait begins is kept for it: retried until one
      // ends a wait, so the count below does not depend on timing.
      if (fl_state_wait(st, g, 60000, nullptr) == FL_ECANCELED) ++canceled;
    });
  }
  while (canceled.load() < 3) {
    ASSERT_EQ(fl_state_cancel(st), FL_OK);
    std::this_thread::yield();
  }
  for (auto &t : waiters) t.join();
  EXPECT_EQ(canceled.load(), 3);
}

TEST_F(StateWait, CancelBeforeTheWaitIsKeptForItAndThenGone) {
  const uint64_t g = generation();
  ASSERT_EQ(fl_state_cancel(st), FL_OK);
  EXPECT_EQ(fl_state_wait(st, g, 60000, nullptr), FL_ECANCELED);
  // One request: the lock wait it was also kept for no longer sees it.
  EXPECT_EQ(fl_state_read(st, nullptr, nullptr), FL_OK) << fl_last_error();
  EXPECT_EQ(fl_state_wait(st, g, FL_NOWAIT, nullptr), FL_ETIMEOUT);
  // And a request a lock wait consumed is no longer there for a change wait.
  ASSERT_EQ(fl_state_cancel(st), FL_OK);
  EXPECT_EQ(fl_state_write(st, R"({"x":1})"), FL_ECANCELED);
  uint64_t seen = 0;
  EXPECT_EQ(fl_state_wait(st, g, FL_NOWAIT, &seen), FL_ETIMEOUT);
}

}  // namespace
