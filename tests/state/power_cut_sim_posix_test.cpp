// A power-cut simulator (in the spirit of ALICE and CrashMonkey). The I/O layer's
// observer reports every step of a commit; after each one the test builds what a cut
// at that moment could leave on disk, in two forms:
//  - "synced": only what was fsynced survives: each directory as of its last fsync,
//    each file's bytes as of its last fsync (never synced: empty);
//  - "metadata": every name operation so far survives (journaled file systems commit
//    them in order), file bytes only as fsynced (XFS, ext4 noauto_da_alloc).
// Each such state is rebuilt in a scratch directory and opened: the document must be
// the old one with the old generation or the new one with the new, a write_if based on
// a generation before it must fail, and once a commit has returned only its document
// may be there. POSIX only (inode numbers, directory listings).
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "io/fault.hpp"
#include "state/state.hpp"
#include "state_test_util.hpp"
#include "support.hpp"

namespace filelock::state {
namespace {

using statetest::slurp;
using statetest::spit;
using statetest::status_of;

using Ino = uint64_t;
// name -> inode, for one directory.
using Listing = std::map<std::string, Ino>;

Ino ino_of(const std::string &path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? static_cast<Ino>(st.st_ino) : 0;
}

Listing list_files(const std::string &dir) {
  Listing out;
  for (const auto &name : statetest::entries(dir)) {
    struct stat st {};
    if (::lstat((dir + "/" + name).c_str(), &st) == 0 && S_ISREG(st.st_mode)) out[name] = st.st_ino;
  }
  return out;
}

// What a cut leaves: relative directory -> file name -> bytes.
using DiskImage = std::map<std::string, std::map<std::string, std::string>>;

struct Cut {
  std::string after;  // the step it follows
  DiskImage image;
  int committed;      // commits that had returned when it was taken
};

class Model {
 public:
  Model(std::string root, std::vector<std::string> dirs) : root_(std::move(root)), dirs_(std::move(dirs)) {
    // The start is durable (the test syncs first).
    for (const auto &d : dirs_) {
      synced_dirs_[d] = list_files(abs(d));
      for (const auto &[name, ino] : synced_dirs_[d]) synced_data_[ino] = slurp(abs(d) + "/" + name);
    }
  }
  void on_step(io::Step step, const std::string &path) {
    if (step == io::Step::fsync) synced_data_[ino_of(path)] = slurp(path);
    if (step == io::Step::dir_fsync) {
      for (const auto &d : dirs_) {
        if (abs(d) == path) synced_dirs_[d] = list_files(path);
      }
    }
    const std::string what = std::to_string(static_cast<int>(step)) + " " + path;
    cuts.push_back({"synced after step " + what, image(false), committed});
    cuts.push_back({"metadata after step " + what, image(true), committed});
  }
  std::vector<Cut> cuts;
  int committed = 0;

 private:
  std::string abs(const std::string &d) const { return d.empty() ? root_ : root_ + "/" + d; }
  DiskImage image(bool metadata) const {
    DiskImage out;
    for (const auto &d : dirs_) {
      const Listing names = metadata ? list_files(abs(d)) : synced_dirs_.at(d);
      for (const auto &[name, ino] : names) {
        const auto data = synced_data_.find(ino);
        out[d][name] = data == synced_data_.end() ? "" : data->second;
      }
    }
    return out;
  }
  std::string root_;
  std::vector<std::string> dirs_;
  std::map<std::string, Listing> synced_dirs_;
  std::map<Ino, std::string> synced_data_;
};

void observe_model(io::Step step, const std::string &path, void *context) {
  static_cast<Model *>(context)->on_step(step, path);
}

const char *const kMeta = ".state.json.filelock";
const std::string kBackups = std::string(kMeta) + "/backups";

std::string doc(int n) { return "{\n\t\"n\":\t" + std::to_string(n) + "\n}\n"; }

TEST(PowerCutSimulator, EveryCutOfFullCommitsLeavesOldOrNewWithItsGeneration) {
  fltest::TempDir dir;
  const std::string path = dir.file("state.json");
  StateOptions options;
  options.max_backups = 2;  // so the commits below rotate (unlink) too
  State st(path, options);
  st.write(R"({"n":2})", nullptr);
  st.write(R"({"n":3})", nullptr);  // generation 3, two backups
  ::sync();
  Model model(dir.path(), {"", kMeta, kBackups});
  io::set_observer(observe_model, &model);
  // Generation 3 -> 4 -> 5, each document {"n": generation}.
  for (int n = 4; n <= 5; ++n) {
    st.write("{\"n\":" + std::to_string(n) + "}", nullptr);
    ++model.committed;
    model.on_step(io::Step::count_, "(commit returned)");
  }
  io::set_observer(nullptr, nullptr);
  ASSERT_GT(model.cuts.size(), 20u);

  for (const Cut &cut : model.cuts) {
    SCOPED_TRACE(cut.after);
    fltest::TempDir scratch;
    ASSERT_EQ(::mkdir(scratch.file(kMeta).c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(scratch.file(kBackups).c_str(), 0755), 0);
    for (const auto &[d, files] : cut.image) {
      for (const auto &[name, bytes] : files) spit(d.empty() ? scratch.file(name) : scratch.file(d + "/" + name), bytes);
    }
    std::unique_ptr<State> reopened;
    std::string msg;
    ASSERT_EQ(status_of([&] { reopened = std::make_unique<State>(scratch.file("state.json"), options); }, &msg),
              Status::ok) << msg;
    State::Snapshot snap{};
    ASSERT_EQ(status_of([&] { snap = reopened->read(); }, &msg), Status::ok) << msg;
    // Old or new, and the generation is the document's own.
    const int n = snap.generation >= 3 && snap.generation <= 5 ? static_cast<int>(snap.generation) : -1;
    ASSERT_NE(n, -1) << "generation " << snap.generation;
    EXPECT_EQ(snap.json, doc(n)) << "generation " << snap.generation << " with another document";
    // Nothing a returned commit wrote is lost, and at most the commit in flight is added.
    EXPECT_GE(n, 3 + cut.committed);
    EXPECT_LE(n, 4 + cut.committed);
    // A write_if on the generation before this one is refused; on this one it passes.
    const uint64_t stale = snap.generation - 1;
    EXPECT_EQ(status_of([&] { reopened->write(R"({"n":"stale"})", &stale); }), Status::conflict);
    const uint64_t current = snap.generation;
    EXPECT_EQ(status_of([&] { reopened->write(R"({"n":"next"})", &current); }, &msg), Status::ok) << msg;
  }
}

}  // namespace
}  // namespace filelock::state
