// Power cuts, modelled: the I/O layer's observer sees every fsync, so a test knows
// which bytes a cut could not take away, puts exactly those back, and reopens.
#include <gtest/gtest.h>

#include <string>

#include "io/fault.hpp"
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

}  // namespace
}  // namespace filelock::state
