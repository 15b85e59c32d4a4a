// filelock-demo: several processes take turns on one lock to increment a counter in
// one JSON state file, each increment a transaction (exclusive lock, read, +1,
// durable commit). Shows who holds the lock when, how long each waited, the
// throughput, and checks that no acknowledged increment was lost.
// Usage: filelock-demo [--workers N] [--seconds S] [--dir DIR]
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "filelock.h"

extern char **environ;

namespace {

const char *kCounter = "/counter";

int64_t now_us() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);  // system-wide: comparable across the processes
  return int64_t(t.tv_sec) * 1000000 + t.tv_nsec / 1000;
}

[[noreturn]] void fail(const std::string &what) {
  std::fprintf(stderr, "filelock-demo: %s\n", what.c_str());
  std::exit(1);
}
void check(int rc, const char *what) {
  if (rc != FL_OK) fail(std::string(what) + ": " + fl_last_error());
}

long long read_counter(fl_state *st) {
  fl_txn *t = nullptr;
  check(fl_txn_begin(st, &t), "fl_txn_begin");
  char *value = nullptr;
  check(fl_txn_get(t, kCounter, &value), "fl_txn_get");
  fl_txn_rollback(t);
  long long n = std::atoll(value);
  fl_free(value);
  return n;
}

// One worker process: from start_us to end_us, increments the counter and reports
// each acknowledged commit on stdout as "WORKER AT_US WAIT_US VALUE".
int worker(int id, const char *path, int64_t start_us, int64_t end_us) {
  setvbuf(stdout, nullptr, _IOLBF, 0);  // one write per line: lines reach the parent whole
  fl_state *st = nullptr;
  check(fl_state_open(&st, path, nullptr), "fl_state_open");
  while (now_us() < start_us) usleep(1000);  // all workers begin together
  while (now_us() < end_us) {
    int64_t asked = now_us();
    fl_txn *t = nullptr;
    check(fl_txn_begin(st, &t), "fl_txn_begin");  // waits for the exclusive lock
    int64_t got = now_us();
    char *value = nullptr;
    check(fl_txn_get(t, kCounter, &value), "fl_txn_get");
    long long next = std::atoll(value) + 1;
    fl_free(value);
    check(fl_txn_set(t, kCounter, std::to_string(next).c_str()), "fl_txn_set");
    check(fl_txn_commit(t), "fl_txn_commit");  // durable, then the lock is released
    std::printf("%d %lld %lld %lld\n", id, (long long)(got - start_us), (long long)(got - asked),
                next);
  }
  fl_state_close(st);
  return 0;
}

pid_t spawn_worker(int id, const std::string &path, int64_t start, int64_t end, int out_fd) {
  std::vector<std::string> args = {"filelock-demo", "--worker", std::to_string(id), path,
                                   std::to_string(start), std::to_string(end)};
  std::vector<char *> argv;
  for (auto &a : args) argv.push_back(&a[0]);
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, "/proc/self/exe", &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) fail(std::string("spawn worker: ") + std::strerror(rc));
  return pid;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
double max_of(const std::vector<double> &v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

// What the workers reported: every line is one acknowledged increment.
struct Reports {
  std::map<int, std::vector<double>> waits_ms;  // per worker
  std::vector<double> all_waits_ms;
  long commits = 0;
  int handovers = 0;
};

// Reads the workers' lines until they all exit, printing the first handovers and
// one progress line a second.
Reports collect(FILE *in, int64_t start) {
  Reports r;
  int last_holder = -1, shown = 0;
  long last_commits = 0;
  int64_t next_tick = start + 1000000;
  char line[256];
  std::printf("who holds the lock when (the first handovers):\n");
  while (std::fgets(line, sizeof line, in)) {
    int id;
    long long at, wait, value;
    if (std::sscanf(line, "%d %lld %lld %lld", &id, &at, &wait, &value) != 4) continue;
    ++r.commits;
    r.waits_ms[id].push_back(wait / 1000.0);
    r.all_waits_ms.push_back(wait / 1000.0);
    if (id != last_holder) {
      ++r.handovers;
      if (shown++ < 12) {
        std::printf("  %9.3f ms  worker %d holds the lock (waited %.3f ms), counter -> %lld\n",
                    at / 1000.0, id, wait / 1000.0, value);
      }
    }
    last_holder = id;
    if (now_us() >= next_tick) {
      std::printf("  %3.0f s: %ld commits in the last second, %ld in all\n",
                  (next_tick - start) / 1e6, r.commits - last_commits, r.commits);
      last_commits = r.commits;
      next_tick += 1000000;
    }
  }
  return r;
}

bool verify_ok(fl_state *st) {
  char *report = nullptr;
  check(fl_state_verify(st, &report), "fl_state_verify");
  const char *ok = std::strstr(report, "\"ok\"");
  bool good = ok && std::strstr(ok, "true") == ok + std::strspn(ok + 4, " :") + 4;
  fl_free(report);
  return good;
}

int run(int workers, double seconds, std::string dir) {
  if (dir.empty()) {
    const char *tmp = std::getenv("TMPDIR");
    dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/filelock-demo-XXXXXX";
    if (!mkdtemp(&dir[0])) fail("mkdtemp " + dir + ": " + std::strerror(errno));
  } else if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    fail("mkdir " + dir + ": " + std::strerror(errno));
  }
  const std::string path = dir + "/counter.json";
  fl_state_options opts;
  fl_state_options_init(&opts);
  opts.initial_json = "{\"counter\": 0}";
  fl_state *st = nullptr;
  check(fl_state_open(&st, path.c_str(), &opts), "fl_state_open");
  const long long start_value = read_counter(st);
  std::printf("filelock %s demo: %d processes increment one counter for %.0f s\n"
              "state file %s, counter starts at %lld\n"
              "each increment: fl_txn_begin (exclusive lock, read) -> +1 -> fl_txn_commit "
              "(backup, durable write, audit log, unlock)\n\n",
              fl_version(), workers, seconds, path.c_str(), start_value);

  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) fail(std::string("pipe: ") + std::strerror(errno));
  fcntl(pipe_fds[0], F_SETFD, FD_CLOEXEC);
  const int64_t start = now_us() + 200000;  // a moment for every worker to start
  const int64_t end = start + int64_t(seconds * 1e6);
  std::vector<pid_t> pids;
  for (int i = 0; i < workers; ++i) pids.push_back(spawn_worker(i, path, start, end, pipe_fds[1]));
  close(pipe_fds[1]);  // end of file once every worker has exited
  // Lines under PIPE_BUF bytes from several writers never interleave on one pipe.
  FILE *in = fdopen(pipe_fds[0], "r");
  const Reports r = collect(in, start);
  std::fclose(in);
  bool workers_ok = true;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    workers_ok = workers_ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

  std::printf("\nper worker:\n");
  for (const auto &[id, waits] : r.waits_ms) {
    std::printf("  worker %d: %5zu increments, lock wait median %.3f ms, max %.3f ms\n", id,
                waits.size(), median(waits), max_of(waits));
  }
  std::printf("\n%ld increments in %.1f s: %.0f transactions/s, %d lock handovers between "
              "processes\nlock wait over all: median %.3f ms, max %.3f ms\n",
              r.commits, seconds, r.commits / seconds, r.handovers, median(r.all_waits_ms),
              max_of(r.all_waits_ms));

  const long long final_value = read_counter(st);
  const bool counted = final_value == start_value + r.commits;
  const bool verified = verify_ok(st);
  fl_state_close(st);
  std::printf("\ncounter in the file: %lld; increments acknowledged: %ld: %s\n",
              final_value - start_value, r.commits, counted ? "equal" : "LOST UPDATES");
  std::printf("fl_state_verify (document, audit log, backups): %s\n", verified ? "ok" : "PROBLEMS");
  if (!workers_ok) std::printf("a worker failed (see its message above)\n");
  const bool ok = workers_ok && counted && verified;
  std::printf("%s (files, backups and audit log kept in %s)\n", ok ? "OK" : "FAILED", dir.c_str());
  return ok ? 0 : 1;
}

int usage() {
  std::fprintf(stderr, "usage: filelock-demo [--workers N (2-64, default 4)] "
                       "[--seconds S (1-60, default 10)] [--dir DIR]\n");
  return 2;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc == 6 && std::strcmp(argv[1], "--worker") == 0) {
    return worker(std::atoi(argv[2]), argv[3], std::atoll(argv[4]), std::atoll(argv[5]));
  }
  int workers = 4;
  double seconds = 10;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    if (a == "--workers") workers = std::atoi(argv[++i]);
    else if (a == "--seconds") seconds = std::atof(argv[++i]);
    else if (a == "--dir") dir = argv[++i];
    else return usage();
  }
  if (workers < 2 || workers > 64 || seconds < 1 || seconds > 60) return usage();
  if (FL_CHECK_VERSION() != FL_OK) fail(fl_last_error());
  return run(workers, seconds, dir);
}
