// State figures: a read-modify-write transaction through the public C API beside
// the same commit protocol written with raw syscalls, in the same run.
//   state.fl_{full,atomic}_SIZE_us      fl_txn_begin, get, set one field, commit
//   state.fl_atomic_nobackup_SIZE_us    ATOMIC with backups off
//   state.backup_cost_SIZE_us           what the backup adds to a commit: ATOMIC with
//                                       minus without, paired by round (without fsyncs,
//                                       whose jitter would bury a hard link's cost)
//   state.raw_{full,atomic}_SIZE_us     the same protocol as plain syscalls
//   state.replace_{durable,atomic}_1k_us a bare file replace, nothing else
//   state.fl_full_journal_SIZE_us       FULL with a journal (journal_max_bytes large
//                                       enough that no measured commit checkpoints):
//                                       the commit appends one record and fsyncs it
//   state.fl_full_journal_checkpoint_SIZE_us  FULL with a journal bound every commit
//                                       passes: each is a checkpoint (the worst single
//                                       commit of journal mode, and the commit after
//                                       it, which parses the new file again)
//   state.fl_journal_reread_SIZE_us     what a long-lived handle's read of the state
//                                       adds after another handle's one-key journal
//                                       commit (paired by round, as backup_cost)
//   state.fl_journal_get_SIZE_us        the same for fl_state_get of the changed key
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "filelock.h"
#include "harness.hpp"
#include "suites.hpp"

namespace bench {
namespace {

void check_fl(int rc, const char *what) {
  if (rc != FL_OK) die(std::string(what) + ": " + fl_last_error());
}
void check_os(bool ok, const std::string &what) {
  if (!ok) die(what + ": " + std::strerror(errno));
}

// A document of about `bytes` bytes shaped like pipeline state: a counter and
// many small records (so parsing cost grows with size, as it does in real use).
std::string make_doc(size_t bytes) {
  std::string doc = "{\"counter\":0,\"items\":[";
  char item[160];
  for (int i = 0; doc.size() + 2 < bytes; ++i) {
    std::snprintf(item, sizeof item,
                  "%s{\"id\":%d,\"name\":\"item-%06d\",\"status\":\"success\",\"ms\":42.5}",
                  i ? "," : "", i, i);
    doc += item;
  }
  return doc + "]}";
}

void write_all(int fd, const std::string &data, const std::string &what) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    check_os(n > 0, what);
    off += static_cast<size_t>(n);
  }
}

std::string read_all(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  check_os(fd >= 0, "open " + path);
  struct stat st {};
  check_os(::fstat(fd, &st) == 0, "fstat " + path);
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::read(fd, &data[off], data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    check_os(n > 0, "read " + path);
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  return data;
}

class FilelockState {
 public:
  // max_backups 0: backups off.
  FilelockState(const std::string &path, const std::string &doc, int durability, int max_backups,
                int64_t journal_max_bytes = 0) {
    fl_state_options o;
    fl_state_options_init(&o);
    o.durability = durability;
    o.journal_max_bytes = journal_max_bytes;
    o.max_backups = max_backups;
    o.backup_before_write = max_backups > 0;
    o.initial_json = doc.c_str();
    check_fl(fl_state_open(&st_, path.c_str(), &o), "fl_state_open");
  }
  ~FilelockState() { fl_state_close(st_); }

  void read() {
    char *doc = nullptr;
    check_fl(fl_state_read(st_, &doc, nullptr), "fl_state_read");
    fl_free(doc);
  }

  void get(const char *pointer) {
    char *value = nullptr;
    check_fl(fl_state_get(st_, pointer, &value, nullptr), "fl_state_get");
    fl_free(value);
  }

  void transaction() {
    fl_txn *t = nullptr;
    check_fl(fl_txn_begin(st_, &t), "fl_txn_begin");
    char *value = nullptr;
    check_fl(fl_txn_get(t, "/counter", &value), "fl_txn_get");
    long long n = std::atoll(value);
    fl_free(value);
    check_fl(fl_txn_set(t, "/counter", std::to_string(n + 1).c_str()), "fl_txn_set");
    check_fl(fl_txn_commit(t), "fl_txn_commit");
  }

 private:
  fl_state *st_ = nullptr;
};

// The commit protocol with plain syscalls and no JSON work: the floor filelock's
// transaction is measured against. Same steps and durability as a filelock
// commit: lock the sidecar, read the document, temp file (O_EXCL) in the same
// directory, write, keep the mode, fsync, hard-link the outgoing file as a backup,
// pwrite a generation record (and fsync it), rename, fsync the directory, rotate the oldest
// backup out, append one log line (open, write, close: other processes append
// too; not fsynced, as in filelock), unlock. `durable` false drops the fsyncs.
class RawState {
 public:
  RawState(const std::string &dir, const std::string &name, const std::string &doc,
           bool durable, int max_backups)
      : dir_(dir), target_(dir + "/" + name), durable_(durable), max_backups_(max_backups) {
    const std::string meta = dir + "/." + name + ".raw";
    backups_ = meta + "/backups";
    check_os(::mkdir(meta.c_str(), 0755) == 0 || errno == EEXIST, "mkdir " + meta);
    check_os(::mkdir(backups_.c_str(), 0755) == 0 || errno == EEXIST, "mkdir " + backups_);
    lock_fd_ = ::open((target_ + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    dir_fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    log_ = meta + "/log.jsonl";
    gen_fd_ = ::open((meta + "/generation").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    check_os(lock_fd_ >= 0 && dir_fd_ >= 0 && gen_fd_ >= 0, "open " + target_);
    int fd = ::open(target_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    check_os(fd >= 0, "create " + target_);
    write_all(fd, doc, "write " + target_);
    ::close(fd);
  }
  ~RawState() {
    ::close(lock_fd_);
    ::close(dir_fd_);
    ::close(gen_fd_);
  }

  void transaction() {
    check_os(::flock(lock_fd_, LOCK_EX) == 0, "flock");
    std::string doc = read_all(target_);
    doc[doc.size() / 2] ^= 1;  // "set one field": same size, different bytes
    ++generation_;
    const std::string tmp = target_ + ".tmp-" + std::to_string(generation_);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    check_os(fd >= 0, "open " + tmp);
    write_all(fd, doc, "write " + tmp);
    check_os(::fchmod(fd, 0644) == 0, "fchmod " + tmp);
    if (durable_) check_os(::fsync(fd) == 0, "fsync " + tmp);
    check_os(::close(fd) == 0, "close " + tmp);
    const std::string backup = backups_ + "/" + std::to_string(generation_) + ".json";
    check_os(::link(target_.c_str(), backup.c_str()) == 0, "link " + backup);
    const uint64_t record[4] = {static_cast<uint64_t>(generation_), doc.size(), 0, 0};
    check_os(::pwrite(gen_fd_, record, sizeof record, 0) == sizeof record, "pwrite generation");
    if (durable_) check_os(::fsync(gen_fd_) == 0, "fsync generation");
    check_os(::rename(tmp.c_str(), target_.c_str()) == 0, "rename " + tmp);
    if (durable_) check_os(::fsync(dir_fd_) == 0, "fsync " + dir_);
    if (generation_ > max_backups_) {
      ::unlink((backups_ + "/" + std::to_string(generation_ - max_backups_) + ".json").c_str());
    }
    const std::string line = "{\"gen\":" + std::to_string(generation_) +
                             ",\"op\":\"commit\",\"ok\":true,\"pid\":" +
                             std::to_string(::getpid()) + "}\n";
    int log_fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    check_os(log_fd >= 0, "open " + log_);
    write_all(log_fd, line, "append " + log_);
    ::close(log_fd);
    ::flock(lock_fd_, LOCK_UN);
  }

 private:
  std::string dir_, target_, backups_, log_;
  bool durable_;
  long max_backups_;
  int lock_fd_ = -1, dir_fd_ = -1, gen_fd_ = -1;
  long generation_ = 0;
};

// A bare replace of the file: temp, write, (fsync,) rename, (fsync dir).
class Replace {
 public:
  Replace(const std::string &dir, const std::string &name, const std::string &doc, bool durable)
      : dir_(dir), target_(dir + "/" + name), doc_(doc), durable_(durable) {
    dir_fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    check_os(dir_fd_ >= 0, "open " + dir);
  }
  ~Replace() { ::close(dir_fd_); }

  void replace() {
    const std::string tmp = target_ + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    check_os(fd >= 0, "open " + tmp);
    write_all(fd, doc_, "write " + tmp);
    if (durable_) check_os(::fsync(fd) == 0, "fsync " + tmp);
    ::close(fd);
    check_os(::rename(tmp.c_str(), target_.c_str()) == 0, "rename " + tmp);
    if (durable_) check_os(::fsync(dir_fd_) == 0, "fsync " + dir_);
  }

 private:
  std::string dir_, target_, doc_;
  bool durable_;
  int dir_fd_;
};

void one_kib(const Config &cfg) {
  const std::string doc = make_doc(1024), d = cfg.dir;
  const int keep = 50;  // the default
  FilelockState fl_full(d + "/fl_full_1k.json", doc, FL_DURABILITY_FULL, keep);
  FilelockState fl_nobackup(d + "/fl_nobackup_1k.json", doc, FL_DURABILITY_ATOMIC, 0);
  FilelockState fl_atomic(d + "/fl_atomic_1k.json", doc, FL_DURABILITY_ATOMIC, keep);
  RawState raw_full(d, "raw_full_1k.json", doc, true, keep);
  RawState raw_atomic(d, "raw_atomic_1k.json", doc, false, keep);
  Replace durable(d, "replace_durable_1k.json", doc, true);
  Replace atomic(d, "replace_atomic_1k.json", doc, false);
  std::vector<Variant> v = {
      {"state.fl_atomic_1k_us", [&] { fl_atomic.transaction(); }},
      {"state.fl_atomic_nobackup_1k_us", [&] { fl_nobackup.transaction(); }},
      {"state.fl_full_1k_us", [&] { fl_full.transaction(); }},
      {"state.raw_full_1k_us", [&] { raw_full.transaction(); }},
      {"state.replace_durable_1k_us", [&] { durable.replace(); }},
      {"state.raw_atomic_1k_us", [&] { raw_atomic.transaction(); }},
      {"state.replace_atomic_1k_us", [&] { atomic.replace(); }},
  };
  auto samples = run_and_emit(v, cfg.quick ? 2 : 40, cfg.quick ? 2 : 8);
  emit("state.backup_cost_1k_us", median_difference(samples[0], samples[1]));
}

void larger(const Config &cfg, size_t bytes, const std::string &tag, int rounds, int batch) {
  const std::string doc = make_doc(bytes), d = cfg.dir;
  // Few backups kept, and that many commits first: every measured commit then also
  // rotates one backup out, freeing its blocks, as in a long-running steady state
  // (with 50 kept, a short run would never free any and flatter the backup).
  const int keep = 2;
  FilelockState fl_full(d + "/fl_full_" + tag + ".json", doc, FL_DURABILITY_FULL, keep);
  FilelockState fl_atomic(d + "/fl_atomic_" + tag + ".json", doc, FL_DURABILITY_ATOMIC, keep);
  FilelockState fl_nobackup(d + "/fl_nobackup_" + tag + ".json", doc, FL_DURABILITY_ATOMIC, 0);
  RawState raw_full(d, "raw_full_" + tag + ".json", doc, true, keep);
  for (int i = 0; i < keep; ++i) {
    fl_full.transaction();
    fl_atomic.transaction();
    raw_full.transaction();
  }
  std::vector<Variant> v = {
      {"state.fl_atomic_" + tag + "_us", [&] { fl_atomic.transaction(); }},
      {"state.fl_atomic_nobackup_" + tag + "_us", [&] { fl_nobackup.transaction(); }},
      {"state.fl_full_" + tag + "_us", [&] { fl_full.transaction(); }},
      {"state.raw_full_" + tag + "_us", [&] { raw_full.transaction(); }},
  };
  auto samples = run_and_emit(v, cfg.quick ? 1 : rounds, cfg.quick ? 1 : batch);
  emit("state.backup_cost_" + tag + "_us", median_difference(samples[0], samples[1]));
}

// Journal mode beside a full rewrite of the same document, same durability and backups.
void journal(const Config &cfg, size_t bytes, const std::string &tag, int rounds, int batch) {
  const std::string doc = make_doc(bytes), d = cfg.dir;
  const int keep = 2;
  const int64_t unbounded = int64_t{1} << 40;
  FilelockState full(d + "/fl_full_rewrite_" + tag + ".json", doc, FL_DURABILITY_FULL, keep);
  FilelockState journaled(d + "/fl_full_journal_" + tag + ".json", doc, FL_DURABILITY_FULL, keep, unbounded);
  FilelockState checkpointing(d + "/fl_full_checkpoint_" + tag + ".json", doc, FL_DURABILITY_FULL, keep, 1);
  FilelockState reread_writer(d + "/fl_journal_reread_" + tag + ".json", doc, FL_DURABILITY_ATOMIC, keep, unbounded);
  FilelockState reread_reader(d + "/fl_journal_reread_" + tag + ".json", doc, FL_DURABILITY_ATOMIC, keep, unbounded);
  for (int i = 0; i < keep; ++i) {
    full.transaction();
    journaled.transaction();
    checkpointing.transaction();
    reread_writer.transaction();
  }
  reread_reader.read();
  // Three groups, each interleaved within itself: the journal's commits, its re-reads,
  // the whole-file rewrites. Interleaved with a rewrite, a journal fsync also pays for
  // its deferred work (ext4 commits the freed blocks of the replaced 4 MiB file with
  // it); interleaved with a 4 MiB read, a commit pays for the heap the read handed back
  // to the system (glibc trims it; the commit's small allocations fault pages in
  // again). A journaling user's checkpoints come thousands of commits apart.
  ::sync();
  run_and_emit({{"state.fl_full_journal_" + tag + "_us", [&] { journaled.transaction(); }},
                {"state.fl_atomic_journal_" + tag + "_us", [&] { reread_writer.transaction(); }}},
               cfg.quick ? 1 : rounds, cfg.quick ? 1 : batch);
  // The reads, each paired by round with the commit before it; whole reads apart from
  // gets, for the trimmed heap above.
  auto rereads = run_and_emit(
      {{"state.fl_atomic_journal_then_reread_" + tag + "_us", [&] {
          reread_writer.transaction();
          reread_reader.read();
        }},
       {"state.fl_atomic_journal_beside_reads_" + tag + "_us", [&] { reread_writer.transaction(); }}},
      cfg.quick ? 1 : rounds, cfg.quick ? 1 : batch);
  auto gets = run_and_emit(
      {{"state.fl_atomic_journal_then_get_" + tag + "_us", [&] {
          reread_writer.transaction();
          reread_reader.get("/counter");
        }},
       {"state.fl_atomic_journal_beside_gets_" + tag + "_us", [&] { reread_writer.transaction(); }}},
      cfg.quick ? 1 : rounds, cfg.quick ? 1 : batch);
  ::sync();
  std::vector<Variant> heavy = {
      {"state.fl_full_rewrite_" + tag + "_us", [&] { full.transaction(); }},
      {"state.fl_full_journal_checkpoint_" + tag + "_us", [&] { checkpointing.transaction(); }},
  };
  run_and_emit(heavy, cfg.quick ? 1 : rounds, cfg.quick ? 1 : batch);
  emit("state.fl_journal_reread_" + tag + "_us", median_difference(rereads[0], rereads[1]));
  emit("state.fl_journal_get_" + tag + "_us", median_difference(gets[0], gets[1]));
}

}  // namespace

void run_state_suite(const Config &cfg) {
  one_kib(cfg);
  larger(cfg, 64 * 1024, "64k", 20, 5);
  if (!cfg.quick) larger(cfg, 4 * 1024 * 1024, "4m", 16, 1);  // seconds even in quick mode
  journal(cfg, 1024, "1k", cfg.quick ? 2 : 40, cfg.quick ? 2 : 8);
  journal(cfg, 64 * 1024, "64k", 20, 5);
  if (!cfg.quick) journal(cfg, 4 * 1024 * 1024, "4m", 24, 1);
}

}  // namespace bench
