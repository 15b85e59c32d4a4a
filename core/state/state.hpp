// A crash-safe JSON state file shared by processes: reads under the shared lock,
// transactions under the exclusive lock, every commit validated, backed up, written
// atomically and durably, and logged. The engine behind fl_state / fl_txn.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "io/file_io.hpp"
#include "json/json.hpp"
#include "json/schema.hpp"
#include "lock/lock.hpp"
#include "state/audit_log.hpp"
#include "state/backups.hpp"
#include "state/generation.hpp"

namespace filelock::state {

struct StateOptions {
  bool durable = true;           // FL_DURABILITY_FULL; false: ATOMIC (no fsync)
  int max_backups = 50;          // 0: none
  bool backup_before_write = true;
  bool audit_log = true;
  bool validate_on_read = false;
  std::string schema_json;       // empty: no schema
  int64_t lock_timeout_ms = 10000;
  std::string meta_dir;          // empty: ".<name>.filelock" beside the file
  std::string initial_json = "{}";
  LockOptions lock;
  int64_t max_log_bytes = 8 << 20;
};

// How one call waits for the state's lock: timeout_ms (kNoWait, kForever or > 0)
// instead of the state's lock_timeout_ms, unless kStateTimeout; `token` (may be null)
// ends this call's wait, and only this call's.
inline constexpr int64_t kStateTimeout = -2;
struct CallWait {
  int64_t timeout_ms = kStateTimeout;
  CancelToken *token = nullptr;
};

// The file as it is on disk, read under a lock.
struct Current {
  bool exists = false;
  std::string bytes;
  unsigned mode = 0;  // permission bits, kept by the commit
  uint64_t checksum = 0;
  uint64_t generation = 0;
  GenerationRecord record;
  json::Doc tree;  // null until parsed
};

class Transaction;

struct VerifyReport {
  bool ok = true;
  struct Document {
    bool ok = true;
    std::string path;
    uint64_t size = 0;
    std::string error;
  } document;
  uint64_t generation = 0;
  struct Log {
    bool ok = true;
    std::string path;
    uint64_t records = 0;
    bool torn_tail = false;
    uint64_t unwritten = 0;  // records of commits in place this handle has yet to write
    std::string error;
  } log;
  struct Backups {
    uint64_t count = 0;
    std::vector<std::string> invalid;  // ids of backups that do not parse
    std::string newest;                // empty: none
  } backups;
  std::vector<std::string> problems;  // one sentence each, damage or not
};

class State {
 public:
  // Creates meta_dir and, if the file is missing, the initial document (generation 1).
  State(std::string path, StateOptions options);
  ~State();
  State(const State &) = delete;
  State &operator=(const State &) = delete;

  struct Snapshot {
    std::string json;
    uint64_t generation;
  };
  // Every call that takes the lock waits for it as `wait` says.
  Snapshot read(const CallWait &wait = {});
  // Replaces the whole document; with `expected`, only if the generation is still that
  // (Status::conflict otherwise). Returns the new generation.
  uint64_t write(std::string_view json, const uint64_t *expected, const CallWait &wait = {});
  // Takes the exclusive lock until the transaction ends.
  std::unique_ptr<Transaction> begin(const CallWait &wait = {});
  // From another thread: the change waits in progress on this state end with
  // Status::canceled; when there are none, a lock wait in progress does (with
  // Lock::cancel's rules for a cancel that races the wait). One request: the next
  // wait of either kind consumes a request no wait was there to take.
  void cancel() noexcept;
  // Returns the generation of the committed document as soon as it is greater than
  // `after`, woken by a directory watch on the file's directory (commits rename onto
  // it), not by polling. No lock is taken. Throws Error: timeout, canceled, io...
  // timeout_ms: kNoWait (look once), kForever or > 0. `token` (may be null) ends this
  // wait as cancel() does.
  uint64_t wait_for_change(uint64_t after, int64_t timeout_ms, CancelToken *token = nullptr);

  std::string backup(const CallWait &wait = {});
  std::vector<BackupInfo> backups();
  uint64_t restore(const std::string &id, const CallWait &wait = {});
  // JSON array of audit records, newest first; limit <= 0: all.
  std::string history(int limit, const CallWait &wait = {});
  // What is wrong with the document, the audit log and the backups (rendered by
  // capi/reports.cpp); `ok` is false when anything but a torn log tail is wrong.
  VerifyReport verify(const CallWait &wait = {});

  const std::string &path() const { return path_; }
  const std::string &meta_dir() const { return meta_dir_; }

 private:
  friend class Transaction;
  class Held;  // the lock, released on scope exit

  LockMode read_mode() const;
  Current load(bool parse_tree);
  void parse_current(Current &cur, const char *op);
  void remove_leftovers();  // temp files of crashed commits and claims; under the exclusive lock
  uint64_t commit(Current &cur, const cJSON *next, const char *op, std::vector<std::string> changed);
  void log(const AuditEntry &entry, bool keep = false);
  std::string damaged_message(const std::string &reason);
  void lock_for(LockMode mode, const CallWait &wait);  // lock_->lock, clearing a consumed cancel
  // The committed document's generation, read without the lock (change_wait.cpp).
  uint64_t committed_generation();
  struct ChangeWait;

  std::string path_;
  StateOptions options_;
  std::string meta_dir_;
  std::unique_ptr<Lock> lock_;
  std::unique_ptr<GenerationFile> generation_;
  std::unique_ptr<json::Schema> schema_;
  std::unique_ptr<io::DirHandle> dir_;  // opened by the first durable commit
  Backups backups_;
  AuditLog log_;
  // Cancel requests for change waits: the waits in progress (each with its wake-up),
  // and a request kept for the next wait when none was in progress.
  std::mutex waits_mutex_;
  std::vector<ChangeWait *> waits_;
  std::atomic<bool> cancel_requested_{false};
};

class Transaction {
 public:
  ~Transaction();  // rolls back if still open
  std::string get(const std::string &pointer) const;
  void set(const std::string &pointer, std::string_view json);
  void remove(const std::string &pointer);
  void merge(std::string_view patch);
  uint64_t generation() const { return current_.generation; }
  // Ends the transaction whatever happens; returns the new generation.
  uint64_t commit();

 private:
  friend class State;
  Transaction(State &state, Current current);
  void end() noexcept;
  void touched(std::string pointer);  // for the audit log's "changed"

  State &state_;
  Current current_;
  json::Doc work_;
  std::vector<std::string> changed_;
  bool open_ = true;
};

// At most this many entries in an audit record's "changed".
inline constexpr size_t kMaxChanged = 32;

// Top-level members that differ ("/key"), or "" when the root itself changed type.
std::vector<std::string> changed_members(const cJSON *before, const cJSON *after);

}  // namespace filelock::state
