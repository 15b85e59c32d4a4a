// The state engine through its C++ API: generations, transactions, schema, backups,
// the audit log, damaged files and bad input.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "platform/syscalls.hpp"
#include "io/os_objects.hpp"
#include "state/state.hpp"
#include "state_test_util.hpp"
#include "support.hpp"

namespace filelock::state {
namespace {

using statetest::entries;
using statetest::slurp;
using statetest::spit;
using statetest::status_of;

struct StateTest : ::testing::Test {
  fltest::TempDir dir;
  std::string path = dir.file("state.json");
  std::string meta = dir.file(".state.json.filelock");
  // Messages name the path in the engine's absolute form (backslashed on Windows).
  std::string reported = io::absolute_path(path);

  std::unique_ptr<State> open(StateOptions options = {}) {
    return std::make_unique<State>(path, std::move(options));
  }
  uint64_t counter_commit(State &st, int value) {
    auto txn = st.begin();
    txn->set("/counter", std::to_string(value));
    return txn->commit();
  }
};

TEST_F(StateTest, OpenCreatesTheInitialDocumentAsGenerationOne) {
  StateOptions o;
  o.initial_json = R"({"phase1":{"status":"pending"}})";
  auto st = open(o);
  const auto snap = st->read();
  EXPECT_EQ(snap.generation, 1u);
  // The file holds exactly the user's JSON, readable by any tool.
  EXPECT_EQ(slurp(path), "{\n\t\"phase1\":\t{\n\t\t\"status\":\t\"pending\"\n\t}\n}\n");
  EXPECT_EQ(snap.json, slurp(path));
  struct stat st_meta {};
  EXPECT_EQ(::stat((meta + "/backups").c_str(), &st_meta), 0);
  // Reopening finds the same generation.
  st.reset();
  EXPECT_EQ(open()->read().generation, 1u);
}

TEST_F(StateTest, GenerationRisesByOnePerChange) {
  auto st = open();
  EXPECT_EQ(st->write(R"({"a":1})", nullptr), 2u);
  EXPECT_EQ(counter_commit(*st, 1), 3u);
  // Nothing changed: nothing written, same generation.
  EXPECT_EQ(st->write(R"({"a":1,"counter":1})", nullptr), 3u);
  auto txn = st->begin();
  EXPECT_EQ(txn->generation(), 3u);
  EXPECT_EQ(txn->commit(), 3u);
  EXPECT_EQ(st->read().generation, 3u);
}

TEST_F(StateTest, ExternalEditCountsAsOneGenerationAndIsRecordedAtNextCommit) {
  auto st = open();
  st->write(R"({"v":1})", nullptr);  // generation 2
  spit(path, R"({"v":"edited by hand"})");
  EXPECT_EQ(st->read().generation, 3u);
  EXPECT_EQ(st->read().generation, 3u);  // stable until the next change
  EXPECT_EQ(counter_commit(*st, 7), 4u);
  st.reset();
  auto again = open();
  const auto snap = again->read();
  EXPECT_EQ(snap.generation, 4u);
  EXPECT_NE(snap.json.find("edited by hand"), std::string::npos);
}

TEST_F(StateTest, WriteIfConflictsWhenTheGenerationMoved) {
  auto st = open();
  const uint64_t g = st->read().generation;
  EXPECT_EQ(st->write(R"({"x":1})", &g), g + 1);
  std::string msg;
  EXPECT_EQ(status_of([&] { st->write(R"({"x":2})", &g); }, &msg), Status::conflict);
  EXPECT_NE(msg.find(reported), std::string::npos);
  EXPECT_NE(msg.find("generation is 2, expected 1"), std::string::npos);
  EXPECT_NE(st->read().json.find("\"x\":\t1"), std::string::npos);
}

TEST_F(StateTest, TransactionEditsAPrivateCopy) {
  auto st = open();
  st->write(R"({"phase1":{"status":"pending","files":[]},"keep":true})", nullptr);
  const std::string before = slurp(path);
  {
    auto txn = st->begin();
    txn->set("/phase1/status", R"("success")");
    txn->set("/phase1/files/-", R"("book.pdf")");
    txn->set("/phase2/metrics/duration", "42.0");
    txn->remove("/keep");
    txn->merge(R"({"phase1":{"note":"x"},"phase3":null})");
    EXPECT_EQ(txn->get("/phase1/files/0"), R"("book.pdf")");
    EXPECT_EQ(slurp(path), before);  // nothing on disk until commit
    // Dropped without commit: rolled back.
  }
  EXPECT_EQ(slurp(path), before);
  auto txn = st->begin();
  txn->set("/phase1/status", R"("success")");
  txn->set("/phase2/metrics/duration", "42.0");
  txn->merge(R"({"phase1":{"note":"x"}})");
  txn->remove("/keep");
  EXPECT_EQ(txn->commit(), 3u);
  EXPECT_EQ(json::print(json::parse(st->read().json).get(), false),
            R"({"phase1":{"status":"success","files":[],"note":"x"},"phase2":{"metrics":{"duration":42.0}}})");
}

TEST_F(StateTest, TransactionHoldsTheExclusiveLock) {
  auto st = open();
  auto other = open();
  auto txn = st->begin();
  StateOptions quick;
  quick.lock_timeout_ms = 50;
  auto impatient = std::make_unique<State>(path, quick);
  EXPECT_EQ(status_of([&] { impatient->begin(); }), Status::timeout);
  EXPECT_EQ(status_of([&] { impatient->read(); }), Status::timeout);
  txn.reset();
  EXPECT_EQ(impatient->read().generation, 1u);
}

TEST_F(StateTest, BadInputIsRefusedAndNothingChanges) {
  auto st = open();
  st->write(R"({"a":1})", nullptr);
  const std::string before = slurp(path);
  const std::vector<std::string> inputs = {"{\"a\":\"\xff\"}", R"({"a":1,"a":2})", "[NaN]",
                                           "{\"a\":", "", std::string(300, '[') + std::string(300, ']')};
  for (const std::string &bad : inputs) {
    std::string msg;
    EXPECT_EQ(status_of([&] { st->write(bad, nullptr); }, &msg), Status::invalid) << bad;
    EXPECT_NE(msg.find("write state '" + reported + "'"), std::string::npos) << msg;
  }
  auto txn = st->begin();
  EXPECT_EQ(status_of([&] { txn->set("/b", "{"); }), Status::invalid);
  EXPECT_EQ(status_of([&] { txn->set("b", "1"); }), Status::invalid);
  EXPECT_EQ(status_of([&] { txn->remove("/zz"); }), Status::not_found);
  EXPECT_EQ(status_of([&] { txn->get("/zz"); }), Status::not_found);
  EXPECT_EQ(status_of([&] { txn->merge("[1,"); }), Status::invalid);
  // Nesting past the limit, built from values each within it, is refused at the set
  // that would cross it, and the transaction's document stays as it was.
  txn->set("/deep", std::string(200, '[') + std::string(200, ']'));
  std::string innermost = "/deep";
  for (int i = 0; i < 199; ++i) innermost += "/0";
  std::string msg;
  EXPECT_EQ(status_of([&] { txn->set(innermost, std::string(100, '[') + std::string(100, ']')); }, &msg),
            Status::invalid);
  EXPECT_NE(msg.find("deeper than 256"), std::string::npos) << msg;
  EXPECT_EQ(txn->get(innermost), "[]");
  txn.reset();
  EXPECT_EQ(slurp(path), before);
}

TEST_F(StateTest, NumbersSurviveExactly) {
  auto st = open();
  st->write(R"({"id":9007199254740993,"big":123456789012345678901234567890,"f":0.1,"e":1E400})", nullptr);
  EXPECT_EQ(json::print(json::parse(slurp(path)).get(), false),
            R"({"id":9007199254740993,"big":123456789012345678901234567890,"f":0.1,"e":1E400})");
  auto txn = st->begin();
  EXPECT_EQ(txn->get("/id"), "9007199254740993");
  txn->set("/n", "18446744073709551616");
  txn->commit();
  EXPECT_NE(slurp(path).find("18446744073709551616"), std::string::npos);
}

TEST_F(StateTest, SchemaViolationWritesNothingAndNamesPointerAndRule) {
  StateOptions o;
  o.initial_json = R"({"phase1":{"status":"pending"}})";
  o.schema_json = R"({"type":"object","properties":{"phase1":{"type":"object",
      "properties":{"status":{"enum":["pending","running","success","failed"]}}}}})";
  auto st = open(o);
  const std::string before = slurp(path);
  auto txn = st->begin();
  txn->set("/phase1/status", R"("done")");
  std::string msg;
  EXPECT_EQ(status_of([&] { txn->commit(); }, &msg), Status::validation);
  EXPECT_NE(msg.find("'/phase1/status': enum"), std::string::npos) << msg;
  EXPECT_NE(msg.find(reported), std::string::npos);
  EXPECT_EQ(slurp(path), before);
  EXPECT_EQ(st->read().generation, 1u);
  EXPECT_EQ(status_of([&] { st->write(R"({"phase1":"not a dict"})", nullptr); }), Status::validation);
  // The refusal is in the audit log.
  EXPECT_NE(st->history(1).find("\"ok\":false"), std::string::npos);
  // validate_on_read catches a file changed by hand.
  spit(path, R"({"phase1":{"status":"bogus"}})");
  EXPECT_EQ(st->read().generation, 2u);  // off by default
  o.validate_on_read = true;
  EXPECT_EQ(status_of([&] { open(o)->read(); }), Status::validation);
  StateOptions bad = o;
  bad.schema_json = R"({"oneOf":[]})";
  EXPECT_EQ(status_of([&] { open(bad); }, &msg), Status::invalid);
  EXPECT_NE(msg.find("'oneOf' is not supported"), std::string::npos);
}

TEST_F(StateTest, BackupsAreHardLinksRotatedAndRestorable) {
  StateOptions o;
  o.max_backups = 3;
  auto st = open(o);
  struct stat first {};
  ::stat(path.c_str(), &first);
  for (int i = 1; i <= 5; ++i) counter_commit(*st, i);  // generations 2..6
  const auto list = st->backups();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].generation, 5u);  // the outgoing document of the last commit
  EXPECT_EQ(list[2].generation, 3u);
  EXPECT_EQ(list[0].created_at.size(), std::string("2026-11-24T11:45:12.123456Z").size());
  // The backup of generation 5 is the very inode that was the state file.
  st->restore(list[2].id);  // generation 3: counter 2
  EXPECT_EQ(st->read().generation, 7u);
  EXPECT_NE(st->read().json.find("\"counter\":\t2"), std::string::npos);
  EXPECT_NE(st->history(1).find("\"op\":\"restore\""), std::string::npos);
  // On demand; and the id format is checked.
  const std::string id = st->backup();
  EXPECT_EQ(st->backups()[0].id, id);
  EXPECT_EQ(st->backups()[0].generation, 7u);
  EXPECT_EQ(status_of([&] { st->restore("../../etc/passwd"); }), Status::not_found);
  EXPECT_EQ(status_of([&] { st->restore("20260101T000000.000000Z-g00000000000000000001"); }),
            Status::not_found);
}

TEST_F(StateTest, BackupCostsALinkNotACopy) {
  auto st = open();
  st->write(R"({"big":")" + std::string(1 << 20, 'x') + "\"}", nullptr);
  struct stat before {};
  ::stat(path.c_str(), &before);
  counter_commit(*st, 1);
  const auto list = st->backups();
  ASSERT_FALSE(list.empty());
  struct stat backup {};
  ::stat((meta + "/backups/" + list[0].id + ".json").c_str(), &backup);
  EXPECT_EQ(backup.st_ino, before.st_ino);
}

TEST_F(StateTest, NoBackupsWhenDisabled) {
  StateOptions o;
  o.backup_before_write = false;
  auto st = open(o);
  counter_commit(*st, 1);
  EXPECT_TRUE(st->backups().empty());
  EXPECT_FALSE(st->backup().empty());  // on demand still works
  o.max_backups = 0;
  auto none = open(o);
  EXPECT_EQ(status_of([&] { none->backup(); }), Status::invalid);
}

TEST_F(StateTest, CorruptFileNamesNewestValidBackupAndRestoreWorks) {
  auto st = open();
  counter_commit(*st, 1);
  counter_commit(*st, 2);
  const auto newest = st->backups()[0].id;
  spit(path, "{\"counter\": 3,");  // torn by some other writer
  std::string msg;
  EXPECT_EQ(status_of([&] { st->read(); }, &msg), Status::corrupt);
  EXPECT_NE(msg.find(reported), std::string::npos);
  EXPECT_NE(msg.find("newest valid backup: '" + newest + "'"), std::string::npos) << msg;
  EXPECT_EQ(status_of([&] { st->begin(); }), Status::corrupt);
  const auto verified = st->verify();
  EXPECT_FALSE(verified.document.ok);
  EXPECT_FALSE(verified.ok);
  st->restore(newest);
  const auto snap = st->read();
  EXPECT_NE(snap.json.find("\"counter\":\t1"), std::string::npos);
  EXPECT_EQ(snap.generation, 5u);  // 3 commits, the outside edit, the restore
  // The damaged file was kept as a backup too.
  EXPECT_EQ(slurp(meta + "/backups/" + st->backups()[0].id + ".json"), "{\"counter\": 3,");
  // A missing state file: not found, and restore brings it back.
  ::unlink(path.c_str());
  EXPECT_EQ(status_of([&] { st->read(); }), Status::not_found);
  st->restore(newest);
  EXPECT_EQ(st->read().generation, 6u);
}

TEST_F(StateTest, HistoryIsNewestFirstWithEveryField) {
  StateOptions o;
  o.lock.owner = "orchestrator";
  auto st = open(o);
  counter_commit(*st, 1);
  st->write(R"({"counter":1,"phase":"x"})", nullptr);
  const json::Doc all = json::parse(st->history(0));
  ASSERT_EQ(cJSON_GetArraySize(all.get()), 3);
  const cJSON *last = cJSON_GetArrayItem(all.get(), 0);
  for (const char *field : {"time", "generation", "op", "ok", "pid", "host", "owner", "changed", "error"}) {
    EXPECT_NE(cJSON_GetObjectItem(last, field), nullptr) << field;
  }
  EXPECT_EQ(json::print(cJSON_GetObjectItem(last, "generation"), false), "3");
  EXPECT_EQ(json::print(cJSON_GetObjectItem(last, "changed"), false), R"(["/phase"])");
  EXPECT_STREQ(cJSON_GetObjectItem(last, "owner")->valuestring, "orchestrator");
  EXPECT_STREQ(cJSON_GetObjectItem(cJSON_GetArrayItem(all.get(), 2), "op")->valuestring, "create");
  EXPECT_EQ(cJSON_GetArraySize(json::parse(st->history(2)).get()), 2);
}

TEST_F(StateTest, TornLogTailIsIgnoredAndDamageInTheMiddleIsReported) {
  auto st = open();
  counter_commit(*st, 1);
  const std::string log = meta + "/audit.log";
  std::string text = slurp(log);
  spit(log, text + "{\"time\":\"2026-");  // a crash mid-append
  EXPECT_EQ(cJSON_GetArraySize(json::parse(st->history(0)).get()), 2);
  const auto torn = st->verify();
  EXPECT_TRUE(torn.log.torn_tail);
  EXPECT_TRUE(torn.ok);
  // The next append cuts the torn tail off first.
  counter_commit(*st, 2);
  EXPECT_EQ(cJSON_GetArraySize(json::parse(st->history(0)).get()), 3);
  EXPECT_FALSE(st->verify().log.torn_tail);
  // One flipped byte in the first line.
  text = slurp(log);
  text[text.find("create")] = 'C';
  spit(log, text);
  std::string msg;
  EXPECT_EQ(status_of([&] { st->history(0); }, &msg), Status::corrupt);
  EXPECT_NE(msg.find("line 1 is damaged"), std::string::npos);
  const auto damaged = st->verify();
  EXPECT_NE(damaged.log.error.find("line 1 is damaged"), std::string::npos) << damaged.log.error;
  EXPECT_FALSE(damaged.ok);
}

TEST_F(StateTest, LogRotatesPastMaxBytes) {
  StateOptions o;
  o.max_log_bytes = 1000;
  auto st = open(o);
  for (int i = 1; i <= 12; ++i) counter_commit(*st, i);
  struct stat now {}, old {};
  ASSERT_EQ(::stat((meta + "/audit.log").c_str(), &now), 0);
  ASSERT_EQ(::stat((meta + "/audit.log.1").c_str(), &old), 0);
  EXPECT_LE(now.st_size, 1000);
  // History spans both files.
  size_t lines_now = 0;
  for (const char c : slurp(meta + "/audit.log")) lines_now += c == '\n';
  EXPECT_GT(static_cast<size_t>(cJSON_GetArraySize(json::parse(st->history(0)).get())), lines_now);
  EXPECT_EQ(cJSON_GetArraySize(json::parse(st->history(5)).get()), 5);
}

// A log that cannot be rotated (here: the rename fails; on Windows, a viewer holding it
// open) keeps taking entries past its limit, and the commits succeed; the next append
// that can rotate does.
TEST_F(StateTest, LogThatCannotRotateKeepsGrowingAndCommitsSucceed) {
  StateOptions o;
  o.max_log_bytes = 1000;
  auto st = open(o);
  const std::string log = meta + "/audit.log";
  const int commits = 12;
  for (int i = 1; i <= commits; ++i) {
    platform::syscalls::fail(platform::Syscall::rename, 2, EACCES);  // 1: the document's, 2: the log's
    std::string msg;
    EXPECT_EQ(status_of([&] { counter_commit(*st, i); }, &msg), Status::ok) << msg;
  }
  platform::syscalls::clear();
  struct stat now {}, old {};
  ASSERT_EQ(::stat(log.c_str(), &now), 0);
  EXPECT_GT(now.st_size, 1000);
  EXPECT_NE(::stat((log + ".1").c_str(), &old), 0);
  EXPECT_EQ(cJSON_GetArraySize(json::parse(st->history(0)).get()), commits + 1);
  counter_commit(*st, commits + 1);
  ASSERT_EQ(::stat(log.c_str(), &now), 0);
  EXPECT_LE(now.st_size, 1000);
  EXPECT_EQ(::stat((log + ".1").c_str(), &old), 0);
  EXPECT_EQ(cJSON_GetArraySize(json::parse(st->history(0)).get()), commits + 2);
}

#ifdef _WIN32
// A viewer tailing the log without delete sharing costs a commit no wait at all.
TEST_F(StateTest, LogViewerHoldingTheLogOpenDoesNotSlowCommits) {
  StateOptions o;
  o.max_log_bytes = 1000;
  auto st = open(o);
  std::ifstream viewer(meta + "/audit.log", std::ios::binary);
  ASSERT_TRUE(viewer.is_open());
  const auto start = std::chrono::steady_clock::now();
  for (int i = 1; i <= 12; ++i) counter_commit(*st, i);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  EXPECT_EQ(cJSON_GetArraySize(json::parse(st->history(0)).get()), 13);
}
#endif

TEST_F(StateTest, AtomicDurabilityStillReplacesWhole) {
  StateOptions o;
  o.durable = false;
  auto st = open(o);
  counter_commit(*st, 5);
  EXPECT_NE(slurp(path).find("\"counter\":\t5"), std::string::npos);
}

// Tools read the state file without the lock, and most open it without delete sharing
// (fopen, .NET's File.ReadAllText, Python's open): on Windows that refuses a rename over
// the file while they have it open. A commit waits such a short read out.
TEST_F(StateTest, CommitWaitsOutAReaderHoldingTheFileOpen) {
  auto st = open();
  std::ifstream reader(path, std::ios::binary);
  ASSERT_TRUE(reader.is_open());
  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    reader.close();
  });
  std::string msg;
  const Status status = status_of([&] { counter_commit(*st, 7); }, &msg);
  closer.join();
  EXPECT_EQ(status, Status::ok) << msg;
  EXPECT_EQ(st->read().generation, 2u);
  EXPECT_NE(slurp(path).find("\"counter\":\t7"), std::string::npos);
  EXPECT_EQ(statetest::temp_files(dir.path()), std::vector<std::string>{});
}

#ifdef _WIN32
// A reader that never lets go: the commit fails after its retries, says why, and leaves
// the document and the generation as they were, with no temp file behind.
TEST_F(StateTest, CommitFailsCleanlyWhenAReaderNeverLetsGo) {
  auto st = open();
  const std::string before = slurp(path);
  std::ifstream reader(path, std::ios::binary);
  ASSERT_TRUE(reader.is_open());
  std::string msg;
  EXPECT_EQ(status_of([&] { counter_commit(*st, 7); }, &msg), Status::permission);
  EXPECT_NE(msg.find("without delete sharing"), std::string::npos) << msg;
  EXPECT_NE(msg.find(reported), std::string::npos) << msg;
  reader.close();
  EXPECT_EQ(slurp(path), before);
  EXPECT_EQ(st->read().generation, 1u);
  EXPECT_EQ(statetest::temp_files(dir.path()), std::vector<std::string>{});
}
#endif

TEST_F(StateTest, StaleTempFilesAreRemovedAtOpen) {
  open();
  spit(dir.file(".state.json.tmp-0123456789abcdef"), "{\"half");
  spit(meta + "/backups/.tmp-0123456789abcdef", "{");
  spit(dir.file("other.tmp-keep"), "x");
  open();
  EXPECT_EQ(statetest::temp_files(dir.path()), std::vector<std::string>{});
  EXPECT_EQ(slurp(dir.file("other.tmp-keep")), "x");
}

TEST_F(StateTest, CommitKeepsThePermissionsOfTheFile) {
  auto st = open();
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  counter_commit(*st, 1);
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(after.st_mode & 07777, 0600u);
}

TEST_F(StateTest, LockMustBeASidecarAndLockFileBackendsWork) {
  StateOptions o;
  o.lock.sidecar = false;
  std::string msg;
  EXPECT_EQ(status_of([&] { open(o); }, &msg), Status::invalid);
  EXPECT_NE(msg.find("sidecar"), std::string::npos);
  for (const Backend backend : {Backend::lockfile, Backend::lockdir}) {
    StateOptions lf;
    lf.lock.backend = backend;
    // One file each: a state file keeps the backend it was first opened with.
    auto st = std::make_unique<State>(dir.file("state-" + std::to_string(static_cast<int>(backend)) + ".json"), lf);
    counter_commit(*st, static_cast<int>(backend));
    EXPECT_NE(st->read().json.find("\"counter\":\t" + std::to_string(static_cast<int>(backend))),
              std::string::npos);
    EXPECT_FALSE(st->history(1).empty());
  }
}

TEST_F(StateTest, SymlinkedStateFileIsRefused) {
  const std::string real = dir.file("real.json");
  spit(real, "{}");
  ASSERT_EQ(::symlink(real.c_str(), path.c_str()), 0);
  std::string msg;
  EXPECT_EQ(status_of([&] { open(); }, &msg), Status::permission);
  EXPECT_NE(msg.find("symbolic link"), std::string::npos);
  EXPECT_EQ(slurp(real), "{}");
}

}  // namespace
}  // namespace filelock::state
