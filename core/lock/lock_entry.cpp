#include "lock/lock_entry.hpp"

#include <atomic>
#include <cstdio>
#include <functional>
#include <vector>

#include "common/error.hpp"
#include "lock/holder_record.hpp"
#include "platform/fs_ops.hpp"
#include "platform/kernel_lock.hpp"
#include "platform/lock_listing.hpp"
#include "platform/paths.hpp"
#include "platform/process.hpp"

namespace filelock {

namespace {

std::string record_path(const std::string &lock_path, bool directory) {
  return directory ? platform::join_path(lock_path, kLockDirRecordName) : lock_path;
}

// Unique in this process and across processes; never ends in ".lock", so scans skip it.
std::string unique_name(const std::string &lock_path, const char *tag) {
  static std::atomic<uint64_t> counter{0};
  return lock_path + tag + std::to_string(platform::self_identity().pid) + "-" +
         std::to_string(platform::current_thread_id()) + "-" + std::to_string(++counter);
}

// The same for every breaker that judged this entry, so only one of them can move it.
std::string judged_name(const std::string &lock_path, const platform::FileIdentity &id,
                        const std::string &bytes) {
  const size_t h = std::hash<std::string>{}(std::to_string(id.dev) + ":" +
                                            std::to_string(id.ino) + ":" + bytes);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return lock_path + ".breaking-" + hex;
}

bool all_of_class(const std::string &s, size_t from, size_t to, bool hex) {
  if (from >= to) return false;
  for (size_t i = from; i < to; ++i) {
    const char c = s[i];
    const bool ok = (c >= '0' && c <= '9') || (hex && c >= 'a' && c <= 'f');
    if (!ok) return false;
  }
  return true;
}

// "<d>-<d>-<d>" exactly, as unique_name writes it; the first number out in `first`.
bool parse_unique_suffix(const std::string &s, size_t from, int64_t &first) {
  const size_t a = s.find('-', from);
  const size_t b = a == std::string::npos ? a : s.find('-', a + 1);
  if (b == std::string::npos || !all_of_class(s, from, a, false) ||
      !all_of_class(s, a + 1, b, false) || !all_of_class(s, b + 1, s.size(), false) ||
      a - from > 18)
    return false;
  first = std::stoll(s.substr(from, a - from));
  return true;
}

// Moves the entry at lock_path to `aside` without replacing anything there. Directories
// on filesystems without a no-replace rename fall back to a unique name.
bool move_aside(const std::string &lock_path, bool directory, std::string &aside) {
  try {
    return platform::rename_no_replace(lock_path, aside);
  } catch (const Error &) {
    if (!directory) throw;
    aside = unique_name(lock_path, ".breaking-");
    return platform::rename_path(lock_path, aside);
  }
}

// Puts a moved entry back unless the name was taken meanwhile; then it stays aside.
void put_back(const std::string &aside, const std::string &lock_path) {
  try {
    platform::rename_no_replace(aside, lock_path);
  } catch (const Error &) {
    // Left aside: deleting it could delete a live holder's lock.
  }
}

// A directory an orphan may be: nothing in it but (an unreadable) holder.json.
// False if it cannot be listed (removed meanwhile): then it is looked at again later.
bool only_record_inside(const std::string &dir) {
  std::vector<std::string> names;
  try {
    names = platform::list_dir(dir);
  } catch (const Error &) {
    return false;
  }
  for (const auto &name : names)
    if (name != kLockDirRecordName) return false;
  return true;
}

}  // namespace

LeftoverName parse_leftover_name(const std::string &name) {
  struct Tag {
    const char *text;
    LeftoverKind kind;
  };
  static const Tag kTags[] = {{".lock.new-", LeftoverKind::placing},
                              {".lock.breaking-", LeftoverKind::breaking}};
  LeftoverName out;
  for (const Tag &tag : kTags) {
    const std::string text = tag.text;
    const size_t at = name.rfind(text);
    if (at == std::string::npos || at == 0) continue;
    const size_t rest = at + text.size();
    int64_t pid = 0;
    const bool ok =
        tag.kind == LeftoverKind::placing
            ? parse_unique_suffix(name, rest, pid) && pid > 0
            : (name.size() - rest == 16 && all_of_class(name, rest, name.size(), true)) ||
                  parse_unique_suffix(name, rest, pid);
    if (!ok) continue;
    out.kind = tag.kind;
    out.lock_name = name.substr(0, at + 5);  // up to and with ".lock"
    if (tag.kind == LeftoverKind::placing) out.pid = pid;
    return out;
  }
  return out;
}

std::string placing_name(const std::string &lock_path) { return unique_name(lock_path, ".new-"); }

std::string breaking_name(const std::string &lock_path, const platform::FileIdentity &id,
                          const std::string &bytes) {
  return judged_name(lock_path, id, bytes);
}

bool read_lock_entry(const std::string &lock_path, bool directory, platform::FileIdentity &id,
                     std::string &record_bytes) {
  if (!platform::identify_path(lock_path, id)) return false;
  record_bytes.clear();
  try {
    platform::read_small_file(record_path(lock_path, directory), kHolderRecordSize * 2,
                              record_bytes);
  } catch (const Error &) {
    record_bytes.clear();  // unreadable record: judged by age only
  }
  return true;
}

LockEntry inspect_lock_entry(const std::string &lock_path, bool skip_read) {
  LockEntry e;
  if (!platform::identify_path(lock_path, e.id)) return e;
  e.directory = e.id.directory;
  if (!e.id.directory && !e.id.regular) {
    e.kind = EntryKind::other;
    return e;
  }
  if (!skip_read || e.directory) {
    platform::FileIdentity again;
    if (!read_lock_entry(lock_path, e.directory, again, e.record_bytes)) return LockEntry{};
    if (!(again == e.id)) {
      e.kind = EntryKind::other;  // replaced while read: look again later
      return e;
    }
  }
  HolderRecord rec;
  const bool parsed = parse_holder_record(e.record_bytes, rec);
  if (e.directory) {
    e.kind = parsed ? EntryKind::name_lock
             : only_record_inside(lock_path) ? EntryKind::orphan : EntryKind::other;
  } else if (parsed) {
    // Kernel backends write their record into a regular file they never delete.
    e.kind = rec.backend == "lockfile" ? EntryKind::name_lock : EntryKind::orphan;
  } else {
    // Empty: a kernel lock file, or a crash leftover. Other bytes: someone else's file.
    e.kind = e.record_bytes.empty() ? EntryKind::orphan : EntryKind::other;
  }
  return e;
}

int64_t orphan_age_ms(const LockEntry &entry) {
  const int64_t age = platform::wall_clock_ms() - entry.id.mtime_ms;
  return age < 0 ? 0 : age;
}

bool orphan_expired(const LockEntry &entry, int64_t stale_after_ms) {
  int64_t grace = kOrphanGraceMs;
  if (stale_after_ms > 0 && stale_after_ms < grace) grace = stale_after_ms;
  return entry.kind == EntryKind::orphan && orphan_age_ms(entry) > grace;
}

bool remove_orphan_entry(const std::string &lock_path, const LockEntry &judged) {
  if (judged.kind != EntryKind::orphan) return false;
  if (!judged.directory) {
    // Same file as judged, and still not a name lock: then remove it only if no kernel
    // lock is held on it (a kernel-backend user may be holding it right now).
    LockEntry now = inspect_lock_entry(lock_path);
    if (now.kind != EntryKind::orphan || !(now.id == judged.id) || now.directory) return false;
    return platform::remove_unheld_lock_file(lock_path) == platform::RemoveOutcome::removed;
  }
  // As in break_lock_entry: move nothing but the judged entry.
  const LockEntry now = inspect_lock_entry(lock_path);
  if (now.kind != EntryKind::orphan || !(now.id == judged.id) || now.record_bytes != judged.record_bytes)
    return false;
  std::string aside = judged_name(lock_path, judged.id, judged.record_bytes);
  if (!move_aside(lock_path, true, aside)) return false;
  LockEntry moved = inspect_lock_entry(aside);
  if (moved.kind == EntryKind::orphan && moved.id == judged.id &&
      moved.record_bytes == judged.record_bytes) {
    remove_lock_entry(aside, true);
    return true;
  }
  put_back(aside, lock_path);
  return false;
}

bool create_lock_file(const std::string &lock_path, unsigned mode, const std::string &record,
                      platform::NativeFile *held) {
  const std::string temp = placing_name(lock_path);
  if (!platform::create_exclusive_file(temp, mode, record))
    throw_error(Status::io, "create lock file", temp, "temporary name already exists");
  bool placed = false;
  platform::NativeFile guard = platform::kInvalidFile;
  try {
    // Locked before it has the lock name, so it is never seen there unlocked (entry_guard.hpp).
    if (held != nullptr) guard = platform::hold_entry_lock(temp, false);
    placed = platform::rename_no_replace(temp, lock_path);
  } catch (...) {
    platform::drop_entry_lock(guard);
    platform::remove_file(temp);
    throw;
  }
  if (!placed) {
    platform::drop_entry_lock(guard);
    platform::remove_file(temp);
  } else if (held != nullptr) {
    *held = guard;
  }
  return placed;
}

void remove_lock_entry(const std::string &lock_path, bool directory) {
  if (directory) {
    platform::remove_file(record_path(lock_path, true));
    platform::remove_dir(lock_path);
  } else {
    platform::remove_file(lock_path);
  }
}

bool break_lock_entry(const std::string &lock_path, bool directory,
                      const platform::FileIdentity &judged, const std::string &judged_bytes) {
  // The verdict is as old as the judging (a process check): meanwhile the holder may
  // have released and exited and a new holder taken the name. Moving that entry aside,
  // even to put it back, would leave the name free for a third process. Looking again
  // right before the move leaves only the gap between this read and the rename.
  platform::FileIdentity current;
  std::string current_bytes;
  if (!read_lock_entry(lock_path, directory, current, current_bytes) || !(current == judged) ||
      current_bytes != judged_bytes) {
    return false;
  }
  std::string aside = judged_name(lock_path, judged, judged_bytes);
  if (!move_aside(lock_path, directory, aside)) return false;  // gone, or being broken
  platform::FileIdentity now;
  std::string bytes;
  if (read_lock_entry(aside, directory, now, bytes) && now == judged && bytes == judged_bytes) {
    remove_lock_entry(aside, directory);
    return true;
  }
  // A newer holder's lock: give it back; never delete it.
  put_back(aside, lock_path);
  return false;
}

}  // namespace filelock
