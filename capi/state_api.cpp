// C API for JSON state: fl_state wraps one filelock::state::Store (a file, or an etcd
// key), fl_txn one Transaction; fl_append over state::append_line.
#include <cstddef>
#include <memory>
#include <string>

#include "guard.hpp"
#include "reports.hpp"
#include "json/json.hpp"
#include "state/append.hpp"
#include "state/state.hpp"
#include "wait_opts.hpp"

struct fl_state {
  std::shared_ptr<filelock::state::Store> impl;
};

// Keeps its state alive, so fl_state_close before the transaction ends is safe.
struct fl_txn {
  std::shared_ptr<filelock::state::Store> state;
  std::unique_ptr<filelock::state::Transaction> impl;  // destroyed first
};

static_assert(FL_JSON_MAX_DEPTH == filelock::json::kMaxDepth);

namespace filelock::capi {

// Defined with the lock API (lock_api.cpp): fl_lock_options -> LockOptions, checked.
LockOptions to_lock_options(const fl_lock_options *opts, const char *op);
void refuse_etcd_settings_for_file(const char *path, const LockOptions &options, const char *op);

namespace {

// Fields beyond the caller's `size` keep their defaults (an older caller's struct is shorter).
#define FL_STATE_HAS(opts, field) \
  ((opts)->size >= offsetof(fl_state_options, field) + sizeof((opts)->field))

[[noreturn]] void bad_option(const std::string &what) {
  throw Error(Status::invalid, "open state: " + what);
}

state::StateOptions to_state_options(const fl_state_options *o) {
  state::StateOptions out;
  if (o == nullptr) return out;
  if (!FL_STATE_HAS(o, durability)) bad_option("fl_state_options.size is not set; call fl_state_options_init");
  if (o->durability != FL_DURABILITY_FULL && o->durability != FL_DURABILITY_ATOMIC) {
    bad_option("unknown durability " + std::to_string(o->durability));
  }
  out.durable = o->durability == FL_DURABILITY_FULL;
  if (FL_STATE_HAS(o, max_backups)) {
    if (o->max_backups < 0) bad_option("max_backups must be >= 0");
    out.max_backups = o->max_backups;
  }
  if (FL_STATE_HAS(o, backup_before_write)) out.backup_before_write = o->backup_before_write != 0;
  if (FL_STATE_HAS(o, audit_log)) out.audit_log = o->audit_log != 0;
  if (FL_STATE_HAS(o, validate_on_read)) out.validate_on_read = o->validate_on_read != 0;
  if (FL_STATE_HAS(o, schema_json) && o->schema_json != nullptr) {
    out.schema_json = o->schema_json;
    if (out.schema_json.empty()) bad_option("schema_json is empty");
  }
  if (FL_STATE_HAS(o, lock_timeout_ms)) {
    if (o->lock_timeout_ms < FL_FOREVER) bad_option("lock_timeout_ms must be >= -1");
    out.lock_timeout_ms = o->lock_timeout_ms;
  }
  if (FL_STATE_HAS(o, meta_dir) && o->meta_dir != nullptr) {
    out.meta_dir = o->meta_dir;
    if (out.meta_dir.empty()) bad_option("meta_dir is empty");
  }
  if (FL_STATE_HAS(o, initial_json) && o->initial_json != nullptr) out.initial_json = o->initial_json;
  if (FL_STATE_HAS(o, lock)) out.lock = to_lock_options(o->lock, "open state");
  if (FL_STATE_HAS(o, max_log_bytes)) {
    if (o->max_log_bytes < 0) bad_option("max_log_bytes must be >= 0");
    if (o->max_log_bytes > 0) out.max_log_bytes = o->max_log_bytes;
  }
  if (FL_STATE_HAS(o, journal_max_bytes)) {
    if (o->journal_max_bytes < 0) bad_option("journal_max_bytes must be >= 0");
    out.journal_max_bytes = o->journal_max_bytes;
  }
  return out;
}

}  // namespace

state::CallWait to_call_wait(const fl_wait_opts *wait, const char *op) {
  const WaitOpts w = to_wait_opts(wait, op);
  return {w.timeout_ms == FL_TIMEOUT_DEFAULT ? state::kStateTimeout : w.timeout_ms, w.token};
}

}  // namespace filelock::capi

using filelock::capi::dup_string;
using filelock::capi::to_call_wait;
namespace state = filelock::state;
using filelock::capi::guard;
using filelock::capi::require;

extern "C" {

FL_API void fl_state_options_init(fl_state_options *opts) {
  if (opts == nullptr) return;
  *opts = fl_state_options{};
  opts->size = sizeof(fl_state_options);
  opts->durability = FL_DURABILITY_FULL;
  opts->max_backups = 50;
  opts->backup_before_write = 1;
  opts->audit_log = 1;
  opts->validate_on_read = 0;
  opts->schema_json = nullptr;
  opts->lock_timeout_ms = 10000;
  opts->meta_dir = nullptr;
  opts->initial_json = nullptr;
  opts->lock = nullptr;
  opts->max_log_bytes = 8 << 20;
  opts->journal_max_bytes = 0;
}

FL_API int fl_state_open(fl_state **out, const char *path, const fl_state_options *opts) {
  return guard([&] {
    require(out, "fl_state_open", "out");
    *out = nullptr;
    require(path, "fl_state_open", "path");
    auto st = std::make_unique<fl_state>();
    auto options = filelock::capi::to_state_options(opts);
    filelock::capi::refuse_etcd_settings_for_file(path, options.lock, "open state");
    st->impl = filelock::state::open_store(path, options);
    *out = st.release();
  });
}

FL_API void fl_state_close(fl_state *st) { delete st; }

FL_API int fl_state_read(fl_state *st, char **json_out, uint64_t *generation_out) {
  return fl_state_read_with(st, json_out, generation_out, nullptr);
}

FL_API int fl_state_read_with(fl_state *st, char **json_out, uint64_t *generation_out,
                              const fl_wait_opts *wait) {
  return guard([&] {
    require(st, "fl_state_read", "st");
    auto snap = st->impl->read(to_call_wait(wait, "fl_state_read"));
    char *text = json_out != nullptr ? dup_string(snap.json) : nullptr;
    if (json_out != nullptr) *json_out = text;
    if (generation_out != nullptr) *generation_out = snap.generation;
  });
}

FL_API int fl_state_get(fl_state *st, const char *pointer, char **json_out, uint64_t *generation_out) {
  return fl_state_get_with(st, pointer, json_out, generation_out, nullptr);
}

FL_API int fl_state_get_with(fl_state *st, const char *pointer, char **json_out, uint64_t *generation_out,
                             const fl_wait_opts *wait) {
  return guard([&] {
    if (json_out != nullptr) *json_out = nullptr;
    require(st, "fl_state_get", "st");
    require(pointer, "fl_state_get", "pointer");
    require(json_out, "fl_state_get", "json_out");
    auto snap = st->impl->get(pointer, to_call_wait(wait, "fl_state_get"));
    *json_out = dup_string(snap.json);
    if (generation_out != nullptr) *generation_out = snap.generation;
  });
}

FL_API int fl_state_write(fl_state *st, const char *json) {
  return fl_state_write_with(st, json, nullptr);
}

FL_API int fl_state_write_with(fl_state *st, const char *json, const fl_wait_opts *wait) {
  return guard([&] {
    require(st, "fl_state_write", "st");
    require(json, "fl_state_write", "json");
    st->impl->write(json, nullptr, to_call_wait(wait, "fl_state_write"));
  });
}

FL_API int fl_state_write_if(fl_state *st, const char *json, uint64_t expected_generation) {
  return fl_state_write_if_with(st, json, expected_generation, nullptr);
}

FL_API int fl_state_write_if_with(fl_state *st, const char *json, uint64_t expected_generation,
                                  const fl_wait_opts *wait) {
  return guard([&] {
    require(st, "fl_state_write_if", "st");
    require(json, "fl_state_write_if", "json");
    st->impl->write(json, &expected_generation, to_call_wait(wait, "fl_state_write_if"));
  });
}

FL_API int fl_txn_begin(fl_state *st, fl_txn **out) { return fl_txn_begin_with(st, out, nullptr); }

FL_API int fl_txn_begin_with(fl_state *st, fl_txn **out, const fl_wait_opts *wait) {
  return guard([&] {
    require(out, "fl_txn_begin", "out");
    *out = nullptr;
    require(st, "fl_txn_begin", "st");
    const state::CallWait w = to_call_wait(wait, "fl_txn_begin");
    auto txn = std::make_unique<fl_txn>();
    txn->state = st->impl;
    txn->impl = st->impl->begin(w);
    *out = txn.release();
  });
}

FL_API int fl_txn_get(fl_txn *t, const char *pointer, char **json_out) {
  return guard([&] {
    require(t, "fl_txn_get", "t");
    require(pointer, "fl_txn_get", "pointer");
    require(json_out, "fl_txn_get", "json_out");
    *json_out = dup_string(t->impl->get(pointer));
  });
}

FL_API int fl_txn_set(fl_txn *t, const char *pointer, const char *json) {
  return guard([&] {
    require(t, "fl_txn_set", "t");
    require(pointer, "fl_txn_set", "pointer");
    require(json, "fl_txn_set", "json");
    t->impl->set(pointer, json);
  });
}

FL_API int fl_txn_remove(fl_txn *t, const char *pointer) {
  return guard([&] {
    require(t, "fl_txn_remove", "t");
    require(pointer, "fl_txn_remove", "pointer");
    t->impl->remove(pointer);
  });
}

FL_API int fl_txn_merge(fl_txn *t, const char *merge_patch_json) {
  return guard([&] {
    require(t, "fl_txn_merge", "t");
    require(merge_patch_json, "fl_txn_merge", "merge_patch_json");
    t->impl->merge(merge_patch_json);
  });
}

FL_API uint64_t fl_txn_generation(const fl_txn *t) { return t == nullptr ? 0 : t->impl->generation(); }

FL_API int fl_txn_commit(fl_txn *t) {
  const std::unique_ptr<fl_txn> owned(t);
  return guard([&] {
    require(t, "fl_txn_commit", "t");
    t->impl->commit();
  });
}

FL_API void fl_txn_rollback(fl_txn *t) { delete t; }

FL_API int fl_state_backup(fl_state *st, char **backup_id_out) {
  return fl_state_backup_with(st, backup_id_out, nullptr);
}

FL_API int fl_state_backup_with(fl_state *st, char **backup_id_out, const fl_wait_opts *wait) {
  return guard([&] {
    require(st, "fl_state_backup", "st");
    const std::string id = st->impl->backup(to_call_wait(wait, "fl_state_backup"));
    if (backup_id_out != nullptr) *backup_id_out = dup_string(id);
  });
}

FL_API int fl_state_backups(fl_state *st, char **list_json) {
  return guard([&] {
    require(st, "fl_state_backups", "st");
    require(list_json, "fl_state_backups", "list_json");
    *list_json = dup_string(filelock::capi::to_json(st->impl->backups()));
  });
}

FL_API int fl_state_restore(fl_state *st, const char *backup_id) {
  return fl_state_restore_with(st, backup_id, nullptr);
}

FL_API int fl_state_restore_with(fl_state *st, const char *backup_id, const fl_wait_opts *wait) {
  return guard([&] {
    require(st, "fl_state_restore", "st");
    require(backup_id, "fl_state_restore", "backup_id");
    st->impl->restore(backup_id, to_call_wait(wait, "fl_state_restore"));
  });
}

FL_API int fl_state_history(fl_state *st, int limit, char **records_json) {
  return fl_state_history_with(st, limit, records_json, nullptr);
}

FL_API int fl_state_history_with(fl_state *st, int limit, char **records_json,
                                 const fl_wait_opts *wait) {
  return guard([&] {
    require(st, "fl_state_history", "st");
    require(records_json, "fl_state_history", "records_json");
    *records_json = dup_string(st->impl->history(limit, to_call_wait(wait, "fl_state_history")));
  });
}

FL_API int fl_state_verify(fl_state *st, char **report_json) {
  return fl_state_verify_with(st, report_json, nullptr);
}

FL_API int fl_state_verify_with(fl_state *st, char **report_json, const fl_wait_opts *wait) {
  return guard([&]() -> int {
    require(st, "fl_state_verify", "st");
    require(report_json, "fl_state_verify", "report_json");
    const filelock::state::VerifyReport verified =
        st->impl->verify(to_call_wait(wait, "fl_state_verify"));
    const std::string report = filelock::capi::to_json(verified);
    *report_json = dup_string(report);
    if (verified.ok) return FL_OK;
    filelock::capi::set_last_error(FL_ECORRUPT, "verify '" + st->impl->path() + "': " + report);
    return FL_ECORRUPT;
  });
}

FL_API int fl_state_wait(fl_state *st, uint64_t after_generation, int64_t timeout_ms,
                         uint64_t *generation_out) {
  return guard([&] {
    require(st, "fl_state_wait", "st");
    const uint64_t generation = st->impl->wait_for_change(after_generation, timeout_ms);
    if (generation_out != nullptr) *generation_out = generation;
  });
}

FL_API int fl_state_wait_with(fl_state *st, uint64_t after_generation, uint64_t *generation_out,
                              const fl_wait_opts *wait) {
  return guard([&] {
    require(st, "fl_state_wait", "st");
    const auto w = filelock::capi::to_wait_opts(wait, "fl_state_wait");
    const int64_t timeout_ms = w.timeout_ms == FL_TIMEOUT_DEFAULT ? FL_FOREVER : w.timeout_ms;
    const uint64_t generation = st->impl->wait_for_change(after_generation, timeout_ms, w.token);
    if (generation_out != nullptr) *generation_out = generation;
  });
}

FL_API int fl_state_cancel(fl_state *st) {
  return guard([&] {
    require(st, "fl_state_cancel", "st");
    st->impl->cancel();
  });
}

FL_API int fl_append(const char *path, const char *json_line, const fl_lock_options *opts) {
  return fl_append_ex(path, json_line, opts, FL_DURABILITY_FULL);
}

FL_API int fl_append_ex(const char *path, const char *json_line, const fl_lock_options *opts,
                        int durability) {
  return fl_append_with(path, json_line, opts, durability, nullptr);
}

FL_API int fl_append_with(const char *path, const char *json_line, const fl_lock_options *opts,
                          int durability, const fl_wait_opts *wait) {
  return guard([&] {
    require(path, "fl_append", "path");
    require(json_line, "fl_append", "json_line");
    if (durability != FL_DURABILITY_FULL && durability != FL_DURABILITY_ATOMIC) {
      throw filelock::Error(filelock::Status::invalid,
                            "fl_append: unknown durability " + std::to_string(durability));
    }
    const auto w = filelock::capi::to_wait_opts(wait, "fl_append");
    const auto options = filelock::capi::to_lock_options(opts, "fl_append");
    filelock::capi::refuse_etcd_settings_for_file(path, options, "fl_append");
    filelock::state::append_line(path, json_line, options,
                                 durability == FL_DURABILITY_FULL,
                                 w.timeout_ms == FL_TIMEOUT_DEFAULT ? FL_FOREVER : w.timeout_ms,
                                 w.token);
  });
}

}  // extern "C"
