// Neighbours who share the directory: a meta dir another user made or anyone may write,
// a symlink or FIFO put where a meta file or the state file was. Each is refused with a
// clear error, before a commit changes anything and without hanging with the lock held.
// POSIX only: owners, mode bits, symlinks and FIFOs.
#include <gtest/gtest.h>
#include <signal.h>
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
using statetest::spit;
using statetest::status_of;

constexpr uid_t kNobody = 65534;
const char *const kForgedBackup = "/20990101T000000.000000Z-g00000000000000000099.json";

// A forged backup with a higher generation than any real one: "newest valid" if trusted.
void plant_forged_meta_dir(const std::string &meta) {
  ASSERT_EQ(::mkdir(meta.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((meta + "/backups").c_str(), 0755), 0);
  spit(meta + "/backups" + kForgedBackup, "{\"forged\":true}\n");
}

TEST(HostileNeighbour, MetaDirWritableByEveryoneIsRefused) {
  fltest::TempDir dir;
  const std::string path = dir.file("state.json");
  const std::string meta = dir.file(".state.json.filelock");
  plant_forged_meta_dir(meta);
  ASSERT_EQ(::chmod(meta.c_str(), 0777), 0);
  std::string msg;
  EXPECT_EQ(status_of([&] { State st(path, StateOptions{}); }, &msg), Status::permission);
  EXPECT_NE(msg.find("writable by every user"), std::string::npos) << msg;
  EXPECT_NE(msg.find(meta), std::string::npos) << msg;
  EXPECT_EQ(slurp(path), "") << "nothing is created beside a refused meta dir";
}

TEST(HostileNeighbour, MetaDirOrBackupsOwnedByAnotherUserAreRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a directory to uid 65534 (nobody)";
  for (const bool backups_only : {false, true}) {
    fltest::TempDir dir;
    const std::string path = dir.file("state.json");
    const std::string meta = dir.file(".state.json.filelock");
    plant_forged_meta_dir(meta);
    const std::string planted = backups_only ? meta + "/backups" : meta;
    ASSERT_EQ(::chown(planted.c_str(), kNobody, kNobody), 0);
    std::string msg;
    EXPECT_EQ(status_of([&] { State st(path, StateOptions{}); }, &msg), Status::permission);
    EXPECT_NE(msg.find("owned by"), std::string::npos) << msg;
    EXPECT_NE(msg.find("uid 65534"), std::string::npos) << msg;
    EXPECT_NE(msg.find(planted), std::string::npos) << msg;
  }
}

TEST(HostileNeighbour, MetaDirOfTheStateFilesOwnerIsTrusted) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give files to uid 65534 (nobody)";
  fltest::TempDir dir;
  const std::string path = dir.file("state.json");
  { State st(path, StateOptions{}); st.write(R"({"n":2})", nullptr); }
  for (const std::string &p : {path, dir.file(".state.json.filelock"), dir.file(".state.json.filelock/backups")}) {
    ASSERT_EQ(::chown(p.c_str(), kNobody, kNobody), 0);
  }
  State st(path, StateOptions{});
  EXPECT_EQ(st.read().generation, 2u);
}

TEST(HostileNeighbour, SymlinkedAuditLogRefusesTheCommitBeforeAnythingChanges) {
  fltest::TempDir dir;
  const std::string path = dir.file("state.json");
  const std::string log = dir.file(".state.json.filelock/audit.log");
  const std::string elsewhere = dir.file("elsewhere.txt");
  State st(path, StateOptions{});
  const std::string before = slurp(path);
  spit(elsewhere, "untouched\n");
  ASSERT_EQ(std::remove(log.c_str()), 0);
  ASSERT_EQ(::symlink(elsewhere.c_str(), log.c_str()), 0);
  std::string msg;
  EXPECT_EQ(status_of([&] { st.write(R"({"n":2})", nullptr); }, &msg), Status::permission);
  EXPECT_NE(msg.find(log), std::string::npos) << msg;
  EXPECT_NE(msg.find("symbolic link"), std::string::npos) << msg;
  EXPECT_EQ(slurp(path), before);
  EXPECT_EQ(st.read().generation, 1u);
  EXPECT_EQ(st.backups().size(), 0u);
  EXPECT_EQ(slurp(elsewhere), "untouched\n");
}

// In a helper: a hang is ended by the alarm (exit 128 + SIGALRM) instead of the suite.
FLTEST_HELPER("state-fifo") {
  ::alarm(20);
  const std::string path = args.at(0);
  const std::string victim = args.at(1) == "state" ? path : path.substr(0, path.rfind('/')) +
                                                               "/.state.json.filelock/audit.log";
  State st(path, StateOptions{});
  std::remove(victim.c_str());
  if (::mkfifo(victim.c_str(), 0644) != 0) return 10;
  std::string msg;
  const Status s = args.at(1) == "state" ? status_of([&] { st.read(); }, &msg)
                                         : status_of([&] { st.write(R"({"n":2})", nullptr); }, &msg);
  std::printf("%d %s\n", static_cast<int>(s), msg.c_str());
  std::fflush(stdout);
  return 0;
}

TEST(HostileNeighbour, FifoInPlaceOfTheStateFileOrAuditLogIsRefusedWithoutHanging) {
  for (const char *victim : {"state", "log"}) {
    fltest::TempDir dir;
    const std::string path = dir.file("state.json");
    auto p = fltest::spawn_helper("state-fifo", {path, victim});
    const std::string line = fltest::read_line(p);
    EXPECT_EQ(fltest::wait_exit(p), 0) << victim << ": the helper hung (killed by its alarm)";
    EXPECT_EQ(line.substr(0, line.find(' ')), std::to_string(static_cast<int>(Status::permission)))
        << victim << ": " << line;
    EXPECT_NE(line.find("not a regular file"), std::string::npos) << victim << ": " << line;
  }
}

}  // namespace
}  // namespace filelock::state
