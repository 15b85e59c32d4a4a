// `filelock status [DIR]`: the lock files under DIR as a table, JSON, or a live view.
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <iostream>

#include "args.hpp"
#include "cli.hpp"
#include "etcd_options.hpp"
#include "filelock.h"
#include "format.hpp"
#include "json.hpp"
#include "locks.hpp"

namespace filelock::cli {

const char *const kStatusHelp =
    "Usage: filelock status [DIR] [--json] [--watch [INTERVAL]] [--etcd-...]\n"
    "\n"
    "Lists the lock files under DIR (default: the current directory, not recursive):\n"
    "whether each is held, in which mode, the holder's pid, host and owner label, how\n"
    "long it has been held or unused (AGE), and whether the holder is gone (STALE).\n"
    "Lock files older scripts leave (a bare pid, pid=/locked_at= lines, or a directory\n"
    "holding a pid file) show as held by that pid, with OWNER 'legacy FORMAT'.\n"
    "Files a lock-file process left when killed mid-step (<lock>.new-*,\n"
    "<lock>.breaking-*) are counted below the table; --json lists them.\n"
    "DIR may be an etcd:// prefix (etcd://HOST:PORT/PREFIX): every lock below it.\n"
    "\n"
    "Options:\n"
    "  --json               print the library's report as JSON\n"
    "  --watch [INTERVAL]   redraw every INTERVAL (default 2s) until interrupted;\n"
    "                       write --watch=INTERVAL if DIR could look like a duration\n"
    "  -h, --help           show this help\n"
    FILELOCK_CLI_ETCD_HELP
    "\n"
    "Examples:\n"
    "  filelock status\n"
    "  filelock status /var/lib/pipeline --json\n"
    "  filelock status /var/lib/pipeline --watch 500ms\n"
    "  filelock status etcd://10.0.0.5:2379/pipeline\n"
    "  filelock status --etcd-cacert ca.pem --etcd-user ops --etcd-password-file pw \\\n"
    "      etcd://10.0.0.5:2379/pipeline\n";

namespace {

volatile sig_atomic_t g_interrupted = 0;
void on_interrupt(int) { g_interrupted = 1; }

std::string scan(const std::string &dir, const fl_lock_options &opts) {
  LibString report;
  check(fl_scan_with(dir.c_str(), &opts, report.out()));
  return report.str();
}

void print_table(const std::string &dir, const std::string &report_json) {
  Json report = parse_report(report_json);
  const cJSON *locks = field(report.get(), "locks");
  Table table({"LOCK", "STATE", "MODE", "PID", "HOST", "OWNER", "AGE", "STALE"});
  const cJSON *item = nullptr;
  cJSON_ArrayForEach(item, locks) {
    LockEntry e = lock_entry(item);
    std::string name = e.lock_path;
    // Paths under DIR print relative to it: the table is about DIR.
    std::string prefix = dir + (dir.empty() || dir.back() == '/' ? "" : "/");
    if (name.compare(0, prefix.size(), prefix) == 0) name = name.substr(prefix.size());
    table.add({printable(name), e.locked ? "held" : "free", e.locked && !e.mode.empty() ? e.mode : "-",
               !e.locked         ? "-"
               : !e.pids.empty() ? e.pids
               : e.pid >= 0      ? std::to_string(e.pid)
                                 : "-",
               e.locked && !e.host.empty() ? printable(e.host) : "-",
               !e.format.empty()            ? "legacy " + e.format
               : e.locked && !e.owner.empty() ? printable(e.owner)
                                              : "-",
               format_age(e.age_ms),
               e.stale ? "yes" : "no"});
  }
  if (table.empty())
    std::cout << "no lock files in " << printable(dir) << "\n";
  else
    table.print(std::cout);
  // Crash leftovers of the lock-file backends: counted here, itemized by clean-stale.
  size_t leftovers = 0, stale = 0;
  cJSON_ArrayForEach(item, field(report.get(), "leftovers")) {
    ++leftovers;
    if (bool_field(item, "stale")) ++stale;
  }
  if (leftovers > 0) {
    std::cout << leftovers << " crash leftover" << (leftovers == 1 ? "" : "s")
              << " of lock-file locks (" << stale
              << " abandoned); see 'filelock clean-stale --dry-run'\n";
  }
}

void print_once(const std::string &dir, bool json, const fl_lock_options &opts) {
  std::string report = scan(dir, opts);
  if (json)
    std::cout << pretty(report) << "\n";
  else
    print_table(dir, report);
}

// Sleeps up to ms; returns early (false) when interrupted.
bool pause_for(int64_t ms) {
  while (ms > 0 && !g_interrupted) {
    int64_t step = ms < 100 ? ms : 100;
    timespec ts{static_cast<time_t>(step / 1000), static_cast<long>(step % 1000) * 1000000L};
    nanosleep(&ts, nullptr);
    ms -= step;
  }
  return !g_interrupted;
}

int watch(const std::string &dir, bool json, int64_t interval_ms, const fl_lock_options &opts) {
  struct sigaction sa = {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  const bool tty = isatty(STDOUT_FILENO) == 1;
  for (bool first = true; !g_interrupted; first = false) {
    std::string report = scan(dir, opts);  // before clearing, so a failure leaves the last view
    if (tty)
      std::cout << "\033[H\033[2J";
    else if (!first)
      std::cout << "\n";
    time_t now = time(nullptr);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", localtime(&now));
    if (!json)
      std::cout << "Every " << format_age(interval_ms) << ": " << printable(dir) << "  " << stamp << "\n\n";
    if (json)
      std::cout << pretty(report) << "\n";
    else
      print_table(dir, report);
    std::cout.flush();
    if (!pause_for(interval_ms)) break;
  }
  return kExitOk;
}

}  // namespace

int status_main(const Args &args) {
  ParsedArgs p = parse_args(
      args,
      with_etcd_options({{0, "json", OptionSpec::none}, {0, "watch", OptionSpec::optional, is_duration}}));
  if (p.help) {
    std::cout << kStatusHelp;
    return kExitOk;
  }
  if (p.positional.size() > 1)
    throw UsageError("expects at most one DIR, got '" + p.positional[1] + "' too");
  const std::string dir = p.positional.empty() ? "." : p.positional[0];
  const bool json = p.has("json");
  fl_lock_options opts;
  fl_lock_options_init(&opts);
  etcd_options_from(p, dir, &opts);
  if (!p.has("watch")) {
    print_once(dir, json, opts);
    return kExitOk;
  }
  int64_t interval = duration_option("--watch", p.get("watch", "2s"));
  if (interval <= 0) throw UsageError("--watch: the interval must be more than 0");
  return watch(dir, json, interval, opts);
}

}  // namespace filelock::cli
