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
#include "state/journal_ops.hpp"
#include "lock/holder_record.hpp"
#include "platform/kernel_lock.hpp"
#include "io/lock_io.hpp"
#include "io/os_objects.hpp"
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
  return io::absolute_path(path);
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
      log_(meta_dir_ + "/audit.log", options_.max_log_bytes),
      journal_(meta_dir_ + "/journal") {
  if (path_.empty() || path_.back() == '/') {
    throw_error(Status::invalid, "open state", path_, "not a file path");
  }
  if (options_.journal_max_bytes < 0) {
    throw_error(Status::invalid, "open state", path_, "journal_max_bytes must be >= 0");
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

namespace {

bool same_record(const GenerationRecord &a, const GenerationRecord &b) {
  return a.generation == b.generation && a.checksum == b.checksum &&
         a.previous_generation == b.previous_generation && a.previous_checksum == b.previous_checksum &&
         a.backups_epoch == b.backups_epoch;
}

void apply_records(json::Doc &tree, const std::vector<std::string> &payloads, uint64_t first_generation) {
  uint64_t generation = first_generation;
  for (const auto &payload : payloads) {
    try {
      apply_ops(tree, payload);
    } catch (const json::JsonError &e) {
      throw json::JsonError(Status::corrupt, "journal record of generation " + std::to_string(generation) +
                                                 " does not apply: " + e.what());
    }
    ++generation;
  }
}

std::string print_document(const cJSON *tree, size_t size_hint) {
  std::string text;
  text.reserve(size_hint + 256);
  json::print(tree, true, text);
  text += '\n';
  return text;
}

}  // namespace

// Only new journal records, when the generation record, the document file and the
// journal's header are what the last load found and it kept the tree.
bool State::load_from_cache(Current &cur, const LoadNeeds &needs) {
  Cache &c = cache_;
  if (!c.known || !c.tree || !same_record(cur.record, c.record)) return false;
  platform::FileInfo info;
  if (platform::path_info(path_, info) || !same_document(c.doc, info)) return false;
  const JournalScan js = journal_.scan(c.end, &c.header, c.generation);
  if (!js.header_ok || !(js.header == c.header) || js.from != c.end) return false;
  if (!js.payloads.empty()) {
    try {
      apply_records(c.tree, js.payloads, c.generation + 1);
    } catch (const json::JsonError &) {
      c = Cache{};  // the tree may be half changed: the full load reports it
      return false;
    }
    c.generation = js.last_generation;
    c.text_ok = false;
  }
  c.end = js.end;
  cur.exists = true;
  cur.mode = c.mode;
  cur.checksum = c.checksum;
  cur.file_generation = c.file_generation;
  cur.generation = c.generation;
  cur.journal_valid = true;
  cur.journal_end = c.end;
  if (needs.bytes) {
    if (!c.text_ok) {
      c.text = print_document(c.tree.get(), c.text.size());
      c.text_ok = true;
    }
    cur.bytes = c.text;
  }
  // Handed to the transaction; its commit hands the new tree back (commit_to_journal).
  if (needs.tree) cur.tree = std::move(c.tree);
  return true;
}

Current State::load(LoadNeeds needs) {
  std::lock_guard<std::mutex> lk(cache_mutex_);
  Current cur;
  cur.record = generation_->load();
  if (load_from_cache(cur, needs)) return cur;
  cache_ = Cache{};
  platform::FileInfo info;
  cur.exists = io::read_file(path_, cur.bytes, &info);
  if (cur.exists) {
    cur.mode = info.mode;
    cur.checksum = io::hash64(cur.bytes);
  }
  const JournalScan js = journal_.scan();
  const ResolvedGeneration g = resolve_with_journal(cur.record, cur.exists, cur.checksum, js);
  cur.file_generation = g.file_generation;
  cur.generation = g.generation;
  cur.journal_valid = g.journal_applies;
  cur.journal_end = js.end;
  if (!g.journal_applies) {
    if (needs.tree) parse_current(cur, "read state");
    return cur;
  }
  // Kept for the next load and commit of this handle (see Cache).
  cache_.known = true;
  cache_.record = cur.record;
  cache_.doc = info;
  cache_.checksum = cur.checksum;
  cache_.file_generation = cur.file_generation;
  cache_.mode = cur.mode;
  cache_.header = js.header;
  cache_.end = js.end;
  cache_.generation = cur.generation;
  if (js.payloads.empty()) {
    if (needs.tree) parse_current(cur, "read state");
    return cur;
  }
  parse_current(cur, "read state");
  try {
    apply_records(cur.tree, js.payloads, g.file_generation + 1);
  } catch (const json::JsonError &e) {
    cache_ = Cache{};
    if (!needs.tolerant) throw_error(Status::corrupt, "read state", journal_.path(), damaged_message(e.what()));
    cur.journal_error = e.what();
    cur.journal_valid = false;
    cur.tree.reset();
    if (needs.tree) parse_current(cur, "read state");
    return cur;
  }
  if (needs.bytes) {
    cur.bytes = print_document(cur.tree.get(), cur.bytes.size());
    cache_.text = cur.bytes;
    cache_.text_ok = true;
  } else {
    cur.bytes.clear();  // the file's: not the document (a journal commit needs neither)
  }
  if (!needs.tree) cache_.tree = std::move(cur.tree);  // else the transaction takes it
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
  // A transaction whose operations change nothing writes nothing (journal mode; else
  // the printed document is compared below).
  if (cur.has_ops && cur.ops == "[]") return cur.generation;
  if (cur.has_ops && cur.journal_valid && cur.exists &&
      cur.journal_end + Journal::record_size(cur.ops.size()) <= static_cast<uint64_t>(options_.journal_max_bytes)) {
    return commit_to_journal(cur, next, entry);
  }
  std::string text;
  try {
    with_context("commit", path_, [&] {
      // Printed in place: a 4 MiB document should not be copied again to add the
      // newline. Printing refuses a document too deep to read back.
      text.reserve(cur.bytes.size() + 256);
      json::print(next, true, text);
      if (schema_) schema_->check(next);
    });
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
  if (!cur.has_ops && cur.exists && text == cur.bytes) return cur.generation;

  const uint64_t new_generation = cur.generation + 1;
  // The document file's generation, for the record's "previous" pair: with a journal on
  // top of it, the file still holds the base until the rename (and the journal's header
  // names it, so a crash before the rename keeps the journal's commits).
  const uint64_t file_generation = cur.journal_valid ? cur.file_generation : cur.generation;
  // Journal mode (or a journal someone else keeps): after the rename the journal starts
  // again on top of the new file. It exists before the rename, so a waiter that sees the
  // new generation also finds the journal to watch (change_wait.cpp).
  const bool journaling = options_.journal_max_bytes > 0 || cur.journal_valid;
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
    if (options_.journal_max_bytes > 0) journal_.create_if_missing(options_.durable);
    if (back_up) backup_id = backups_.add(path_, file_generation);
    generation_->store({new_generation, io::hash64(text), file_generation, cur.checksum, epoch});
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
  if (journaling) {
    try {
      journal_.reset({new_generation, io::hash64(text)}, false);
    } catch (const Error &) {
      // The commit is in place: a journal left naming the old file is stale, ignored,
      // and started again by the next journal commit (which checkpoints first).
    }
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

// A journal commit, with the lock held: one record appended after the last valid one
// (a torn tail of a crashed append is cut off first) and, when durable, fsynced. The
// document file, the generation record and backups/ are not touched. A failure cuts
// the journal back to where it was (journal.cpp): nothing changed.
uint64_t State::commit_to_journal(Current &cur, const cJSON *next, AuditEntry &entry) {
  if (schema_) {
    try {
      with_context("commit", path_, [&] { schema_->check(next); });
    } catch (const Error &e) {
      entry.ok = false;
      entry.error = e.what();
      try {
        log(entry);
      } catch (const Error &) {
      }
      throw;
    }
  }
  const uint64_t new_generation = cur.generation + 1;
  struct Unprepare {
    AuditLog &log;
    ~Unprepare() { log.unprepare(); }
  } unprepare{log_};
  try {
    if (options_.audit_log) log_.prepare();
    journal_.append(cur.journal_end, new_generation, cur.ops, options_.durable);
  } catch (const Error &e) {
    entry.ok = false;
    entry.error = e.what();
    try {
      log(entry);
    } catch (const Error &) {
    }
    throw;
  }
  {
    // The committed tree is this handle's copy of the new generation.
    std::lock_guard<std::mutex> lk(cache_mutex_);
    if (cache_.known && cache_.generation == cur.generation && cache_.end == cur.journal_end && cur.tree &&
        cur.tree.get() == next) {
      cache_.tree = std::move(cur.tree);
      cache_.generation = new_generation;
      cache_.end = cur.journal_end + Journal::record_size(cur.ops.size());
      cache_.text_ok = false;
    } else {
      cache_ = Cache{};
    }
  }
  entry.generation = new_generation;
  try {
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
  // checking it (so is one rebuilt from a journal on top of such a file); anything else
  // (an outside edit, damage) is parsed and checked here.
  const bool committed = cur.exists && (cur.journal_valid || cur.checksum == cur.record.checksum ||
                                        cur.checksum == cur.record.previous_checksum);
  if (!committed || options_.validate_on_read) parse_current(cur, "read state");
  if (options_.validate_on_read && schema_) {
    with_context("read state", path_, [&] { schema_->check(cur.tree.get()); });
  }
  return {std::move(cur.bytes), cur.generation};
}

// From the kept tree (journal mode): a long-lived handle's get after a small commit
// costs the new records and the value, not the document.
Store::Snapshot State::get(const std::string &pointer, const CallWait &wait) {
  Current cur;
  {
    Held held(*this, read_mode(), wait);
    cur = load(LoadNeeds{true, false, false});
  }
  if (options_.validate_on_read && schema_) {
    with_context("state get", path_, [&] { schema_->check(cur.tree.get()); });
  }
  Snapshot out{value_at("state get", path_, cur.tree.get(), pointer), cur.generation};
  // Back to the cache when it still describes this generation (a load took it).
  std::lock_guard<std::mutex> lk(cache_mutex_);
  if (cache_.known && !cache_.tree && cache_.generation == cur.generation) cache_.tree = std::move(cur.tree);
  return out;
}

uint64_t State::write(std::string_view json, const uint64_t *expected, const CallWait &wait) {
  const json::Doc next = parse_input("write state", path_, json);
  Held held(*this, LockMode::exclusive, wait);
  // A journal record that does not apply does not stop a whole new document.
  Current cur = load(LoadNeeds{false, true, true});
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
  // In journal mode the commit appends the transaction's operations: no text needed.
  Current cur = load(LoadNeeds{true, !records_operations(), false});
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
  // A copy of the live file (a link would follow in-place edits), or with a journal on
  // top of it, of the current document; in FULL durable before this returns, as
  // fl_state_backup promises.
  const bool journaled = cur.journal_valid && cur.generation != cur.file_generation;
  const std::string id = journaled ? backups_.write(cur.bytes, cur.generation, options_.durable)
                                   : backups_.copy(path_, cur.generation, options_.durable);
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
  Current cur = load(LoadNeeds{false, true, true});
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

namespace {

// What verify says of the journal. Only damage that loses commits counts against `ok`;
// what a crash leaves (a torn last record, a journal a checkpoint did not start again)
// is ignored by design and cleaned up by the next journal commit.
template <typename Problem>
void verify_journal(const Current &cur, const JournalScan &j, Problem &&problem) {
  if (!cur.journal_error.empty()) {
    problem("journal: " + cur.journal_error + "; the document is the file's, without the journal's commits", true);
    return;
  }
  if (!j.exists || j.size == 0) return;
  if (!j.header_ok) {
    const bool records = j.size > Journal::kHeaderSize;
    problem("journal: " + j.tail_error + "; the journal is ignored" +
                (records ? ": the commits it holds are lost" : ""),
            records);
    return;
  }
  if (!cur.journal_valid) {
    problem("journal: stale (it applies on top of generation " + std::to_string(j.header.base_generation) +
                ", the document file is generation " + std::to_string(cur.file_generation) +
                "; a checkpoint stopped before starting it again): ignored, started again by the next journal commit",
            false);
    return;
  }
  if (j.torn()) {
    problem("journal: " + j.tail_error + " after generation " + std::to_string(j.last_generation) +
                "; ignored" + (j.tail_damaged ? ", with the records after it" : ", cut off by the next journal commit"),
            j.tail_damaged);
  }
}

}  // namespace

VerifyReport State::verify(const CallWait &wait) {
  Current cur;
  LogScan scan;
  JournalScan journal;
  {
    Held held(*this, read_mode(), wait);
    cur = load(LoadNeeds{false, true, true});
    scan = log_.scan(SIZE_MAX);
    journal = journal_.scan();
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

  verify_journal(cur, journal, problem);

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
