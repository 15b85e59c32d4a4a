// The benchmark suites of filelock-bench; each prints "name value" lines.
#pragma once

#include <string>

namespace bench {

struct Config {
  std::string dir;     // where the files live: the disk being measured
  bool quick = false;  // a few iterations only: proves the suite runs, measures nothing
};

void run_lock_suite(const Config &cfg);
void run_handoff_suite(const Config &cfg);
void run_state_suite(const Config &cfg);
void run_state_wait_suite(const Config &cfg);
void run_json_suite(const Config &cfg);

}  // namespace bench
