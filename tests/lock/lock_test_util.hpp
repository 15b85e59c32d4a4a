// Shared by the lock tests: clocks, a few shortcuts, and the helper process roles.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <cjson/cJSON.h>

#include "common/error.hpp"
#include "lock/lock.hpp"
#include "lock/lock_inspect.hpp"
#include "reports.hpp"  // capi/: the JSON fl_query, fl_scan and fl_clean_stale return
#include "support.hpp"

namespace locktest {

// The engine's lock reports as the C API renders them.
inline std::string query_json(const std::string &path, const filelock::LockOptions &options) {
  return filelock::capi::to_json(filelock::query_lock(path, options));
}
inline std::string scan_json(const std::string &dir) {
  return filelock::capi::to_json(filelock::scan_locks(dir));
}
inline std::string clean_json(const std::string &dir, int64_t min_age_ms) {
  return filelock::capi::to_json(filelock::clean_stale_locks(dir, min_age_ms));
}

// Timing assertions allow this much lateness: waits end within about a millisecond on
// an idle machine, but tests also run on a loaded shared 2-core CI machine.
inline constexpr int64_t kSchedulingSlackMs = 40;

int64_t mono_ns();  // CLOCK_MONOTONIC, comparable across processes
int64_t elapsed_ms_since(int64_t start_ns);
std::string slurp(const std::string &path);  // a whole file, "" if unreadable
// Reads the number in `path` (0 if none), yields, writes it back plus one: a lost update
// under a lock that does not exclude shows as a low count. False if it cannot write.
bool increment_counter(const std::string &path);

std::unique_ptr<filelock::Lock> open_lock(const std::string &path,
                                          filelock::LockOptions options = {});
// The Status a call fails with, or Status::ok when it succeeds.
template <typename Fn>
filelock::Status status_of(Fn &&fn) {
  try {
    fn();
    return filelock::Status::ok;
  } catch (const filelock::Error &e) {
    return e.status();
  }
}

// Whether the test process is down to its one thread (threads of earlier steps may take
// a moment to go): only then is a thread's wait for its own lock a certain deadlock.
bool only_thread_left();
inline constexpr const char *kOtherThreadsSkip =
    "other threads run in this test process (or the system cannot tell): one of them could "
    "release the lock, so no deadlock is certain";

// Default options but for the backend.
inline filelock::LockOptions with_backend(filelock::Backend backend) {
  filelock::LockOptions o;
  o.backend = backend;
  return o;
}

// The Status opening a lock at `path` fails with, or Status::ok.
inline filelock::Status open_status(const std::string &path, filelock::LockOptions options = {}) {
  return status_of([&] { open_lock(path, options); });
}

// A JSON report (fl_query, fl_scan, fl_clean_stale) parsed for assertions; `text` is
// kept for failure messages.
struct Json {
  explicit Json(const std::string &text) : root(cJSON_Parse(text.c_str()), cJSON_Delete), text(text) {}
  cJSON *get(const char *key) const { return cJSON_GetObjectItem(root.get(), key); }
  std::unique_ptr<cJSON, decltype(&cJSON_Delete)> root;
  std::string text;
};

// Helper roles (lock_helpers.cpp). Each prints one line per event.
//   hold PATH MODE HOLD_MS [BACKEND]: lock (forever), print "locked", hold, print
//     "releasing <mono_ns>", unlock, exit 0.
//   try PATH MODE [BACKEND]: NOWAIT attempt; prints the status number; exits 0.
//   wait PATH MODE [BACKEND]: prints "waiting <cpu_us>", waits forever, then prints
//     "locked <mono_ns> <cpu_us>"; cpu_us is this process's user+system CPU time so far.
//   try_hold PATH HOLD_MS [BACKEND]: NOWAIT exclusive attempt, prints the status number;
//     on success holds HOLD_MS, then unlocks.
//   increment PATH COUNTER ITERATIONS [BACKEND]: read-increment-write COUNTER under the
//     lock, with a fresh handle each time; prints "done".
//   raw_flock PATH HOLD_MS: flock(LOCK_EX) the path directly, print "locked", hold, exit.
filelock::LockMode parse_mode(const std::string &s);

// Test-name suffix for a parameterised backend.
std::string backend_label(filelock::Backend backend);
struct BackendName {
  template <typename Info>
  std::string operator()(const Info &info) const { return backend_label(info.param); }
};

}  // namespace locktest
