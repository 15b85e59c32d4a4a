// filelock-bench: prints one "name value" line per figure (µs) for bench/report.py.
// Usage: filelock-bench [--quick] [--suite locks|handoff|state|wait|json|all] [DIR]
// (handoff: the handoff scenarios as users run them; wait: the fl_state_wait wake-up
// alone; json: the engine's JSON parser and printer)
// Files go in a fresh directory inside DIR (default: $TMPDIR or /tmp), removed at
// the end; DIR decides which disk is measured.
#include <ftw.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "filelock.h"
#include "harness.hpp"
#include "suites.hpp"

namespace {

int usage() {
  std::fprintf(stderr, "usage: filelock-bench [--quick] "
                       "[--suite locks|handoff|state|wait|json|all] [DIR]\n");
  return 2;
}

void remove_tree(const std::string &dir) {
  ::nftw(dir.c_str(),
         [](const char *path, const struct stat *, int, struct FTW *) { return ::remove(path); },
         16, FTW_DEPTH | FTW_PHYS);
}

}  // namespace

int main(int argc, char **argv) {
  bench::Config cfg;
  std::string suite = "all";
  const char *tmp = std::getenv("TMPDIR");
  std::string parent = tmp && *tmp ? tmp : "/tmp";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") {
      cfg.quick = true;
    } else if (a == "--suite" && i + 1 < argc) {
      suite = argv[++i];
    } else if (!a.empty() && a[0] != '-') {
      parent = a;
    } else {
      return usage();
    }
  }
  if (suite != "locks" && suite != "handoff" && suite != "state" && suite != "wait" &&
      suite != "json" && suite != "all")
    return usage();
  if (FL_CHECK_VERSION() != FL_OK) bench::die(fl_last_error());

  std::string templ = parent + "/filelock-bench-XXXXXX";
  if (!::mkdtemp(&templ[0])) bench::die("mkdtemp " + templ + ": " + std::strerror(errno));
  cfg.dir = templ;
  if (suite == "locks" || suite == "all") bench::run_lock_suite(cfg);
  if (suite == "handoff" || suite == "all") bench::run_handoff_suite(cfg);
  if (suite == "state" || suite == "all") bench::run_state_suite(cfg);
  if (suite == "state" || suite == "wait" || suite == "all") bench::run_state_wait_suite(cfg);
  if (suite == "json" || suite == "all") bench::run_json_suite(cfg);
  remove_tree(cfg.dir);
  return 0;
}
