#include "etcd/etcd_state.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "common/deadline.hpp"
#include "common/error.hpp"
#include "lock/wait_rules.hpp"
#include "platform/process.hpp"
#include "state/audit_log.hpp"
#include "state/backups.hpp"

namespace filelock::etcd {

namespace {

// "etcd://hosts/prefix/name?settings" -> "etcd://hosts/prefix/name/lock?settings".
std::string lock_url_of(const std::string &url) {
  const size_t query = url.find('?');
  return query == std::string::npos ? url + "/lock" : url.substr(0, query) + "/lock" + url.substr(query);
}

// Releases the lock at scope exit; a lease lost meanwhile was reported by the commit's
// fencing check already, so the unlock's own report of it is not repeated.
void unlock_quietly(EtcdLock &lock) noexcept {
  if (!lock.locked()) return;
  try {
    lock.unlock();
  } catch (const Error &) {
  }
}

// An audit record: the file log's line, without its newline.
std::string record(const state::AuditEntry &entry) {
  std::string line = state::AuditLog::format(entry);
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

}  // namespace

// Releases a lock lock_and_load took, at the end of a scope.
class EtcdState::Held {
 public:
  explicit Held(EtcdState &st) : st_(st) {}
  ~Held() { unlock_quietly(*st_.lock_); }
  Held(const Held &) = delete;
  Held &operator=(const Held &) = delete;

 private:
  EtcdState &st_;
};

EtcdState::EtcdState(const std::string &url, const state::StateOptions &options)
    : url_(url),
      options_(options),
      target_(parse_target(url, "open state", options.lock.etcd)),
      client_(target_, "open state"),
      doc_key_(target_.name + "/doc"),
      backups_prefix_(target_.name + "/backups/"),
      audit_prefix_(target_.name + "/audit/") {
  const char *op = "open state";
  if (!options_.meta_dir.empty())
    throw_error(Status::invalid, op, url_,
                "meta_dir does not apply to an etcd:// state: its backups and audit records are keys under the name");
  if (!options_.schema_json.empty())
    schema_ = state::with_context(op, url_, [&] { return std::make_unique<json::Schema>(options_.schema_json); });
  const json::Doc initial = state::with_context(op, url_, [&] {
    try {
      json::Doc doc = json::parse(options_.initial_json);  // refuses a document too deep
      if (schema_) schema_->check(doc.get());
      return doc;
    } catch (const json::JsonError &e) {
      throw json::JsonError(e.status(), std::string("initial document: ") + e.what());
    }
  });
  // The document first: an unreachable cluster is reported as this state's.
  KeyValue kv;
  const bool exists = client_.get(op, doc_key_, kv);
  lock_ = std::make_unique<EtcdLock>(parse_target(lock_url_of(url_), op, options_.lock.etcd), options_.lock);
  if (exists) return;
  // Created once, by whichever opener comes first: the put requires the key missing.
  std::string text;
  json::print(initial.get(), true, text);
  text += '\n';
  state::AuditEntry entry;
  entry.op = "create";
  entry.owner = options_.lock.owner;
  std::vector<std::pair<std::string, std::string>> puts = {{doc_key_, text}};
  if (options_.audit_log) puts.emplace_back(audit_key(), record(entry));
  int64_t revision = 0;
  client_.txn(op, {{doc_key_, Compare::create, 0}}, puts, {}, revision);
}

EtcdState::~EtcdState() = default;

state::Current EtcdState::lock_and_load(const state::CallWait &wait, const char *op, bool parse) {
  ReadAlong doc;
  doc.key = doc_key_;
  const bool fresh = lock_->lock(
      LockMode::exclusive, wait.timeout_ms == state::kStateTimeout ? options_.lock_timeout_ms : wait.timeout_ms,
      wait.token, &doc);
  try {
    return fresh ? current(op, parse, doc.found, std::move(doc.kv)) : load(op, parse);
  } catch (...) {
    unlock_quietly(*lock_);
    throw;
  }
}

state::Current EtcdState::load(const char *op, bool parse) {
  KeyValue kv;
  const bool exists = client_.get(op, doc_key_, kv);
  return current(op, parse, exists, std::move(kv));
}

state::Current EtcdState::current(const char *op, bool parse, bool exists, KeyValue kv) {
  state::Current cur;
  cur.exists = exists;
  if (!cur.exists) return cur;
  cur.bytes = std::move(kv.value);
  cur.generation = static_cast<uint64_t>(kv.mod_revision);
  if (parse || options_.validate_on_read) {
    try {
      cur.tree = json::parse(cur.bytes);
    } catch (const json::JsonError &e) {
      throw_error(Status::corrupt, op, url_,
                  "the document at key '" + doc_key_ + "' is damaged (" + e.what() +
                      "); fl_state_restore brings back a backup");
    }
  }
  return cur;
}

// Unique and in time order: the time in microseconds, then who wrote it.
std::string EtcdState::audit_key() {
  static std::atomic<uint64_t> counter{0};
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  char key[64];
  std::snprintf(key, sizeof key, "%017lld-%lld-%llu", static_cast<long long>(us),
                static_cast<long long>(platform::self_identity().pid),
                static_cast<unsigned long long>(counter++));
  return audit_prefix_ + key;
}

void EtcdState::log_failure(state::AuditEntry entry) noexcept {
  if (!options_.audit_log) return;
  try {
    client_.put("log a failed commit", audit_key(), record(entry));
  } catch (const Error &) {
    // The refusal is what the caller needs to hear; the record is secondary.
  }
}

// Keeps the newest `keep` keys under `prefix`: one deleterange of everything older.
void EtcdState::trim(const std::string &prefix, int64_t keep) noexcept {
  try {
    const std::vector<KeyValue> newest = client_.list("trim", prefix, keep + 1, true, true);
    if (static_cast<int64_t>(newest.size()) > keep) client_.remove_through("trim", prefix, newest.back().key);
  } catch (const Error &) {
    // Best effort: the next commit trims again.
  }
}

// Why a commit's conditions failed: the lock passed to another holder (fenced), or the
// document was changed by a writer that does not take the lock (etcdctl put).
void EtcdState::explain_refused_commit(const char *op, const state::Current &cur) {
  KeyValue lock_key;
  if (!client_.get(op, lock_->key(), lock_key) || lock_key.create_revision != lock_->revision())
    throw_error(Status::conflict, op, url_,
                "fenced: this handle's lock (key '" + lock_->key() + "', revision " +
                    std::to_string(lock_->revision()) +
                    ") was lost before the commit (its lease expired: the process was paused or cut off "
                    "from etcd for its TTL of " + std::to_string(lock_->target().ttl_s) +
                    " s), so another process may have taken it; nothing was written");
  KeyValue now;
  const bool exists = client_.get(op, doc_key_, now);
  throw_error(Status::conflict, op, url_,
              "the document changed since it was read (generation " + std::to_string(cur.generation) +
                  ", now " + (exists ? std::to_string(now.mod_revision) : std::string("deleted")) +
                  ") by a writer that does not take the lock; nothing was written");
}

uint64_t EtcdState::commit(state::Current &cur, const cJSON *next, const char *op,
                           std::vector<std::string> changed, bool release) {
  state::AuditEntry entry;
  entry.op = op;
  entry.owner = options_.lock.owner;
  entry.changed = std::move(changed);
  entry.generation = cur.generation;
  std::string text;
  try {
    state::with_context("commit", url_, [&] {
      json::print(next, true, text);  // refuses a document too deep to read back
      if (schema_) schema_->check(next);
    });
    text += '\n';
  } catch (const Error &e) {
    entry.ok = false;
    entry.error = e.what();
    log_failure(entry);
    throw;
  }
  if (cur.exists && text == cur.bytes) return cur.generation;  // (the caller unlocks)

  // The record's generation is the commit's revision, known only once it is written:
  // every key a transaction puts gets that revision, so history() reads it from the
  // record's own key. 0 here marks a record whose generation is its key's.
  entry.generation = 0;
  std::vector<std::pair<std::string, std::string>> puts = {{doc_key_, text}};
  std::vector<std::string> deletes;
  const bool back_up = cur.exists && options_.backup_before_write && options_.max_backups > 0;
  if (back_up) {
    // The oldest backups beyond max_backups go in the same transaction, from the names
    // this handle knows: listed afresh every kBackupRelist commits, which bounds what
    // other processes' backups can add meanwhile.
    if (!backups_known_ || backups_since_list_ >= kBackupRelist) {
      backup_keys_.clear();
      for (const KeyValue &kv : client_.list(op, backups_prefix_, 0, false, true)) backup_keys_.push_back(kv.key);
      backups_known_ = true;
      backups_since_list_ = 0;
    }
    const size_t keep = static_cast<size_t>(options_.max_backups) - 1;
    for (size_t i = 0; i + keep < backup_keys_.size(); ++i) deletes.push_back(backup_keys_[i]);
    puts.emplace_back(backups_prefix_ + state::Backups::new_id(cur.generation), cur.bytes);
  }
  if (options_.audit_log) puts.emplace_back(audit_key(), record(entry));
  const std::vector<Compare> conditions = {
      {doc_key_, Compare::mod, cur.exists ? static_cast<int64_t>(cur.generation) : 0},
      {lock_->key(), Compare::create, lock_->revision()}};
  int64_t revision = 0;
  bool written;
  try {
    // Releasing the lock in the commit's own write saves the unlock's round trip.
    if (release) deletes.push_back(lock_->key());
    written = client_.txn(op, conditions, puts, deletes, revision);
  } catch (const Error &e) {
    backups_known_ = false;
    if (e.status() != Status::invalid) throw;
    throw_error(Status::invalid, op, url_,
                "the document (" + std::to_string(text.size()) + " bytes)" +
                    (back_up ? " with the backup of the one it replaces (" + std::to_string(cur.bytes.size()) + " bytes)" : "") +
                    " is over etcd's request size limit (its --max-request-bytes, 1.5 MiB by default); "
                    "nothing was written (" + e.what() + ")");
  }
  if (!written) {
    backups_known_ = false;
    explain_refused_commit(op, cur);
  }
  if (release) lock_->released_with_transaction();
  if (back_up) {
    const size_t rotated = deletes.size() - (release ? 1 : 0);
    backup_keys_.erase(backup_keys_.begin(), backup_keys_.begin() + static_cast<std::ptrdiff_t>(rotated));
    backup_keys_.push_back(puts[1].first);
    ++backups_since_list_;
  }
  if (options_.audit_log && ++commits_ % 64 == 0) trim(audit_prefix_, kAuditKept);
  return static_cast<uint64_t>(revision);
}

state::Store::Snapshot EtcdState::read(const state::CallWait &) {
  // One linearizable read sees a whole committed document: no lock needed.
  state::Current cur = load("read state", false);
  if (!cur.exists)
    throw_error(Status::not_found, "read state", url_,
                "the document key '" + doc_key_ + "' is missing (deleted outside the library); "
                "fl_state_restore brings back a backup");
  if (options_.validate_on_read && schema_)
    state::with_context("read state", url_, [&] { schema_->check(cur.tree.get()); });
  return {std::move(cur.bytes), cur.generation};
}

uint64_t EtcdState::write(std::string_view json, const uint64_t *expected, const state::CallWait &wait) {
  const json::Doc next = state::parse_input("write state", url_, json);
  state::Current cur = lock_and_load(wait, "write state", false);
  Held held(*this);
  if (expected != nullptr && cur.generation != *expected)
    throw_error(Status::conflict, "write state", url_,
                "generation is " + std::to_string(cur.generation) + ", expected " + std::to_string(*expected));
  return commit(cur, next.get(), "commit", state::changes_from(cur, next.get()), true);
}

std::unique_ptr<state::Transaction> EtcdState::begin(const state::CallWait &wait) {
  state::Current cur = lock_and_load(wait, "begin transaction", true);
  try {
    if (!cur.exists)
      throw_error(Status::not_found, "begin transaction", url_,
                  "the document key '" + doc_key_ + "' is missing; fl_state_restore brings back a backup");
    return std::make_unique<state::Transaction>(*this, std::move(cur));
  } catch (...) {
    unlock_quietly(*lock_);
    throw;
  }
}

uint64_t EtcdState::commit_transaction(state::Current &current, const cJSON *work,
                                       std::vector<std::string> changed) {
  struct Release {
    EtcdLock &lock;
    ~Release() { unlock_quietly(lock); }
  } release{*lock_};
  return commit(current, work, "commit", std::move(changed), true);
}

void EtcdState::end_transaction() noexcept { unlock_quietly(*lock_); }

void EtcdState::cancel() noexcept {
  {
    std::lock_guard<std::mutex> lock(waits_mu_);
    for (Interrupt *wait : waits_) wait->trigger();
    if (!waits_.empty()) return;
  }
  lock_->cancel();
}

uint64_t EtcdState::wait_for_change(uint64_t after, int64_t timeout_ms, CancelToken *token) {
  const char *op = "wait for a change";
  if (timeout_ms < kForever)
    throw_error(Status::invalid, op, url_,
                "timeout " + std::to_string(timeout_ms) + " ms: use FL_NOWAIT, FL_FOREVER or a positive value");
  // This wait's own interrupt: cancel() ends every change wait of the handle, the
  // call's token this one.
  Interrupt wake;
  struct Registered {
    EtcdState &st;
    Interrupt &wake;
    Registered(EtcdState &s, Interrupt &w) : st(s), wake(w) {
      std::lock_guard<std::mutex> lock(st.waits_mu_);
      st.waits_.push_back(&wake);
    }
    ~Registered() {
      std::lock_guard<std::mutex> lock(st.waits_mu_);
      st.waits_.erase(std::find(st.waits_.begin(), st.waits_.end(), &wake));
    }
  } registered{*this, wake};
  if (token != nullptr && token->triggered())
    throw_error(Status::canceled, op, url_, "canceled (the call's cancel token was triggered before it began)");
  InterruptLink link(wake);
  CancelScope scope(token, link);
  const auto deadline = deadline_after(timeout_ms < 0 ? kLongestTimeoutMs : timeout_ms);
  for (;;) {
    KeyValue kv;
    int64_t read_at = 0;
    const uint64_t now = client_.get(op, doc_key_, kv, &read_at) ? static_cast<uint64_t>(kv.mod_revision) : 0;
    if (now > after) return now;
    if (wake.triggered()) throw_error(Status::canceled, op, url_, "wait canceled");
    if (timeout_ms == kNoWait || Clock::now() >= deadline)
      throw_error(Status::timeout, op, url_,
                  "timed out after " + std::to_string(timeout_ms) + " ms; the generation is still " +
                      std::to_string(now));
    // Each watch lasts at most a TTL, then the key is read again (which fails over).
    const auto slice = std::min(deadline, Clock::now() + std::chrono::seconds(target_.ttl_s));
    if (client_.watch(doc_key_, read_at + 1, Client::Event::any, slice, &wake) == Client::Wait::canceled)
      throw_error(Status::canceled, op, url_, "wait canceled");
  }
}

std::string EtcdState::backup(const state::CallWait &wait) {
  if (options_.max_backups <= 0)
    throw_error(Status::invalid, "back up", url_, "backups are disabled (max_backups is 0)");
  const state::Current cur = lock_and_load(wait, "back up", false);
  Held held(*this);
  if (!cur.exists) throw_error(Status::not_found, "back up", url_, "the document key is missing");
  const std::string id = state::Backups::new_id(cur.generation);
  client_.put("back up", backups_prefix_ + id, cur.bytes);
  trim(backups_prefix_, options_.max_backups);
  backups_known_ = false;
  return id;
}

std::vector<state::BackupInfo> EtcdState::backups() {
  std::vector<state::BackupInfo> out;
  for (const KeyValue &kv : client_.list("list backups", backups_prefix_, 0, true, false)) {
    state::BackupInfo info;
    if (!state::Backups::describe(kv.key.substr(backups_prefix_.size()), info)) continue;
    info.size = static_cast<int64_t>(kv.value.size());
    out.push_back(std::move(info));
  }
  std::stable_sort(out.begin(), out.end(), [](const state::BackupInfo &a, const state::BackupInfo &b) {
    return a.generation > b.generation;
  });
  return out;
}

uint64_t EtcdState::restore(const std::string &id, const state::CallWait &wait) {
  state::Current cur = lock_and_load(wait, "restore", false);
  Held held(*this);
  KeyValue kv;
  if (!client_.get("restore", backups_prefix_ + id, kv))
    throw_error(Status::not_found, "restore", url_, "no backup '" + id + "'");
  json::Doc restored;
  try {
    restored = json::parse(kv.value);
  } catch (const json::JsonError &e) {
    throw_error(Status::corrupt, "restore", url_, "backup '" + id + "' is damaged: " + e.what());
  }
  return commit(cur, restored.get(), "restore", state::changes_from(cur, restored.get()), true);
}

std::string EtcdState::history(int limit, const state::CallWait &) {
  json::Doc out(cJSON_CreateArray());
  if (!out) throw std::bad_alloc();
  for (const KeyValue &kv : client_.list("read history", audit_prefix_, limit > 0 ? limit : 0, true, false)) {
    json::Doc record = state::AuditLog::parse_line(kv.value);
    if (!record) throw_error(Status::corrupt, "read history", url_, "audit record '" + kv.key + "' is damaged");
    // A commit's record carries generation 0: its key was written with the commit.
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(record.get(), "ok");
    cJSON *generation = cJSON_GetObjectItemCaseSensitive(record.get(), "generation");
    if (cJSON_IsTrue(ok) && cJSON_IsRaw(generation) && std::string(generation->valuestring) == "0") {
      json::Doc revision(cJSON_CreateRaw(std::to_string(kv.mod_revision).c_str()));
      if (!revision) throw std::bad_alloc();
      json::replace(record.get(), generation, std::move(revision));
    }
    cJSON_AddItemToArray(out.get(), record.release());
  }
  return json::print(out.get(), false);
}

state::VerifyReport EtcdState::verify(const state::CallWait &) {
  const char *op = "verify";
  state::VerifyReport r;
  r.document.path = url_;
  try {
    state::Current cur = load(op, true);
    if (!cur.exists) {
      r.document.ok = false;
      r.document.error = "the document key '" + doc_key_ + "' is missing";
    } else {
      r.generation = cur.generation;
      r.document.size = cur.bytes.size();
      if (schema_) state::with_context(op, url_, [&] { schema_->check(cur.tree.get()); });
    }
  } catch (const Error &e) {
    if (e.status() != Status::corrupt && e.status() != Status::invalid) throw;
    r.document.ok = false;
    r.document.error = e.what();
  }
  if (!r.document.ok) r.problems.push_back("document: " + r.document.error);
  r.log.path = url_ + " (keys " + audit_prefix_ + "*)";
  for (const KeyValue &kv : client_.list(op, audit_prefix_, 0, false, false)) {
    if (state::AuditLog::parse_line(kv.value)) {
      ++r.log.records;
      continue;
    }
    r.log.ok = false;
    r.log.error = "audit record '" + kv.key + "' is damaged";
    r.problems.push_back("log: " + r.log.error);
  }
  for (const KeyValue &kv : client_.list(op, backups_prefix_, 0, true, false)) {
    state::BackupInfo info;
    if (!state::Backups::describe(kv.key.substr(backups_prefix_.size()), info)) continue;
    ++r.backups.count;
    if (r.backups.newest.empty()) r.backups.newest = info.id;
    try {
      json::parse(kv.value);
    } catch (const json::JsonError &) {
      r.backups.invalid.push_back(info.id);
      r.problems.push_back("backup '" + info.id + "' does not parse");
    }
  }
  r.ok = r.document.ok && r.log.ok && r.backups.invalid.empty();
  return r;
}

std::shared_ptr<state::Store> open_state(const std::string &url, const state::StateOptions &options) {
  return std::make_shared<EtcdState>(url, options);
}

}  // namespace filelock::etcd
