// fl_state_wait figures: how late a waiter learns of a commit made in another process.
//   state.wait_wake_median_us, _p99_us  the committer calls fl_state_write -> the
//                                       waiter's fl_state_wait returns: the commit itself
//                                       included, so an upper bound on the wake-up
//   state.wait_commit_median_us         that commit alone (the committer's call)
//   state.wait_after_commit_median_us   from the commit call's return to the waiter's
//                                       return: below zero when the waiter is back first
//   state.wait_journal_*                the same with a journal: the commit is a
//                                       one-key transaction appended to it
//   state.wait_journal_from_commit_call_median_us  from fl_txn_commit's start: the
//                                       call that publishes, as fl_unlock is for the
//                                       lock handoff (begin and set are the work done
//                                       under the lock, as the holder's is there)
//   state.wait_handoff_median_us, state.wait_journal_handoff_median_us  a lock handoff
//                                       between the same two processes, in rounds that
//                                       alternate with the commits (fl_lock's default
//                                       options; the holder releases after 2 ms): the
//                                       reference for the change wait, taken in the same
//                                       minutes, as every ratio here is
//   state.wait_floor_median_us          the same hand-over without the library (Linux):
//                                       the calls a journal commit and a waiter's look
//                                       make at the least, from the committer's open
// The state is ATOMIC with backups and the audit log off, so the commit is little more
// than the rename that wakes the waiter. Measured from the call's return
// (wait_after_commit), the figure can go below zero: the waiter is often back before the
// committer, which still unlocks after its rename. Beside lock.fl_handoff_median_us,
// the same hand-over for a lock.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/inotify.h>
#endif

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "filelock.h"
#include "harness.hpp"
#include "suites.hpp"

namespace bench {
namespace {

void check_fl(int rc, const char *what) {
  if (rc != FL_OK) die(std::string(what) + ": " + fl_last_error());
}
void check_os(bool ok, const char *what) {
  if (!ok) die(std::string(what) + ": " + std::strerror(errno));
}
void write_byte(int fd, char c = 'x') { check_os(::write(fd, &c, 1) == 1, "write pipe"); }
bool read_byte(int fd, char *got = nullptr) {
  char c;
  ssize_t n;
  do n = ::read(fd, &c, 1);
  while (n < 0 && errno == EINTR);
  if (got != nullptr) *got = c;
  return n == 1;
}

// journal: commits append to the journal (journal_max_bytes) instead of rewriting.
fl_state *open_state(const std::string &path, bool journal) {
  fl_state_options o;
  fl_state_options_init(&o);
  o.durability = FL_DURABILITY_ATOMIC;
  o.max_backups = 0;
  o.audit_log = 0;
  o.initial_json = "{\"round\":-1}";
  if (journal) o.journal_max_bytes = int64_t{1} << 30;
  fl_state *st = nullptr;
  check_fl(fl_state_open(&st, path.c_str(), &o), "fl_state_open");
  return st;
}

struct Stamps {
  std::atomic<double> started{0}, publishing{0}, committed{0}, released{0};
};

struct Wakeups {
  std::vector<double> wake_us, commit_us, after_commit_us, from_commit_call_us, handoff_us;
};

fl_handle *open_lock(const std::string &path) {
  fl_handle *h = nullptr;
  check_fl(fl_open(&h, path.c_str(), nullptr), "fl_open");
  return h;
}

// One committer process per series. Told "c", it sleeps 2 ms (so the waiter is surely
// asleep) and commits, stamping the times around the call; this process waits for each
// commit. Told "l", it takes a lock, says so, holds it 2 ms and releases it, stamping the
// release; this process waits in fl_lock. The two kinds alternate round by round.
Wakeups wakeups(const std::string &path, int rounds, bool journal) {
  auto *stamps = static_cast<Stamps *>(
      ::mmap(nullptr, sizeof(Stamps), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  check_os(stamps != MAP_FAILED, "mmap");
  int go[2], held[2];
  check_os(::pipe(go) == 0 && ::pipe(held) == 0, "pipe");
  const std::string lock_path = path + ".handoff";
  fl_state *st = open_state(path, journal);
  const pid_t pid = ::fork();
  check_os(pid >= 0, "fork");
  if (pid == 0) {
    ::close(go[1]);  // else the parent's close would never end this loop
    fl_state *mine = open_state(path, journal);
    fl_handle *lock = open_lock(lock_path);
    char what = 0;
    for (int r = 0; read_byte(go[0], &what); ++r) {
      struct timespec pause = {0, 2000000};
      if (what == 'l') {
        check_fl(fl_lock(lock, FL_EXCLUSIVE, FL_FOREVER), "fl_lock");
        write_byte(held[1]);
        ::nanosleep(&pause, nullptr);
        stamps->released.store(now_us());
        check_fl(fl_unlock(lock), "fl_unlock");
        continue;
      }
      ::nanosleep(&pause, nullptr);
      const std::string doc = "{\"round\":" + std::to_string(r) + "}";
      stamps->started.store(now_us());
      if (journal) {
        fl_txn *txn = nullptr;
        check_fl(fl_txn_begin(mine, &txn), "fl_txn_begin");
        check_fl(fl_txn_set(txn, "/round", std::to_string(r).c_str()), "fl_txn_set");
        stamps->publishing.store(now_us());
        check_fl(fl_txn_commit(txn), "fl_txn_commit");
      } else {
        check_fl(fl_state_write(mine, doc.c_str()), "fl_state_write");
      }
      stamps->committed.store(now_us());
    }
    fl_close(lock);
    fl_state_close(mine);
    ::_exit(0);
  }
  fl_handle *lock = open_lock(lock_path);
  Wakeups out;
  uint64_t seen = 0;
  check_fl(fl_state_read(st, nullptr, &seen), "fl_state_read");
  for (int r = 0; r < rounds; ++r) {
    write_byte(go[1], 'l');
    if (!read_byte(held[0])) die("state wait: the holder process ended early");
    check_fl(fl_lock(lock, FL_EXCLUSIVE, FL_FOREVER), "fl_lock");
    out.handoff_us.push_back(now_us() - stamps->released.load());
    check_fl(fl_unlock(lock), "fl_unlock");

    stamps->committed.store(0);
    write_byte(go[1], 'c');
    check_fl(fl_state_wait(st, seen, 10000, &seen), "fl_state_wait");
    const double woke = now_us();
    // The committer may still be returning from its call: its stamps come next.
    double done = 0;
    while ((done = stamps->committed.load()) == 0) ::sched_yield();
    out.wake_us.push_back(woke - stamps->started.load());
    out.commit_us.push_back(done - stamps->started.load());
    out.after_commit_us.push_back(woke - done);
    if (journal) out.from_commit_call_us.push_back(woke - stamps->publishing.load());
  }
  ::close(go[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("state wait: committer process failed");
  for (int fd : {go[0], held[0], held[1]}) ::close(fd);
  fl_close(lock);
  fl_state_close(st);
  ::munmap(stamps, sizeof(Stamps));
  return out;
}

#ifdef __linux__
// The floor of a journal commit's hand-over: a committer process opens a file in a
// watched directory, stats it for its size, appends a record and closes it (the event);
// the waiter, asleep in poll on its inotify descriptor, reads the event, stats the file
// and reads the new record. Microseconds from the committer's open to the waiter's read.
std::vector<double> floor_wakeups(const std::string &dir, int rounds) {
  check_os(::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST, "mkdir");
  const std::string path = dir + "/journal";
  const int made = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  check_os(made >= 0, "create");
  ::close(made);
  auto *started = static_cast<std::atomic<double> *>(
      ::mmap(nullptr, sizeof(std::atomic<double>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  check_os(started != MAP_FAILED, "mmap");
  const int in = ::inotify_init1(IN_CLOEXEC);
  check_os(in >= 0 && ::inotify_add_watch(in, dir.c_str(), IN_CLOSE_WRITE) >= 0, "inotify");
  int go[2];
  check_os(::pipe(go) == 0, "pipe");
  const pid_t pid = ::fork();
  check_os(pid >= 0, "fork");
  if (pid == 0) {
    ::close(go[1]);
    const char record[64] = {'r'};
    while (read_byte(go[0])) {
      struct timespec pause = {0, 2000000};
      ::nanosleep(&pause, nullptr);
      started->store(now_us());
      const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
      struct statx sx {};
      if (fd < 0 || ::statx(fd, "", AT_EMPTY_PATH, STATX_SIZE | STATX_NLINK, &sx) != 0 ||
          ::pwrite(fd, record, sizeof record, static_cast<off_t>(sx.stx_size)) != sizeof record)
        ::_exit(1);
      ::close(fd);
    }
    ::_exit(0);
  }
  ::close(go[0]);
  const int reader = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  check_os(reader >= 0, "open");
  std::vector<double> out;
  alignas(struct inotify_event) char events[4096];
  char record[64];
  for (int r = 0; r < rounds; ++r) {
    write_byte(go[1]);
    struct pollfd p = {in, POLLIN, 0};
    check_os(::poll(&p, 1, 10000) == 1, "poll");
    check_os(::read(in, events, sizeof events) > 0, "read inotify");
    struct statx sx {};
    check_os(::statx(reader, "", AT_EMPTY_PATH, STATX_SIZE | STATX_NLINK, &sx) == 0, "statx");
    check_os(::pread(reader, record, sizeof record, static_cast<off_t>(sx.stx_size - sizeof record)) ==
                 sizeof record,
             "pread");
    out.push_back(now_us() - started->load());
  }
  ::close(go[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("state wait floor: committer process failed");
  ::close(reader);
  ::close(in);
  ::munmap(started, sizeof(std::atomic<double>));
  return out;
}
#endif

}  // namespace

void run_state_wait_suite(const Config &cfg) {
  const int series = cfg.quick ? 1 : 4, rounds = cfg.quick ? 3 : 50;
  for (const bool journal : {false, true}) {
    Wakeups all;
    for (int s = 0; s < series; ++s) {
      const std::string name = std::string(journal ? "state_wait_journal_" : "state_wait_") + std::to_string(s);
      const Wakeups w = wakeups(cfg.dir + "/" + name + ".json", rounds, journal);
      for (auto [to, from] : {std::pair{&all.wake_us, &w.wake_us}, std::pair{&all.commit_us, &w.commit_us},
                              std::pair{&all.after_commit_us, &w.after_commit_us},
                              std::pair{&all.from_commit_call_us, &w.from_commit_call_us},
                              std::pair{&all.handoff_us, &w.handoff_us}})
        to->insert(to->end(), from->begin(), from->end());
    }
    const std::string prefix = journal ? "state.wait_journal_" : "state.wait_";
    emit(prefix + "wake_median_us", median(all.wake_us));
    emit(prefix + "wake_p99_us", percentile(all.wake_us, 0.99));
    emit(prefix + "commit_median_us", median(all.commit_us));
    emit(prefix + "after_commit_median_us", median(all.after_commit_us));
    if (journal) emit(prefix + "from_commit_call_median_us", median(all.from_commit_call_us));
    emit(prefix + "handoff_median_us", median(all.handoff_us));
  }
#ifdef __linux__
  std::vector<double> floor;
  for (int s = 0; s < series; ++s) {
    const std::vector<double> w = floor_wakeups(cfg.dir + "/state_wait_floor_" + std::to_string(s), rounds);
    floor.insert(floor.end(), w.begin(), w.end());
  }
  emit("state.wait_floor_median_us", median(floor));
#endif
}

}  // namespace bench
