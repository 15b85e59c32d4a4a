// A state document on etcd: fl_state_open("etcd://host:port,.../prefix/name"). Its keys,
// under the name:
//   <name>/doc               the document; its mod revision is the generation
//   <name>/lock/<lease hex>  the lock's queue: an EtcdLock, the lock fl_open of
//                            "<url>/lock" takes
//   <name>/backups/<id>      outgoing documents, named as the file backend names its
//                            backups ("<time>-g<generation>"); the newest max_backups kept
//                            (a few more while other processes add theirs)
//   <name>/audit/<time>-...  one audit record per commit, failed commit and restore, as
//                            the file log's lines; about the newest kAuditKept kept
// A commit is one etcd transaction: the document, its backup and its audit record, on
// condition that the document is unchanged since it was read and that the lock key
// still exists with the holder's create revision (the fencing token). A holder whose
// lease expired while it was paused or cut off therefore cannot commit once another
// process may have taken the lock: Status::conflict, "fenced", nothing written.
#pragma once

#include <atomic>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include "etcd/client.hpp"
#include "etcd/etcd_lock.hpp"
#include "json/schema.hpp"
#include "state/state.hpp"

namespace filelock::etcd {

class EtcdState final : public state::Store {
 public:
  // Creates the document from options.initial_json when the key is missing. meta_dir
  // does not apply (Status::invalid); durability is always etcd's (fsynced by its
  // members before a commit returns).
  EtcdState(const std::string &url, const state::StateOptions &options);
  ~EtcdState() override;

  Snapshot read(const state::CallWait &wait = {}) override;
  uint64_t write(std::string_view json, const uint64_t *expected, const state::CallWait &wait = {}) override;
  std::unique_ptr<state::Transaction> begin(const state::CallWait &wait = {}) override;
  void cancel() noexcept override;
  uint64_t wait_for_change(uint64_t after, int64_t timeout_ms, CancelToken *token = nullptr) override;
  std::string backup(const state::CallWait &wait = {}) override;
  std::vector<state::BackupInfo> backups() override;
  uint64_t restore(const std::string &id, const state::CallWait &wait = {}) override;
  std::string history(int limit, const state::CallWait &wait = {}) override;
  state::VerifyReport verify(const state::CallWait &wait = {}) override;
  const std::string &path() const override { return url_; }

  static constexpr int64_t kAuditKept = 1000;

 private:
  uint64_t commit_transaction(state::Current &current, const cJSON *work,
                              std::vector<std::string> changed) override;
  void end_transaction() noexcept override;

  class Held;  // releases the exclusive lock at the end of a scope
  // Takes the lock as `wait` says (its timeout, else lock_timeout_ms, and its token) and
  // reads the document: in the lock's own transaction when no one was ahead, so that
  // taking the lock and reading cost one round trip; read again after a wait.
  state::Current lock_and_load(const state::CallWait &wait, const char *op, bool parse);
  // The document under the key: exists false when the key is missing.
  state::Current load(const char *op, bool parse);
  state::Current current(const char *op, bool parse, bool exists, KeyValue kv);
  // Under the lock; `release`: the commit's transaction also deletes the lock key (the
  // caller's scope then finds the lock released; a refused commit leaves it held).
  uint64_t commit(state::Current &cur, const cJSON *next, const char *op,
                  std::vector<std::string> changed, bool release);
  [[noreturn]] void explain_refused_commit(const char *op, const state::Current &cur);
  std::string audit_key();
  void log_failure(state::AuditEntry entry) noexcept;
  void trim(const std::string &prefix, int64_t keep) noexcept;

  std::string url_;
  state::StateOptions options_;
  Target target_;
  Client client_;
  std::string doc_key_, backups_prefix_, audit_prefix_;
  std::unique_ptr<EtcdLock> lock_;
  std::unique_ptr<json::Schema> schema_;
  // The interrupts of the change waits in progress (cancel() ends them, else the lock wait).
  std::mutex waits_mu_;
  std::vector<Interrupt *> waits_;
  uint64_t commits_ = 0;  // this handle's, for trimming the audit records now and then
  // Backup keys, oldest first, as this handle last listed them plus its own since.
  static constexpr int kBackupRelist = 16;
  std::vector<std::string> backup_keys_;
  bool backups_known_ = false;
  int backups_since_list_ = 0;
};

}  // namespace filelock::etcd
