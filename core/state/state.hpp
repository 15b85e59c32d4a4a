// A crash-safe JSON state file shared by processes: reads under the shared lock,
// transactions under the exclusive lock, every commit validated, backed up, written
// atomically and durably, and logged. The file Store behind fl_state / fl_txn.
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
#include "platform/dir_watch.hpp"
#include "platform/wakeup.hpp"
#include "state/audit_log.hpp"
#include "state/backups.hpp"
#include "state/generation.hpp"
#include "state/journal.hpp"
#include "state/store.hpp"

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
  // > 0: a transaction's commit appends its operations to meta_dir/journal (journal.hpp)
  // instead of rewriting the document, until the journal would pass this many bytes;
  // that commit rewrites the document whole (a checkpoint) and starts the journal
  // again. 0: every commit rewrites the document. Every handle reads a journal.
  int64_t journal_max_bytes = 0;
};

// The store `path` names: an etcd key for "etcd://..." (etcd/etcd_state.hpp), else this
// file State.
std::shared_ptr<Store> open_store(const std::string &path, StateOptions options);

class State final : public Store {
 public:
  // Creates meta_dir and, if the file is missing, the initial document (generation 1).
  State(std::string path, StateOptions options);
  ~State();
  State(const State &) = delete;
  State &operator=(const State &) = delete;

  // Every call that takes the lock waits for it as `wait` says.
  Snapshot read(const CallWait &wait = {}) override;
  Snapshot get(const std::string &pointer, const CallWait &wait = {}) override;
  // Replaces the whole document; with `expected`, only if the generation is still that
  // (Status::conflict otherwise). Returns the new generation.
  uint64_t write(std::string_view json, const uint64_t *expected, const CallWait &wait = {}) override;
  // Takes the exclusive lock until the transaction ends.
  std::unique_ptr<Transaction> begin(const CallWait &wait = {}) override;
  // From another thread: the change waits in progress on this state end with
  // Status::canceled; when there are none, a lock wait in progress does (with
  // Lock::cancel's rules for a cancel that races the wait). One request: the next
  // wait of either kind consumes a request no wait was there to take.
  void cancel() noexcept override;
  // Returns the generation of the committed document as soon as it is greater than
  // `after`, woken by a directory watch on the file's directory (commits rename onto
  // it), not by polling. No lock is taken. Throws Error: timeout, canceled, io...
  // timeout_ms: kNoWait (look once), kForever or > 0. `token` (may be null) ends this
  // wait as cancel() does.
  uint64_t wait_for_change(uint64_t after, int64_t timeout_ms, CancelToken *token = nullptr) override;

  std::string backup(const CallWait &wait = {}) override;
  std::vector<BackupInfo> backups() override;
  uint64_t restore(const std::string &id, const CallWait &wait = {}) override;
  // JSON array of audit records, newest first; limit <= 0: all.
  std::string history(int limit, const CallWait &wait = {}) override;
  // What is wrong with the document, the audit log and the backups (rendered by
  // capi/reports.cpp); `ok` is false when anything but a torn log tail is wrong.
  VerifyReport verify(const CallWait &wait = {}) override;

  const std::string &path() const override { return path_; }
  const std::string &meta_dir() const { return meta_dir_; }
  bool records_operations() const override { return options_.journal_max_bytes > 0; }

 private:
  class Held;  // the lock, released on scope exit
  uint64_t commit_transaction(Current &current, const cJSON *work,
                              std::vector<std::string> changed) override;
  void end_transaction() noexcept override;

  LockMode read_mode() const;
  // The current document (the file and the journal on top of it), under the lock.
  // `bytes`: its text is needed (else only when no journal applies: it is the file's);
  // `tolerant`: a journal record that does not apply leaves the file's document and
  // `journal_error` set instead of failing (write, restore and verify go on).
  struct LoadNeeds {
    bool tree = false;
    bool bytes = true;
    bool tolerant = false;
  };
  Current load(LoadNeeds needs);
  Current load(bool parse_tree) { return load(LoadNeeds{parse_tree, true, false}); }
  bool load_from_cache(Current &cur, const LoadNeeds &needs);
  uint64_t commit_to_journal(Current &cur, const cJSON *next, AuditEntry &entry);
  void parse_current(Current &cur, const char *op);
  void remove_leftovers();  // temp files of crashed commits and claims; under the exclusive lock
  uint64_t commit(Current &cur, const cJSON *next, const char *op, std::vector<std::string> changed);
  void log(const AuditEntry &entry, bool keep = false);
  std::string damaged_message(const std::string &reason);
  void lock_for(LockMode mode, const CallWait &wait);  // lock_->lock, clearing a consumed cancel
  // The committed document's generation, read without the lock (change_wait.cpp);
  // `seen` carries what the last look found, so the next reads only what changed.
  struct Seen;
  uint64_t committed_generation(Seen &seen);
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
  // What a change wait sleeps on, kept by the last one for the next (change_wait.cpp);
  // under waits_mutex_.
  struct WaitKit {
    std::unique_ptr<platform::DirectoryWatch> watch;  // none when not worth keeping
    bool journal = false;                             // it watches the journal's directory too
    std::unique_ptr<platform::Wakeup> wakeup;
    uint64_t fork_generation = 0;                     // the one both were made in
  };
  WaitKit kept_wait_;

  Journal journal_;
  // The document file is still the one `seen` describes: the same file (a commit renames
  // a new one in), the same size and modification time (an edit in place).
  static bool same_document(const platform::FileInfo &seen, const platform::FileInfo &now) {
    return seen.dev == now.dev && seen.ino == now.ino && seen.size == now.size && seen.mtime_ms == now.mtime_ms;
  }
  // What the last load under the lock found, so the next one reads only the journal
  // records added since (a long-lived handle keeps up at the cost of the change) while
  // the generation record and the document file (identity, size, time) are unchanged.
  struct Cache {
    bool known = false;  // the fields below describe a journal that applied
    GenerationRecord record;
    platform::FileInfo doc;
    uint64_t checksum = 0, file_generation = 0;
    unsigned mode = 0;
    JournalHeader header;
    uint64_t end = 0, generation = 0;
    json::Doc tree;  // the document at `generation`; null: not kept
    std::string text;
    bool text_ok = false;
  } cache_;
  std::mutex cache_mutex_;
};

}  // namespace filelock::state
