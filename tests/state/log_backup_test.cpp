// The audit log stays readable whatever bytes its records carry and whatever a crash
// leaves at its end; an on-demand backup is a copy that later in-place edits of the
// state file cannot change.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "state/audit_log.hpp"
#include "state/state.hpp"
#include "state_test_util.hpp"
#include "support.hpp"

namespace filelock::state {
namespace {

using statetest::slurp;
using statetest::spit;
using statetest::status_of;

// The default meta_dir of a state file: ".<name>.filelock" beside it.
std::string meta_of(const std::string &state_path) {
  const size_t slash = state_path.rfind('/');
  return state_path.substr(0, slash + 1) + "." + state_path.substr(slash + 1) + ".filelock";
}

std::string log_of(const std::string &state_path) { return meta_of(state_path) + "/audit.log"; }

// A temporary directory, the state file's path in it, and options from the defaults
// with "{}" as the initial document.
struct StateFiles : ::testing::Test {
  fltest::TempDir dir;
  const std::string path = dir.file("state.json");
  StateOptions o;
  StateFiles() { o.initial_json = "{}"; }
};
struct AuditLog : StateFiles {};
struct Backups : StateFiles {};

TEST_F(AuditLog, RecordsWithBytesThatAreNotUtf8StayReadable) {
  o.schema_json = R"({"type":"object","properties":{"n":{"type":"integer"}}})";
  // A Latin-1 file name: its path lands in the log through a refused commit's error.
  const std::string latin1_path = dir.file("caf\xe9.json");
  State st(latin1_path, o);
  std::string message;
  EXPECT_EQ(status_of([&] { st.write(R"({"n":"x"})", nullptr); }, &message), Status::validation);
  ASSERT_NE(message.find("caf\xe9"), std::string::npos);
  st.write(R"({"n":1})", nullptr);
  st.write(R"({"n":2})", nullptr);

  const std::string history = st.history(0);
  const json::Doc records = json::parse(history);
  EXPECT_EQ(cJSON_GetArraySize(records.get()), 4);  // create, refused, 2 writes
  // The byte 0xE9 is kept as U+00E9 (UTF-8 C3 A9), not lost to U+FFFD.
  EXPECT_NE(slurp(log_of(latin1_path)).find("caf\xc3\xa9"), std::string::npos);
  bool damaged = true;
  damaged = !st.verify().ok;
  EXPECT_FALSE(damaged);
}

TEST_F(AuditLog, ADamagedCompleteLastLineIsDamageNotATornTail) {
  State st(path, o);
  st.write(R"({"n":1})", nullptr);
  const std::string log = log_of(path);
  std::string text = slurp(log);
  text[text.size() - 5] ^= 1;  // inside the checksum; the '\n' stays
  spit(log, text);
  std::string message;
  EXPECT_EQ(status_of([&] { st.history(0); }, &message), Status::corrupt);
  EXPECT_NE(message.find("line 2 is damaged"), std::string::npos) << message;  // after create
  bool damaged = false;
  damaged = !st.verify().ok;
  EXPECT_TRUE(damaged);
}

TEST_F(AuditLog, ATornTailIsSkippedAndTheNextAppendStartsAFreshLine) {
  State st(path, o);
  st.write(R"({"n":1})", nullptr);
  const std::string log = log_of(path);
  const std::string whole = slurp(log);
  spit(log, whole + whole.substr(0, whole.find('\n') / 2));  // died mid-append
  EXPECT_EQ(cJSON_GetArraySize(json::parse(st.history(0)).get()), 2);  // create, write
  st.write(R"({"n":2})", nullptr);
  EXPECT_EQ(cJSON_GetArraySize(json::parse(st.history(0)).get()), 3);
  bool damaged = true;
  damaged = !st.verify().ok;
  EXPECT_FALSE(damaged);
}

// A power cut on XFS (or ext4 data=writeback) can keep a later append's size but not
// the blocks of earlier ones, which then read as zeros: those lines are lost, as a cut
// may lose them, and the log is not damaged.
TEST_F(AuditLog, LinesAPowerCutLeftAsZerosAreLostNotDamage) {
  State st(path, o);
  for (int n = 2; n <= 4; ++n) st.write("{\"n\":" + std::to_string(n) + "}", nullptr);
  const std::string log = log_of(path);
  const std::string good = slurp(log);  // create, then generations 2, 3, 4
  const size_t line2 = good.find('\n') + 1, line3 = good.find('\n', line2) + 1;
  struct Hole {
    size_t from, to;
    int left;  // records still readable
  };
  // Line 2 whole (its '\n' too); from inside line 2 to inside line 3, as blocks fall.
  for (const Hole hole : {Hole{line2, line3, 3}, Hole{line2 + 20, line3 + 20, 2}}) {
    SCOPED_TRACE(hole.left);
    std::string text = good;
    std::fill(text.begin() + static_cast<long>(hole.from), text.begin() + static_cast<long>(hole.to), '\0');
    spit(log, text);
    std::string history, message;
    ASSERT_EQ(status_of([&] { history = st.history(0); }, &message), Status::ok) << message;
    EXPECT_EQ(cJSON_GetArraySize(json::parse(history).get()), hole.left);
    const auto report = st.verify();
    ASSERT_TRUE(report.ok);
    ASSERT_FALSE(report.problems.empty());
    EXPECT_NE(report.problems[0].find("zero bytes"), std::string::npos) << report.problems[0];
  }
  st.write(R"({"n":5})", nullptr);  // appends after the last whole line
  EXPECT_EQ(cJSON_GetArraySize(json::parse(st.history(0)).get()), 3);
}

// The checksum covers the record's body; the closing '"}' after it is compared as well.
TEST_F(AuditLog, ADamagedClosingQuoteOrBraceIsDamage) {
  State st(path, o);
  st.write(R"({"n":1})", nullptr);
  const std::string log = log_of(path);
  const std::string good = slurp(log);
  for (const size_t from_end : {2, 3}) {  // '}' then '"', each before the '\n'
    std::string text = good;
    text[text.size() - from_end] ^= 1;
    spit(log, text);
    std::string message;
    EXPECT_EQ(status_of([&] { st.history(0); }, &message), Status::corrupt) << from_end;
    EXPECT_NE(message.find("line 2 is damaged"), std::string::npos) << message;
  }
}

TEST_F(Backups, AnOnDemandBackupIsNotChangedByAnInPlaceRewrite) {
  o.initial_json = R"({"n":1})";
  State st(path, o);
  const std::string before = slurp(path);
  const std::string id = st.backup();
  // Another program rewrites the state file in place (same inode).
  spit(path, "{\"n\":99}\n");
  const std::string backup = meta_of(path) + "/backups/" + id + ".json";
  EXPECT_EQ(slurp(backup), before);
}

// The backup files of a state file, oldest first (names start with their time).
std::vector<std::string> backup_names(const std::string &state_path) {
  auto names = statetest::entries(meta_of(state_path) + "/backups");
  std::sort(names.begin(), names.end());
  return names;
}

// Each handle rotates from the names it kept since its last commit unless another
// handle (here in the same process; processes alike) changed backups/ meanwhile. The
// other handle's commits and on-demand backups must make it look again: the directory
// never holds more than max_backups, and the newest are kept.
TEST_F(Backups, RotationStaysAtTheLimitWhenSeveralHandlesAddBackups) {
  o.initial_json = R"({"n":0})";
  o.max_backups = 3;
  o.durable = false;
  State a(path, o);
  State b(path, o);
  int n = 0;
  size_t made = 0;
  const auto write = [&](State &st) {
    st.write("{\"n\":" + std::to_string(++n) + "}", nullptr);
    ++made;
  };
  const auto check = [&](const char *step) {
    const auto names = backup_names(path);
    EXPECT_EQ(names.size(), std::min<size_t>(made, 3)) << step;
    // The newest backup holds the document before the last write.
    if (!names.empty() && n > 0) {
      EXPECT_NE(names.back().find("-g" + std::string(20 - std::to_string(n).size(), '0') +
                                  std::to_string(n) + ".json"), std::string::npos)
          << step << ": " << names.back();
    }
  };
  write(a);
  check("a writes");
  b.backup();
  ++made;
  write(a);
  check("a writes after b's backup");
  for (int i = 0; i < 3; ++i) {
    write(a);
    check("a writes again");
  }
  b.backup();
  ++made;
  write(a);
  check("a writes after another backup of b");
  for (int i = 0; i < 6; ++i) {
    write(i % 3 == 0 ? b : a);
    check("a and b write");
  }
  // A backup removed by hand: the kept names are wrong, the next rotation finds out.
  const auto names = backup_names(path);
  ASSERT_FALSE(names.empty());
  ASSERT_EQ(::remove((meta_of(path) + "/backups/" + names.front()).c_str()), 0);
  made = 2;
  write(a);
  check("a writes after a backup was removed by hand");
  write(a);
  check("and once more");
}

// Each handle keeps the log open between commits; when another handle rotates it to
// audit.log.1, the next line must go to the new audit.log, not into the rotated file.
TEST_F(AuditLog, AHandleFollowsARotationByAnotherHandle) {
  o.initial_json = R"({"n":0})";
  o.durable = false;
  o.max_log_bytes = 700;  // three or four lines per file
  State a(path, o);
  State b(path, o);
  for (int n = 1; n <= 20; ++n) (n % 2 ? a : b).write("{\"n\":" + std::to_string(n) + "}", nullptr);
  const json::Doc records = json::parse(a.history(0));
  const int count = cJSON_GetArraySize(records.get());
  ASSERT_GE(count, 4);
  // Newest first, one generation apart: no line went missing or out of order.
  for (int i = 0; i < count; ++i) {
    const cJSON *gen = cJSON_GetObjectItem(cJSON_GetArrayItem(records.get(), i), "generation");
    ASSERT_NE(gen, nullptr);
    EXPECT_EQ(static_cast<int>(json::number_value(gen)), 21 - i) << "record " << i;
  }
  bool damaged = true;
  damaged = !a.verify().ok;
  EXPECT_FALSE(damaged);
}

// A name shaped like a backup's whose generation does not fit in 64 bits is not one of
// ours: listing and rotation agree on that, so rotation never removes the backup that
// listing calls newest.
TEST_F(Backups, AGenerationPastUint64IsNoBackupForListingOrRotation) {
  const std::string backups = dir.file("backups");
  std::filesystem::create_directory(backups);
  const std::string overflow = "20260101T000000.000000Z-g99999999999999999999";
  spit(backups + "/" + overflow + ".json", "{}");
  spit(backups + "/x.json", "{}");
  state::Backups b(backups);
  const std::string a1 = b.add(backups + "/x.json", 1);
  const std::string a2 = b.copy(backups + "/x.json", 2, false);
  const std::vector<BackupInfo> listed = b.list();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, a2);
  EXPECT_THROW(b.file_of(overflow), Error);
  b.rotate(1, 0, 1, a2);
  const std::vector<BackupInfo> kept = b.list();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].id, a2);  // the newest stays
  EXPECT_EQ(slurp(backups + "/" + overflow + ".json"), "{}");  // not ours: left alone
}

}  // namespace
}  // namespace filelock::state
