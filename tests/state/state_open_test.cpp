// Opening a state: what is refused is refused before anything is created, a relative
// path stays where it was at open, and a meta_dir belongs to one state file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "platform/syscalls.hpp"
#include "state/state.hpp"
#include "state_test_util.hpp"
#include "support.hpp"

namespace filelock::state {
namespace {

using statetest::entries;
using statetest::slurp;
using statetest::status_of;

struct StateOpen : ::testing::Test {
  fltest::TempDir dir;

  std::vector<std::string> listing() {
    auto names = entries(dir.path());
    std::sort(names.begin(), names.end());
    return names;
  }
};

TEST_F(StateOpen, DirectoryIsRefusedAndNothingIsCreated) {
  const std::string sub = dir.file("sub");
  ASSERT_EQ(::mkdir(sub.c_str(), 0755), 0);
  std::string msg;
  EXPECT_EQ(status_of([&] { State st(sub, {}); }, &msg), Status::invalid);
  EXPECT_NE(msg.find("is a directory"), std::string::npos) << msg;
  EXPECT_NE(msg.find(sub), std::string::npos) << msg;
  EXPECT_EQ(listing(), std::vector<std::string>{"sub"});
}

TEST_F(StateOpen, SymlinkIsRefusedAndNothingIsCreated) {
  const std::string target = dir.file("target.json");
  statetest::spit(target, "{}");
  ASSERT_EQ(::symlink(target.c_str(), dir.file("link.json").c_str()), 0);
  EXPECT_EQ(status_of([&] { State st(dir.file("link.json"), {}); }), Status::permission);
  EXPECT_EQ(listing(), (std::vector<std::string>{"link.json", "target.json"}));
}

TEST_F(StateOpen, InitialDocumentTheSchemaRejectsCreatesNothing) {
  StateOptions o;
  o.schema_json = R"({"required":["name"]})";
  std::string msg;
  EXPECT_EQ(status_of([&] { State st(dir.file("s.json"), o); }, &msg), Status::validation);
  EXPECT_NE(msg.find("initial document"), std::string::npos) << msg;
  EXPECT_TRUE(listing().empty()) << listing().size();
  // With an explicit meta_dir too: only what was there before stays.
  o.meta_dir = dir.file("meta");
  EXPECT_EQ(status_of([&] { State st(dir.file("s.json"), o); }), Status::validation);
  EXPECT_TRUE(listing().empty());
}

TEST_F(StateOpen, ExistingFileIsNotCheckedAgainstTheInitialDocument) {
  const std::string path = dir.file("s.json");
  statetest::spit(path, R"({"name":"x"})");
  StateOptions o;
  o.schema_json = R"({"required":["name"]})";
  State st(path, o);
  EXPECT_EQ(st.read().json, R"({"name":"x"})");
}

TEST_F(StateOpen, RelativePathStaysPutAfterChdir) {
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  const std::string other = dir.file("other");
  ASSERT_EQ(::mkdir(other.c_str(), 0755), 0);
  ASSERT_EQ(::chdir(dir.path().c_str()), 0);
  {
    State st("rel.json", {});
    ASSERT_EQ(::chdir(other.c_str()), 0);
    st.write(R"({"v":2})", nullptr);
    EXPECT_EQ(st.path(), dir.file("rel.json"));
  }
  ASSERT_EQ(::chdir(cwd), 0);
  EXPECT_NE(slurp(dir.file("rel.json")).find("\"v\""), std::string::npos);
  EXPECT_TRUE(entries(other).empty());
}

TEST_F(StateOpen, MetaDirBelongsToOneStateFile) {
  StateOptions o;
  o.meta_dir = dir.file("meta");
  State a(dir.file("a.json"), o);
  a.write(R"({"who":"a"})", nullptr);
  std::string msg;
  EXPECT_EQ(status_of([&] { State b(dir.file("b.json"), o); }, &msg), Status::invalid);
  EXPECT_NE(msg.find("belongs to the state file '" + dir.file("a.json") + "'"), std::string::npos) << msg;
  EXPECT_NE(msg.find(dir.file("meta")), std::string::npos) << msg;
  // The refused open created nothing and took nothing from a.
  const auto names = listing();
  EXPECT_EQ(std::count_if(names.begin(), names.end(), [](const std::string &n) { return n.rfind("b.json", 0) == 0; }), 0);
  // a reopens its own meta_dir, and restore gives back only a's documents.
  State again(dir.file("a.json"), o);
  const auto backups = again.backups();
  ASSERT_FALSE(backups.empty());
  for (const auto &b : backups) {
    again.restore(b.id);
    EXPECT_EQ(again.read().json.find("\"b\""), std::string::npos);
  }
  EXPECT_EQ(again.history(0).find("b.json"), std::string::npos);
}

// A claim left empty (a crash or power cut between creating and writing it, before
// claims were linked in whole) is claimed again, not taken as "no backend recorded".
TEST_F(StateOpen, AnEmptyBackendClaimIsClaimedAgain) {
  const std::string path = dir.file("state.json");
  const std::string claim = dir.file(".state.json.filelock/backend");
  { State first(path, StateOptions{}); }
  statetest::spit(claim, "");
  { State again(path, StateOptions{}); }
  EXPECT_FALSE(statetest::slurp(claim).empty());
  StateOptions other;
  other.lock.backend = Backend::lockfile;
  std::string msg;
  EXPECT_EQ(status_of([&] { State second(path, other); }, &msg), Status::invalid) << msg;
}

// A crash between creating a claim's temp file and linking it in leaves the temp: the
// next open that holds the lock removes it, as it does a crashed commit's.
TEST_F(StateOpen, ClaimTempFilesACrashLeftAreRemoved) {
  const std::string path = dir.file("state.json");
  const std::string meta = dir.file(".state.json.filelock");
  { State first(path, StateOptions{}); }
  const auto sorted_entries = [&] {
    std::vector<std::string> names = statetest::entries(meta);
    std::sort(names.begin(), names.end());
    return names;
  };
  const std::vector<std::string> before = sorted_entries();
  statetest::spit(meta + "/.backend.tmp-0123456789abcdef", "flock\n");
  statetest::spit(meta + "/.owner.tmp-0123456789abcdef", path);
  { State again(path, StateOptions{}); }
  EXPECT_EQ(sorted_entries(), before);
}

// Without hard links the claim is created in place, and still refuses another backend.
TEST_F(StateOpen, TheBackendClaimIsKeptWhereHardLinksAreNotSupported) {
  const std::string path = dir.file("state.json");
  platform::syscalls::fail(platform::Syscall::link, 1, EPERM);  // the first link: the backend claim's
  { State first(path, StateOptions{}); }
  platform::syscalls::clear();
  EXPECT_FALSE(slurp(dir.file(".state.json.filelock/backend")).empty());
  StateOptions other;
  other.lock.backend = Backend::lockfile;
  EXPECT_EQ(status_of([&] { State second(path, other); }), Status::invalid);
}

// Handles on one state file with different lock backends may not exclude each other:
// the backend of the first open is kept, and an open asking for another is refused.
TEST_F(StateOpen, AStateFileKeepsTheLockBackendItWasFirstOpenedWith) {
  const std::string path = dir.file("state.json");
  State first(path, StateOptions{});
  first.write(R"({"n":2})", nullptr);
  std::vector<Backend> others = {Backend::lockfile, Backend::lockdir};
#ifdef __linux__
  others.push_back(Backend::ofd);
  others.push_back(Backend::posix);
#endif
  for (const Backend other : others) {
    StateOptions o;
    o.lock.backend = other;
    std::string msg;
    EXPECT_EQ(status_of([&] { State second(path, o); }, &msg), Status::invalid) << static_cast<int>(other);
    EXPECT_NE(msg.find("backend"), std::string::npos) << msg;
    EXPECT_NE(msg.find(dir.file(".state.json.filelock")), std::string::npos) << msg;
    EXPECT_NE(msg.find(other == Backend::lockfile ? "'lockfile'" : other == Backend::lockdir ? "'lockdir'"
                       : other == Backend::ofd    ? "'ofd'"
                                                  : "'posix'"),
              std::string::npos)
        << msg;
  }
  // The same lock under another name is the same backend.
  StateOptions same;
  same.lock.backend = Backend::flock;
#ifdef _WIN32
  same.lock.backend = Backend::windows;
#endif
  State third(path, same);
  EXPECT_EQ(third.read().generation, 2u);
}

TEST_F(StateOpen, SeparateMetaDirsKeepHistoriesApart) {
  StateOptions oa, ob;
  oa.meta_dir = dir.file("meta-a");
  ob.meta_dir = dir.file("meta-b");
  State a(dir.file("a.json"), oa);
  State b(dir.file("b.json"), ob);
  a.write(R"({"n":1})", nullptr);
  a.write(R"({"n":2})", nullptr);
  b.write(R"({"m":1})", nullptr);
  EXPECT_EQ(a.read().generation, 3u);
  EXPECT_EQ(b.read().generation, 2u);
  for (const auto &backup : b.backups()) {
    b.restore(backup.id);
    EXPECT_EQ(b.read().json.find("\"n\""), std::string::npos);
  }
}

}  // namespace
}  // namespace filelock::state
