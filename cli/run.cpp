// `filelock run PATH -- COMMAND...`: run a command while holding a lock, like flock(1).
// The command must never run without the lock, even if this process is killed:
//  - a kernel lock (flock/OFD) lives on its open file description, so the command
//    inherits the descriptor and holds the lock with us, as under flock(1);
//  - other backends cannot be shared that way: the lock stays ours, and the kernel
//    kills the command if we die (PR_SET_PDEATHSIG). Only Linux has that: elsewhere
//    those backends are refused here.
// Catchable signals that would end us are passed on to the command instead, so the
// lock is released only after the command has exited.
#include <fcntl.h>
#include <signal.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <iterator>

#include "args.hpp"
#include "cli.hpp"
#include "etcd_options.hpp"
#include "filelock.h"
#include "format.hpp"
#include "json.hpp"
#include "locks.hpp"

namespace filelock::cli {

const char *const kRunHelp =
    "Usage: filelock run [OPTIONS] PATH [--] COMMAND [ARGS...]\n"
    "       filelock run [OPTIONS] PATH -c 'SHELL COMMAND'\n"
    "\n"
    "Takes the lock of PATH (the lock file PATH.lock, the one the filelock library and\n"
    "its bindings use for PATH), runs COMMAND, releases the lock when it exits, and exits\n"
    "with COMMAND's status. Waits for the lock without polling. The signals that would\n"
    "end filelock (HUP, INT, QUIT, TERM, USR1, USR2, ALRM, PIPE, VTALRM, PROF, XCPU, IO,\n"
    "PWR) are forwarded to COMMAND; the lock is released after COMMAND exits.\n"
    "\n"
    "If filelock itself is killed (kill -9): with a kernel lock (backends auto, flock,\n"
    "ofd) COMMAND inherits the lock's descriptor and keeps the lock until it and every\n"
    "process it started that still has the descriptor exit, exactly as with flock(1);\n"
    "with the posix, lockfile and lockdir backends, whose lock cannot be shared,\n"
    "COMMAND is killed (SIGKILL) with filelock, so it never runs without the lock.\n"
    "\n"
    "Options:\n"
    "  -x, --exclusive            exclusive lock (the default)\n"
    "  -s, --shared               shared lock: other shared holders may run too\n"
    "  -n, --nonblock             fail at once if the lock is held\n"
    "  -w, --timeout DURATION     wait at most DURATION (30s, 500ms, 2m; plain number:\n"
    "                             seconds; 0 is the same as -n); default: wait forever\n"
    "  -E, --conflict-exit-code N exit status when the lock cannot be had (default 1)\n"
    "  -c, --command CMD          run CMD with /bin/sh -c\n"
    "      --no-sidecar           lock PATH itself instead of PATH.lock (as flock(1)\n"
    "                             does; interoperates with flock(1) on the same file)\n"
    "      --owner LABEL          record LABEL as the holder's owner (see 'status')\n"
    "      --backend NAME         auto (default), flock, ofd, posix, lockfile or lockdir\n"
    "                             (lockfile/lockdir need no kernel locks; see filelock(1))\n"
    "  -q, --quiet                say nothing when the lock cannot be had\n"
    "  -h, --help                 show this help\n"
    FILELOCK_CLI_ETCD_HELP
    "\n"
    "Exit status: COMMAND's status; 128+N if COMMAND was killed by signal N; 1 (or -E's\n"
    "N) if the lock could not be had; 126 if COMMAND cannot be executed; 127 if it is\n"
    "not found; 2 for bad arguments; 3/4 if the lock file cannot be opened.\n"
    "\n"
    "Examples:\n"
    "  filelock run pipeline.json -- ./update-pipeline.sh\n"
    "  filelock run -n -E 75 /var/lock/backup -- rsync -a /src /dst\n"
    "  filelock run -s -w 10s pipeline.json -c 'cat pipeline.json'\n"
    "  filelock run --etcd-cacert ca.pem --etcd-ttl 10s etcd://10.0.0.5:2379/jobs/nightly -- ./nightly.sh\n";

namespace {

// Every catchable signal whose default action ends the process (SIGXFSZ aside: this
// process ignores it, see main.cpp).
const int kForwarded[] = {SIGHUP,  SIGINT,    SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM,
                          SIGPIPE, SIGVTALRM, SIGPROF, SIGXCPU, SIGIO,
#ifdef SIGPWR  // Linux's
                          SIGPWR
#endif
};

volatile sig_atomic_t g_child = 0;

void forward_signal(int sig) {
  if (g_child > 0) kill(static_cast<pid_t>(g_child), sig);
}

class Handle {
 public:
  ~Handle() { fl_close(h_); }
  fl_handle **out() { return &h_; }
  fl_handle *get() const { return h_; }

 private:
  fl_handle *h_ = nullptr;
};

// "held by pid 42 (owner 'nightly') on host (a LOCKDIR lock)": who is in the way, if the library knows.
std::string holder_description(const std::string &path, const fl_lock_options &opts) {
  LibString info;
  if (fl_query(path.c_str(), &opts, info.out()) != FL_OK) return "";
  Json report(cJSON_Parse(info.str().c_str()));
  if (!report) return "";
  LockEntry e = lock_entry(report.get());
  if (e.pid < 0) return "";
  std::string s = " by pid " + std::to_string(e.pid);
  if (!e.owner.empty()) s += " (owner '" + printable(e.owner) + "')";
  if (!e.host.empty()) s += " on " + printable(e.host);
  // The query found the holder's backend on disk: say which, when it is a name lock.
  if (e.backend == "lockfile") s += " (a LOCKFILE lock)";
  if (e.backend == "lockdir") s += " (a LOCKDIR lock)";
  return s;
}

struct Child {
  pid_t pid = -1;
  int exec_errno = 0;  // set when the command could not be started
};

// Starts argv with the forwarded signals blocked until g_child is set, so a signal
// that arrives while the child is being created is delivered to it, not lost.
// lock_fd: the descriptor carrying the kernel lock, for the child to inherit; -1 if
// none does, in which case the child dies with this process instead.
Child spawn(const std::vector<std::string> &command, int lock_fd) {
#ifndef __linux__
  if (lock_fd < 0)
    throw Failure(kExitError,
                  "this backend's lock cannot be passed to the command, and only Linux can "
                  "make the command die with us; use the flock backend");
#endif
  std::vector<char *> argv;
  for (const auto &a : command) argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);

  // exec failures come back through a close-on-exec pipe: EOF means exec worked.
  int report[2];
#ifdef __linux__
  const int piped = pipe2(report, O_CLOEXEC);
#else  // no pipe2; this process has one thread, so nothing inherits the pipe meanwhile
  const int piped = pipe(report) != 0 ? -1
                    : fcntl(report[0], F_SETFD, FD_CLOEXEC) | fcntl(report[1], F_SETFD, FD_CLOEXEC);
#endif
  if (piped != 0) throw Failure(kExitError, std::string("pipe: ") + std::strerror(errno));

  sigset_t forwarded, previous;
  sigemptyset(&forwarded);
  for (int sig : kForwarded) sigaddset(&forwarded, sig);
  sigprocmask(SIG_BLOCK, &forwarded, &previous);
  // A signal we were started ignoring (nohup, a background job's SIGINT) stays
  // ignored, for us and for the command, as the caller asked.
  struct sigaction forward = {};
  struct sigaction original[std::size(kForwarded)] = {};
  forward.sa_handler = forward_signal;
  sigemptyset(&forward.sa_mask);
  forward.sa_flags = SA_RESTART;
  for (size_t i = 0; i < std::size(kForwarded); ++i) {
    sigaction(kForwarded[i], nullptr, &original[i]);
    if (original[i].sa_handler != SIG_IGN) sigaction(kForwarded[i], &forward, nullptr);
  }

  [[maybe_unused]] const pid_t parent = getpid();  // for the death signal's check
  pid_t pid = fork();
  if (pid == 0) {
    // Dispositions first: a signal arriving before exec must act on the command as
    // it would after, not run our forwarder in the child.
    for (size_t i = 0; i < std::size(kForwarded); ++i)
      sigaction(kForwarded[i], &original[i], nullptr);
    restore_file_size_signal();
    sigprocmask(SIG_SETMASK, &previous, nullptr);
    close(report[0]);
    int err = 0;
    if (lock_fd >= 0) {
      const int flags = fcntl(lock_fd, F_GETFD);
      if (flags < 0 || fcntl(lock_fd, F_SETFD, flags & ~FD_CLOEXEC) != 0) err = errno;
    }
#ifdef __linux__
    else if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
      err = errno;
    } else if (getppid() != parent) {
      _exit(kExitError);  // we died before the death signal was armed
    }
#endif
    if (err == 0) execvp(argv[0], argv.data());
    if (err == 0) err = errno;
    (void)!write(report[1], &err, sizeof err);
    _exit(err == ENOENT ? 127 : 126);
  }
  int fork_errno = errno;
  close(report[1]);
  if (pid < 0) {
    sigprocmask(SIG_SETMASK, &previous, nullptr);
    close(report[0]);
    throw Failure(kExitError, std::string("fork: ") + std::strerror(fork_errno));
  }
  g_child = pid;
  sigprocmask(SIG_SETMASK, &previous, nullptr);

  Child child;
  child.pid = pid;
  int err = 0;
  ssize_t n;
  do n = read(report[0], &err, sizeof err);
  while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof err)) child.exec_errno = err;
  close(report[0]);
  return child;
}

int wait_for(pid_t pid) {
  // Wait without reaping first: until the forwarder forgets the pid, it must stay a
  // zombie, or a signal could reach an unrelated process that reused it.
  siginfo_t info;
  while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0) {
    if (errno != EINTR) throw Failure(kExitError, std::string("waitid: ") + std::strerror(errno));
  }
  g_child = 0;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Failure(kExitError, std::string("waitpid: ") + std::strerror(errno));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kExitError;
}

}  // namespace

int run_main(const Args &args) {
  ParsedArgs p = parse_args(args,
                            with_etcd_options({{'x', "exclusive", OptionSpec::none},
                             {'e', "exclusive", OptionSpec::none},
                             {'s', "shared", OptionSpec::none},
                             {'n', "nonblock", OptionSpec::none},
                             {'w', "timeout", OptionSpec::required},
                             {'E', "conflict-exit-code", OptionSpec::required},
                             {'c', "command", OptionSpec::required},
                             kLockOptionSpecs[0],
                             kLockOptionSpecs[1],
                             kLockOptionSpecs[2],
                             {'q', "quiet", OptionSpec::none}}),
                            1);
  if (p.help) {
    std::cout << kRunHelp;
    return kExitOk;
  }
  if (p.positional.empty())
    throw UsageError("expects PATH and a command: filelock run PATH -- COMMAND...");
  const std::string path = p.positional[0];

  std::vector<std::string> command = p.rest;
  std::string shell_command = p.get("command");
  if (!command.empty() && command[0] == "-c") {
    if (command.size() != 2)
      throw UsageError("-c takes one argument: quote the whole shell command");
    shell_command = command[1];
    command.clear();
  }
  if (p.has("command") || !shell_command.empty()) {
    if (!command.empty())
      throw UsageError("give either -c 'SHELL COMMAND' or -- COMMAND ARGS..., not both");
    command = {"/bin/sh", "-c", shell_command};
  }
  if (command.empty())
    throw UsageError("no command to run after PATH (filelock run " + path +
                     " -- COMMAND... or -c 'SHELL COMMAND')");

  if (p.has("shared") && p.has("exclusive"))
    throw UsageError("-s/--shared and -x/--exclusive cannot both be given");
  if (p.has("nonblock") && p.has("timeout"))
    throw UsageError("-n/--nonblock and -w/--timeout cannot both be given");
  const int mode = p.has("shared") ? FL_SHARED : FL_EXCLUSIVE;
  int64_t timeout = FL_FOREVER;
  if (p.has("nonblock")) timeout = FL_NOWAIT;
  if (p.has("timeout")) timeout = duration_option("-w/--timeout", p.get("timeout"));
  const int conflict_code = p.has("conflict-exit-code")
                                ? static_cast<int>(int_option("-E/--conflict-exit-code",
                                                              p.get("conflict-exit-code"), 0, 255))
                                : kExitLockNotHad;

  fl_lock_options opts;
  lock_options_from(p, &opts);
  etcd_options_from(p, path, &opts);

  Handle lock;
  // Busy at open: a live legacy lock directory at the lock name (no kernel lock fits it).
  int rc = fl_open(lock.out(), path.c_str(), &opts);
  if (rc != FL_EBUSY) check(rc);
  if (rc == FL_OK) rc = fl_lock(lock.get(), mode, timeout);
  if (rc == FL_EBUSY || rc == FL_ETIMEOUT) {
    // A legacy lock's holder is named by the library's message, not by fl_query.
    const std::string why = fl_last_error();
    const size_t legacy = why.find("legacy lock");
    if (!p.has("quiet")) {
      std::string who = legacy != std::string::npos ? " by " + printable(why.substr(legacy))
                                                    : holder_description(path, opts);
      // No holder to name (a LOCKDIR directory a kernel backend cannot wait for): the
      // library's own reason says what holds it.
      if (who.empty()) who = " (" + printable(why) + ")";
      std::cerr << "filelock: run: the lock of '" << printable(path) << "' is held" << who
                << (rc == FL_ETIMEOUT ? "; gave up waiting" : "")
                << "; the command was not run\n";
    }
    return conflict_code;
  }
  check(rc);

  Child child = spawn(command, fl_lock_fd(lock.get()));
  int status = wait_for(child.pid);
  if (child.exec_errno != 0)
    std::cerr << "filelock: run: cannot run '" << printable(command[0])
              << "': " << std::strerror(child.exec_errno) << "\n";
  return status;
}

}  // namespace filelock::cli
