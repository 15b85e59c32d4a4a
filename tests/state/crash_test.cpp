// Crash safety with real faults: an injected failure at every I/O step of a commit
// (through the platform's system-call table),
// a full disk (RLIMIT_FSIZE), writers killed with SIGKILL mid-commit, and concurrent
// appenders in separate processes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "state/append.hpp"
#include "state/state.hpp"
#include "state_test_util.hpp"
#include "support.hpp"
#include "syscall_record.hpp"

namespace filelock::state {
namespace {

using statetest::slurp;
using statetest::status_of;
using statetest::temp_files;

int64_t counter_of(const std::string &json_text) {
  const json::Doc doc = json::parse(json_text);
  return static_cast<int64_t>(json::number_value(cJSON_GetObjectItem(doc.get(), "counter")));
}

StateOptions counter_options() {
  StateOptions o;
  o.initial_json = R"({"counter":0})";
  return o;
}

using fltest::Syscall;
namespace syscalls = platform::syscalls;

struct FaultCase {
  Syscall call;   // the system call that fails: the first one of the commit made ...
  Syscall after;  // ... after the first call of this (Syscall::count_: the first at all)
  int err;
  Status status;
  bool after_rename;  // the new document is already in place when the step fails
};

class CommitFault : public ::testing::TestWithParam<FaultCase> {
 protected:
  void TearDown() override { syscalls::clear(); }
};

// A state at generation 2, and a commit of counter 2 begun on it.
struct CommitSetup {
  explicit CommitSetup(const std::string &path) : st(path, counter_options()) {
    auto first = st.begin();
    first->set("/counter", "1");
    first->commit();  // generation 2
    txn = st.begin();
    txn->set("/counter", "2");
  }
  State st;
  std::unique_ptr<Transaction> txn;
};

// The system calls of that commit, recorded on a twin state: the same calls in the
// same order as on the test's own.
std::vector<Syscall> commit_calls() {
  fltest::TempDir dir;
  CommitSetup twin(dir.file("state.json"));
  fltest::SyscallRecording rec;
  twin.txn->commit();
  rec.stop();
  return rec.calls;
}

TEST_P(CommitFault, LeavesOldOrNewDocumentWholeAndNothingBehind) {
  const FaultCase c = GetParam();
  const std::vector<Syscall> calls = commit_calls();
  const int nth = fltest::nth_call(calls, c.call, c.after);
  ASSERT_GT(nth, 0) << fltest::call_list(calls);
  fltest::TempDir dir;
  const std::string path = dir.file("state.json");
  CommitSetup setup(path);
  State &st = setup.st;
  const std::string old_bytes = slurp(path);
  const size_t backups_before = st.backups().size();

  syscalls::fail(c.call, nth, c.err);
  std::string msg;
  EXPECT_EQ(status_of([&] { setup.txn->commit(); }, &msg), c.status) << fltest::call_list(calls);
  syscalls::clear();
  setup.txn.reset();
  // Every message names the operation, the file and the OS reason.
  if (c.status != Status::ok) {
    EXPECT_NE(msg.find(dir.path()), std::string::npos) << msg;
    EXPECT_NE(msg.find("errno " + std::to_string(c.err)), std::string::npos) << msg;
  }

  const auto snap = st.read();
  if (c.after_rename) {
    EXPECT_EQ(counter_of(snap.json), 2);
    EXPECT_EQ(snap.generation, 3u);
    EXPECT_EQ(st.backups().size(), backups_before + 1);
  } else {
    EXPECT_EQ(slurp(path), old_bytes);
    EXPECT_EQ(snap.generation, 2u);
    EXPECT_EQ(st.backups().size(), backups_before);
  }
  EXPECT_EQ(temp_files(dir.path()), std::vector<std::string>{});
  // A failed commit is in the audit log (unless the log is what failed: then the
  // record of the commit is kept, verify says so, and the next commit writes it).
  if (c.after == Syscall::rename && c.call == Syscall::write) {
    const auto report = st.verify();
    EXPECT_TRUE(report.ok);
    EXPECT_EQ(report.log.unwritten, 1u);
  } else {
    const json::Doc last = json::parse(st.history(1));
    EXPECT_TRUE(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(last.get(), 0), "ok")));
  }
  // The next commit goes on from the right generation.
  auto next = st.begin();
  next->set("/counter", "3");
  EXPECT_EQ(next->commit(), snap.generation + 1);
  if (c.after == Syscall::rename && c.call == Syscall::write) {
    const json::Doc last = json::parse(st.history(2));
    EXPECT_EQ(json::number_value(cJSON_GetObjectItem(cJSON_GetArrayItem(last.get(), 1), "generation")), 3);
    EXPECT_EQ(json::number_value(cJSON_GetObjectItem(cJSON_GetArrayItem(last.get(), 0), "generation")), 4);
  }
  bool damaged = true;
  damaged = !st.verify().ok;
  EXPECT_FALSE(damaged);
}

INSTANTIATE_TEST_SUITE_P(
    EveryStep, CommitFault,
    // The temp file's create, write, fsync and close, the backup's link, the generation
    // record's pwrite, the replace, the directory's fsync after it, and the audit log's
    // write after it.
    ::testing::Values(FaultCase{Syscall::open, Syscall::count_, EACCES, Status::permission, false},
                      FaultCase{Syscall::write, Syscall::count_, EIO, Status::io, false},
                      FaultCase{Syscall::write, Syscall::count_, ENOSPC, Status::no_space, false},
                      FaultCase{Syscall::write, Syscall::count_, EDQUOT, Status::no_space, false},
                      FaultCase{Syscall::fsync, Syscall::count_, EIO, Status::io, false},
                      FaultCase{Syscall::close, Syscall::fsync, EIO, Status::io, false},
                      FaultCase{Syscall::link, Syscall::count_, EIO, Status::io, false},
                      FaultCase{Syscall::pwrite, Syscall::count_, EIO, Status::io, false},
                      FaultCase{Syscall::rename, Syscall::count_, EIO, Status::io, false},
#ifndef _WIN32  // Windows makes no call to flush a directory (see windows/dir.cpp)
                      FaultCase{Syscall::fsync, Syscall::rename, EIO, Status::io, true},
#endif
                      FaultCase{Syscall::write, Syscall::rename, ENOSPC, Status::ok, true}));

TEST(CommitFault, BackupIsCopiedWhereLinksAreRefused) {
  fltest::TempDir dir;
  const std::string path = dir.file("state.json");
  State st(path, counter_options());
  const std::string outgoing = slurp(path);
  struct stat before {};
  ::stat(path.c_str(), &before);
  syscalls::fail(Syscall::link, 1, EXDEV);
  EXPECT_EQ(st.write(R"({"counter":1})", nullptr), 2u);
  syscalls::clear();
  const auto list = st.backups();
  ASSERT_EQ(list.size(), 1u);
  const std::string copy = dir.file(".state.json.filelock/backups/" + list[0].id + ".json");
#ifndef _WIN32  // the Windows C runtime's stat() reports no inode numbers (st_ino is 0)
  struct stat backup {};
  ::stat(copy.c_str(), &backup);
  EXPECT_NE(backup.st_ino, before.st_ino);
#endif
  EXPECT_EQ(slurp(copy), outgoing);
  EXPECT_EQ(temp_files(dir.path()), std::vector<std::string>{});
}

TEST(CommitFault, FsyncFailureIsFinal) {
  // The failing fsync is the 1st; a retry would be the 2nd. The commit must fail
  // without trying again, and the old document stay.
  fltest::TempDir dir;
  State st(dir.file("state.json"), counter_options());
  syscalls::fail(Syscall::fsync, 1, EIO);
  fltest::SyscallRecording rec;
  EXPECT_EQ(status_of([&] { st.write(R"({"counter":5})", nullptr); }), Status::io);
  rec.stop();
  syscalls::clear();
  EXPECT_EQ(fltest::nth_call(rec.calls, Syscall::fsync, Syscall::fsync), 0) << fltest::call_list(rec.calls);
  EXPECT_EQ(counter_of(st.read().json), 0);
}

TEST(Append, FaultsLeaveTheFileAsItWas) {
  fltest::TempDir dir;
  const std::string path = dir.file("journal.jsonl");
  append_line(path, R"({"n":1})", {}, true);
  const std::string before = slurp(path);
  for (const auto call : {Syscall::write, Syscall::fsync}) {
    syscalls::fail(call, 1, EIO);
    EXPECT_EQ(status_of([&] { append_line(path, R"({"n":2})", {}, true); }), Status::io);
    syscalls::clear();
    EXPECT_EQ(slurp(path), before);
  }
  std::string msg;
  EXPECT_EQ(status_of([&] { append_line(path, "{\"n\":", {}, true); }, &msg), Status::invalid);
  EXPECT_NE(msg.find(path), std::string::npos);
  // Strings with newlines stay on one line; a file not ending in a newline gets one.
  statetest::spit(path, before + "{\"foreign\":1}");
  append_line(path, "{\"text\":\"a\\nb\"}", {}, false);
  EXPECT_EQ(slurp(path), before + "{\"foreign\":1}\n{\"text\":\"a\\nb\"}\n");
}

// ---- Disk full: a size limit in a helper process -----------------------------------
// Only where a process can limit its file sizes (RLIMIT_FSIZE): Windows cannot.
#ifdef RLIMIT_FSIZE

FLTEST_HELPER("state-fsize") {
  // SIGXFSZ would kill us; ignored, the write fails with EFBIG instead.
  ::signal(SIGXFSZ, SIG_IGN);
  State st(args.at(0), counter_options());
  const rlimit limit{4096, 4096};
  if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return 10;
  int failures = 0;
  const std::string big = R"({"counter":1,"pad":")" + std::string(8192, 'x') + "\"}";
  failures += status_of([&] { st.write(big, nullptr); }) == Status::no_space;
  failures += status_of([&] { append_line(args.at(1), big, {}, true); }) == Status::no_space;
  return failures == 2 ? 0 : 20 + failures;
}

TEST(DiskFull, FileSizeLimitGivesNoSpaceAndChangesNothing) {
  fltest::TempDir dir;
  const std::string path = dir.file("state.json");
  const std::string journal = dir.file("journal.jsonl");
  State st(path, counter_options());
  append_line(journal, R"({"n":1})", {}, true);
  const std::string before = slurp(path);
  const std::string journal_before = slurp(journal);
  auto p = fltest::spawn_helper("state-fsize", {path, journal});
  EXPECT_EQ(fltest::wait_exit(p), 0);
  EXPECT_EQ(slurp(path), before);
  EXPECT_EQ(slurp(journal), journal_before);
  EXPECT_EQ(st.read().generation, 1u);
  EXPECT_EQ(temp_files(dir.path()), std::vector<std::string>{});
}

#endif  // RLIMIT_FSIZE

// ---- Writers killed mid-commit -------------------------------------------------------

FLTEST_HELPER("state-increment") {
  State st(args.at(0), counter_options());
  const int count = std::stoi(args.at(1));
  for (int i = 0; i < count; ++i) {
    auto txn = st.begin();
    const std::string value = txn->get("/counter");
    txn->set("/counter", std::to_string(std::stoll(value) + 1));
    txn->commit();
    // Acknowledged only once commit() has returned.
    if (::write(STDOUT_FILENO, "ok\n", 3) != 3) return 3;
  }
  return 0;
}

TEST(Kill, CounterMatchesAcknowledgedCommitsDespiteSigkills) {
  fltest::TempDir dir;
  const std::string path = dir.file("state.json");
  State observer(path, counter_options());
  std::mt19937 rng(12345);
  int64_t acked = 0;
  int kills = 0;
  for (int round = 0; round < 4; ++round) {
    std::vector<fltest::Process> writers;
    for (int w = 0; w < 3; ++w) writers.push_back(fltest::spawn_helper("state-increment", {path, "25"}));
    // Other tools read the file directly, without the lock: they must only ever see a
    // whole document. (Their open may fail on Windows while the name is being replaced,
    // as it does under Wine; such a reader tries again and still sees no torn file.)
    std::atomic<bool> stop{false};
    int unparsable = 0;
    int unopenable = 0;
    std::thread reader([&] {
      while (!stop.load()) {
        std::string text;
        if (!statetest::read_if_open(path, text)) {
          ++unopenable;
          continue;
        }
        try {
          json::parse(text);
        } catch (const json::JsonError &) {
          ++unparsable;
        }
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 120));
    for (int w = 0; w < 3; ++w) {
      if (rng() % 2 == 0) {
        fltest::kill_hard(writers[w]);
        ++kills;
      }
    }
    for (auto &p : writers) {
      while (fltest::read_line(p) == "ok") ++acked;
      const int code = fltest::wait_exit(p);
      EXPECT_TRUE(code == 0 || code == 128 + SIGKILL) << code;
    }
    stop = true;
    reader.join();
    EXPECT_EQ(unparsable, 0);
#ifndef _WIN32
    EXPECT_EQ(unopenable, 0);  // a POSIX rename never hides the name
#endif
    // The file always parses, and the generation belongs to the document.
    const auto snap = observer.read();
    const int64_t counter = counter_of(snap.json);
    EXPECT_EQ(snap.generation, static_cast<uint64_t>(counter) + 1);
    // A kill between commit() and the acknowledgement loses at most one ack.
    EXPECT_GE(counter, acked);
    EXPECT_LE(counter, acked + kills);
  }
  EXPECT_GT(kills, 0);
  // A new open removes what the killed writers left; nothing else is left over.
  State fresh(path, counter_options());
  EXPECT_EQ(temp_files(dir.path()), std::vector<std::string>{});
  bool damaged = true;
  damaged = !fresh.verify().ok;
  EXPECT_FALSE(damaged);
  const int64_t counter = counter_of(fresh.read().json);
  const json::Doc history = json::parse(fresh.history(0));
  int64_t ok_commits = 0;
  for (const cJSON *r = history->child; r != nullptr; r = r->next) {
    ok_commits += cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")) &&
                  std::string(cJSON_GetObjectItem(r, "op")->valuestring) == "commit";
  }
  EXPECT_LE(ok_commits, counter);
  EXPECT_GE(ok_commits, counter - kills);
}

TEST(Threads, HandlesInOneProcessExcludeEachOther) {
  fltest::TempDir dir;
  const std::string path = dir.file("state.json");
  State(path, counter_options());
  auto work = [&] {
    StateOptions o = counter_options();
    o.durable = false;
    State st(path, o);
    for (int i = 0; i < 40; ++i) {
      auto txn = st.begin();
      txn->set("/counter", std::to_string(std::stoll(txn->get("/counter")) + 1));
      txn->commit();
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  State st(path, counter_options());
  const auto snap = st.read();
  EXPECT_EQ(counter_of(snap.json), 80);
  EXPECT_EQ(snap.generation, 81u);
}

// ---- Concurrent appenders ------------------------------------------------------------

FLTEST_HELPER("state-append") {
  const std::string pad(300, 'p');
  for (int n = 0; n < std::stoi(args.at(2)); ++n) {
    append_line(args.at(0), R"({"w":)" + args.at(1) + R"(,"n":)" + std::to_string(n) +
                                R"(,"pad":")" + pad + "\"}",
                {}, false);
  }
  return 0;
}

TEST(Append, ConcurrentAppendersNeverInterleave) {
  fltest::TempDir dir;
  const std::string path = dir.file("journal.jsonl");
  constexpr int kWriters = 4, kLines = 60;
  std::vector<fltest::Process> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.push_back(fltest::spawn_helper("state-append", {path, std::to_string(w), std::to_string(kLines)}));
  }
  for (auto &p : writers) EXPECT_EQ(fltest::wait_exit(p), 0);
  const std::string text = slurp(path);
  std::set<std::pair<int, int>> seen;
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    ASSERT_NE(nl, std::string::npos);
    const json::Doc line = json::parse(text.substr(start, nl - start));
    seen.insert({static_cast<int>(json::number_value(cJSON_GetObjectItem(line.get(), "w"))),
                 static_cast<int>(json::number_value(cJSON_GetObjectItem(line.get(), "n")))});
    start = nl + 1;
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kWriters * kLines));
}

}  // namespace
}  // namespace filelock::state
