#include "lock/lock_inspect.hpp"

#include <algorithm>
#include <vector>

#include "common/error.hpp"
#include "etcd/etcd.hpp"
#include "lock/holder_judge.hpp"
#include "lock/inode_registry.hpp"
#include "lock/legacy_record.hpp"
#include "lock/lock_entry.hpp"
#include "lock/lock_path.hpp"
#include "io/lock_io.hpp"
#include "platform/kernel_lock.hpp"
#include "platform/lock_listing.hpp"
#include "platform/paths.hpp"
#include "platform/process.hpp"

namespace filelock {

namespace {

// Reading a lock file this process holds with the POSIX backend would close a descriptor
// of it and drop the lock: such a file is not read, and shows no holder record.
bool held_posix_here(const std::string &lock_path) {
  platform::FileInfo id;
  return io::identify_path(lock_path, id) && InodeRegistry::instance().has_posix_open(id);
}

bool read_entry_safely(const std::string &lock_path, bool directory, platform::FileInfo &id,
                       std::string &record_bytes) {
  if (!directory && held_posix_here(lock_path)) {
    record_bytes.clear();
    return io::identify_path(lock_path, id);
  }
  return read_lock_entry(lock_path, directory, id, record_bytes);
}

LockEntry inspect_safely(const std::string &lock_path) {
  return inspect_lock_entry(lock_path, held_posix_here(lock_path));
}

// The kernel lock AUTO takes here: flock, or LockFileEx on Windows.
const char *default_kernel_backend() {
  return platform::whole_file_lock_is_lockfileex() ? "windows" : "flock";
}

// AUTO: which kernel backend holds (or last held) a lock file. OFD and POSIX holders
// also take flock, so their own lock kind decides; with no holder listed, the last
// holder's record says, or this process's POSIX lock on it.
std::string kernel_backend_on_disk(const std::string &lock_path,
                                   const std::vector<platform::KernelLockHolder> &holders,
                                   const std::string &record_bytes) {
  bool ofd = false, posix = false;
  for (const auto &h : holders) {
    ofd = ofd || h.kind == "ofd";
    posix = posix || h.kind == "posix";
  }
  if (ofd) return "ofd";
  if (posix) return "posix";
  if (!holders.empty()) return default_kernel_backend();
  if (held_posix_here(lock_path)) return "posix";
  HolderRecord rec;
  if (parse_holder_record(record_bytes, rec) && (rec.backend == "ofd" || rec.backend == "posix"))
    return rec.backend;
  return default_kernel_backend();
}

// Fills the common fields for a kernel-locked file. `backend` null: found on disk (AUTO).
void describe_kernel(LockReport &o, const std::string &lock_path, const platform::FileInfo &id,
                     const std::string &record_bytes, const char *backend) {
  std::vector<platform::KernelLockHolder> holders;
  int probed = -1;
  if (!platform::list_kernel_locks(id, holders) && !held_posix_here(lock_path))
    probed = io::probe_kernel_lock(lock_path);
  o.backend = backend != nullptr ? backend : kernel_backend_on_disk(lock_path, holders, record_bytes);
  bool exclusive = probed == 2;
  for (const auto &h : holders) exclusive = exclusive || h.exclusive;
  o.locked = probed > 0 || !holders.empty();
  o.exclusive = exclusive;
  for (const auto &h : holders) o.owners.push_back({h.pid, h.kind, h.exclusive});
  // The record is the last exclusive holder's; it describes the current one only if
  // that holder is among the lock's owners (OFD locks do not name their process).
  HolderRecord rec;
  bool current = false;
  if (exclusive && parse_holder_record(record_bytes, rec)) {
    current = probed == 2;
    for (const auto &h : holders) current = current || h.pid == rec.pid || h.pid <= 0;
  }
  const int64_t now = platform::wall_clock_ms();
  o.has_age = true;
  if (current) {
    o.holder = LockReport::Holder::record;
    o.record = rec;
    o.alive = platform::Liveness::alive;
    o.age_ms = std::max<int64_t>(0, now - rec.acquired_at);
  } else {
    o.age_ms = std::max<int64_t>(0, now - id.mtime_ms);
  }
  o.stale = false;  // a kernel lock dies with its holder
}

void describe_name_lock(LockReport &o, const std::string &record_bytes,
                        const platform::FileInfo &id, bool directory, int64_t stale_after_ms) {
  o.backend = directory ? "lockdir" : "lockfile";
  o.locked = true;
  o.exclusive = true;
  HolderJudgement j = judge_holder(record_bytes, id.mtime_ms, stale_after_ms);
  if (j.has_record) {
    o.owners.push_back({j.record.pid, o.backend, true});
    o.holder = LockReport::Holder::record;
    o.record = j.record;
  }
  o.alive = j.alive;
  o.stale = j.stale;
  o.has_reason = true;
  o.reason = j.reason;
  o.has_age = true;
  o.age_ms = j.age_ms;
}

void describe_missing(LockReport &o, const std::string &backend) {
  o.backend = backend;
  o.locked = false;
}

// A legacy lock (legacy_record.hpp): held while its pid names a process, stale after.
void describe_legacy(LockReport &o, const LegacyLock &l) {
  o.backend = "legacy";
  o.format = legacy_format_name(l.format);
  o.locked = true;
  o.exclusive = true;
  o.owners.push_back({l.pid, "legacy", true});
  o.holder = LockReport::Holder::legacy;
  o.legacy_pid = l.pid;
  o.legacy_acquired_at = l.locked_at_ms > 0 ? l.locked_at_ms : 0;
  o.alive = l.stale ? platform::Liveness::dead : platform::Liveness::alive;
  o.stale = l.stale;
  o.has_reason = true;
  o.reason = l.reason;
  o.has_age = true;
  o.age_ms = l.age_ms;
}

bool is_lock_name(const std::string &name) {
  return name.size() > 5 && name.compare(name.size() - 5, 5, ".lock") == 0;
}

// Describes one entry found by a scan; false if it is not a lock this library made.
bool describe_found(LockReport &o, const std::string &lock_path, LockEntry &entry) {
  entry = inspect_safely(lock_path);
  LegacyLock legacy;
  if (entry.kind == EntryKind::other &&
      judge_legacy_entry(lock_path, entry.id, entry.record_bytes, legacy)) {
    describe_legacy(o, legacy);
    return true;
  }
  if (entry.kind == EntryKind::missing || entry.kind == EntryKind::other) return false;
  if (entry.kind == EntryKind::orphan && !entry.directory) {
    describe_kernel(o, lock_path, entry.id, entry.record_bytes, nullptr);
  } else {
    describe_name_lock(o, entry.record_bytes, entry.id, entry.directory, 0);
  }
  return true;
}

bool open_in_this_process(const std::string &lock_path) {
  platform::FileInfo id;
  return io::identify_path(lock_path, id) && InodeRegistry::instance().has_open(id);
}

// Removes a lock file that is still `judged` and that no kernel lock is held on. True
// if this call removed it; else `reason` says why not (empty: it vanished meanwhile).
bool remove_unheld_file(const std::string &path, const platform::FileInfo &judged,
                        std::string &reason) {
  if (open_in_this_process(path)) {
    // Opening and closing it here would drop this process's POSIX locks on it.
    reason = "open in this process";
    return false;
  }
  platform::FileInfo now;
  if (!io::identify_path(path, now)) return false;
  if (!(now == judged)) {
    reason = "replaced while checking";
    return false;
  }
  switch (io::remove_unheld_lock_file(path)) {
    case platform::RemoveOutcome::removed: return true;
    case platform::RemoveOutcome::held: reason = "held"; return false;
    case platform::RemoveOutcome::changed: reason = "replaced while checking"; return false;
    case platform::RemoveOutcome::missing: return false;
  }
  return false;
}

// A kernel lock file nobody holds is removed; one without any record, or a directory
// without its holder record, must also be older than kOrphanGraceMs (lock_entry.hpp).
// False with an empty reason if it vanished meanwhile.
bool clean_orphan(const std::string &lock_path, const LockEntry &entry, int64_t min_age_ms,
                  std::string &reason) {
  const int64_t age = orphan_age_ms(entry);
  if (age < min_age_ms) {
    reason = "younger than min_age_ms";
    return false;
  }
  if ((entry.directory || entry.record_bytes.empty()) && !orphan_expired(entry, 0)) {
    reason = "no holder record and younger than the grace period";
    return false;
  }
  if (entry.directory) {
    const bool gone = remove_orphan_entry(lock_path, entry);
    reason = gone ? "lock directory without a holder record" : "replaced while checking";
    return gone;
  }
  if (!remove_unheld_file(lock_path, entry.id, reason)) return false;
  reason = "not held";
  return true;
}

// Crash leftovers (lock_entry.hpp), removed only when provably not in use:
//  - "<lock>.new-...": a LOCKFILE not yet moved to its name. Its creator moves it in or
//    deletes it within one create-write-rename, so it is a leftover once that creator is
//    proven dead (its record: same host and boot, pid no longer names a process with its
//    start time; or the host rebooted) or, when that cannot be proven (another host, no
//    readable record), once older than kPlacingGraceMs. A creator still running that
//    late only finds its rename failing: it has not taken the lock.
//  - "<lock>.breaking-...": an entry a breaker moved aside, which that breaker deletes if
//    it is the stale lock it judged and otherwise puts back at the lock name (or leaves,
//    if the name was taken). A live breaker may still act on it, so it is removed only
//    if it is removable at the lock name itself by the same rules: a LOCKFILE/LOCKDIR
//    lock whose holder is proven dead, or an orphan past kOrphanGraceMs that no one holds
//    a kernel lock on. Deleting it first then changes nothing a breaker could rely on:
//    putting back a dead holder's lock only lets the next acquirer break it again.
//    Anything else there (a live or another host's holder, foreign content) is kept.
//  - "<lock>.break-<tag>-<g>": a breaker's claim. Kept while the entry it was taken for
//    is still at the lock name (removing a dead breaker's claim then could let two
//    breakers in at once); removed once that entry has gone, as it then stops no one.
// All must also be at least min_age_ms old.
struct LeftoverVerdict {
  bool found = false;
  bool removable = false;
  std::string reason;
  int64_t age_ms = 0;
  LockEntry entry;  // as judged; removal acts only on this same entry
  LegacyLock legacy;  // a legacy lock moved aside (format none otherwise)
};

LeftoverVerdict judge_placing(const std::string &path, const LeftoverName &name,
                              int64_t min_age_ms) {
  LeftoverVerdict v;
  LockEntry &e = v.entry;
  if (!read_lock_entry(path, false, e.id, e.record_bytes)) return v;  // moved in or removed
  v.found = true;
  v.age_ms = std::max<int64_t>(0, platform::wall_clock_ms() - e.id.mtime_ms);
  if (!e.id.regular) {
    v.reason = "not a regular file: not made by filelock";
    return v;
  }
  e.kind = EntryKind::name_lock;
  HolderRecord rec;
  const bool own_record = parse_holder_record(e.record_bytes, rec) &&
                          rec.backend == "lockfile" && rec.pid == name.pid;
  HolderJudgement j;
  if (own_record) j = judge_holder(e.record_bytes, e.id.mtime_ms, 0);
  const bool old = v.age_ms > kPlacingGraceMs;
  if (v.age_ms < min_age_ms) {
    v.reason = "younger than min_age_ms";
  } else if (own_record && j.alive == platform::Liveness::dead) {
    v.removable = true;
    v.reason = "lock file left while being placed: " + j.reason;
  } else if (old) {
    v.removable = true;
    v.reason = "lock file left while being placed, older than the grace period";
  } else {
    v.reason = own_record ? "lock file being placed: " + j.reason
                          : "lock file being placed without a readable record, younger "
                            "than the grace period";
  }
  return v;
}

LeftoverVerdict judge_breaking(const std::string &path, int64_t min_age_ms) {
  LeftoverVerdict v;
  LockEntry &e = v.entry;
  e = inspect_safely(path);
  if (e.kind == EntryKind::missing) return v;  // deleted or put back by its breaker
  v.found = true;
  if (e.kind == EntryKind::other) {
    v.age_ms = orphan_age_ms(e);
    v.reason = "not a lock entry made by filelock";
    if (judge_legacy_entry(path, e.id, e.record_bytes, v.legacy)) {  // legacy_record.hpp
      v.age_ms = v.legacy.age_ms;
      v.removable = v.legacy.stale && v.age_ms >= min_age_ms;
      v.reason = !v.legacy.stale ? "moved aside while breaking a lock: " + v.legacy.reason
                 : v.removable   ? "lock moved aside while being broken: " + v.legacy.reason
                                 : "younger than min_age_ms";
    }
    return v;
  }
  if (e.kind == EntryKind::name_lock) {
    HolderJudgement j = judge_holder(e.record_bytes, e.id.mtime_ms, 0);
    v.age_ms = j.age_ms;
    if (!j.stale) {
      v.reason = "moved aside while breaking a lock, and may be put back: " + j.reason;
    } else if (v.age_ms < min_age_ms) {
      v.reason = "younger than min_age_ms";
    } else {
      v.removable = true;
      v.reason = "lock moved aside while being broken: " + j.reason;
    }
    return v;
  }
  v.age_ms = orphan_age_ms(e);
  std::vector<platform::KernelLockHolder> holders;
  if (v.age_ms < min_age_ms) {
    v.reason = "younger than min_age_ms";
  } else if ((e.directory || e.record_bytes.empty()) && !orphan_expired(e, 0)) {
    v.reason = "no holder record and younger than the grace period";
  } else if (!e.directory && platform::list_kernel_locks(e.id, holders) && !holders.empty()) {
    v.reason = "held";
  } else {
    v.removable = true;
    v.reason = "lock moved aside while being broken: no holder record";
  }
  return v;
}

// Removes the leftover judged removable if it is still the entry judged. True if this
// call removed it; else `reason` says why not (empty: it vanished meanwhile).
bool remove_leftover(const std::string &path, const LeftoverVerdict &judged, std::string &reason) {
  const LockEntry &e = judged.entry;
  if (judged.legacy.format != LegacyFormat::none) {
    if (break_legacy_lock(path, judged.legacy)) return true;
    reason = "replaced while checking";
    return false;
  }
  if (e.kind == EntryKind::orphan && !e.directory) return remove_unheld_file(path, e.id, reason);
  if (e.kind == EntryKind::orphan) {  // a directory with no record inside
    const LockEntry again = inspect_lock_entry(path);
    if (again.kind == EntryKind::missing) return false;
    if (again.kind != EntryKind::orphan || !again.directory || !(again.id == e.id)) {
      reason = "replaced while checking";
      return false;
    }
    remove_lock_entry(path, true);
    return true;
  }
  platform::FileInfo now;
  std::string bytes;
  if (!read_lock_entry(path, e.directory, now, bytes)) return false;
  if (!(now == e.id) || now.directory != e.directory || bytes != e.record_bytes) {
    reason = "replaced while checking";
    return false;
  }
  remove_lock_entry(path, e.directory);
  return true;
}

LeftoverVerdict judge_claim(const std::string &path, const LeftoverName &name,
                            int64_t min_age_ms) {
  LeftoverVerdict v;
  LockEntry &e = v.entry;
  if (!read_lock_entry(path, false, e.id, e.record_bytes)) return v;  // released
  v.found = true;
  v.age_ms = std::max<int64_t>(0, platform::wall_clock_ms() - e.id.mtime_ms);
  if (!e.id.regular) {
    v.reason = "not a regular file: not made by filelock";
    return v;
  }
  e.kind = EntryKind::name_lock;
  const std::string lock_path = platform::join_path(platform::dir_name(path), name.lock_name);
  if (v.age_ms < min_age_ms) {
    v.reason = "younger than min_age_ms";
  } else if (claim_entry_present(lock_path, name.tag)) {
    const HolderJudgement j = judge_holder(e.record_bytes, e.id.mtime_ms, 0);
    v.reason = "breaker's claim on the lock still at the name (" + j.reason +
               "); kept until that lock is gone";
  } else {
    v.removable = true;
    v.reason = "breaker's claim on a lock that is gone";
  }
  return v;
}

LeftoverVerdict judge_leftover(const std::string &path, const LeftoverName &name,
                               int64_t min_age_ms) {
  switch (name.kind) {
    case LeftoverKind::placing: return judge_placing(path, name, min_age_ms);
    case LeftoverKind::claim: return judge_claim(path, name, min_age_ms);
    default: return judge_breaking(path, min_age_ms);
  }
}

const char *leftover_kind_name(LeftoverKind kind) {
  switch (kind) {
    case LeftoverKind::placing: return "new";
    case LeftoverKind::claim: return "break_claim";
    default: return "breaking";
  }
}

// A state file's meta dir records the backend its handles lock with (core/state): the
// backend of a lock not taken right now, when nothing is at the lock name.
std::string state_backend(const std::string &path) {
  std::string text;
  const std::string file = platform::join_path(
      platform::join_path(platform::dir_name(path), "." + platform::base_name(path) + ".filelock"),
      "backend");
  try {
    if (!io::read_small_file(file, 32, text)) return std::string();
  } catch (const Error &) {
    return std::string();  // unreadable: no hint
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  for (const char *known : {"flock", "ofd", "posix", "lockfile", "lockdir", "windows"})
    if (text == known) return text;
  return std::string();
}

// Whether a kernel lock is held on the file: a kernel backend that took over a dead
// pid's legacy file (holder record off) leaves its content, and holds it by the kernel.
bool kernel_locked(const std::string &lock_path, const platform::FileInfo &id) {
  std::vector<platform::KernelLockHolder> holders;
  if (platform::list_kernel_locks(id, holders)) return !holders.empty();
  return held_posix_here(lock_path) || io::probe_kernel_lock(lock_path) > 0;
}

// fl_query with AUTO: the backend is the one whose lock is at the lock name
// (filelock.h). A LOCKFILE/LOCKDIR record, or a directory holding nothing but its
// record's name, is a name lock; a legacy lock (sidecar names only) is judged by its
// pid, unless a kernel lock is held on its file; any other regular file is a kernel
// lock file.
void describe_on_disk(LockReport &o, const std::string &path, const std::string &lock_path,
                      const LockOptions &options) {
  const LockEntry e = inspect_safely(lock_path);
  if (e.kind == EntryKind::missing) {
    o.exists = 0;
    const std::string recorded = options.sidecar && options.lock_dir.empty() ? state_backend(path)
                                                                             : std::string();
    describe_missing(o, recorded.empty() ? default_kernel_backend() : recorded);
    return;
  }
  LegacyLock legacy;
  const bool is_legacy = e.kind == EntryKind::other && options.sidecar &&
                         judge_legacy_entry(lock_path, e.id, e.record_bytes, legacy) &&
                         (e.directory || !kernel_locked(lock_path, e.id));
  if (!is_legacy && !e.id.regular &&
      !(e.directory && (e.kind == EntryKind::name_lock || e.kind == EntryKind::orphan)))
    throw_error(Status::invalid, "query lock", lock_path,
                e.directory ? "is a directory that holds no lock (neither a LOCKDIR lock nor "
                              "a legacy pid directory)"
                            : "is not a regular file (symbolic link, FIFO, socket or device); "
                              "it is not a lock file");
  o.exists = 1;
  if (is_legacy) describe_legacy(o, legacy);
  else if (e.kind == EntryKind::name_lock || e.directory)
    describe_name_lock(o, e.record_bytes, e.id, e.directory, options.stale_after_ms);
  else describe_kernel(o, lock_path, e.id, e.record_bytes, nullptr);
}

}  // namespace

LockReport query_lock(const std::string &path, const LockOptions &options) {
  if (etcd::is_etcd_url(path)) return etcd::query_lock(path, options);
  LockReport r;
  r.path = path;
  r.lock_path = resolve_lock_path(path, options);
  const std::string &lock_path = r.lock_path;
  if (options.backend == Backend::automatic) {
    describe_on_disk(r, path, lock_path, options);
    return r;
  }
  const bool name_lock = options.backend == Backend::lockfile || options.backend == Backend::lockdir;
  const char *backend = backend_name(options.backend);
  platform::FileInfo id;
  std::string bytes;
  if (!read_entry_safely(lock_path, options.backend == Backend::lockdir, id, bytes)) {
    r.exists = 0;
    describe_missing(r, backend);
    return r;
  }
  // Matches fl_open, which refuses these rather than lock through them.
  if (!id.regular && !(id.directory && name_lock))
    throw_error(Status::invalid, "query lock", lock_path,
                id.directory ? "is a directory, not a lock file"
                             : "is not a regular file (symbolic link, FIFO, socket or "
                               "device); it is not a lock file");
  r.exists = 1;
  if (name_lock) {
    describe_name_lock(r, bytes, id, options.backend == Backend::lockdir, options.stale_after_ms);
  } else {
    platform::FileInfo checked;
    if (!io::identify_path(lock_path, checked))
      throw_error(Status::not_found, "query lock", lock_path, "vanished while being read");
    describe_kernel(r, lock_path, id, bytes, backend);
  }
  return r;
}

ScanReport scan_locks(const std::string &dir, const LockOptions &options) {
  if (etcd::is_etcd_url(dir)) return etcd::scan_locks(dir, options);
  auto names = io::list_dir(dir);
  std::sort(names.begin(), names.end());
  ScanReport report;
  report.dir = dir;
  for (const auto &name : names) {
    const LeftoverName leftover = parse_leftover_name(name);
    if (!is_lock_name(name) && leftover.kind == LeftoverKind::none) continue;
    const std::string lock_path = platform::join_path(dir, name);
    if (leftover.kind != LeftoverKind::none) {
      LeftoverReport item;
      item.path = lock_path;
      item.leftover_of = platform::join_path(dir, leftover.lock_name);
      item.kind = leftover_kind_name(leftover.kind);
      try {
        const LeftoverVerdict v = judge_leftover(lock_path, leftover, 0);
        if (!v.found) continue;
        item.age_ms = v.age_ms;
        item.stale = v.removable;
        item.reason = v.reason;
      } catch (const Error &e) {
        item.error = e.what();
      }
      report.leftovers.push_back(std::move(item));
      continue;
    }
    LockReport item;
    item.lock_path = lock_path;
    LockEntry entry;
    try {
      if (!describe_found(item, lock_path, entry)) continue;
    } catch (const Error &e) {
      item = LockReport{};
      item.lock_path = lock_path;
      item.error = e.what();
    }
    report.locks.push_back(std::move(item));
  }
  return report;
}

CleanReport clean_stale_locks(const std::string &dir, int64_t min_age_ms) {
  // etcd frees a dead holder's lock itself, when its lease expires: nothing is stale.
  if (etcd::is_etcd_url(dir)) {
    (void)etcd::scan_locks(dir);  // still refuses a malformed URL or an unreachable cluster
    CleanReport report;
    report.dir = dir;
    return report;
  }
  auto names = io::list_dir(dir);
  std::sort(names.begin(), names.end());
  CleanReport report;
  report.dir = dir;
  auto &removed = report.removed, &kept = report.kept, &errors = report.errors;
  auto note = [](std::vector<CleanReport::Item> &list, const std::string &lock_path,
                 const std::string &text, const std::string &leftover_of = std::string()) {
    list.push_back({lock_path, text, leftover_of});
  };
  for (const auto &name : names) {
    const LeftoverName leftover = parse_leftover_name(name);
    if (leftover.kind != LeftoverKind::none) {
      const std::string path = platform::join_path(dir, name);
      const std::string of = platform::join_path(dir, leftover.lock_name);
      try {
        const LeftoverVerdict v = judge_leftover(path, leftover, min_age_ms);
        if (!v.found) continue;
        std::string why_kept;
        if (!v.removable) note(kept, path, v.reason, of);
        else if (remove_leftover(path, v, why_kept)) note(removed, path, v.reason, of);
        else if (!why_kept.empty()) note(kept, path, why_kept, of);
      } catch (const Error &e) {
        note(errors, path, e.what(), of);
      }
      continue;
    }
    if (!is_lock_name(name)) continue;
    const std::string lock_path = platform::join_path(dir, name);
    try {
      const LockEntry entry = inspect_safely(lock_path);
      if (entry.kind == EntryKind::missing) continue;
      LegacyLock legacy;
      if (entry.kind == EntryKind::other &&
          judge_legacy_entry(lock_path, entry.id, entry.record_bytes, legacy)) {
        const bool remove = legacy.stale && legacy.age_ms >= min_age_ms;
        if (remove && break_legacy_lock(lock_path, legacy))
          note(removed, lock_path, legacy.reason);
        else
          note(kept, lock_path,
               !legacy.stale ? legacy.reason
               : !remove     ? "younger than min_age_ms"
                             : "replaced while checking");
        continue;
      }
      if (entry.kind == EntryKind::other) {
        note(kept, lock_path, "not a lock file made by filelock");
        continue;
      }
      if (entry.kind == EntryKind::orphan) {
        std::string reason;
        if (clean_orphan(lock_path, entry, min_age_ms, reason)) note(removed, lock_path, reason);
        else if (!reason.empty()) note(kept, lock_path, reason);
        continue;
      }
      HolderJudgement j = judge_holder(entry.record_bytes, entry.id.mtime_ms, 0);
      if (j.stale && j.age_ms >= min_age_ms &&
          break_lock_entry(lock_path, entry.directory, entry.id, entry.record_bytes)) {
        note(removed, lock_path, j.reason);
      } else {
        note(kept, lock_path, j.stale ? "younger than min_age_ms" : j.reason);
      }
    } catch (const Error &e) {
      note(errors, lock_path, e.what());
    }
  }
  return report;
}

}  // namespace filelock
