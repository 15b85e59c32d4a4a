// The audit log stays readable whatever bytes its records carry and whatever a crash
// leaves at its end; an on-demand backup is a copy that later in-place edits of the
// state file cannot change.
#include <gtest/gtest.h>

#include <string>

#include "state/audit_log.hpp"
#include "state/state.hpp"
#include "state_test_util.hpp"
#include "support.hpp"

namespace filelock::state {
namespace {

using statetest::slurp;
using statetest::spit;
using statetest::status_of;

std::string log_of(const std::string &state_path) {
  const size_t slash = state_path.rfind('/');
  return state_path.substr(0, slash + 1) + "." + state_path.substr(slash + 1) +
         ".filelock/audit.log";
}

TEST(AuditLog, RecordsWithBytesThatAreNotUtf8StayReadable) {
  fltest::TempDir dir;
  StateOptions o;
  o.initial_json = "{}";
  o.schema_json = R"({"type":"object","properties":{"n":{"type":"integer"}}})";
  // A Latin-1 file name: its path lands in the log through a refused commit's error.
  const std::string path = dir.file("caf\xe9.json");
  State st(path, o);
  std::string message;
  EXPECT_EQ(status_of([&] { st.write(R"({"n":"x"})", nullptr); }, &message), Status::validation);
  ASSERT_NE(message.find("caf\xe9"), std::string::npos);
  st.write(R"({"n":1})", nullptr);
  st.write(R"({"n":2})", nullptr);

  const std::string history = st.history(0);
  const json::Doc records = json::parse(history);
  EXPECT_EQ(cJSON_GetArraySize(records.get()), 4);  // create, refused, 2 writes
  // The byte 0xE9 is kept as U+00E9 (UTF-8 C3 A9), not lost to U+FFFD.
  EXPECT_NE(slurp(log_of(path)).find("caf\xc3\xa9"), std::string::npos);
  bool damaged = true;
  st.verify(damaged);
  EXPECT_FALSE(damaged);
}

TEST(AuditLog, ADamagedCompleteLastLineIsDamageNotATornTail) {
  fltest::TempDir dir;
  StateOptions o;
  o.initial_json = "{}";
  const std::string path = dir.file("state.json");
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
  st.verify(damaged);
  EXPECT_TRUE(damaged);
}

TEST(AuditLog, ATornTailIsSkippedAndTheNextAppendStartsAFreshLine) {
  fltest::TempDir dir;
  StateOptions o;
  o.initial_json = "{}";
  const std::string path = dir.file("state.json");
  State st(path, o);
  st.write(R"({"n":1})", nullptr);
  const std::string log = log_of(path);
  const std::string whole = slurp(log);
  spit(log, whole + whole.substr(0, whole.find('\n') / 2));  // died mid-append
  EXPECT_EQ(cJSON_GetArraySize(json::parse(st.history(0)).get()), 2);  // create, write
  st.write(R"({"n":2})", nullptr);
  EXPECT_EQ(cJSON_GetArraySize(json::parse(st.history(0)).get()), 3);
  bool damaged = true;
  st.verify(damaged);
  EXPECT_FALSE(damaged);
}

TEST(Backups, AnOnDemandBackupIsNotChangedByAnInPlaceRewrite) {
  fltest::TempDir dir;
  StateOptions o;
  o.initial_json = R"({"n":1})";
  const std::string path = dir.file("state.json");
  State st(path, o);
  const std::string before = slurp(path);
  const std::string id = st.backup();
  // Another program rewrites the state file in place (same inode).
  spit(path, "{\"n\":99}\n");
  const std::string backup = dir.file(".state.json.filelock/backups/" + id + ".json");
  EXPECT_EQ(slurp(backup), before);
}

}  // namespace
}  // namespace filelock::state
