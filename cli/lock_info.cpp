// `filelock lock-info PATH`: who holds the lock of one path, without disturbing them.
#include <iostream>

#include "args.hpp"
#include "cli.hpp"
#include "etcd_options.hpp"
#include "filelock.h"
#include "format.hpp"
#include "json.hpp"
#include "locks.hpp"

namespace filelock::cli {

const char *const kLockInfoHelp =
    "Usage: filelock lock-info PATH [--no-sidecar] [--backend NAME] [--json] [--etcd-...]\n"
    "\n"
    "Shows the state of the lock of PATH (its lock file PATH.lock): whether it is held,\n"
    "in which mode, by which process (pid, host, owner label, since when), and whether\n"
    "that holder is gone. Never takes or disturbs the lock. Without --backend, the\n"
    "backend is the one whose lock is on disk (lockfile, lockdir, a legacy pid lock,\n"
    "or a kernel lock: flock, ofd, posix).\n"
    "\n"
    "Options:\n"
    "  --no-sidecar   PATH is the lock file itself (as with 'run --no-sidecar')\n"
    "  --backend NAME the backend the holders use, if not auto (see 'run --help')\n"
    "  --json         print the library's report as JSON\n"
    "  -h, --help     show this help\n"
    FILELOCK_CLI_ETCD_HELP
    "\n"
    "Examples:\n"
    "  filelock lock-info pipeline.json\n"
    "  filelock lock-info --no-sidecar /var/lock/backup.lock --json\n";

int lock_info_main(const Args &args) {
  ParsedArgs p =
      parse_args(args, with_etcd_options(
                           {kLockOptionSpecs[0], kLockOptionSpecs[1], {0, "json", OptionSpec::none}}));
  if (p.help) {
    std::cout << kLockInfoHelp;
    return kExitOk;
  }
  if (p.positional.size() != 1) throw UsageError("expects exactly one PATH");
  fl_lock_options opts;
  const std::string &path = p.positional[0];
  lock_options_from(p, &opts);
  etcd_options_from(p, path, &opts);
  LibString info;
  check(fl_query(path.c_str(), &opts, info.out()));
  if (p.has("json")) {
    std::cout << pretty(info.str()) << "\n";
    return kExitOk;
  }
  Json report = parse_report(info.str());
  LockEntry e = lock_entry(report.get());
  const cJSON *holder = field(report.get(), "holder");
  std::cout << "path:       " << printable(text_field(report.get(), "path")) << "\n"
            << "lock file:  " << printable(e.lock_path) << "\n"
            << "backend:    " << (e.backend.empty() ? "-" : e.backend) << "\n"
            << "state:      " << (e.locked ? "held" : "free") << "\n";
  if (e.locked) {
    std::cout << "mode:       " << (e.mode.empty() ? "-" : e.mode) << "\n";
    std::cout << "holder pid: " << (e.pid >= 0 ? std::to_string(e.pid) : "-") << "\n";
    if (!e.pids.empty()) std::cout << "holders:    " << e.pids << "\n";
    std::cout << "host:       " << (e.host.empty() ? "-" : printable(e.host)) << "\n"
              << "owner:      " << (e.owner.empty() ? "-" : printable(e.owner)) << "\n"
              << "since:      " << format_time(field(holder, "acquired_at")) << "\n";
  }
  std::cout << "age:        " << format_age(e.age_ms) << "\n"
            << "stale:      " << (e.stale ? "yes (the holder is gone)" : "no") << "\n";
  return kExitOk;
}

}  // namespace filelock::cli
