// Shared pieces of the `filelock` command: exit codes, the error type every
// subcommand throws, and the subcommand entry points that main.cpp dispatches to.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace filelock::cli {

// Exit codes (documented in docs/filelock.1 and `filelock --help`). `run` exits with
// the command's own status instead, like flock(1), and 126/127 like shells.
enum ExitCode {
  kExitOk = 0,
  kExitLockNotHad = 1,  // the lock is held by someone else (-n or -w ran out)
  kExitUsage = 2,       // bad arguments or invalid input; nothing was changed
  kExitNotFound = 3,    // file, directory, JSON pointer target or backup missing
  kExitError = 4,       // any other failure (I/O, permissions, ...)
  kExitDamaged = 5,     // a state file is damaged or fails its schema (verify, reads)
};

// Thrown by subcommands; main() prints "filelock: <message>" and exits with `code`.
class Failure : public std::runtime_error {
 public:
  Failure(int code, const std::string &message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// A usage error: main() adds a pointer to the subcommand's --help.
class UsageError : public Failure {
 public:
  explicit UsageError(const std::string &message) : Failure(kExitUsage, message) {}
};

// The exit code for a library status (FL_E*).
int exit_code_for(int status);
// Throws Failure for a failed library call, with the library's full message
// (it names the operation, the path and the reason) and a hint where one helps.
void check(int status);

// SIGXFSZ (a write past `ulimit -f`) would kill this process silently mid-write, so
// main() ignores it: the write fails with EFBIG and the library reports it and removes
// its temp file. A command started by `run` gets the disposition we were started with;
// restore_file_size_signal() is async-signal-safe, for use between fork and exec.
void ignore_file_size_signal();
void restore_file_size_signal();

using Args = std::vector<std::string>;

int status_main(const Args &args);
int clean_stale_main(const Args &args);
int run_main(const Args &args);
int state_main(const Args &args);
int lock_info_main(const Args &args);
// "get", "set", ...: messages name them ("filelock: state set: ...").
bool is_state_command(const std::string &name);

extern const char *const kStatusHelp;
extern const char *const kCleanStaleHelp;
extern const char *const kRunHelp;
extern const char *const kStateHelp;
extern const char *const kLockInfoHelp;

}  // namespace filelock::cli
