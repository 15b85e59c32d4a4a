/*
 * The language-neutral SWIG view of filelock.h, shared by every binding.
 *
 * A language module defines its typemaps first and then %includes this file:
 *   - `fl_status` is the return type of every function that returns a status code;
 *     map it to the language's error (read fl_last_error() in the same wrapper, so the
 *     message is this call's even where threads can move between native calls).
 *   - Out-parameters keep the names used below, so typemaps can match them:
 *     `fl_handle **out`, `fl_state **out`, `fl_txn **out`, `char **json_out`,
 *     `uint64_t *generation_out`, `int64_t *token_out`. Every `char **json_out` string
 *     is freed with fl_free.
 * Only what is declared here is wrapped (a whitelist, not %include "filelock.h").
 */

%{
#include <stdlib.h>
#include <string.h>
#include "filelock.h"
/* Distinguishes status returns from plain ints for the typemaps; same ABI as int. */
typedef int fl_status;
%}

%include <stdint.i>

typedef int fl_status;

/* ---- Constants ------------------------------------------------------------------ */
%constant int FL_OK = FL_OK;
%constant int FL_EINVAL = FL_EINVAL;
%constant int FL_ENOMEM = FL_ENOMEM;
%constant int FL_EIO = FL_EIO;
%constant int FL_EPERM = FL_EPERM;
%constant int FL_ENOTFOUND = FL_ENOTFOUND;
%constant int FL_EBUSY = FL_EBUSY;
%constant int FL_ETIMEOUT = FL_ETIMEOUT;
%constant int FL_EALREADY = FL_EALREADY;
%constant int FL_ENOTLOCKED = FL_ENOTLOCKED;
%constant int FL_EDEADLK = FL_EDEADLK;
%constant int FL_ECANCELED = FL_ECANCELED;
%constant int FL_EUNSUPPORTED = FL_EUNSUPPORTED;
%constant int FL_ECORRUPT = FL_ECORRUPT;
%constant int FL_EVALIDATION = FL_EVALIDATION;
%constant int FL_ECONFLICT = FL_ECONFLICT;
%constant int FL_ERANGE = FL_ERANGE;
%constant int FL_ENOSPC = FL_ENOSPC;

%constant int FL_EXCLUSIVE = FL_EXCLUSIVE;
%constant int FL_SHARED = FL_SHARED;
%constant int FL_NOWAIT = FL_NOWAIT;
%constant int FL_FOREVER = FL_FOREVER;

%constant int FL_BACKEND_AUTO = FL_BACKEND_AUTO;
%constant int FL_BACKEND_FLOCK = FL_BACKEND_FLOCK;
%constant int FL_BACKEND_OFD = FL_BACKEND_OFD;
%constant int FL_BACKEND_POSIX = FL_BACKEND_POSIX;
%constant int FL_BACKEND_LOCKFILE = FL_BACKEND_LOCKFILE;
%constant int FL_BACKEND_LOCKDIR = FL_BACKEND_LOCKDIR;
%constant int FL_BACKEND_WINDOWS = FL_BACKEND_WINDOWS;

%constant int FL_DURABILITY_FULL = FL_DURABILITY_FULL;
%constant int FL_DURABILITY_ATOMIC = FL_DURABILITY_ATOMIC;
%constant int FL_JSON_MAX_DEPTH = FL_JSON_MAX_DEPTH;
%constant int FILELOCK_VERSION_NUMBER = FILELOCK_VERSION_NUMBER;

/* ---- Options structs -------------------------------------------------------------- */
/* String members own a malloc'd copy: replaced values and the struct's own strings are
 * freed, so setting an option never leaks and never points into a dead buffer. */
%typemap(memberin) const char * {
  free((char *)$1);
  $1 = $input ? strdup($input) : NULL;
}

/* Created initialised (the *_init functions fill `size` and the defaults). */
typedef struct fl_lock_options {
  %immutable;
  uint32_t size;
  %mutable;
  int32_t backend;
  const char *lock_dir;
  int32_t sidecar;
  uint32_t file_mode;
  const char *owner;
  int32_t record_holder;
  int32_t retry_interval_ms;
  int64_t stale_after_ms;
  int64_t etcd_ttl_ms;
  int64_t etcd_dial_timeout_ms;
  int64_t etcd_request_timeout_ms;
  const char *etcd_tls_ca;
  const char *etcd_tls_cert;
  const char *etcd_tls_key;
  const char *etcd_user;
  const char *etcd_password_file;
} fl_lock_options;

%extend fl_lock_options {
  fl_lock_options() {
    fl_lock_options *o = (fl_lock_options *)calloc(1, sizeof *o);
    if (o) fl_lock_options_init(o);
    return o;
  }
  ~fl_lock_options() {
    free((char *)$self->lock_dir);
    free((char *)$self->owner);
    free((char *)$self->etcd_tls_ca);
    free((char *)$self->etcd_tls_cert);
    free((char *)$self->etcd_tls_key);
    free((char *)$self->etcd_user);
    free((char *)$self->etcd_password_file);
    free($self);
  }
}

/* `lock` is borrowed: the library copies it at fl_state_open, so the caller only
 * keeps the fl_lock_options alive until then. */
typedef struct fl_state_options {
  %immutable;
  uint32_t size;
  %mutable;
  int32_t durability;
  int32_t max_backups;
  int32_t backup_before_write;
  int32_t audit_log;
  int32_t validate_on_read;
  const char *schema_json;
  int64_t lock_timeout_ms;
  const char *meta_dir;
  const char *initial_json;
  const fl_lock_options *lock;
  int64_t max_log_bytes;
  int64_t journal_max_bytes;
} fl_state_options;

%extend fl_state_options {
  fl_state_options() {
    fl_state_options *o = (fl_state_options *)calloc(1, sizeof *o);
    if (o) fl_state_options_init(o);
    return o;
  }
  ~fl_state_options() {
    free((char *)$self->schema_json);
    free((char *)$self->meta_dir);
    free((char *)$self->initial_json);
    free($self);
  }
}

%typemap(memberin) const char *;

/* Since 1.4: how one call waits. `cancel` is borrowed: keep the token alive for the call. */
typedef struct fl_wait_opts {
  %immutable;
  uint32_t size;
  %mutable;
  int64_t timeout_ms;
  fl_cancel_token *cancel;
} fl_wait_opts;

%extend fl_wait_opts {
  fl_wait_opts() {
    fl_wait_opts *o = (fl_wait_opts *)calloc(1, sizeof *o);
    if (o) fl_wait_opts_init(o);
    return o;
  }
  ~fl_wait_opts() { free($self); }
}

/* ---- Handles ------------------------------------------------------------------------ */
/* Opaque to every language. The destructor is what a finalizer calls for a handle the
 * program forgot; the close/commit/rollback functions disown it so it is freed once. */
%nodefaultctor fl_handle;
%nodefaultctor fl_state;
%nodefaultctor fl_txn;
typedef struct fl_cancel_token {} fl_cancel_token;
typedef struct fl_handle {} fl_handle;
typedef struct fl_state {} fl_state;
typedef struct fl_txn {} fl_txn;
%extend fl_handle { ~fl_handle() { fl_close($self); } }
%extend fl_state { ~fl_state() { fl_state_close($self); } }
%extend fl_txn { ~fl_txn() { fl_txn_rollback($self); } }
/* Since 1.4. Created by its constructor (NULL only when out of memory), freed by its
 * destructor: keep it alive while a call uses it. */
%extend fl_cancel_token {
  fl_cancel_token() {
    fl_cancel_token *t = NULL;
    fl_cancel_token_create(&t);
    return t;
  }
  ~fl_cancel_token() { fl_cancel_token_free($self); }
}

%delobject fl_close;
%delobject fl_state_close;
%delobject fl_txn_commit;
%delobject fl_txn_rollback;

/* ---- Functions (the whitelist) ------------------------------------------------------ */
const char *fl_version(void);
int fl_version_number(void);
fl_status fl_check_version(int built_against);
const char *fl_strerror(int code);
const char *fl_last_error(void);
int fl_last_os_error(void);
const char *fl_last_error_path(void);

fl_status fl_open(fl_handle **out, const char *path, const fl_lock_options *opts);
fl_status fl_lock(fl_handle *h, int mode, int64_t timeout_ms);
fl_status fl_unlock(fl_handle *h);
fl_status fl_cancel(fl_handle *h);
void fl_close(fl_handle *h);
int fl_is_locked(const fl_handle *h);
const char *fl_lock_path(const fl_handle *h);

fl_status fl_query(const char *path, const fl_lock_options *opts, char **json_out);
fl_status fl_scan(const char *dir, char **json_out);
fl_status fl_clean_stale(const char *dir, int64_t min_age_ms, char **json_out);

fl_status fl_state_open(fl_state **out, const char *path, const fl_state_options *opts);
void fl_state_close(fl_state *st);
fl_status fl_state_read(fl_state *st, char **json_out, uint64_t *generation_out);
fl_status fl_state_get(fl_state *st, const char *pointer, char **json_out, uint64_t *generation_out);
fl_status fl_state_write(fl_state *st, const char *json);
fl_status fl_state_write_if(fl_state *st, const char *json, uint64_t expected_generation);

fl_status fl_txn_begin(fl_state *st, fl_txn **out);
fl_status fl_txn_get(fl_txn *t, const char *pointer, char **json_out);
fl_status fl_txn_set(fl_txn *t, const char *pointer, const char *json);
fl_status fl_txn_remove(fl_txn *t, const char *pointer);
fl_status fl_txn_merge(fl_txn *t, const char *merge_patch_json);
uint64_t fl_txn_generation(const fl_txn *t);
fl_status fl_txn_commit(fl_txn *t);
void fl_txn_rollback(fl_txn *t);

fl_status fl_state_backup(fl_state *st, char **json_out);
fl_status fl_state_backups(fl_state *st, char **json_out);
fl_status fl_state_restore(fl_state *st, const char *backup_id);
fl_status fl_state_history(fl_state *st, int limit, char **json_out);
fl_status fl_state_verify(fl_state *st, char **json_out);
fl_status fl_state_wait(fl_state *st, uint64_t after_generation, int64_t timeout_ms, uint64_t *generation_out);
fl_status fl_state_cancel(fl_state *st);

fl_status fl_append(const char *path, const char *json_line, const fl_lock_options *opts);
fl_status fl_append_ex(const char *path, const char *json_line, const fl_lock_options *opts,
                       int durability);

/* Since 1.4: per-call cancel tokens and wait options. */
%constant int FL_TIMEOUT_DEFAULT = FL_TIMEOUT_DEFAULT;
void fl_cancel_token_trigger(fl_cancel_token *token);
int fl_cancel_token_is_triggered(const fl_cancel_token *token);
void fl_cancel_token_reset(fl_cancel_token *token);
fl_status fl_lock_with(fl_handle *h, int mode, const fl_wait_opts *wait);
fl_status fl_state_read_with(fl_state *st, char **json_out, uint64_t *generation_out,
                             const fl_wait_opts *wait);
fl_status fl_state_get_with(fl_state *st, const char *pointer, char **json_out, uint64_t *generation_out,
                            const fl_wait_opts *wait);
fl_status fl_state_write_with(fl_state *st, const char *json, const fl_wait_opts *wait);
fl_status fl_state_write_if_with(fl_state *st, const char *json, uint64_t expected_generation,
                                 const fl_wait_opts *wait);
fl_status fl_txn_begin_with(fl_state *st, fl_txn **out, const fl_wait_opts *wait);
fl_status fl_state_backup_with(fl_state *st, char **json_out, const fl_wait_opts *wait);
fl_status fl_state_restore_with(fl_state *st, const char *backup_id, const fl_wait_opts *wait);
fl_status fl_state_history_with(fl_state *st, int limit, char **json_out, const fl_wait_opts *wait);
fl_status fl_state_verify_with(fl_state *st, char **json_out, const fl_wait_opts *wait);
fl_status fl_state_wait_with(fl_state *st, uint64_t after_generation, uint64_t *generation_out,
                             const fl_wait_opts *wait);
fl_status fl_append_with(const char *path, const char *json_line, const fl_lock_options *opts,
                         int durability, const fl_wait_opts *wait);

/* Since 1.4: an etcd:// lock's fencing token (FL_EUNSUPPORTED for a file lock) and
 * whether its lease is known lost (a query of the handle's own state: no I/O). */
fl_status fl_fencing_token(const fl_handle *h, int64_t *token_out);
int fl_lock_lost(const fl_handle *h);
