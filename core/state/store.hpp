// Where a state document lives, behind what fl_state offers: a file beside its meta dir
// (State, state.hpp) or a key on an etcd cluster (etcd::EtcdState). Both keep the same
// promises: reads see whole documents, commits are validated, atomic and logged,
// transactions hold the exclusive lock from begin to end, generations only grow.
// A Transaction edits a parsed copy and hands it back to the store that began it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "json/json.hpp"
#include "state/backups.hpp"
#include "state/generation.hpp"

namespace filelock {
class CancelToken;
}

namespace filelock::state {

// How one call waits for the store's lock: timeout_ms (kNoWait, kForever or > 0)
// instead of the store's lock_timeout_ms, unless kStateTimeout; `token` (may be null)
// ends this call's wait, and only this call's.
inline constexpr int64_t kStateTimeout = -2;
struct CallWait {
  int64_t timeout_ms = kStateTimeout;
  CancelToken *token = nullptr;
};

// The document as stored, read under the lock (a file's: mode, checksum and record too).
struct Current {
  bool exists = false;
  std::string bytes;
  unsigned mode = 0;  // permission bits, kept by the commit
  uint64_t checksum = 0;
  uint64_t generation = 0;
  GenerationRecord record;
  json::Doc tree;  // null until parsed
  // A file store with a journal (journal.hpp): the document file's own generation
  // (`checksum` is the file's), and where the journal that applies on top of it ends.
  uint64_t file_generation = 0;
  bool journal_valid = false;  // the journal's header names this document file
  uint64_t journal_end = 0;
  std::string journal_error;  // a record that does not apply (a tolerant load only)
  // A transaction's operations (journal_ops.hpp), when the store records them.
  bool has_ops = false;
  std::string ops;
};

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

class Transaction;

class Store {
 public:
  virtual ~Store() = default;

  struct Snapshot {
    std::string json;
    uint64_t generation;
  };
  // Every call that takes the lock waits for it as `wait` says.
  virtual Snapshot read(const CallWait &wait = {}) = 0;
  // The value at an RFC 6901 pointer ("" = the whole document), compact, and the
  // generation, under the shared lock. This default reads the whole document; a store
  // that keeps its parsed copy answers from it.
  virtual Snapshot get(const std::string &pointer, const CallWait &wait = {});
  // Replaces the whole document; with `expected`, only if the generation is still that
  // (Status::conflict otherwise). Returns the new generation.
  virtual uint64_t write(std::string_view json, const uint64_t *expected, const CallWait &wait = {}) = 0;
  // Takes the exclusive lock until the transaction ends.
  virtual std::unique_ptr<Transaction> begin(const CallWait &wait = {}) = 0;
  // From another thread: the change waits in progress end with Status::canceled; when
  // there are none, a lock wait in progress does. One request: the next wait of either
  // kind consumes a request no wait was there to take.
  virtual void cancel() noexcept = 0;
  // The committed generation as soon as it is greater than `after`, woken by the
  // commit (no polling). No lock is taken. timeout_ms: kNoWait, kForever or > 0;
  // `token` (may be null) ends this wait as cancel() does.
  virtual uint64_t wait_for_change(uint64_t after, int64_t timeout_ms, CancelToken *token = nullptr) = 0;
  virtual std::string backup(const CallWait &wait = {}) = 0;
  virtual std::vector<BackupInfo> backups() = 0;
  virtual uint64_t restore(const std::string &id, const CallWait &wait = {}) = 0;
  // JSON array of audit records, newest first; limit <= 0: all.
  virtual std::string history(int limit, const CallWait &wait = {}) = 0;
  // What is wrong with the document, the audit log and the backups (rendered by
  // capi/reports.cpp); `ok` is false when anything but a torn log tail is wrong.
  virtual VerifyReport verify(const CallWait &wait = {}) = 0;
  virtual const std::string &path() const = 0;
  // Whether transactions record their operations for the commit (a journal).
  virtual bool records_operations() const { return false; }

 protected:
  friend class Transaction;
  // A transaction's end, with the lock begin() took: commit `work` (`changed`: the
  // pointers it touched) and let go of the lock, or only let go of it.
  virtual uint64_t commit_transaction(Current &current, const cJSON *work,
                                      std::vector<std::string> changed) = 0;
  virtual void end_transaction() noexcept = 0;
};

class Transaction {
 public:
  // `current` holds the parsed document (its tree), which becomes the working copy.
  Transaction(Store &store, Current current);
  ~Transaction();  // rolls back if still open
  std::string get(const std::string &pointer) const;
  void set(const std::string &pointer, std::string_view json);
  void remove(const std::string &pointer);
  void merge(std::string_view patch);
  uint64_t generation() const { return current_.generation; }
  // Ends the transaction whatever happens; returns the new generation.
  uint64_t commit();

 private:
  void end() noexcept;
  void touched(std::string pointer);  // for the audit log's "changed"

  Store &store_;
  Current current_;
  json::Doc work_;
  std::vector<std::string> changed_;
  bool open_ = true;
  bool record_ops_ = false;
  std::string ops_;  // journal_ops.hpp, while record_ops_
};

// Runs fn, turning a JSON-level failure into an Error naming the operation and path.
template <typename Fn>
auto with_context(const char *op, const std::string &path, Fn &&fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const json::JsonError &e) {
    throw_error(e.status(), op, path, e.what());
  }
}
json::Doc parse_input(const char *op, const std::string &path, std::string_view text);
// The value at `pointer` in `tree`, compact; a missing one is an Error naming op and path.
std::string value_at(const char *op, const std::string &path, const cJSON *tree, const std::string &pointer);

// At most this many entries in an audit record's "changed".
inline constexpr size_t kMaxChanged = 32;

// Top-level members that differ ("/key"), or "" when the root itself changed type.
std::vector<std::string> changed_members(const cJSON *before, const cJSON *after);
// What a whole-document commit of `after` changes in the stored document `current`; all
// of it ("") when that is missing or damaged (a write or restore replaces it whole).
std::vector<std::string> changes_from(const Current &current, const cJSON *after);

}  // namespace filelock::state
