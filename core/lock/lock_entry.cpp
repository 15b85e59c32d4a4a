#include "lock/lock_entry.hpp"

#include <atomic>
#include <cstdio>
#include <functional>
#include <vector>

#include "common/error.hpp"
#include "io/observe.hpp"
#include "lock/holder_judge.hpp"
#include "lock/holder_record.hpp"
#include "io/lock_io.hpp"
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

// FNV-1a: the same in every build, so breakers built by different compilers agree on
// the names derived from an entry.
uint64_t stable_hash(const std::string &s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Names one entry: its inode and its record (a record names one acquisition). The device
// is left out: NFS clients number a mount each their own way, the inode is the server's.
std::string entry_tag(const platform::FileInfo &id, const std::string &bytes) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(stable_hash(std::to_string(id.ino) + ":" + bytes)));
  return hex;
}

// The same for every breaker that judged this entry.
std::string judged_name(const std::string &lock_path, const platform::FileInfo &id,
                        const std::string &bytes) {
  return lock_path + ".breaking-" + entry_tag(id, bytes);
}

std::string claim_name(const std::string &lock_path, const std::string &tag, int generation) {
  return lock_path + ".break-" + tag + "-" + std::to_string(generation);
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
    return io::rename_no_replace(lock_path, aside);
  } catch (const Error &) {
    if (!directory) throw;
    aside = unique_name(lock_path, ".breaking-");
    return io::rename_path(lock_path, aside);
  }
}

// Puts a moved entry back unless the name was taken meanwhile; then it stays aside.
void put_back(const std::string &aside, const std::string &lock_path) {
  try {
    io::rename_no_replace(aside, lock_path);
  } catch (const Error &) {
    // Left aside: deleting it could delete a live holder's lock.
  }
}

// A claim's record: the breaker's identity, judged as a holder's is when the claim is
// found left behind. Written as a LOCKFILE record, so a crash while placing it leaves a
// "<lock>.new-" leftover judged like any other.
std::string claim_record() {
  static std::atomic<uint64_t> counter{0};
  return HolderRecordTemplate(platform::self_identity(), "", "lockfile", ++counter)
      .render(platform::wall_clock_ms());
}

// Places a claim with its record in one step (as create_lock_file places a lock); false
// if the name is taken.
bool place_claim(const std::string &lock_path, const std::string &claim, const std::string &record) {
  const std::string temp = placing_name(lock_path);
  if (!io::create_exclusive_file(temp, 0644, record))
    throw_error(Status::io, "claim lock break", temp, "temporary name already exists");
  bool placed = false;
  try {
    placed = io::rename_no_replace(temp, claim);
  } catch (...) {
    io::remove_file(temp);
    throw;
  }
  if (!placed) io::remove_file(temp);
  return placed;
}

// The breaker claim on one entry (lock_entry.hpp): generation 0, or the first one after
// claims whose breakers are proven gone. Released on destruction: its own claim, or every
// claim of the entry once the entry has left the name for good (entry_gone()).
class BreakClaim {
 public:
  BreakClaim(const std::string &lock_path, const std::string &tag) : lock_path_(lock_path), tag_(tag) {
    const std::string record = claim_record();
    for (int g = 0, looks = 0; looks < 1000; ++looks) {
      const std::string name = claim_name(lock_path, tag, g);
      if (place_claim(lock_path, name, record)) {
        generation_ = g;
        return;
      }
      platform::FileInfo id;
      std::string bytes;
      if (!read_lock_entry(name, false, id, bytes)) continue;  // released meanwhile
      // Another host's claim, or one without a record, cannot be proven abandoned: it
      // is given an hour (a live breaker holds it for a few file operations).
      if (!judge_holder(bytes, id.mtime_ms, kPlacingGraceMs).stale) return;  // at work
      ++g;
    }
  }
  ~BreakClaim() {
    if (generation_ < 0) return;
    for (int g = entry_gone_ ? 0 : generation_; g <= generation_; ++g) {
      try {
        io::remove_file(claim_name(lock_path_, tag_, g));
      } catch (const Error &) {
        // Left for fl_clean_stale: a claim on a gone entry stops no one.
      }
    }
  }
  BreakClaim(const BreakClaim &) = delete;
  BreakClaim &operator=(const BreakClaim &) = delete;

  bool held() const { return generation_ >= 0; }
  void entry_gone() { entry_gone_ = true; }

 private:
  const std::string lock_path_;
  const std::string tag_;
  int generation_ = -1;
  bool entry_gone_ = false;
};

bool still_judged(const std::string &lock_path, bool directory, const platform::FileInfo &judged,
                  const std::string &judged_bytes) {
  platform::FileInfo current;
  std::string current_bytes;
  return read_lock_entry(lock_path, directory, current, current_bytes) && current == judged &&
         current_bytes == judged_bytes;
}

// A directory an orphan may be: nothing in it but (an unreadable) holder.json.
// False if it cannot be listed (removed meanwhile): then it is looked at again later.
bool only_record_inside(const std::string &dir) {
  std::vector<std::string> names;
  try {
    names = io::list_dir(dir);
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
                              {".lock.breaking-", LeftoverKind::breaking},
                              {".lock.break-", LeftoverKind::claim}};
  LeftoverName out;
  for (const Tag &tag : kTags) {
    const std::string text = tag.text;
    const size_t at = name.rfind(text);
    if (at == std::string::npos || at == 0) continue;
    const size_t rest = at + text.size();
    int64_t pid = 0;
    bool ok = false;
    switch (tag.kind) {
      case LeftoverKind::placing: ok = parse_unique_suffix(name, rest, pid) && pid > 0; break;
      case LeftoverKind::breaking:
        ok = (name.size() - rest == 16 && all_of_class(name, rest, name.size(), true)) ||
             parse_unique_suffix(name, rest, pid);
        break;
      default:  // "<16 hex digits>-<generation>"
        ok = name.size() > rest + 17 && name[rest + 16] == '-' &&
             all_of_class(name, rest, rest + 16, true) &&
             all_of_class(name, rest + 17, name.size(), false) && name.size() - rest - 17 <= 9;
        break;
    }
    if (!ok) continue;
    out.kind = tag.kind;
    out.lock_name = name.substr(0, at + 5);  // up to and with ".lock"
    if (tag.kind == LeftoverKind::placing) out.pid = pid;
    if (tag.kind == LeftoverKind::claim) out.tag = name.substr(rest, 16);
    return out;
  }
  return out;
}

std::string placing_name(const std::string &lock_path) { return unique_name(lock_path, ".new-"); }

std::string breaking_name(const std::string &lock_path, const platform::FileInfo &id,
                          const std::string &bytes) {
  return judged_name(lock_path, id, bytes);
}

bool read_lock_entry(const std::string &lock_path, bool directory, platform::FileInfo &id,
                     std::string &record_bytes, bool strict) {
  if (!io::identify_path(lock_path, id)) return false;
  record_bytes.clear();
  try {
    io::read_small_file(record_path(lock_path, directory), kHolderRecordSize * 2, record_bytes);
  } catch (const Error &) {
    if (strict) throw;
    record_bytes.clear();  // unreadable record: judged by age only
  }
  return true;
}

LockEntry inspect_lock_entry(const std::string &lock_path, bool skip_read) {
  LockEntry e;
  if (!io::identify_path(lock_path, e.id)) return e;
  e.directory = e.id.directory;
  if (!e.id.directory && !e.id.regular) {
    e.kind = EntryKind::other;
    return e;
  }
  if (!skip_read || e.directory) {
    platform::FileInfo again;
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
    return io::remove_unheld_lock_file(lock_path) == platform::RemoveOutcome::removed;
  }
  // As in break_lock_entry: move nothing but the judged entry, under the claim on it.
  // An orphan is broken by age, not proof: its maker may still be writing its record,
  // and then it is put back. Its tag (inode, no record) is not unique: a later orphan
  // may reuse the inode, so only this breaker's own claim is released.
  auto unchanged = [&](const LockEntry &now) {
    return now.kind == EntryKind::orphan && now.id == judged.id && now.directory &&
           now.id.mtime_ms == judged.id.mtime_ms && now.record_bytes == judged.record_bytes;
  };
  if (!unchanged(inspect_lock_entry(lock_path))) return false;
  BreakClaim claim(lock_path, entry_tag(judged.id, judged.record_bytes));
  if (!claim.held() || !unchanged(inspect_lock_entry(lock_path))) return false;
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
  if (!io::create_exclusive_file(temp, mode, record))
    throw_error(Status::io, "create lock file", temp, "temporary name already exists");
  bool placed = false;
  platform::NativeFile guard = platform::kInvalidFile;
  try {
    // Locked before it has the lock name, so it is never seen there unlocked (entry_guard.hpp).
    if (held != nullptr) guard = io::hold_entry_lock(temp, false);
    placed = io::rename_no_replace(temp, lock_path);
  } catch (...) {
    platform::drop_entry_lock(guard);
    io::remove_file(temp);
    throw;
  }
  if (!placed) {
    platform::drop_entry_lock(guard);
    io::remove_file(temp);
  } else if (held != nullptr) {
    *held = guard;
  }
  return placed;
}

void remove_lock_entry(const std::string &lock_path, bool directory) {
  if (directory) {
    io::remove_file(record_path(lock_path, true));
    io::remove_dir(lock_path);
  } else {
    io::remove_file(lock_path);
  }
}

bool break_lock_entry(const std::string &lock_path, bool directory,
                      const platform::FileInfo &judged, const std::string &judged_bytes) {
  // The verdict is as old as the judging: meanwhile the entry may have been broken and
  // the name retaken. A look first spares the claim then.
  if (!still_judged(lock_path, directory, judged, judged_bytes)) return false;
  BreakClaim claim(lock_path, entry_tag(judged, judged_bytes));
  if (!claim.held()) return false;  // another breaker is at work on it
  // Under the claim: if the judged entry is still at the name, nobody else can remove it
  // until this call does (lock_entry.hpp says why).
  if (!still_judged(lock_path, directory, judged, judged_bytes)) {
    claim.entry_gone();
    return false;
  }
  io::pause_point(io::Pause::break_before_move);
  std::string aside = judged_name(lock_path, judged, judged_bytes);
  const bool moved = move_aside(lock_path, directory, aside);
  // Moved by this call, or removed by its own holder: it never comes back.
  if (moved || !still_judged(lock_path, directory, judged, judged_bytes)) claim.entry_gone();
  if (!moved) return false;
  io::pause_point(io::Pause::break_after_move);
  platform::FileInfo now;
  std::string bytes;
  if (read_lock_entry(aside, directory, now, bytes) && now == judged && bytes == judged_bytes) {
    remove_lock_entry(aside, directory);
    return true;
  }
  // Only a holder judged stale by age, alive after all, releases its entry under a
  // claim: the entry moved is then a newer holder's. Give it back; never delete it.
  put_back(aside, lock_path);
  return false;
}

bool claim_entry_present(const std::string &lock_path, const std::string &tag) {
  platform::FileInfo id;
  std::string bytes;
  if (!io::identify_path(lock_path, id)) return false;
  if (!read_lock_entry(lock_path, id.directory, id, bytes)) return false;
  return entry_tag(id, bytes) == tag;
}

}  // namespace filelock
