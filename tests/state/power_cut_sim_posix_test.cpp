// The power-cut simulator (power_cut_model_posix.hpp) run over the state engine's
// durable operations in FULL: the first open, commits with backup rotation, restores,
// on-demand backups and audit-log rotation (and ATOMIC against its weaker promise).
// Every state a cut could leave is rebuilt in a scratch directory and opened, and must
// keep the promise of filelock.h: the document old or new, whole, with its own
// generation; no returned commit or restore lost; a generation never below a returned
// one, and a write_if on an older one refused; a returned on-demand backup there;
// verify clean (a torn last log line aside); no log line for a commit the document
// lacks; the recorded lock backend still refuses another. The journal (option
// journal_max_bytes) is covered too: its appends and the checkpoints' resets torn at
// every byte (and with zeros inside), its records fsynced or not, a checkpoint's rename
// kept or lost. Each test prints how many distinct cut states it checked: about 7,500
// in all (of about 13,000 built before duplicates are dropped), ten seconds or so; the
// bound per cut point is in Recorder::take_cuts() and take_tears().
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "json/json.hpp"
#include "power_cut_model_posix.hpp"
#include "state/journal.hpp"
#include "state/state.hpp"
#include "state_test_util.hpp"
#include "support.hpp"

namespace filelock::state {
namespace {

using powercut::Cut;
using powercut::Recorder;
using statetest::status_of;

const char *const kMeta = ".state.json.filelock";
const std::string kBackups = std::string(kMeta) + "/backups";

std::string doc(int n) { return "{\n\t\"n\":\t" + std::to_string(n) + "\n}\n"; }
std::string input(int n) { return "{\"n\":" + std::to_string(n) + "}"; }

// A state file brought to some generations, synced, then recorded.
struct Scenario {
  fltest::TempDir dir;
  StateOptions options;
  std::unique_ptr<State> st;
  std::map<uint64_t, std::string> docs;  // generation -> its document
  uint64_t generation = 0;

  explicit Scenario(StateOptions o, int up_to) : options(std::move(o)) {
    st = std::make_unique<State>(dir.file("state.json"), options);
    const auto first = st->read();
    docs[first.generation] = first.json;
    for (int n = 2; n <= up_to; ++n) docs[st->write(input(n), nullptr)] = doc(n);
    generation = st->read().generation;
    ::sync();
  }
  std::unique_ptr<Recorder> record() {
    return std::make_unique<Recorder>(dir.path(), std::vector<std::string>{"", kMeta, kBackups}, generation,
                                      generation);
  }
  // A transaction setting /n: with journal_max_bytes, a journal append or a checkpoint.
  void txn(Recorder &rec, int n) {
    rec.begin(generation + 1);
    auto t = st->begin();
    t->set("/n", std::to_string(n));
    generation = t->commit();
    docs[generation] = doc(n);
    rec.returned(generation);
  }
  void write(Recorder &rec, int n) {
    rec.begin(generation + 1);
    generation = st->write(input(n), nullptr);
    docs[generation] = doc(n);
    rec.returned(generation);
  }
  // Restores the newest backup of generation `of`.
  void restore(Recorder &rec, uint64_t of) {
    std::string id;
    for (const auto &b : st->backups()) {
      if (b.generation == of && id.empty()) id = b.id;
    }
    ASSERT_FALSE(id.empty()) << "no backup of generation " << of;
    rec.begin(generation + 1);
    generation = st->restore(id);
    docs[generation] = docs.at(of);
    rec.returned(generation);
  }
  void backup(Recorder &rec) {
    rec.begin(generation);
    const std::string id = st->backup();
    rec.durable_file(kBackups, id + ".json", docs.at(generation));
  }
};

// A new file (no O_TRUNC: ext4 would start writing back each one on close).
void put(const std::string &path, const std::string &bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << path;
  EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size())) << path;
  ::close(fd);
}

// Where cut states are rebuilt: a RAM file system when there is one. The checks test
// the engine's reading of a rebuilt image, not the disk, and each rebuild writes and
// removes a dozen files: on a loaded disk that is 10x slower.
class Scratch {
 public:
  Scratch() {
    struct stat st {};
    if (::stat("/dev/shm", &st) != 0 || !S_ISDIR(st.st_mode) || ::access("/dev/shm", W_OK) != 0) {
      fallback_ = std::make_unique<fltest::TempDir>();
    }
    std::string tmpl = fallback_ ? fallback_->file("cut-XXXXXX") : "/dev/shm/filelock-cut-XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~Scratch() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  Scratch(const Scratch &) = delete;
  Scratch &operator=(const Scratch &) = delete;
  bool ok() const { return !path_.empty(); }
  std::string file(const std::string &name) const { return path_ + "/" + name; }

 private:
  std::unique_ptr<fltest::TempDir> fallback_;
  std::string path_;
};

void rebuild(const Cut &cut, const Scratch &scratch) {
  ASSERT_TRUE(scratch.ok()) << "no scratch directory";
  ASSERT_EQ(::mkdir(scratch.file(kMeta).c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(scratch.file(kBackups).c_str(), 0755), 0);
  for (const auto &[d, files] : cut.image) {
    for (const auto &[name, bytes] : files) put(d.empty() ? scratch.file(name) : scratch.file(d + "/" + name), bytes);
  }
}

// The promise, checked on one cut state.
void check(const Cut &cut, const std::map<uint64_t, std::string> &docs, StateOptions options) {
  Scratch scratch;
  rebuild(cut, scratch);
  if (::testing::Test::HasFatalFailure()) return;
  for (const auto &[file, bytes] : cut.durable) {
    const auto d = cut.image.find(file.first);
    const bool there = d != cut.image.end() && d->second.count(file.second) != 0;
    ASSERT_TRUE(there) << "returned durable file " << file.second << " is gone";
    EXPECT_EQ(d->second.at(file.second), bytes) << file.second;
  }
  // The checks' own commits need no fsync (the same generation rules, faster).
  options.durable = false;
  std::unique_ptr<State> st;
  std::string msg;
  ASSERT_EQ(status_of([&] { st = std::make_unique<State>(scratch.file("state.json"), options); }, &msg), Status::ok)
      << msg;
  State::Snapshot snap{};
  ASSERT_EQ(status_of([&] { snap = st->read(); }, &msg), Status::ok) << msg;
  // Old or new, whole, with its own generation; never below a returned one.
  const auto expected = docs.find(snap.generation);
  ASSERT_NE(expected, docs.end()) << "generation " << snap.generation << " was never written";
  EXPECT_EQ(snap.json, expected->second) << "generation " << snap.generation << " with another document";
  EXPECT_GE(snap.generation, cut.min_generation) << "a returned commit is lost";
  EXPECT_LE(snap.generation, cut.max_generation);

  filelock::state::VerifyReport report;
  ASSERT_EQ(status_of([&] { report = st->verify(); }, &msg), Status::ok) << msg;
  if (cut.zeroed_record) {
    // The document is right (checked above); verify names only the journal's torn last
    // record, which the next commit cuts off: not damage.
    EXPECT_TRUE(report.ok) << (report.problems.empty() ? "" : report.problems[0]);
    for (const auto &problem : report.problems) {
      EXPECT_NE(problem.find("fails its checksum"), std::string::npos) << problem;
    }
  } else {
    EXPECT_TRUE(report.ok) << (report.problems.empty() ? "" : report.problems[0]);
  }
  std::string history;
  ASSERT_EQ(status_of([&] { history = st->history(0); }, &msg), Status::ok) << msg;
  const json::Doc records = json::parse(history);
  for (const cJSON *r = records->child; r != nullptr; r = r->next) {
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(r, "ok");
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(r, "generation");
    if (cJSON_IsTrue(ok)) {
      EXPECT_LE(g->valuedouble, static_cast<double>(snap.generation)) << "the log has a commit the document lacks";
    }
  }

  // The backend recorded by the first open still refuses another.
  StateOptions other = options;
  other.lock.backend = Backend::ofd;
  EXPECT_EQ(status_of([&] { State(scratch.file("state.json"), other); }, &msg), Status::invalid)
      << "an open with another lock backend was let in";

  // write_if: on an older generation refused, on this one accepted.
  const uint64_t stale = snap.generation - 1;
  EXPECT_EQ(status_of([&] { st->write(R"({"n":"stale"})", &stale); }), Status::conflict);
  const uint64_t current = snap.generation;
  uint64_t next = 0;
  ASSERT_EQ(status_of([&] { next = st->write(R"({"n":"next"})", &current); }, &msg), Status::ok) << msg;
  // And the newest backup brings back a whole document.
  const auto list = st->backups();
  ASSERT_FALSE(list.empty());
  ASSERT_EQ(status_of([&] { st->restore(list.front().id); }, &msg), Status::ok) << msg;
  ASSERT_EQ(status_of([&] { snap = st->read(); }, &msg), Status::ok) << msg;
  EXPECT_EQ(snap.generation, next + 1);
}

// ATOMIC's weaker promise: commits and the generation may be lost, the document left
// empty; but it opens, a read gives a document once written or FL_ECORRUPT naming the
// newest valid backup (if any), and restoring that brings back a document once written.
void check_atomic(const Cut &cut, const std::map<uint64_t, std::string> &docs, const StateOptions &options) {
  Scratch scratch;
  rebuild(cut, scratch);
  if (::testing::Test::HasFatalFailure()) return;
  const auto written = [&](const std::string &text) {
    for (const auto &[g, d] : docs) {
      if (d == text) return true;
    }
    return false;
  };
  std::unique_ptr<State> st;
  std::string msg;
  ASSERT_EQ(status_of([&] { st = std::make_unique<State>(scratch.file("state.json"), options); }, &msg), Status::ok)
      << msg;
  State::Snapshot snap{};
  const Status read = status_of([&] { snap = st->read(); }, &msg);
  if (read == Status::ok) {
    EXPECT_TRUE(written(snap.json)) << "a document never written: " << snap.json;
    return;
  }
  ASSERT_EQ(read, Status::corrupt) << msg;
  const size_t named = msg.find("newest valid backup: '");
  if (named == std::string::npos) {
    EXPECT_NE(msg.find("no valid backup"), std::string::npos) << msg;
    return;
  }
  const size_t from = named + std::string("newest valid backup: '").size();
  const std::string id = msg.substr(from, msg.find('\'', from) - from);
  ASSERT_EQ(status_of([&] { st->restore(id); }, &msg), Status::ok) << msg;
  ASSERT_EQ(status_of([&] { snap = st->read(); }, &msg), Status::ok) << msg;
  EXPECT_TRUE(written(snap.json)) << "backup " << id << " held a document never written: " << snap.json;
}

void check_all(const Recorder &rec, const std::map<uint64_t, std::string> &docs, const StateOptions &options,
               const char *what) {
  ASSERT_TRUE(rec.model_errors().empty()) << "the model missed an operation at " << rec.model_errors().front();
  for (const Cut &cut : rec.cuts()) {
    SCOPED_TRACE(cut.label);
    if (options.durable) check(cut, docs, options);
    else check_atomic(cut, docs, options);
    if (::testing::Test::HasFailure()) return;  // one broken state is enough to read
  }
  std::cout << "[ power cut] " << what << ": " << rec.cuts().size() << " distinct cut states checked (of "
            << rec.built() << " built)\n";
}

// The first open of a state file creates meta_dir, its claims, the generation record
// and the first document.
TEST(PowerCutSimulator, FullFirstOpen) {
  fltest::TempDir dir;
  ::sync();
  // Opening a cut state creates what is missing: the first document, as generation 1,
  // or 2 when the record of the create survived without its rename (1 was never
  // handed out).
  Recorder rec(dir.path(), {"", kMeta, kBackups}, 0, 2);
  State st(dir.file("state.json"), StateOptions{});
  rec.returned(1);
  rec.stop();
  const std::string first = st.read().json;
  check_all(rec, {{1, first}, {2, first}}, StateOptions{}, "first open");
}

TEST(PowerCutSimulator, FullCommitsWithBackupRotation) {
  StateOptions o;
  o.max_backups = 2;  // so the commits rotate (unlink) too
  Scenario s(o, 3);
  auto rec = s.record();
  for (int n = 4; n <= 6; ++n) s.write(*rec, n);
  rec->stop();
  ASSERT_GT(rec->cuts().size(), 100u);
  check_all(*rec, s.docs, s.options, "commits");
}

TEST(PowerCutSimulator, FullRestores) {
  StateOptions o;
  o.max_backups = 3;
  Scenario s(o, 3);
  auto rec = s.record();
  s.restore(*rec, 2);  // generation 4: the document of 2
  s.write(*rec, 5);
  s.restore(*rec, 3);  // generation 6: the document of 3
  rec->stop();
  ASSERT_EQ(s.generation, 6u);
  check_all(*rec, s.docs, s.options, "restores");
}

TEST(PowerCutSimulator, FullOnDemandBackups) {
  StateOptions o;
  o.max_backups = 2;  // the second backup rotates the first away
  Scenario s(o, 3);
  auto rec = s.record();
  s.backup(*rec);
  s.write(*rec, 4);
  s.backup(*rec);
  s.write(*rec, 5);
  rec->stop();
  check_all(*rec, s.docs, s.options, "on-demand backups");
}

TEST(PowerCutSimulator, FullCommitsWithAuditLogRotation) {
  StateOptions o;
  o.max_backups = 2;
  o.max_log_bytes = 400;  // about two lines: most commits rotate the log
  Scenario s(o, 3);
  auto rec = s.record();
  for (int n = 4; n <= 6; ++n) s.write(*rec, n);
  rec->stop();
  struct stat st {};
  ASSERT_EQ(::stat(s.dir.file(std::string(kMeta) + "/audit.log.1").c_str(), &st), 0) << "the log never rotated";
  check_all(*rec, s.docs, s.options, "audit-log rotation");
}

// ATOMIC pays for no fsync and promises less (filelock.h): checked against that.
TEST(PowerCutSimulator, AtomicCommitsAndRestore) {
  StateOptions o;
  o.durable = false;
  o.max_backups = 2;
  Scenario s(o, 3);
  auto rec = s.record();
  s.write(*rec, 4);
  s.restore(*rec, 2);
  s.write(*rec, 6);
  rec->stop();
  check_all(*rec, s.docs, s.options, "ATOMIC commits and a restore");
}

// Journal mode: appends of records (fsynced in FULL) and the checkpoints that rewrite
// the document and start the journal again. Journal writes are torn at every byte
// (FILELOCK_POWER_CUT_STRIDE=n: every n-th, for a quicker run).
size_t tear_stride() {
  const char *env = std::getenv("FILELOCK_POWER_CUT_STRIDE");
  return env != nullptr && std::atoi(env) > 0 ? static_cast<size_t>(std::atoi(env)) : 1;
}

StateOptions journal_options(bool durable) {
  StateOptions o;
  o.durable = durable;
  o.max_backups = 2;
  // Room for two records of these transactions: the third commit checkpoints.
  o.journal_max_bytes = static_cast<int64_t>(Journal::kHeaderSize + 2 * Journal::record_size(64));
  return o;
}

std::string journal_path(const Scenario &s) { return s.dir.file(std::string(kMeta) + "/journal"); }

TEST(PowerCutSimulator, FullJournalCommitsAndCheckpoints) {
  Scenario s(journal_options(true), 3);
  auto rec = s.record();
  rec->tear_every_byte("journal", tear_stride());
  int appends = 0, checkpoints = 0;
  for (int n = 4; n <= 9; ++n) {
    const std::string file = statetest::slurp(s.dir.file("state.json"));
    s.txn(*rec, n);
    (statetest::slurp(s.dir.file("state.json")) == file ? appends : checkpoints) += 1;
  }
  rec->stop();
  ASSERT_GE(appends, 3) << "the transactions never went to the journal";
  ASSERT_GE(checkpoints, 2) << "the journal never checkpointed";
  check_all(*rec, s.docs, s.options, "journal commits and checkpoints");
}

// Whole writes and restores are checkpoints too; journal commits before and after them.
TEST(PowerCutSimulator, FullJournalBesideWritesAndRestores) {
  StateOptions o = journal_options(true);
  o.max_backups = 3;
  Scenario s(o, 3);
  auto rec = s.record();
  rec->tear_every_byte("journal", tear_stride());
  s.txn(*rec, 4);
  s.write(*rec, 5);
  s.txn(*rec, 6);
  s.restore(*rec, 3);
  s.txn(*rec, 8);
  rec->stop();
  ASSERT_GT(statetest::slurp(journal_path(s)).size(), Journal::kHeaderSize) << "the last commit was not journaled";
  check_all(*rec, s.docs, s.options, "journal commits beside writes and restores");
}

TEST(PowerCutSimulator, AtomicJournalCommits) {
  Scenario s(journal_options(false), 3);
  auto rec = s.record();
  rec->tear_every_byte("journal", tear_stride());
  for (int n = 4; n <= 8; ++n) s.txn(*rec, n);
  rec->stop();
  check_all(*rec, s.docs, s.options, "ATOMIC journal commits");
}

}  // namespace
}  // namespace filelock::state
