// The audit log: one JSON line per commit, restore and failed commit, each ending with
// its own checksum ("crc": CRC-32 of the line without that member), so damage is found
// line by line. Appended with a single write() while the state's exclusive lock is
// held, so lines never interleave. Not fsynced, not even in FULL (an fsync per commit
// costs about what the commit's own cost): the state file and its generation are the
// truth and the log a record of how it got there; a power cut can lose or tear the
// last lines, or leave lines it lost as zeros below one it kept, which readers skip
// and verify reports; a process crash loses nothing. Rotated to "<log>.1" past max_bytes. Only a
// regular file is opened, never through a symlink.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "json/json.hpp"
#include "platform/file.hpp"

namespace filelock::state {

struct AuditEntry {
  uint64_t generation = 0;
  std::string op;  // "create", "commit", "restore"
  bool ok = true;
  std::string owner;
  std::vector<std::string> changed;  // pointers of what changed
  std::string error;
};

struct LogScan {
  std::vector<json::Doc> records;  // oldest first, without "crc"; damaged lines skipped
  bool torn_tail = false;          // last line without its '\n' (crash mid-append)
  bool zero_filled = false;        // lines lost to a power cut as zeros (skipped)
  long damaged_line = 0;           // first damaged complete line (1-based), or 0
  std::string damaged_file;        // the file that line is in
};

class AuditLog {
 public:
  AuditLog(std::string path, int64_t max_bytes) : path_(std::move(path)), max_bytes_(max_bytes) {}
  ~AuditLog();
  AuditLog(const AuditLog &) = delete;
  AuditLog &operator=(const AuditLog &) = delete;
  // Opens the log (or checks that the open one is still the file at its name), so a
  // log that cannot be written to (a symlink or FIFO in its place, no permission) is
  // found before a commit changes anything. Throws Error.
  void prepare();
  // Forgets what prepare() found: call when the lock it was found under is released.
  void unprepare() noexcept { prepared_ = false; }
  // Throws Error; on failure the log is as it was. `keep`: a line that could not be
  // written is kept and written before the next one (a commit already in place must
  // not lose its record, nor be reported as failed because of it).
  void append(const AuditEntry &entry, bool keep = false);
  // Lines kept by a failed append(keep) and the reason, until an append succeeds.
  size_t unwritten() const { return pending_count_; }
  const std::string &unwritten_reason() const { return pending_reason_; }
  // Records of the current file, preceded by the rotated one's when fewer than `want`.
  LogScan scan(size_t want) const;
  const std::string &path() const { return path_; }

  // The line as written (checksum appended) and the check of one line.
  static std::string format(const AuditEntry &entry);
  static json::Doc parse_line(const std::string &line);  // null if damaged

 private:
  // The log stays open between appends. A stat of the path tells whether it is still
  // the same file (another process may have rotated it) and its size; a size equal to
  // where this object's last line ended means nobody appended since, so there is no
  // torn tail to look for.
  bool still_open(uint64_t &size) const;
  // One write of whole lines, rotating first when the log is past max_bytes.
  void append_text(const std::string &lines);
  void open_fresh(uint64_t &size);
  void close_open() noexcept;

  std::string path_;
  int64_t max_bytes_;
  platform::NativeFile file_{};
  bool open_ = false;
  uint64_t dev_ = 0, ino_ = 0;
  uint64_t end_ = UINT64_MAX;  // size after this object's last line; MAX: unknown
  bool prepared_ = false;      // prepare() found the log open and this size,
  uint64_t prepared_size_ = 0;  // still true under the same lock hold
  std::string pending_;        // kept lines, oldest first, each with its '\n'
  size_t pending_count_ = 0;
  std::string pending_reason_;
};

// "2026-11-24T11:45:12.123456Z" (UTC, now).
std::string utc_now();

}  // namespace filelock::state
