// A user who may read a state file and its meta dir but not write them: reads,
// history, verify and the backup list work; a commit fails cleanly and changes nothing.
// The reader is a real process of another user (uid 65534, nobody), so this needs root.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "state/state.hpp"
#include "state_test_util.hpp"
#include "support.hpp"

namespace filelock::state {
namespace {

using statetest::slurp;
using statetest::status_of;

constexpr uid_t kNobody = 65534;

// Prints one line per operation: "<name> <status> <detail>".
FLTEST_HELPER("state-reader") {
  if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) return 10;
  const std::string path = args.at(0);
  const auto report = [](const char *name, Status s, const std::string &detail) {
    std::printf("%s %d %s\n", name, static_cast<int>(s), detail.c_str());
  };
  std::string msg;
  std::unique_ptr<State> st;
  Status s = status_of([&] { st = std::make_unique<State>(path, StateOptions{}); }, &msg);
  report("open", s, msg);
  if (s == Status::ok) {
    State::Snapshot snap{};
    s = status_of([&] { snap = st->read(); }, &msg);
    report("read", s, s == Status::ok ? std::to_string(snap.generation) : msg);
    std::string history;
    s = status_of([&] { history = st->history(0); }, &msg);
    report("history", s, s == Status::ok ? std::to_string(json::parse(history)->child != nullptr) : msg);
    bool damaged = true;
    s = status_of([&] { damaged = !st->verify().ok; }, &msg);
    report("verify", s, s == Status::ok ? std::to_string(damaged) : msg);
    size_t backups = 0;
    s = status_of([&] { backups = st->backups().size(); }, &msg);
    report("backups", s, s == Status::ok ? std::to_string(backups) : msg);
    s = status_of([&] { st->write(R"({"n":"reader"})", nullptr); }, &msg);
    report("write", s, msg);
  }
  std::fflush(stdout);
  return 0;
}

TEST(ReadOnlyReader, ReadsHistoryAndVerifyWorkWithoutWriteAccess) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a helper as uid 65534 (nobody)";
  fltest::TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);  // nobody may enter, not write
  const std::string path = dir.file("state.json");
  {
    State st(path, StateOptions{});
    st.write(R"({"n":2})", nullptr);
  }
  const std::string before = slurp(path);
  auto p = fltest::spawn_helper("state-reader", {path});
  std::string out;
  for (std::string line; !(line = fltest::read_line(p)).empty();) out += line + "\n";
  ASSERT_EQ(fltest::wait_exit(p), 0) << out;
  const std::string ok = std::to_string(static_cast<int>(Status::ok));
  EXPECT_NE(out.find("open " + ok + " "), std::string::npos) << out;
  EXPECT_NE(out.find("read " + ok + " 2"), std::string::npos) << out;
  EXPECT_NE(out.find("history " + ok + " 1"), std::string::npos) << out;
  EXPECT_NE(out.find("verify " + ok + " 0"), std::string::npos) << out;
  EXPECT_NE(out.find("backups " + ok + " 1"), std::string::npos) << out;
  EXPECT_NE(out.find("write " + std::to_string(static_cast<int>(Status::permission)) + " "), std::string::npos) << out;
  EXPECT_NE(out.find("Permission denied"), std::string::npos) << out;
  EXPECT_EQ(slurp(path), before);
  State st(path, StateOptions{});
  EXPECT_EQ(st.read().generation, 2u);
  bool damaged = true;
  damaged = !st.verify().ok;
  EXPECT_FALSE(damaged);
}

}  // namespace
}  // namespace filelock::state
