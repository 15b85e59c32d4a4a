#include "state/state.hpp"

#include <algorithm>
#include <climits>
#include <exception>
#include <filesystem>

#include "common/error.hpp"
#include "etcd/etcd.hpp"
#include "io/pending_file.hpp"
#include "io/checksum.hpp"
#include "io/file_io.hpp"
#include "platform/owner.hpp"
#include "platform/process.hpp"
#include "json/merge_patch.hpp"
#include "json/pointer.hpp"
#include "lock/holder_record.hpp"
#include "platform/kernel_lock.hpp"
#include "io/lock_io.hpp"
#include "platform/file.hpp"
#include "platform/paths.hpp"

namespace filelock::state {

namespace {

std::string default_meta_dir(const std::string &path) {
  return io::dir_of(path) + "/." + io::base_of(path) + ".filelock";
}

// The directory part made absolute, so a later chdir cannot move the state; an empty
// path or one ending in '/' is kept as given for the constructor to refuse.
std::string resolve_path(const std::string &path) {
  if (path.empty() || path.back() == '/') return path;
  return platform::absolute_path(path);
}

bool path_exists(const std::string &path) {
  platform::FileInfo unused;
  return io::identify_path(path, unused);
}

// Where hard links are not supported: the claim is created exclusively and written in
// place (a crash between the two leaves it empty, which counts as no claim there).
std::string claim_in_place(const std::string &file, const std::string &value) {
  std::string held;
  bool created = false;
  try {
    const auto out = io::create_exclusive(file, 0644);
    created = true;
    try {
      io::write_all(out, value, file);
      io::sync_file(out, file);
    } catch (...) {
      platform::close(out);
      throw;
    }
    io::close_file(out, file);
    io::sync_dir(io::dir_of(file));
    return value;
  } catch (const Error &e) {
    if (created) {
      io::remove_quietly(file);
      throw;
    }
    // Another open created it first: its claim holds.
    if (io::read_file(file, held)) return held;
    throw;
  }
}

// Reads `file`, a one-line claim in meta_dir; when it is missing (or empty: an older
// version's crash between creating and writing it) and `record`, claims `value` first.
// The claim is written and synced under a temp name, then linked in, so the name never
// holds a partial claim: not for a concurrent open, nor after a crash or a power cut,
// which would otherwise leave an empty claim that nobody writes again (once per state
// file, so synced in every mode, as the generation record is). A concurrent first open
// that links first is read back instead. Returns the claim, "" when there is none (a
// reader that may not create it).
std::string claim(const std::string &file, const std::string &value, bool record) {
  std::string held;
  if (io::read_file(file, held) && !held.empty()) return held;
  if (!record) return "";
  // Named as remove_stale_temps() knows, so a crash's leftover goes at a later open.
  const std::string temp = io::dir_of(file) + "/" + io::temp_prefix(file) + io::random_token();
  try {
    const auto out = io::create_exclusive(temp, 0644);
    try {
      io::write_all(out, value, temp);
      io::sync_file(out, temp);
    } catch (...) {
      platform::close(out);
      throw;
    }
    io::close_file(out, temp);
    const io::Link made = io::link_file(temp, file);
    if (made == io::Link::unsupported) {
      io::remove_quietly(temp);
      return claim_in_place(file, value);
    }
    if (made == io::Link::exists && io::read_file(file, held) && !held.empty()) {
      io::remove_quietly(temp);
      return held;  // another open claimed first: its claim holds
    }
    if (made == io::Link::exists) io::rename_file(temp, file);  // an empty leftover: replaced whole
    io::remove_quietly(temp);
    io::sync_dir(io::dir_of(file));
    return value;
  } catch (const Error &e) {
    io::remove_quietly(temp);
    // A read-only reader claims nothing.
    if (e.status() == Status::permission) return "";
    // An open that held the lock removed our temp as a leftover: it claimed first.
    if (e.status() == Status::not_found && io::read_file(file, held) && !held.empty()) return held;
    throw;
  }
}

// A meta_dir names its state file in this file, so two state files never share one
// generation, log and backups (a restore could put one's document into the other).
void claim_meta_dir(const std::string &meta_dir, const std::string &path, bool record) {
  const std::string owner_file = meta_dir + "/owner";
  const std::string owner = claim(owner_file, path, record);
  if (!owner.empty() && owner != path) {
    throw_error(Status::invalid, "open state", path,
                "meta_dir '" + meta_dir + "' belongs to the state file '" + owner +
                    "'; give each state file its own meta_dir");
  }
}

// The kernel lock a backend takes; AUTO, FLOCK and WINDOWS take the same one.
std::string backend_kind(Backend backend) {
  if (backend == Backend::automatic || backend == Backend::flock || backend == Backend::windows) {
    return platform::whole_file_lock_is_lockfileex() ? "windows" : "flock";
  }
  return backend_name(backend);
}

// Handles with different lock backends on one state file may not exclude each other
// (FLOCK and OFD locks, say, are blind to each other on some systems), and a commit
// between two such holders loses updates. The first open records its backend in
// meta_dir/backend; an open asking for another is refused. Read once per open.
void claim_backend(const std::string &meta_dir, const std::string &path, const LockOptions &lock) {
  const std::string file = meta_dir + "/backend";
  const std::string mine = backend_kind(lock.backend);
  std::string recorded = claim(file, mine + "\n", true);
  while (!recorded.empty() && (recorded.back() == '\n' || recorded.back() == '\r')) recorded.pop_back();
  if (!recorded.empty() && recorded != mine) {
    throw_error(Status::invalid, "open state", path,
                "the state file is locked with the '" + recorded + "' backend (recorded in '" + file +
                    "') and this open asks for '" + mine +
                    "': handles with different backends may not exclude each other, so every "
                    "process must use '" + recorded + "' (or remove that file while no one uses the state)");
  }
}

// meta_dir and backups/ decide the generation and what a restore brings back, so one a
// neighbour could write is refused, not trusted: in a shared directory (/tmp) another
// user can create it before the first open, or anyone may write it (o+w). Trusted
// owners: the caller, root, and the state file's owner (who could rewrite the document
// anyway; a reader of another user's state file trusts that user).
void check_trusted_dir(const std::string &dir, const std::string &state_path) {
  const auto refuse = [&](const std::string &why) {
    throw_error(Status::permission, "open state", state_path,
                "meta dir '" + dir + "' " + why +
                    ": another user could forge its backups and generation; remove it, or give "
                    "the state file a meta_dir of its own (option meta_dir)");
  };
  platform::Ownership own;
  if (const platform::OsError e = platform::ownership(dir, false, own)) io::fail("stat", dir, e);
  if (!own.known) return;
  platform::Ownership doc;
  const bool doc_known = !platform::ownership(state_path, true, doc) && doc.known;
  const uint64_t me = platform::current_uid();
  const auto trusted = [&](uint64_t uid) { return uid == me || uid == 0 || (doc_known && uid == doc.uid); };
  const auto check_owner = [&](const platform::Ownership &o) {
    if (!trusted(o.uid)) {
      refuse("is owned by " + platform::user_name(o.uid) + ", not by " + platform::user_name(me) +
             ", root or the state file's owner");
    }
  };
  check_owner(own);
  if (own.symlink) {  // a link its owner may keep; what it points at is checked too
    if (const platform::OsError e = platform::ownership(dir, true, own)) io::fail("stat", dir, e);
    check_owner(own);
  }
  if (own.others_write) refuse("is writable by every user");
}

// Removes, when the open fails, the directories it created (only if still empty).
class CreatedDirs {
 public:
  // `durable`: the new entry is fsynced in its parent, so a power cut cannot take the
  // directory (and the generation record in it) away from a durable document.
  void make(const std::string &dir, bool durable) {
    if (path_exists(dir)) return;
    io::make_dir(dir, 0755);
    made_.push_back(dir);
    if (durable) io::sync_dir(io::dir_of(dir));
  }
  ~CreatedDirs() {
    if (std::uncaught_exceptions() == exceptions_) return;  // the open succeeded
    for (auto it = made_.rbegin(); it != made_.rend(); ++it) {
      std::error_code ignored;
      std::filesystem::remove(*it, ignored);
    }
  }

 private:
  std::vector<std::string> made_;
  const int exceptions_ = std::uncaught_exceptions();
};

}  // namespace

// Holds the state's lock for one scope.
class State::Held {
 public:
  Held(State &st, LockMode mode, const CallWait &wait = {}) : st_(st) { st.lock_for(mode, wait); }
  // Adopts a lock already taken.
  explicit Held(State &st) : st_(st) {}
  ~Held() { release(); }
  // Leaves the lock held past this scope (a transaction takes it over).
  void keep() noexcept { held_ = false; }
  void release() noexcept {
    if (!held_) return;
    held_ = false;
    try {
      st_.lock_->unlock();
    } catch (...) {
      // Only fails when nothing is held; there is nothing left to release then.
    }
    // unlock() forgot a pending cancel request: so does the change wait's copy of it.
    st_.cancel_requested_.store(false, std::memory_order_release);
  }
  Held(const Held &) = delete;
  Held &operator=(const Held &) = delete;

 private:
  State &st_;
  bool held_ = true;
};

void State::lock_for(LockMode mode, const CallWait &wait) {
  const int64_t timeout_ms =
      wait.timeout_ms == kStateTimeout ? options_.lock_timeout_ms : wait.timeout_ms;
  try {
    lock_->lock(mode, timeout_ms, wait.token);
  } catch (const Error &e) {
    // The lock consumed the request: the change wait's copy of it goes too.
    if (e.status() == Status::canceled) cancel_requested_.store(false, std::memory_order_release);
    throw;
  }
}

State::State(std::string path, StateOptions options)
    : path_(resolve_path(etcd::file_path_only(path, "open state"))),
      options_(std::move(options)),
      meta_dir_(options_.meta_dir.empty() ? default_meta_dir(path_) : resolve_path(options_.meta_dir)),
      backups_(meta_dir_ + "/backups"),
      log_(meta_dir_ + "/audit.log", options_.max_log_bytes) {
  if (path_.empty() || path_.back() == '/') {
    throw_error(Status::invalid, "open state", path_, "not a file path");
  }
  // Locking the state file itself would lock an inode the next commit replaces.
  if (!options_.lock.sidecar) {
    throw_error(Status::invalid, "open state", path_,
                "a state file needs a sidecar lock (lock option sidecar = 1): commits replace the file");
  }
  if (!options_.schema_json.empty()) {
    schema_ = with_context("open state", path_,
                           [&] { return std::make_unique<json::Schema>(options_.schema_json); });
  }
  const json::Doc initial = with_context("open state", path_, [&] {
    try {
      return json::parse(options_.initial_json);
    } catch (const json::JsonError &e) {
      throw json::JsonError(e.status(), std::string("initial document: ") + e.what());
    }
  });
  // Everything that can be refused is refused before anything is created.
  platform::FileInfo existing;
  const bool exists = io::identify_path(path_, existing);
  // The commit replaces the name by rename: a symlink there would silently become a
  // plain file and stop pointing at its target.
  if (exists && existing.directory) {
    throw_error(Status::invalid, "open state", path_, "is a directory");
  }
  if (exists && !existing.regular) {
    throw_error(Status::permission, "open state", path_,
                "is a symbolic link or a special file, not a regular file; open the file a link points to instead");
  }
  if (!exists && schema_) {
    with_context("open state", path_, [&] {
      try {
        schema_->check(initial.get());
      } catch (const json::JsonError &e) {
        throw json::JsonError(e.status(), std::string("initial document: ") + e.what());
      }
    });
  }
  CreatedDirs created;
  created.make(meta_dir_, options_.durable);
  check_trusted_dir(meta_dir_, path_);
  claim_meta_dir(meta_dir_, path_, !options_.meta_dir.empty());
  claim_backend(meta_dir_, path_, options_.lock);
  created.make(backups_.dir(), options_.durable);
  check_trusted_dir(backups_.dir(), path_);
  generation_ = std::make_unique<GenerationFile>(meta_dir_ + "/generation");
  lock_ = Lock::open(path_, options_.lock);

  if (exists) {
    // Leftovers of a crashed commit can only be told from a live one's temp file while
    // nobody commits; if the lock is busy now, a later open cleans up.
    try {
      lock_->lock(LockMode::exclusive, kNoWait);
    } catch (const Error &e) {
      if (e.status() == Status::busy) return;
      throw;
    }
    Held held(*this);
    remove_leftovers();
    return;
  }
  Held held(*this, LockMode::exclusive);
  remove_leftovers();
  Current cur = load(false);
  if (!cur.exists) commit(cur, initial.get(), "create", {""});
}

State::~State() = default;

// Lock-file backends have no shared mode: readers then take the exclusive lock.
LockMode State::read_mode() const {
  const bool exclusive_only =
      options_.lock.backend == Backend::lockfile || options_.lock.backend == Backend::lockdir;
  return exclusive_only ? LockMode::exclusive : LockMode::shared;
}

Current State::load(bool parse_tree) {
  Current cur;
  cur.record = generation_->load();
  platform::FileInfo info;
  cur.exists = io::read_file(path_, cur.bytes, &info);
  if (cur.exists) {
    cur.mode = info.mode;
    cur.checksum = io::hash64(cur.bytes);
    cur.generation = GenerationFile::resolve(cur.record, cur.checksum);
  } else {
    cur.generation = cur.record.generation;
  }
  if (parse_tree) parse_current(cur, "read state");
  return cur;
}

void State::remove_leftovers() {
  io::remove_stale_temps(path_);
  io::remove_stale_temps(meta_dir_ + "/owner");
  io::remove_stale_temps(meta_dir_ + "/backend");
  backups_.remove_stale_temps();
}

void State::parse_current(Current &cur, const char *op) {
  if (!cur.exists) {
    throw_error(Status::not_found, op, path_,
                damaged_message("the state file is missing"));
  }
  try {
    cur.tree = json::parse(cur.bytes);
  } catch (const json::JsonError &e) {
    throw_error(Status::corrupt, op, path_, damaged_message(e.what()));
  }
}

std::string State::damaged_message(const std::string &reason) {
  for (const auto &b : backups_.list()) {
    std::string text;
    try {
      if (io::read_file(backups_.file_of(b.id), text)) {
        json::parse(text);
        return reason + "; newest valid backup: '" + b.id + "' (restore it with fl_state_restore)";
      }
    } catch (const std::exception &) {
      // A damaged backup: try the next older one.
    }
  }
  return reason + "; no valid backup";
}

void State::log(const AuditEntry &entry, bool keep) {
  if (options_.audit_log) log_.append(entry, keep);
}

// The commit protocol, with the lock held:
//  1. check the new document (schema, depth) and print it; an unchanged document
//     is not written (the generation counts changes);
//  2. the pending file: temp file, every byte, fsync, close;
//  3. just before the rename: link the outgoing file into backups/, then pwrite the
//     generation record and, when durable, fsync it (see generation.hpp for why this
//     order survives a crash and a power cut);
//  4. rename, fsync the directory;
//  5. log the outcome, rotate backups.
// Any failure before the rename leaves the file, the backups and the generation as
// they were (the record's "previous" pair still matches the file).
uint64_t State::commit(Current &cur, const cJSON *next, const char *op, std::vector<std::string> changed) {
  AuditEntry entry;
  entry.op = op;
  entry.owner = options_.lock.owner;
  entry.changed = std::move(changed);
  entry.generation = cur.generation;
  std::string text;
  try {
    with_context("commit", path_, [&] {
      json::check_depth(next);
      if (schema_) schema_->check(next);
    });
    // Printed in place: a 4 MiB document should not be copied again to add the newline.
    text.reserve(cur.bytes.size() + 256);
    json::print(next, true, text);
    text += '\n';
  } catch (const Error &e) {
    entry.ok = false;
    entry.error = e.what();
    try {
      log(entry);
    } catch (const Error &) {
      // The refusal is what the caller needs to hear; the log is secondary.
    }
    throw;
  }
  if (cur.exists && text == cur.bytes) return cur.generation;

  const uint64_t new_generation = cur.generation + 1;
  const bool back_up =
      cur.exists && options_.backup_before_write && options_.max_backups > 0;
  const uint64_t epoch = cur.record.backups_epoch + (back_up ? 1 : 0);
  std::string backup_id;
  bool renamed = false;
  // What prepare() finds holds only while this commit holds the lock.
  struct Unprepare {
    AuditLog &log;
    ~Unprepare() { log.unprepare(); }
  } unprepare{log_};
  const platform::NativeFile *dir = nullptr;
  if (options_.durable) {
    try {
      if (!dir_) dir_ = std::make_unique<io::DirHandle>(io::dir_of(path_));
      dir = dir_->get();
    } catch (const Error &) {
      // sync_dir opens the directory itself and reports what fails.
    }
  }
  try {
    io::PendingFile pending(path_, cur.exists ? static_cast<int>(cur.mode) : -1);
    pending.write(text);
    if (options_.durable) pending.sync();
    pending.close();
    // A log that cannot be written is found while the commit can still be refused:
    // once the document is in place the commit must report success.
    if (options_.audit_log) log_.prepare();
    if (back_up) backup_id = backups_.add(path_, cur.generation);
    generation_->store({new_generation, io::hash64(text), cur.generation, cur.checksum, epoch});
    // Durable before the rename can be: see generation.hpp.
    if (options_.durable) generation_->sync();
    pending.replace();
    renamed = true;
    if (options_.durable) pending.sync_dir(dir);
  } catch (const Error &e) {
    if (!renamed && !backup_id.empty()) backups_.remove(backup_id);
    entry.ok = false;
    entry.error = e.what();
    if (renamed) entry.generation = new_generation;
    try {
      log(entry);
    } catch (const Error &) {
      // As above: report the commit's own failure.
    }
    throw;
  }
  if (back_up) backups_.rotate(options_.max_backups, cur.record.backups_epoch, epoch, backup_id);
  entry.generation = new_generation;
  try {
    // The commit is in place: reporting a failure now would make a caller that retries
    // apply it twice. The line is kept and written before the next one; verify tells.
    log(entry, true);
  } catch (const Error &) {
  }
  return new_generation;
}

State::Snapshot State::read(const CallWait &wait) {
  Current cur;
  {
    Held held(*this, read_mode(), wait);
    cur = load(false);
  }
  // A document whose checksum the generation record holds is one a commit wrote after
  // checking it; anything else (an outside edit, damage) is parsed and checked here.
  const bool committed = cur.exists && (cur.checksum == cur.record.checksum ||
                                        cur.checksum == cur.record.previous_checksum);
  if (!committed || options_.validate_on_read) parse_current(cur, "read state");
  if (options_.validate_on_read && schema_) {
    with_context("read state", path_, [&] { schema_->check(cur.tree.get()); });
  }
  return {std::move(cur.bytes), cur.generation};
}

uint64_t State::write(std::string_view json, const uint64_t *expected, const CallWait &wait) {
  const json::Doc next = parse_input("write state", path_, json);
  Held held(*this, LockMode::exclusive, wait);
  Current cur = load(false);
  if (expected != nullptr && cur.generation != *expected) {
    throw_error(Status::conflict, "write state", path_,
                "generation is " + std::to_string(cur.generation) + ", expected " +
                    std::to_string(*expected));
  }
  return commit(cur, next.get(), "commit", changes_from(cur, next.get()));
}

std::unique_ptr<Transaction> State::begin(const CallWait &wait) {
  lock_for(LockMode::exclusive, wait);
  Held held(*this);
  Current cur = load(false);
  parse_current(cur, "begin transaction");
  std::unique_ptr<Transaction> txn(new Transaction(*this, std::move(cur)));
  held.keep();
  return txn;
}

std::string State::backup(const CallWait &wait) {
  if (options_.max_backups <= 0) {
    throw_error(Status::invalid, "back up", path_, "backups are disabled (max_backups is 0)");
  }
  Held held(*this, LockMode::exclusive, wait);
  const Current cur = load(false);
  if (!cur.exists) throw_error(Status::not_found, "back up", path_, "the state file is missing");
  // Raised before backups/ changes, so no process rotates from names kept before this.
  GenerationRecord record = cur.record;
  ++record.backups_epoch;
  generation_->store(record);
  // A copy of the live file (a link would follow in-place edits); in FULL durable
  // before this returns, as fl_state_backup promises.
  const std::string id = backups_.copy(path_, cur.generation, options_.durable);
  backups_.rotate(options_.max_backups, cur.record.backups_epoch, record.backups_epoch, id);
  return id;
}

std::vector<BackupInfo> State::backups() { return backups_.list(); }

uint64_t State::restore(const std::string &id, const CallWait &wait) {
  Held held(*this, LockMode::exclusive, wait);
  const std::string file = backups_.file_of(id);
  std::string text;
  if (!io::read_file(file, text)) throw_error(Status::not_found, "restore", path_, "no backup '" + id + "'");
  json::Doc restored;
  try {
    restored = json::parse(text);
  } catch (const json::JsonError &e) {
    throw_error(Status::corrupt, "restore", file, std::string("backup is damaged: ") + e.what());
  }
  Current cur = load(false);
  return commit(cur, restored.get(), "restore", changes_from(cur, restored.get()));
}

std::string State::history(int limit, const CallWait &wait) {
  LogScan scan;
  {
    Held held(*this, read_mode(), wait);
    scan = log_.scan(limit > 0 ? static_cast<size_t>(limit) : SIZE_MAX);
  }
  if (scan.damaged_line != 0) {
    throw_error(Status::corrupt, "read history", scan.damaged_file,
                "line " + std::to_string(scan.damaged_line) + " is damaged");
  }
  json::Doc out(cJSON_CreateArray());
  if (!out) throw std::bad_alloc();
  size_t taken = 0;
  for (auto it = scan.records.rbegin(); it != scan.records.rend(); ++it) {
    if (limit > 0 && taken == static_cast<size_t>(limit)) break;
    cJSON_AddItemToArray(out.get(), it->release());
    ++taken;
  }
  return json::print(out.get(), false);
}

VerifyReport State::verify(const CallWait &wait) {
  Current cur;
  LogScan scan;
  {
    Held held(*this, read_mode(), wait);
    cur = load(false);
    scan = log_.scan(SIZE_MAX);
  }
  VerifyReport r;
  const auto problem = [&](std::string text, bool counts) {
    r.problems.push_back(std::move(text));
    r.ok = r.ok && !counts;
  };

  std::string &doc_error = r.document.error;
  if (!cur.exists) {
    doc_error = "the state file is missing";
  } else {
    try {
      cur.tree = json::parse(cur.bytes);
      if (schema_) schema_->check(cur.tree.get());
    } catch (const json::JsonError &e) {
      doc_error = e.what();
    }
  }
  r.document.ok = doc_error.empty();
  r.document.path = path_;
  r.document.size = cur.bytes.size();
  if (!doc_error.empty()) problem("document: " + doc_error, true);

  r.log.ok = scan.damaged_line == 0;
  r.log.path = log_.path();
  r.log.records = scan.records.size();
  r.log.torn_tail = scan.torn_tail;
  if (scan.torn_tail) problem("audit log: the last line is incomplete (a crash mid-append); it is ignored", false);
  if (scan.zero_filled) {
    problem("audit log: lines lost to a power cut were left as zero bytes; they are ignored", false);
  }
  r.log.unwritten = log_.unwritten();
  if (log_.unwritten() != 0) {
    problem("audit log: " + std::to_string(log_.unwritten()) +
                " record(s) of commits in place are not written yet (kept by this handle, written "
                "before its next record): " + log_.unwritten_reason(),
            false);
  }
  if (scan.damaged_line != 0) {
    r.log.error = "'" + scan.damaged_file + "' line " + std::to_string(scan.damaged_line) + " is damaged";
    problem("audit log: " + r.log.error, true);
  }

  const auto list = backups_.list();
  for (const auto &b : list) {
    std::string text;
    bool ok = false;
    try {
      ok = io::read_file(backups_.file_of(b.id), text) && (json::parse(text), true);
    } catch (const std::exception &) {
      ok = false;
    }
    if (!ok) {
      r.backups.invalid.push_back(b.id);
      problem("backup '" + b.id + "' is damaged", true);
    }
  }
  r.backups.count = list.size();
  if (!list.empty()) r.backups.newest = list.front().id;
  r.generation = cur.generation;
  return r;
}

// ---- Transaction -----------------------------------------------------------------

std::shared_ptr<Store> open_store(const std::string &path, StateOptions options) {
  if (etcd::is_etcd_url(path)) return etcd::open_state(path, options);
  return std::make_shared<State>(path, std::move(options));
}

uint64_t State::commit_transaction(Current &current, const cJSON *work, std::vector<std::string> changed) {
  Held adopted(*this);  // releases on scope exit
  return commit(current, work, "commit", std::move(changed));
}

void State::end_transaction() noexcept { Held adopted(*this); }

}  // namespace filelock::state
