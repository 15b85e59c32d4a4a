#include "lock/legacy_record.hpp"

#include <algorithm>
#include <vector>

#include "common/error.hpp"
#include "lock/holder_record.hpp"
#include "lock/lock_entry.hpp"
#include "lock/wait_rules.hpp"
#include "io/lock_io.hpp"
#include "platform/paths.hpp"

namespace filelock {

namespace {

constexpr const char *kPidFileName = "pid";
// Larger than any of the three formats; a bigger file is someone else's.
constexpr size_t kLegacyMaxBytes = 128;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string trim(const std::string &s) {
  size_t a = 0, b = s.size();
  while (a < b && is_space(s[a])) ++a;
  while (b > a && is_space(s[b - 1])) --b;
  return s.substr(a, b - a);
}

// A decimal pid: 1 to 10 digits, 1..2^31-1.
bool parse_pid(const std::string &text, int64_t &pid) {
  if (text.empty() || text.size() > 10) return false;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v <= 0 || v > 0x7FFFFFFF) return false;
  pid = v;
  return true;
}

// "<digits>[.<digits>]" seconds since the epoch, as Python's time.time() prints it; no
// strtod, whose decimal point follows the locale.
bool parse_epoch_ms(const std::string &text, int64_t &ms) {
  const size_t dot = text.find('.');
  const std::string whole = text.substr(0, dot);
  const std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 12 || (dot != std::string::npos && frac.empty()))
    return false;
  int64_t secs = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return false;
    secs = secs * 10 + (c - '0');
  }
  int64_t milli = 0;
  for (size_t i = 0; i < frac.size(); ++i) {
    if (frac[i] < '0' || frac[i] > '9') return false;
    if (i < 3) milli += (frac[i] - '0') * (i == 0 ? 100 : i == 1 ? 10 : 1);
  }
  ms = secs * 1000 + milli;
  return true;
}

bool parse_key_lines(const std::string &bytes, LegacyLock &out) {
  bool have_pid = false, have_time = false;
  size_t at = 0;
  while (at < bytes.size()) {
    size_t end = bytes.find('\n', at);
    if (end == std::string::npos) end = bytes.size();
    const std::string line = trim(bytes.substr(at, end - at));
    at = end + 1;
    if (line.empty()) continue;
    if (line.compare(0, 4, "pid=") == 0 && !have_pid) {
      if (!parse_pid(line.substr(4), out.pid)) return false;
      have_pid = true;
    } else if (line.compare(0, 10, "locked_at=") == 0 && !have_time) {
      if (!parse_epoch_ms(line.substr(10), out.locked_at_ms)) return false;
      have_time = true;
    } else {
      return false;  // another key: not this format
    }
  }
  return have_pid;
}

std::string describe(const LegacyLock &l) {
  const char *what = l.format == LegacyFormat::bare_pid ? "legacy lock file (bare pid)"
                     : l.format == LegacyFormat::pid_locked_at
                         ? "legacy lock file (pid=/locked_at= lines)"
                         : "legacy lock directory (holding a pid file)";
  return std::string(what) + " of pid " + std::to_string(l.pid);
}

void judge(LegacyLock &l) {
  const int64_t now = platform::wall_clock_ms();
  l.age_ms = std::max<int64_t>(0, now - (l.locked_at_ms > 0 ? l.locked_at_ms : l.id.mtime_ms));
  // No start time was recorded: a process with that pid counts as the holder.
  l.stale = platform::local_process_liveness(l.pid, 0) == platform::Liveness::dead;
  l.reason = describe(l) + (l.stale ? ": no such process on this host"
                                    : ": a process with that pid exists (the format "
                                      "records no start time), so the lock is kept");
}

// Reads <dir>/pid; false unless the directory holds that file and nothing else.
bool read_legacy_dir(const std::string &dir, LegacyLock &out) {
  std::vector<std::string> names;
  try {
    names = io::list_dir(dir);
  } catch (const Error &) {
    return false;  // removed meanwhile, or not readable: not judged
  }
  if (names.size() != 1 || names[0] != kPidFileName) return false;
  std::string bytes;
  try {
    if (!io::read_small_file(platform::join_path(dir, kPidFileName), kLegacyMaxBytes, bytes))
      return false;
  } catch (const Error &) {
    return false;
  }
  if (!parse_pid(trim(bytes), out.pid)) return false;
  out.format = LegacyFormat::pid_directory;
  out.bytes = bytes;
  return true;
}

bool same_dir(const std::string &dir, const LegacyLock &judged) {
  platform::FileInfo id;
  LegacyLock now;
  return io::identify_path(dir, id) && id.directory && id == judged.id &&
         read_legacy_dir(dir, now) && now.bytes == judged.bytes;
}

std::string unique_aside(const std::string &lock_path) {
  static std::atomic<uint64_t> counter{0};
  return lock_path + ".breaking-" + std::to_string(platform::self_identity().pid) + "-" +
         std::to_string(platform::current_thread_id()) + "-" + std::to_string(++counter);
}

bool break_legacy_dir(const std::string &lock_path, const LegacyLock &judged) {
  if (!same_dir(lock_path, judged)) return false;
  std::string aside = breaking_name(lock_path, judged.id, judged.bytes);
  bool moved = false;
  try {
    moved = io::rename_no_replace(lock_path, aside);
  } catch (const Error &) {
    // No no-replace rename for directories here: a name of our own cannot be taken.
    aside = unique_aside(lock_path);
    moved = io::rename_path(lock_path, aside);
  }
  if (!moved) return false;  // gone, or another breaker moved it first
  if (same_dir(aside, judged)) {
    io::remove_file(platform::join_path(aside, kPidFileName));
    io::remove_dir(aside);
    return true;
  }
  try {
    io::rename_no_replace(aside, lock_path);  // someone else's: give it back
  } catch (const Error &) {
    // Left aside rather than deleted; fl_clean_stale judges it later.
  }
  return false;
}

}  // namespace

const char *legacy_format_name(LegacyFormat format) noexcept {
  switch (format) {
    case LegacyFormat::bare_pid: return "bare-pid";
    case LegacyFormat::pid_locked_at: return "pid-locked_at";
    case LegacyFormat::pid_directory: return "pid-directory";
    case LegacyFormat::none: break;
  }
  return "none";
}

bool parse_legacy_file(const std::string &bytes, LegacyLock &out) {
  if (bytes.empty() || bytes.size() > kLegacyMaxBytes) return false;
  LegacyLock l;
  if (parse_pid(trim(bytes), l.pid)) {
    l.format = LegacyFormat::bare_pid;
  } else if (parse_key_lines(bytes, l)) {
    l.format = LegacyFormat::pid_locked_at;
  } else {
    return false;
  }
  l.bytes = bytes;
  out = l;
  return true;
}

bool judge_legacy_entry(const std::string &lock_path, const platform::FileInfo &id,
                        const std::string &file_bytes, LegacyLock &out) {
  LegacyLock l;
  if (id.directory) {
    if (!read_legacy_dir(lock_path, l)) return false;
  } else if (!id.regular || !parse_legacy_file(file_bytes, l)) {
    return false;
  }
  l.id = id;
  judge(l);
  out = l;
  return true;
}

bool break_legacy_lock(const std::string &lock_path, const LegacyLock &judged) {
  if (!judged.stale) return false;
  if (judged.id.directory) return break_legacy_dir(lock_path, judged);
  // A file: the same checked move as for a dead LOCKFILE holder.
  return break_lock_entry(lock_path, false, judged.id, judged.bytes);
}

bool break_dead_legacy_at(const std::string &lock_path, const platform::FileInfo &id,
                          const std::string &bytes, std::string &why) {
  why.clear();
  LegacyLock l;
  if (!judge_legacy_entry(lock_path, id, bytes, l)) return false;
  if (!l.stale) {
    why = l.reason;
    return false;
  }
  break_legacy_lock(lock_path, l);
  return true;
}

bool held_by_legacy_lock(platform::NativeFile file, const platform::FileInfo &id,
                         const std::string &path, std::string &why) {
  if (id.size == 0 || id.size == kHolderRecordSize || id.size > kLegacyMaxBytes) return false;
  LegacyLock l;
  if (!parse_legacy_file(io::read_head(file, kLegacyMaxBytes, path), l)) return false;
  l.id = id;
  judge(l);
  if (l.stale) return false;  // a dead pid's file: the kernel lock holder takes it over
  why = l.reason;
  return true;
}

void wait_out_legacy_lock(platform::Wakeup &wakeup, std::atomic<bool> &cancel,
                          std::atomic<bool> &request, bool forever,
                          std::chrono::steady_clock::time_point deadline, int64_t timeout_ms,
                          int32_t retry_ms, const std::string &path, const std::string &why) {
  if (cancel.load()) wait_rules::canceled(cancel, request, path);
  const auto now = std::chrono::steady_clock::now();
  if (!forever && now >= deadline) wait_rules::timed_out(path, timeout_ms, "still held by " + why);
  auto next = now + std::chrono::milliseconds(retry_ms > 0 ? retry_ms : 1);
  if (!forever) next = std::min(next, deadline);
  wakeup.wait_until(false, next);
  if (cancel.load()) wait_rules::canceled(cancel, request, path);
}

io::OpenedFile open_lock_file_past_legacy(const std::string &path, unsigned mode,
                                                bool sidecar) {
  if (!sidecar) return io::open_lock_file(path, mode);
  for (int attempt = 0;; ++attempt) {
    try {
      return io::open_lock_file(path, mode);
    } catch (const Error &e) {
      platform::FileInfo id;
      LegacyLock l;
      if (e.status() != Status::invalid || attempt >= 8 || !io::identify_path(path, id) ||
          !id.directory || !judge_legacy_entry(path, id, std::string(), l))
        throw;
      if (!l.stale) throw_error(Status::busy, "open lock", path, "held by " + l.reason);
      break_legacy_lock(path, l);
    }
  }
}

}  // namespace filelock
