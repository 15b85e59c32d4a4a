// The journal (option journal_max_bytes, state/journal.hpp): commits appended as
// operations on top of the document file, checkpointed into it, read back by every
// handle; with real processes, injected faults, crashes at each step and damage.
#include <gtest/gtest.h>

#ifndef _WIN32
#include <sys/wait.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "io/observe.hpp"
#include "platform/file.hpp"
#include "state/journal.hpp"
#include "state/state.hpp"
#include "state_test_util.hpp"
#include "support.hpp"
#include "syscall_record.hpp"

namespace filelock::state {
namespace {

using statetest::slurp;
using statetest::spit;
using statetest::status_of;
using statetest::temp_files;
namespace syscalls = platform::syscalls;

StateOptions journal_options(int64_t max_bytes = 1 << 20) {
  StateOptions o;
  o.initial_json = R"({"counter":0,"name":"journal"})";
  o.journal_max_bytes = max_bytes;
  return o;
}

int64_t counter_in(const std::string &text) {
  const json::Doc doc = json::parse(text);
  return static_cast<int64_t>(json::number_value(cJSON_GetObjectItem(doc.get(), "counter")));
}

uint64_t increment(State &st) {
  auto txn = st.begin();
  txn->set("/counter", std::to_string(std::stoll(txn->get("/counter")) + 1));
  return txn->commit();
}

// Three commits on `st`, read back through `j`: the scan, the journal's bytes, and where
// its last record begins (0 unless the scan found three).
struct ThreeRecords {
  JournalScan scan;
  std::string bytes;
  size_t last = 0;
};
ThreeRecords three_records(State &st, Journal &j) {
  for (int i = 0; i < 3; ++i) increment(st);
  ThreeRecords r{j.scan(), slurp(j.path())};
  if (r.scan.payloads.size() == 3)
    r.last = r.bytes.size() - (Journal::kRecordOverhead + r.scan.payloads.back().size());
  return r;
}


uint64_t file_size(const std::string &path) {
  platform::FileInfo info;
  return platform::path_info(path, info) ? 0 : info.size;
}

struct Paths {
  fltest::TempDir dir;
  std::string doc = dir.file("state.json");
  std::string meta = dir.file(".state.json.filelock");
  std::string journal = meta + fltest::kSeparator + "journal";
};

TEST(Journal, CommitsAppendWithoutRewritingTheDocumentAndSurviveReopen) {
  Paths p;
  {
    State st(p.doc, journal_options());
    // The document's creation (a whole write, as every checkpoint) starts the journal.
    EXPECT_EQ(file_size(p.journal), Journal::kHeaderSize);
    const std::string after_checkpoint = slurp(p.doc);
    EXPECT_EQ(increment(st), 2u);
    EXPECT_EQ(increment(st), 3u);
    EXPECT_EQ(increment(st), 4u);
    auto txn = st.begin();
    txn->set("/list", "[1,2,{\"a\":null}]");
    txn->set("/nested/deep/x", "\"y\"");
    txn->remove("/name");
    txn->merge(R"({"m":{"k":1},"counter":null})");
    EXPECT_EQ(txn->commit(), 5u);
    EXPECT_EQ(slurp(p.doc), after_checkpoint);  // the file is untouched
    EXPECT_GT(file_size(p.journal), Journal::kHeaderSize);
    EXPECT_EQ(st.read().generation, 5u);
  }
  const std::string expected =
      "{\n\t\"list\":\t[1, 2, {\n\t\t\t\"a\":\tnull\n\t\t}],\n\t\"nested\":\t{\n\t\t\"deep\":\t{\n\t\t\t\"x\":\t\"y\"\n\t\t}\n\t},\n\t\"m\":\t{\n\t\t\"k\":\t1\n\t}\n}\n";
  // A handle without the option reads the journal too.
  State plain(p.doc, StateOptions{});
  const auto snap = plain.read();
  EXPECT_EQ(snap.generation, 5u);
  EXPECT_EQ(snap.json, expected);
  EXPECT_TRUE(plain.verify().ok);
  // Its own commit rewrites the file, and the journal starts again on top of it.
  EXPECT_EQ(plain.write(R"({"counter":10})", nullptr), 6u);
  EXPECT_EQ(file_size(p.journal), Journal::kHeaderSize);
  State again(p.doc, journal_options());
  EXPECT_EQ(increment(again), 7u);
  EXPECT_EQ(counter_in(plain.read().json), 11);
  EXPECT_EQ(plain.read().generation, 7u);
}

TEST(Journal, UnchangedTransactionWritesNothing) {
  Paths p;
  State st(p.doc, journal_options());
  increment(st);
  const uint64_t size = file_size(p.journal);
  auto txn = st.begin();
  txn->set("/counter", "1");
  EXPECT_EQ(txn->commit(), 2u);
  EXPECT_EQ(file_size(p.journal), size);
}

TEST(Journal, CheckpointRewritesTheDocumentWhenTheJournalWouldPassItsBound) {
  Paths p;
  State st(p.doc, journal_options(400));
  uint64_t generation = 0;
  int checkpoints = 0;
  for (int i = 0; i < 40; ++i) {
    const uint64_t before = file_size(p.journal);
    generation = increment(st);
    if (file_size(p.journal) < before || before == 0) ++checkpoints;
    EXPECT_LE(file_size(p.journal), 400u);
  }
  EXPECT_EQ(generation, 41u);
  EXPECT_GT(checkpoints, 3);
  State plain(p.doc, StateOptions{});
  EXPECT_EQ(counter_in(plain.read().json), 40);
  // Backups were taken at checkpoints, each labelled with the file's generation.
  const auto backups = st.backups();
  EXPECT_FALSE(backups.empty());
  for (const auto &b : backups) EXPECT_LT(b.generation, 41u);
}

TEST(Journal, WriteIfBackupAndRestoreKeepTheirMeaning) {
  Paths p;
  State st(p.doc, journal_options());
  increment(st);
  increment(st);  // generation 3, journal record on top of generation 2's file
  const uint64_t stale = 2;
  EXPECT_EQ(status_of([&] { st.write(R"({"counter":99})", &stale); }), Status::conflict);
  const std::string id = st.backup();  // of the current document, not the file
  EXPECT_EQ(counter_in(slurp(p.meta + "/backups/" + id + ".json")), 2);
  increment(st);
  const uint64_t current = 4;
  EXPECT_EQ(st.write(R"({"counter":50})", &current), 5u);
  EXPECT_EQ(st.restore(id), 6u);
  EXPECT_EQ(counter_in(st.read().json), 2);
  EXPECT_EQ(increment(st), 7u);
  EXPECT_EQ(counter_in(st.read().json), 3);
}

TEST(Journal, TornTailIsIgnoredReportedAndCutOffByTheNextCommit) {
  Paths p;
  State st(p.doc, journal_options());
  increment(st);
  increment(st);
  const uint64_t valid = file_size(p.journal);
  // What a crash mid-append leaves: part of a record (of 1000 payload bytes, 100 there),
  // longer than the next record, which must not leave any of it behind.
  std::string torn(Journal::kRecordOverhead - 8 + 100, 'x');
  const uint64_t claimed[2] = {1000, 4};
  torn.replace(0, sizeof claimed, reinterpret_cast<const char *>(claimed), sizeof claimed);
  spit(p.journal, slurp(p.journal) + torn);
  State reader(p.doc, journal_options());
  EXPECT_EQ(reader.read().generation, 3u);
  EXPECT_EQ(counter_in(reader.read().json), 2);
  const VerifyReport r = reader.verify();
  EXPECT_TRUE(r.ok);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("journal: the last record is incomplete"), std::string::npos) << r.problems[0];
  EXPECT_EQ(increment(reader), 4u);
  // Cut off, then one record appended after the last valid one.
  const uint64_t grown = file_size(p.journal);
  EXPECT_GT(grown, valid);
  EXPECT_LT(grown, valid + torn.size());
  EXPECT_TRUE(reader.verify().problems.empty());
  EXPECT_EQ(counter_in(st.read().json), 3);
}

// A power cut can keep an unsynced append's first bytes and zero the rest: the last
// record fails its checksum with nothing after it. That is a torn tail (readers skip it,
// the next commit cuts it off), not damage.
TEST(Journal, LastRecordTornWithZerosIsATornTailNotDamage) {
  Paths p;
  State st(p.doc, journal_options());
  Journal j(p.journal);
  ThreeRecords three = three_records(st, j);
  ASSERT_EQ(three.scan.payloads.size(), 3u);
  std::string &journal = three.bytes;
  const size_t last = three.last;
  for (size_t i = last + 24; i < journal.size(); ++i) journal[i] = '\0';  // from an 8-byte boundary on
  spit(p.journal, journal);
  State reader(p.doc, journal_options());
  EXPECT_EQ(counter_in(reader.read().json), 2);
  const VerifyReport r = reader.verify();
  EXPECT_TRUE(r.ok) << (r.problems.empty() ? "" : r.problems[0]);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("cut off by the next journal commit"), std::string::npos) << r.problems[0];
  EXPECT_EQ(increment(reader), 4u);
  EXPECT_TRUE(reader.verify().problems.empty());
}

// A scan reads through the descriptor the last one kept; once the file there is another
// (replaced or removed: nothing in filelock does either, a user may), it reads that one.
TEST(Journal, AScanAfterTheFileWasReplacedReadsTheFileThereNow) {
  Paths p;
  State st(p.doc, journal_options());
  Journal j(p.journal);
  ThreeRecords three = three_records(st, j);
  ASSERT_EQ(three.scan.payloads.size(), 3u);
  std::string shorter = three.bytes.substr(0, three.last);
  spit(p.journal + ".new", shorter);
  ASSERT_EQ(std::rename((p.journal + ".new").c_str(), p.journal.c_str()), 0);
  EXPECT_EQ(j.scan().payloads.size(), 2u);
  ASSERT_EQ(std::remove(p.journal.c_str()), 0);
  EXPECT_FALSE(j.scan().exists);
  spit(p.journal, shorter);
  EXPECT_EQ(j.scan().payloads.size(), 2u);
}

TEST(Journal, DamagedRecordBeforeOthersIsReportedAsDamage) {
  Paths p;
  State st(p.doc, journal_options());
  for (int i = 0; i < 3; ++i) increment(st);  // three records on top of generation 1
  std::string journal = slurp(p.journal);
  journal[Journal::kHeaderSize + 30] ^= 0x20;  // inside the first record's payload
  spit(p.journal, journal);
  State reader(p.doc, journal_options());
  // The records from the damaged one on are not taken.
  EXPECT_EQ(reader.read().generation, 1u);
  const VerifyReport r = reader.verify();
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("fails its checksum"), std::string::npos) << r.problems[0];
}

TEST(Journal, RecordThatDoesNotApplyIsCorruptForReadsAndDamageForVerify) {
  Paths p;
  State st(p.doc, journal_options());
  increment(st);  // generation 2, a record on top of generation 1's file
  Journal journal(p.journal);
  const JournalScan scan = journal.scan();
  ASSERT_EQ(scan.last_generation, 2u);
  journal.append(scan.end, 3, R"([{"op":"remove","path":"/missing"}])", false);
  State reader(p.doc, journal_options());
  std::string msg;
  EXPECT_EQ(status_of([&] { reader.read(); }, &msg), Status::corrupt);
  EXPECT_NE(msg.find("generation 3 does not apply"), std::string::npos) << msg;
  const VerifyReport r = reader.verify();
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("journal: "), std::string::npos) << r.problems[0];
  // A whole document still goes in (a checkpoint), past the generations handed out.
  EXPECT_EQ(reader.write(R"({"counter":7})", nullptr), 4u);
  EXPECT_EQ(counter_in(reader.read().json), 7);
  EXPECT_TRUE(reader.verify().ok);
}

TEST(Journal, DocumentEditedOutsideContinuesAfterTheJournalsGenerations) {
  Paths p;
  State st(p.doc, journal_options());
  for (int i = 0; i < 3; ++i) increment(st);  // generation 4 in the journal, 1 in the file
  spit(p.doc, R"({"counter":100})");
  State reader(p.doc, journal_options());
  const auto snap = reader.read();
  EXPECT_EQ(counter_in(snap.json), 100);
  EXPECT_EQ(snap.generation, 5u);  // never back to 2
  EXPECT_EQ(increment(reader), 6u);
  EXPECT_EQ(counter_in(st.read().json), 101);
}

TEST(Journal, StaleJournalOfACrashedCheckpointIsIgnored) {
  Paths p;
  State st(p.doc, journal_options(300));
  increment(st);
  std::string before;
  // Append until the next commit checkpoints; keep the journal as it was before it.
  for (int i = 0; i < 40; ++i) {
    before = slurp(p.journal);
    const uint64_t size = file_size(p.journal);
    increment(st);
    if (file_size(p.journal) < size) break;
  }
  ASSERT_LT(file_size(p.journal), before.size());
  const uint64_t generation = st.read().generation;
  const int64_t counter = counter_in(st.read().json);
  // A crash after the checkpoint's rename, before the journal started again.
  spit(p.journal, before);
  State reader(p.doc, journal_options(300));
  EXPECT_EQ(reader.read().generation, generation);
  EXPECT_EQ(counter_in(reader.read().json), counter);
  const VerifyReport r = reader.verify();
  EXPECT_TRUE(r.ok);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("journal: stale"), std::string::npos) << r.problems[0];
  // The next journal commit checkpoints again and goes on.
  EXPECT_EQ(increment(reader), generation + 1);
  EXPECT_EQ(increment(reader), generation + 2);
  EXPECT_EQ(counter_in(st.read().json), counter + 2);
  EXPECT_TRUE(reader.verify().problems.empty());
}

TEST(Journal, LongLivedReaderReadsOnlyTheNewRecords) {
  Paths p;
  State writer(p.doc, journal_options());
  increment(writer);
  increment(writer);
  State reader(p.doc, journal_options());
  EXPECT_EQ(counter_in(reader.read().json), 2);
  increment(writer);
  std::vector<platform::Syscall> calls;
  Store::Snapshot snap;
  {
    fltest::SyscallRecording rec;
    snap = reader.read();
    rec.stop();
    calls = rec.calls;
  }
  EXPECT_EQ(counter_in(snap.json), 3);
  EXPECT_EQ(snap.generation, 4u);
  // Nothing is opened: not the document file, and the journal is read through the
  // descriptor its last scan kept; only its new bytes are read.
  int opens = 0;
  for (const auto c : calls) opens += c == platform::Syscall::open;
  EXPECT_EQ(opens, 0) << fltest::call_list(calls);
  const VerifyReport r = reader.verify();
  EXPECT_TRUE(r.ok);
  // A handle's own commit hands its tree back: its next read opens nothing.
  EXPECT_EQ(increment(reader), 5u);
  {
    fltest::SyscallRecording rec;
    EXPECT_EQ(counter_in(reader.read().json), 4);
    rec.stop();
    calls = rec.calls;
  }
  opens = 0;
  for (const auto c : calls) opens += c == platform::Syscall::open;
  EXPECT_EQ(opens, 0) << fltest::call_list(calls);
  EXPECT_EQ(counter_in(writer.read().json), 4);
}

// fl_state_get answers from the kept tree: after another handle's commit it opens
// nothing (the journal's kept descriptor reads the new records), and a get hands the
// tree back for the next one.
TEST(Journal, GetAfterAnotherHandlesCommitReadsOnlyTheNewRecords) {
  Paths p;
  State writer(p.doc, journal_options());
  increment(writer);
  State reader(p.doc, journal_options());
  EXPECT_EQ(reader.get("/counter").json, "1");
  for (int round = 2; round <= 3; ++round) {
    increment(writer);
    std::vector<platform::Syscall> calls;
    Store::Snapshot snap;
    {
      fltest::SyscallRecording rec;
      snap = reader.get("/counter");
      rec.stop();
      calls = rec.calls;
    }
    EXPECT_EQ(snap.json, std::to_string(round));
    EXPECT_EQ(snap.generation, static_cast<uint64_t>(round) + 1);
    int opens = 0;
    for (const auto c : calls) opens += c == platform::Syscall::open;
    EXPECT_EQ(opens, 0) << fltest::call_list(calls);
  }
  EXPECT_EQ(reader.get("/name").json, R"("journal")");
  EXPECT_EQ(status_of([&] { reader.get("/nothing/here"); }), Status::not_found);
  // The same handle's read and transaction still see every commit.
  EXPECT_EQ(counter_in(reader.read().json), 3);
  EXPECT_EQ(increment(reader), 5u);
  EXPECT_EQ(writer.get("/counter").json, "4");
}

// A commit of `writer` while `waiter` waits for a change after `seen` (the wait has
// begun, or begins at once after the commit): what the wait returned, 0 for an error.
uint64_t wait_for_next_commit(State &waiter, State &writer, uint64_t seen) {
  std::atomic<uint64_t> woke{0};
  std::thread t([&] {
    try {
      woke = waiter.wait_for_change(seen, 20000);
    } catch (const Error &) {
      woke = 0;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  increment(writer);
  t.join();
  return woke.load();
}

TEST(Journal, ChangeWaitWakesOnAJournalCommit) {
  Paths p;
  State writer(p.doc, journal_options());
  increment(writer);  // the journal exists from here
  StateOptions o;
  // Only the watch on the journal can wake it in time.
  o.lock.retry_interval_ms = 600000;
  State waiter(p.doc, o);
  const uint64_t seen = waiter.read().generation;
  const auto began = std::chrono::steady_clock::now();
  EXPECT_EQ(wait_for_next_commit(waiter, writer, seen), seen + 1);
  // Woken by the commit, not by the wait's end (which also finds the new generation).
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(10));
  // And one that begins after the journal's commit returns at once.
  EXPECT_EQ(waiter.wait_for_change(seen, kNoWait), seen + 1);
}

// The handle keeps the watch of one wait for the next (closing an inotify instance
// costs a kernel grace period between the wake-up and the return): the next wait makes
// no watch, and the kept one still wakes it. In a forked child the kept watch is the
// parent's too (one event queue): the child's wait makes its own.
TEST(Journal, ChangeWaitKeepsItsWatchForTheNextWait) {
  Paths p;
  State writer(p.doc, journal_options());
  increment(writer);
  StateOptions o;
  o.lock.retry_interval_ms = 600000;  // only a watch wakes it in time
  State waiter(p.doc, o);
  uint64_t seen = waiter.read().generation;
  EXPECT_THROW(waiter.wait_for_change(seen, 1), Error);  // made the watch, and timed out
  fltest::SyscallRecording rec;
  const auto began = std::chrono::steady_clock::now();
  EXPECT_EQ(wait_for_next_commit(waiter, writer, seen), seen + 1);
  rec.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(10));
  EXPECT_EQ(fltest::nth_call(rec.calls, platform::Syscall::watch), 0) << fltest::call_list(rec.calls);
  // Nor a wake-up: the last wait's event serves (its close was on the way back).
  EXPECT_EQ(fltest::nth_call(rec.calls, platform::Syscall::wakeup), 0) << fltest::call_list(rec.calls);
  ++seen;
#ifndef _WIN32
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    fltest::SyscallRecording in_child;
    const bool woke = wait_for_next_commit(waiter, writer, seen) == seen + 1;
    in_child.stop();
    ::_exit(!woke                                                              ? 1
            : fltest::nth_call(in_child.calls, platform::Syscall::watch) != 1  ? 2
            : fltest::nth_call(in_child.calls, platform::Syscall::wakeup) != 1 ? 3
                                                                               : 0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the child's wait was not woken; 2: it made no watch of its own; "
                                       "3: it made no wake-up of its own";
  ++seen;
  // The parent's kept watch still serves it.
  EXPECT_EQ(wait_for_next_commit(waiter, writer, seen), seen + 1);
#endif
}

#ifndef _WIN32
// A child that, told by a byte on `go`, makes each commit of `commits` on `doc` with a
// journal of `max_bytes` (its second may then be a checkpoint).
pid_t committer(const std::string &doc, int64_t max_bytes, int commits, int go) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  State writer(doc, journal_options(max_bytes));
  char c;
  for (int i = 0; i < commits; ++i) {
    if (::read(go, &c, 1) != 1) ::_exit(1);
    increment(writer);
  }
  ::_exit(0);
}

bool ended_well(pid_t pid) {
  int status = 0;
  return ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

size_t count_of(const std::vector<platform::Syscall> &calls, platform::Syscall call) {
  return static_cast<size_t>(std::count(calls.begin(), calls.end(), call));
}

// A wake whose events name the journal only reads the journal alone: the document is not
// looked at and the generation record not read (calls between another process's commit
// and the waiter's return).
TEST(Journal, AWakeByAJournalCommitReadsTheJournalAlone) {
  Paths p;
  {
    State writer(p.doc, journal_options());
    increment(writer);  // the journal exists from here
  }
  StateOptions o;
  o.lock.retry_interval_ms = 600000;  // only a watch wakes it in time
  State waiter(p.doc, o);
  const uint64_t seen = waiter.read().generation;
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  const pid_t pid = committer(p.doc, 1 << 20, 1, go[0]);
  ASSERT_GE(pid, 0);
  std::atomic<uint64_t> woke{0};
  std::thread t([&] {
    try {
      woke = waiter.wait_for_change(seen, 20000);
    } catch (const Error &) {
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // its first looks done, asleep
  fltest::SyscallRecording rec;
  ASSERT_EQ(::write(go[1], "x", 1), 1);
  t.join();
  rec.stop();
  EXPECT_TRUE(ended_well(pid));
  ::close(go[0]);
  ::close(go[1]);
  EXPECT_EQ(woke.load(), seen + 1);
  // The journal's stat, its header and its new record.
  EXPECT_EQ(count_of(rec.calls, platform::Syscall::stat), 1u) << fltest::call_list(rec.calls);
  EXPECT_EQ(count_of(rec.calls, platform::Syscall::read), 2u) << fltest::call_list(rec.calls);
  EXPECT_EQ(count_of(rec.calls, platform::Syscall::open), 0u) << fltest::call_list(rec.calls);
}

// In one wait: a journal commit (a quiet look, the generation not yet past), then a
// checkpoint (the document renamed, the journal started again), which ends it.
TEST(Journal, AWaitWokenByAJournalCommitStillSeesTheCheckpointAfterIt) {
  Paths p;
  const int64_t max_bytes = 200;  // two records of 66 bytes after the header fit, a third checkpoints
  {
    State writer(p.doc, journal_options(max_bytes));
    increment(writer);
  }
  ASSERT_GT(file_size(p.journal), Journal::kHeaderSize);
  StateOptions o;
  o.lock.retry_interval_ms = 600000;
  State waiter(p.doc, o);
  const uint64_t seen = waiter.read().generation;
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  const pid_t pid = committer(p.doc, max_bytes, 2, go[0]);
  ASSERT_GE(pid, 0);
  std::atomic<uint64_t> woke{0};
  std::thread t([&] {
    try {
      woke = waiter.wait_for_change(seen + 1, 20000);
    } catch (const Error &) {
    }
  });
  const auto began = std::chrono::steady_clock::now();
  const uint64_t one_record = file_size(p.journal);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(::write(go[1], "x", 1), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_GT(file_size(p.journal), one_record) << "the first commit did not append";
  ASSERT_EQ(::write(go[1], "x", 1), 1);
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(10));
  EXPECT_TRUE(ended_well(pid));
  ::close(go[0]);
  ::close(go[1]);
  EXPECT_EQ(woke.load(), seen + 2);
  EXPECT_EQ(file_size(p.journal), Journal::kHeaderSize) << "the second commit did not checkpoint";
  EXPECT_EQ(waiter.read().generation, seen + 2);
}
#endif

// ---- Several processes -----------------------------------------------------------

FLTEST_HELPER("journal-increment") {
  State st(args.at(0), journal_options(std::stoll(args.at(2))));
  const int count = std::stoi(args.at(1));
  for (int i = 0; i < count; ++i) {
    increment(st);
    if (std::fputs("ok\n", stdout) < 0 || std::fflush(stdout) != 0) return 3;
  }
  return 0;
}

TEST(Journal, ProcessesAddingLoseNoIncrementAcrossCheckpoints) {
  Paths p;
  { State create(p.doc, journal_options()); }
  std::vector<fltest::Process> writers;
  for (int w = 0; w < 3; ++w) writers.push_back(fltest::spawn_helper("journal-increment", {p.doc, "30", "600"}));
  for (auto &w : writers) {
    while (fltest::read_line(w) == "ok") {
    }
    EXPECT_EQ(fltest::wait_exit(w), 0);
  }
  State st(p.doc, journal_options());
  const auto snap = st.read();
  EXPECT_EQ(counter_in(snap.json), 90);
  EXPECT_EQ(snap.generation, 91u);
  EXPECT_TRUE(st.verify().ok);
}

TEST(Journal, SigkilledWritersLoseNoAcknowledgedCommit) {
  Paths p;
  { State create(p.doc, journal_options()); }
  int64_t acked = 0;
  int kills = 0;
  for (int round = 0; round < 3; ++round) {
    std::vector<fltest::Process> writers;
    for (int w = 0; w < 3; ++w) writers.push_back(fltest::spawn_helper("journal-increment", {p.doc, "40", "500"}));
    // Each writer is killed once it has acknowledged a few commits (mid-commit or not).
    for (int w = 0; w < 3; ++w) {
      for (int k = 0; k < 3 + w * 4 + round; ++k) {
        if (fltest::read_line(writers[w]) == "ok") ++acked;
      }
      if (w != 1) {
        fltest::kill_hard(writers[w]);
        ++kills;
      }
    }
    for (auto &w : writers) {
      while (fltest::read_line(w) == "ok") ++acked;
      fltest::wait_exit(w);
    }
    State st(p.doc, journal_options());
    const auto snap = st.read();
    const int64_t counter = counter_in(snap.json);
    EXPECT_EQ(snap.generation, static_cast<uint64_t>(counter) + 1);
    EXPECT_GE(counter, acked);
    EXPECT_LE(counter, acked + kills);
    EXPECT_TRUE(st.verify().ok);
    EXPECT_EQ(temp_files(p.dir.path()), std::vector<std::string>{});
  }
}

// ---- A crash at each step --------------------------------------------------------

// Commits once on a state prepared by the test, ending the process (no unwinding, no
// cleanup: a crash) right after the observed step number args[2] succeeds.
std::atomic<int> steps_left{0};
void crash_after(io::Step, const std::string &, void *) {
  if (--steps_left == 0) std::_Exit(42);
}

FLTEST_HELPER("journal-crash") {
  State st(args.at(0), journal_options(std::stoll(args.at(1))));
  auto txn = st.begin();
  txn->set("/counter", std::to_string(std::stoll(txn->get("/counter")) + 1));
  steps_left = std::stoi(args.at(2));
  io::set_observer(&crash_after, nullptr);
  txn->commit();
  io::set_observer(nullptr, nullptr);
  return 0;
}

// The state the crash test starts from: generation 4, counter 3, with a journal of
// three records (a handle with a small bound checkpoints at its next commit).
void prepare(const Paths &p) {
  State st(p.doc, journal_options());
  for (int i = 0; i < 3; ++i) increment(st);
}

void crash_at_each_step(int64_t crashing_bound) {
  int completed = 0;
  int step = 1;
  for (; step < 40 && completed == 0; ++step) {
    SCOPED_TRACE("crash after step " + std::to_string(step));
    Paths p;
    prepare(p);
    fltest::Process child =
        fltest::spawn_helper("journal-crash", {p.doc, std::to_string(crashing_bound), std::to_string(step)});
    const int code = fltest::wait_exit(child);
    ASSERT_TRUE(code == 42 || code == 0) << code;
    if (code == 0) ++completed;
    // Old or new, whole, with its own generation; nothing left over once reopened.
    State after(p.doc, journal_options());
    const auto snap = after.read();
    const int64_t counter = counter_in(snap.json);
    EXPECT_TRUE(counter == 3 || counter == 4) << counter;
    EXPECT_EQ(snap.generation, static_cast<uint64_t>(counter) + 1);
    if (code == 0) {
      EXPECT_EQ(counter, 4);
    }
    EXPECT_EQ(temp_files(p.dir.path()), std::vector<std::string>{});
    EXPECT_TRUE(after.verify().ok);
    // And it goes on.
    EXPECT_EQ(increment(after), snap.generation + 1);
    EXPECT_EQ(counter_in(State(p.doc, StateOptions{}).read().json), counter + 1);
  }
  EXPECT_EQ(completed, 1);
  EXPECT_GT(step, 3);  // there were steps to crash at
}

TEST(JournalCrash, AtEachStepOfAnAppendLeavesOldOrNew) { crash_at_each_step(1 << 20); }
TEST(JournalCrash, AtEachStepOfACheckpointLeavesOldOrNew) { crash_at_each_step(Journal::kHeaderSize + 40); }

// ---- An injected failure at each system call -------------------------------------

class JournalFault : public ::testing::TestWithParam<int64_t> {
 protected:
  void TearDown() override { syscalls::clear(); }
};

TEST_P(JournalFault, EachFailedCallLeavesOldOrNewAndTheNextCommitWorks) {
  const int64_t bound = GetParam();
  std::vector<platform::Syscall> calls;
  {
    Paths twin;
    prepare(twin);
    State st(twin.doc, journal_options(bound));
    auto txn = st.begin();
    txn->set("/counter", "4");
    fltest::SyscallRecording rec;
    txn->commit();
    rec.stop();
    calls = rec.calls;
  }
  ASSERT_GT(calls.size(), 3u);
  int failed = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    SCOPED_TRACE("failing call " + std::to_string(i) + " of: " + fltest::call_list(calls));
    Paths p;
    prepare(p);
    {
      State st(p.doc, journal_options(bound));
      auto txn = st.begin();
      txn->set("/counter", "4");
      syscalls::fail(calls[i], fltest::nth_at(calls, i), EIO);
      std::string msg;
      const Status s = status_of([&] { txn->commit(); }, &msg);
      syscalls::clear();
      if (s != Status::ok) {
        ++failed;
        EXPECT_NE(msg.find(p.dir.path()), std::string::npos) << msg;
        // This handle reads what a fresh one reads (a failure after a checkpoint's rename
        // reports an error with the new document in place, as without a journal).
        const auto mine = st.read();
        EXPECT_EQ(mine.generation, static_cast<uint64_t>(counter_in(mine.json)) + 1) << msg;
      }
    }
    State after(p.doc, journal_options(bound));
    const auto snap = after.read();
    const int64_t counter = counter_in(snap.json);
    EXPECT_TRUE(counter == 3 || counter == 4) << counter;
    EXPECT_EQ(snap.generation, static_cast<uint64_t>(counter) + 1);
    EXPECT_EQ(temp_files(p.dir.path()), std::vector<std::string>{});
    EXPECT_EQ(increment(after), snap.generation + 1);
    EXPECT_TRUE(after.verify().ok);
  }
  EXPECT_GT(failed, 0);
}

INSTANTIATE_TEST_SUITE_P(AppendAndCheckpoint, JournalFault,
                         ::testing::Values(int64_t{1} << 20, int64_t{Journal::kHeaderSize + 40}));

}  // namespace
}  // namespace filelock::state
