// `filelock`: see, clean and use filelock locks and JSON state from a shell.
// Dispatches to one subcommand per file; every failure ends here as one message
// "filelock: ..." on stderr and a documented exit code.
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "cli.hpp"
#include "filelock.h"
#include "format.hpp"

namespace filelock::cli {
namespace {

const char *const kMainHelp =
    "Usage: filelock COMMAND [ARGS...]\n"
    "\n"
    "Cross-process file locks and crash-safe JSON state from the shell.\n"
    "\n"
    "Commands:\n"
    "  status [DIR]                 table of lock files under DIR: held/free, holder, age\n"
    "  clean-stale [DIR]            remove lock files nobody holds that are old enough\n"
    "  run PATH -- COMMAND...       run a command while holding the lock of PATH (like flock)\n"
    "  lock-info PATH               who holds the lock of PATH\n"
    "  state get|set|remove|merge|history|backups|restore|verify|watch FILE ...\n"
    "                               read, change and watch a JSON state file\n"
    "  help [COMMAND]               help for a command (same as COMMAND --help)\n"
    "\n"
    "Examples:\n"
    "  filelock status /var/lib/pipeline\n"
    "  filelock run -w 30s pipeline.json -- ./update.sh\n"
    "  filelock state set pipeline.json /stage '\"done\"'\n"
    "\n"
    "Exit status:\n"
    "  0  success\n"
    "  1  the lock is held by someone else (run -n/-w; run -E changes it)\n"
    "  2  bad arguments or invalid input; nothing was changed\n"
    "  3  not found: file, directory, JSON pointer target or backup\n"
    "  4  other error (I/O, permissions, ...); the message says which\n"
    "  5  a state file is damaged or fails its schema (state verify, reads)\n"
    "  run exits with the command's status; 126 if it cannot be executed, 127 if it\n"
    "  is not found, 128+N if it was killed by signal N.\n"
    "\n"
    "  filelock --version   print the command's and the library's versions\n";

struct sigaction g_original_xfsz;

struct Command {
  const char *name;
  int (*main)(const Args &);
  const char *const *help;
};

const Command kCommands[] = {
    {"status", status_main, &kStatusHelp}, {"clean-stale", clean_stale_main, &kCleanStaleHelp},
    {"run", run_main, &kRunHelp},          {"lock-info", lock_info_main, &kLockInfoHelp},
    {"state", state_main, &kStateHelp},
};

const Command *find_command(const std::string &name) {
  for (const Command &c : kCommands)
    if (name == c.name) return &c;
  return nullptr;
}

int help_main(const Args &args) {
  if (args.empty()) {
    std::cout << kMainHelp;
    return kExitOk;
  }
  const Command *c = find_command(args[0]);
  if (c == nullptr) throw UsageError("help: unknown command '" + args[0] + "'");
  std::cout << *c->help;
  return kExitOk;
}

}  // namespace

void ignore_file_size_signal() {
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGXFSZ, &ignore, &g_original_xfsz);
}

void restore_file_size_signal() { sigaction(SIGXFSZ, &g_original_xfsz, nullptr); }

int exit_code_for(int status) {
  switch (status) {
    case FL_OK:
      return kExitOk;
    case FL_EBUSY:
    case FL_ETIMEOUT:
      return kExitLockNotHad;
    case FL_EINVAL:
      return kExitUsage;
    case FL_ENOTFOUND:
      return kExitNotFound;
    case FL_ECORRUPT:
    case FL_EVALIDATION:
      return kExitDamaged;
    default:
      return kExitError;
  }
}

void check(int status) {
  if (status == FL_OK) return;
  std::string message = fl_last_error();
  if (message.empty()) message = fl_strerror(status);
  switch (status) {
    case FL_EPERM:
      message += " (check the permissions of the file and its directory)";
      break;
    case FL_ETIMEOUT:
      message += " (wait longer with -w/--timeout)";
      break;
    case FL_ECORRUPT:
      message += " (see 'filelock state verify' and 'filelock state restore')";
      break;
    default:
      break;
  }
  throw Failure(exit_code_for(status), message);
}

}  // namespace filelock::cli

int main(int argc, char **argv) {
  using namespace filelock::cli;
  ignore_file_size_signal();
  Args args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kMainHelp;
    return kExitUsage;
  }
  const std::string name = args[0];
  Args rest(args.begin() + 1, args.end());
  if (name == "--version" || name == "-V" || name == "version") {
    std::cout << "filelock " << FILELOCK_VERSION_STRING << " (library " << fl_version() << ")\n";
    return kExitOk;
  }
  if (name == "--help" || name == "-h") return help_main({});
  const Command *command = find_command(name);
  // Messages name the subcommand as typed: "filelock: state set: ...".
  std::string label = name;
  if (name == "state" && !rest.empty() && is_state_command(rest[0])) label += " " + rest[0];
  try {
    if (name == "help") return help_main(rest);
    if (command == nullptr)
      throw UsageError("unknown command '" + name +
                       "' (commands: status, clean-stale, run, lock-info, state, help)");
    return command->main(rest);
  } catch (const UsageError &e) {
    std::cerr << "filelock: " << (command != nullptr ? label + ": " : "") << e.what() << "\n"
              << "Try 'filelock " << (command != nullptr ? name + " --help" : "--help")
              << "' for more information.\n";
    return e.code();
  } catch (const Failure &e) {
    std::cerr << "filelock: " << printable(label) << ": " << printable(e.what()) << "\n";
    return e.code();
  } catch (const std::exception &e) {
    std::cerr << "filelock: " << printable(label) << ": " << printable(e.what()) << "\n";
    return kExitError;
  }
}
