// The JSON state through the C API only (libfilelock.so): the PipelineState workflow,
// ownership of returned strings, status codes and messages.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdio>
#include <string>

#include "filelock.h"
#include "support.hpp"

namespace {

// The path as messages name it: the engine reports the absolute form, which on Windows
// has backslashes (the temporary directory is already absolute there).
std::string reported_path(std::string path) {
#ifdef _WIN32
  for (char &c : path) {
    if (c == '/') c = '\\';
  }
#endif
  return path;
}

// A string the library handed out, freed with fl_free.
struct Owned {
  char *p = nullptr;
  ~Owned() { fl_free(p); }
  std::string str() const { return p ? p : ""; }
};

struct CapiState : ::testing::Test {
  fltest::TempDir dir;
  std::string path = dir.file("pipeline.json");
  std::string reported = reported_path(path);
  fl_state *st = nullptr;
  void TearDown() override { fl_state_close(st); }
  void open(const fl_state_options *o = nullptr) { ASSERT_EQ(fl_state_open(&st, path.c_str(), o), FL_OK) << fl_last_error(); }
};

TEST_F(CapiState, PipelineWorkflow) {
  fl_state_options o;
  fl_state_options_init(&o);
  EXPECT_EQ(o.size, sizeof o);
  EXPECT_EQ(o.max_backups, 50);
  EXPECT_EQ(o.lock_timeout_ms, 10000);
  o.initial_json = R"({"phase1":{"status":"pending"}})";
  o.schema_json = R"({"type":"object","additionalProperties":{"type":"object",
      "properties":{"status":{"enum":["pending","running","success","failed"]}}}})";
  open(&o);

  // with state.transaction() as txn: txn.data['phase1']['status'] = 'success' ...
  fl_txn *txn = nullptr;
  ASSERT_EQ(fl_txn_begin(st, &txn), FL_OK);
  EXPECT_EQ(fl_txn_generation(txn), 1u);
  EXPECT_EQ(fl_txn_set(txn, "/phase1/status", R"("success")"), FL_OK);
  EXPECT_EQ(fl_txn_merge(txn, R"({"phase1":{"metrics":{"duration":42.0}}})"), FL_OK);
  Owned got;
  EXPECT_EQ(fl_txn_get(txn, "/phase1/metrics", &got.p), FL_OK);
  EXPECT_EQ(got.str(), R"({"duration":42.0})");
  EXPECT_EQ(fl_txn_commit(txn), FL_OK);

  // One value without the whole document.
  Owned status;
  uint64_t at = 0;
  ASSERT_EQ(fl_state_get(st, "/phase1/status", &status.p, &at), FL_OK) << fl_last_error();
  EXPECT_EQ(status.str(), R"("success")");
  EXPECT_EQ(at, 2u);
  Owned missing;
  missing.p = reinterpret_cast<char *>(&at);  // must be reset to NULL on failure
  EXPECT_EQ(fl_state_get(st, "/phase9", &missing.p, nullptr), FL_ENOTFOUND);
  EXPECT_EQ(missing.p, nullptr);
  EXPECT_NE(std::string(fl_last_error()).find("state get '" + reported + "'"), std::string::npos)
      << fl_last_error();
  EXPECT_NE(std::string(fl_last_error()).find("'/phase9'"), std::string::npos) << fl_last_error();
  EXPECT_EQ(fl_state_get(st, "phase1", &missing.p, nullptr), FL_EINVAL);
  EXPECT_EQ(fl_state_get(st, nullptr, &missing.p, nullptr), FL_EINVAL);
  EXPECT_EQ(fl_state_get(st, "", nullptr, nullptr), FL_EINVAL);

  // A failing phase rolls back: state unchanged.
  Owned before;
  uint64_t gen = 0;
  ASSERT_EQ(fl_state_read(st, &before.p, &gen), FL_OK);
  EXPECT_EQ(gen, 2u);
  ASSERT_EQ(fl_txn_begin(st, &txn), FL_OK);
  fl_txn_set(txn, "/phase4/status", R"("running")");
  fl_txn_rollback(txn);
  fl_txn_rollback(nullptr);
  Owned after;
  ASSERT_EQ(fl_state_read(st, &after.p, nullptr), FL_OK);
  EXPECT_EQ(after.str(), before.str());

  // Invalid data raises a validation error naming the pointer; nothing is written.
  ASSERT_EQ(fl_txn_begin(st, &txn), FL_OK);
  fl_txn_set(txn, "/phase1/status", R"("done")");
  EXPECT_EQ(fl_txn_commit(txn), FL_EVALIDATION);
  EXPECT_NE(std::string(fl_last_error()).find("'/phase1/status': enum"), std::string::npos);

  // write / write_if.
  EXPECT_EQ(fl_state_write_if(st, R"({"phase1":{"status":"pending"}})", 1), FL_ECONFLICT);
  EXPECT_NE(std::string(fl_last_error()).find(reported), std::string::npos);
  EXPECT_EQ(fl_state_write_if(st, R"({"phase1":{"status":"pending"}})", 2), FL_OK);
  EXPECT_EQ(fl_state_write(st, R"({"phase1":{"status":"failed"}})"), FL_OK);

  // Backups, restore, history, verify.
  Owned list;
  ASSERT_EQ(fl_state_backups(st, &list.p), FL_OK);
  EXPECT_EQ(list.str().rfind(R"([{"id":")", 0), 0u) << list.str();
  EXPECT_NE(list.str().find(R"("generation":3)"), std::string::npos);
  Owned id;
  ASSERT_EQ(fl_state_backup(st, &id.p), FL_OK);
  const std::string first_backup = list.str().substr(8, 45);
  EXPECT_EQ(fl_state_restore(st, first_backup.c_str()), FL_OK) << fl_last_error();
  ASSERT_EQ(fl_state_read(st, nullptr, &gen), FL_OK);
  EXPECT_EQ(gen, 5u);
  Owned history;
  ASSERT_EQ(fl_state_history(st, 2, &history.p), FL_OK);
  EXPECT_NE(history.str().find(R"("op":"restore")"), std::string::npos);
  Owned report;
  EXPECT_EQ(fl_state_verify(st, &report.p), FL_OK);
  EXPECT_EQ(report.str().rfind(R"({"ok":true)", 0), 0u) << report.str();
}

TEST_F(CapiState, ArgumentsAndOptionsAreChecked) {
  EXPECT_EQ(fl_state_open(nullptr, path.c_str(), nullptr), FL_EINVAL);
  EXPECT_EQ(fl_state_open(&st, nullptr, nullptr), FL_EINVAL);
  EXPECT_EQ(st, nullptr);
  fl_state_options o;
  fl_state_options_init(&o);
  o.durability = 7;
  EXPECT_EQ(fl_state_open(&st, path.c_str(), &o), FL_EINVAL);
  EXPECT_NE(std::string(fl_last_error()).find("durability"), std::string::npos);
  fl_state_options_init(&o);
  o.schema_json = "{\"$ref\":\"#\"}";
  EXPECT_EQ(fl_state_open(&st, path.c_str(), &o), FL_EINVAL);
  fl_state_options_init(&o);
  o.initial_json = "[1,";
  EXPECT_EQ(fl_state_open(&st, path.c_str(), &o), FL_EINVAL);
  fl_state_options unset{};
  EXPECT_EQ(fl_state_open(&st, path.c_str(), &unset), FL_EINVAL);

  open();
  EXPECT_EQ(fl_state_write(st, nullptr), FL_EINVAL);
  EXPECT_EQ(fl_state_write(st, "{\"a\":1,\"a\":2}"), FL_EINVAL);
  EXPECT_NE(std::string(fl_last_error()).find("duplicate key 'a'"), std::string::npos);
  EXPECT_EQ(fl_state_write(st, "[9007199254740993]"), FL_OK);
  Owned doc;
  fl_state_read(st, &doc.p, nullptr);
  EXPECT_NE(doc.str().find("9007199254740993"), std::string::npos);
  EXPECT_EQ(fl_txn_commit(nullptr), FL_EINVAL);
  EXPECT_EQ(fl_state_restore(st, "nope"), FL_ENOTFOUND);
  fl_txn *txn = nullptr;
  ASSERT_EQ(fl_txn_begin(st, &txn), FL_OK);
  Owned v;
  EXPECT_EQ(fl_txn_get(txn, "/7", &v.p), FL_ENOTFOUND);
  EXPECT_EQ(fl_txn_set(txn, "x", "1"), FL_EINVAL);
  EXPECT_EQ(fl_txn_remove(txn, "/9"), FL_ENOTFOUND);
  fl_txn_rollback(txn);
}

// journal_max_bytes reaches the engine: a transaction's commit appends to
// meta_dir/journal and leaves the document file as it was; an older caller's shorter
// struct (size up to max_log_bytes) keeps the default, a full rewrite.
TEST_F(CapiState, JournalOptionAppendsCommitsToTheJournal) {
  fl_state_options o;
  fl_state_options_init(&o);
  EXPECT_EQ(o.journal_max_bytes, 0);
  o.journal_max_bytes = -1;
  EXPECT_EQ(fl_state_open(&st, path.c_str(), &o), FL_EINVAL);
  EXPECT_NE(std::string(fl_last_error()).find("journal_max_bytes"), std::string::npos);
  o.journal_max_bytes = 1 << 20;
  open(&o);
  const std::string journal = dir.file(".pipeline.json.filelock") + fltest::kSeparator + "journal";
  std::string before;
  {
    fl_txn *txn = nullptr;
    ASSERT_EQ(fl_txn_begin(st, &txn), FL_OK);
    ASSERT_EQ(fl_txn_set(txn, "/phase", "\"load\""), FL_OK);
    ASSERT_EQ(fl_txn_commit(txn), FL_OK) << fl_last_error();
  }
  Owned doc;
  uint64_t generation = 0;
  ASSERT_EQ(fl_state_read(st, &doc.p, &generation), FL_OK);
  EXPECT_EQ(generation, 2u);
  EXPECT_NE(doc.str().find("\"load\""), std::string::npos);
  FILE *f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  char buf[64] = {};
  const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  EXPECT_EQ(std::string(buf, n), "{\n}\n");  // the file is generation 1's
  f = std::fopen(journal.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::fseek(f, 0, SEEK_END);
  EXPECT_GT(std::ftell(f), 32);
  std::fclose(f);

  fl_state_close(st);
  st = nullptr;
  fl_state_options older;
  fl_state_options_init(&older);
  older.size = offsetof(fl_state_options, journal_max_bytes);
  older.journal_max_bytes = 1 << 20;  // beyond its size: not read
  open(&older);
  fl_txn *txn = nullptr;
  ASSERT_EQ(fl_txn_begin(st, &txn), FL_OK);
  ASSERT_EQ(fl_txn_set(txn, "/phase", "\"done\""), FL_OK);
  ASSERT_EQ(fl_txn_commit(txn), FL_OK) << fl_last_error();
  f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  const size_t m = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  EXPECT_NE(std::string(buf, m).find("done"), std::string::npos);  // rewritten whole
}

TEST_F(CapiState, VerifyReportsDamageWithTheReport) {
  open();
  ASSERT_EQ(fl_state_write(st, R"({"a":1})"), FL_OK);
  FILE *f = std::fopen(path.c_str(), "w");
  std::fputs("{\"a\":", f);
  std::fclose(f);
  Owned doc;
  EXPECT_EQ(fl_state_read(st, &doc.p, nullptr), FL_ECORRUPT);
  EXPECT_NE(std::string(fl_last_error()).find("newest valid backup"), std::string::npos);
  Owned report;
  EXPECT_EQ(fl_state_verify(st, &report.p), FL_ECORRUPT);
  EXPECT_NE(report.str().find(R"("ok":false)"), std::string::npos);
}

TEST_F(CapiState, TransactionOutlivesItsClosedState) {
  open();
  fl_txn *txn = nullptr;
  ASSERT_EQ(fl_txn_begin(st, &txn), FL_OK);
  fl_state_close(st);
  st = nullptr;
  EXPECT_EQ(fl_txn_set(txn, "/late", "true"), FL_OK);
  EXPECT_EQ(fl_txn_commit(txn), FL_OK);
  open();
  Owned doc;
  ASSERT_EQ(fl_state_read(st, &doc.p, nullptr), FL_OK);
  EXPECT_NE(doc.str().find("\"late\":\ttrue"), std::string::npos) << doc.str();
}

TEST(CapiAppend, AppendsLines) {
  fltest::TempDir dir;
  const std::string path = dir.file("journal.jsonl");
  EXPECT_EQ(fl_append(path.c_str(), R"({"event": "start",  "n": 1})", nullptr), FL_OK);
  EXPECT_EQ(fl_append_ex(path.c_str(), R"({"event":"stop"})", nullptr, FL_DURABILITY_ATOMIC), FL_OK);
  EXPECT_EQ(fl_append_ex(path.c_str(), "{}", nullptr, 9), FL_EINVAL);
  EXPECT_EQ(fl_append(path.c_str(), "{} {}", nullptr), FL_EINVAL);
  FILE *f = std::fopen(path.c_str(), "r");
  char buf[256] = {};
  const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  EXPECT_EQ(std::string(buf, n), "{\"event\":\"start\",\"n\":1}\n{\"event\":\"stop\"}\n");
}

}  // namespace
