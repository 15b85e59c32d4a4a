// Power cuts, modelled: the I/O layer's observer sees every fsync, so a test knows
// which bytes a cut could not take away, puts exactly those back, and reopens.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "io/observe.hpp"
#include "state/state.hpp"
#include "state_test_util.hpp"
#include "support.hpp"

namespace filelock::state {
namespace {

using statetest::slurp;
using statetest::spit;
using statetest::status_of;

bool ends_with(const std::string &s, const std::string &tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The generation record as of its last fsync: all that a cut leaves of it.
struct RecordWatch {
  std::string durable;
  int syncs = 0;
};

void watch_record(io::Step step, const std::string &path, void *context) {
  auto *w = static_cast<RecordWatch *>(context);
  if (step == io::Step::fsync && ends_with(path, "generation")) {
    w->durable = slurp(path);
    ++w->syncs;
  }
}

class PowerCut : public ::testing::Test {
 protected:
  void TearDown() override { io::set_observer(nullptr, nullptr); }
};

// The document of a FULL commit is durable when the commit returns (fsynced, then its
// directory); the record must be too, or after a cut generation 5 reads as an older
// one and a write_if based on a generation handed out before the cut goes through.
TEST_F(PowerCut, FullCommitKeepsTheGenerationWithTheDocument) {
  fltest::TempDir dir;
  const std::string path = dir.file("state.json");
  const std::string record = dir.file(".state.json.filelock/generation");
  RecordWatch w;
  io::set_observer(watch_record, &w);
  {
    State st(path, StateOptions{});
    for (int i = 2; i <= 5; ++i) {
      EXPECT_EQ(st.write("{\"n\":" + std::to_string(i) + "}", nullptr), static_cast<uint64_t>(i));
    }
  }
  io::set_observer(nullptr, nullptr);
  ASSERT_GT(w.syncs, 0);
  spit(record, w.durable);  // the cut: unsynced record writes are gone

  State st(path, StateOptions{});
  const auto snap = st.read();
  EXPECT_EQ(snap.json, "{\n\t\"n\":\t5\n}\n");
  EXPECT_EQ(snap.generation, 5u);
  for (const uint64_t stale : {3u, 4u}) {
    std::string msg;
    EXPECT_EQ(status_of([&] { st.write(R"({"n":"stale"})", &stale); }, &msg), Status::conflict)
        << "write_if based on generation " << stale << " after the cut";
  }
  const uint64_t current = 5;
  EXPECT_EQ(st.write(R"({"n":6})", &current), 6u);
}

// Every step the I/O layer took, in order.
using Steps = std::vector<std::pair<io::Step, std::string>>;

void record_step(io::Step step, const std::string &path, void *context) {
  static_cast<Steps *>(context)->emplace_back(step, path);
}

size_t find_step(const Steps &steps, io::Step step, const std::string &path_part, size_t from = 0) {
  for (size_t i = from; i < steps.size(); ++i) {
    if (steps[i].first == step && steps[i].second.find(path_part) != std::string::npos) return i;
  }
  return steps.size();
}

// fl_state_backup in FULL: when it returns, the copy's bytes and its name are on disk.
TEST_F(PowerCut, OnDemandBackupIsDurableInFull) {
  fltest::TempDir dir;
  State st(dir.file("state.json"), StateOptions{});
  Steps steps;
  io::set_observer(record_step, &steps);
  const std::string id = st.backup();
  io::set_observer(nullptr, nullptr);
  // Only paths in the backups directory name it; matched by name alone, as separators
  // differ between platforms (Windows joins the meta dir's own paths with '/').
  const std::string backups = "backups";
  const size_t synced = find_step(steps, io::Step::fsync, backups);
  const size_t renamed = find_step(steps, io::Step::rename, id + ".json");
  const size_t dir_synced = find_step(steps, io::Step::dir_fsync, backups, renamed);
  EXPECT_LT(synced, renamed) << "the copy is fsynced before it takes its name";
  EXPECT_LT(renamed, steps.size());
  EXPECT_LT(dir_synced, steps.size()) << "backups/ is fsynced after the rename";
}

// ATOMIC promises no durability and pays for none: not one fsync.
TEST_F(PowerCut, AtomicCommitSyncsNothing) {
  fltest::TempDir dir;
  StateOptions o;
  o.durable = false;
  State st(dir.file("state.json"), o);
  Steps steps;
  io::set_observer(record_step, &steps);
  st.write(R"({"n":2})", nullptr);
  st.backup();
  io::set_observer(nullptr, nullptr);
  EXPECT_EQ(find_step(steps, io::Step::fsync, ""), steps.size());
  EXPECT_EQ(find_step(steps, io::Step::dir_fsync, ""), steps.size());
  EXPECT_LT(find_step(steps, io::Step::rename, "state.json"), steps.size());
}

// FULL: the record is synced before the rename, the directory after it.
TEST_F(PowerCut, FullCommitSyncsTheRecordBeforeTheRenameAndTheDirectoryAfter) {
  fltest::TempDir dir;
  State st(dir.file("state.json"), StateOptions{});
  Steps steps;
  io::set_observer(record_step, &steps);
  st.write(R"({"n":2})", nullptr);
  io::set_observer(nullptr, nullptr);
  const size_t temp_synced = find_step(steps, io::Step::fsync, ".state.json.tmp-");
  const size_t record_synced = find_step(steps, io::Step::fsync, "generation");
  const size_t renamed = find_step(steps, io::Step::rename, "state.json");
  const size_t dir_synced = find_step(steps, io::Step::dir_fsync, dir.path(), renamed);
  EXPECT_LT(temp_synced, renamed);
  EXPECT_LT(record_synced, renamed);
  EXPECT_LT(renamed, dir_synced);
  EXPECT_LT(dir_synced, steps.size());
}

}  // namespace
}  // namespace filelock::state
