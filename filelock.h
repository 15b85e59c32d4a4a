/*
 * filelock: cross-process file locks and crash-safe JSON state.
 *
 * The one public header. Conventions (they hold for every function below):
 *  - Functions return an int status: FL_OK (0) or a negative FL_E* code. Codes are
 *    never renumbered. After a failure, fl_last_error() holds this thread's full
 *    message naming the operation, the path and the reason.
 *  - Objects are opaque and created through a first `**out` argument; each has one
 *    NULL-safe close/free function. Strings handed out (`char **`) are freed with
 *    fl_free(), never with free().
 *  - Options structs grow at the end only: call the *_init() function first (it sets
 *    `size`), then change fields. Passing NULL options means "all defaults".
 *  - Thread safety: a handle (fl_handle, fl_state) may be used by one thread at a
 *    time, except fl_cancel() and fl_state_cancel(), which are meant to be called
 *    from another thread, and fl_cancel_token_trigger(), from any thread.
 *    Distinct handles are independent and may be used concurrently. Everything not
 *    tied to a handle is thread-safe.
 */
#ifndef FILELOCK_H
#define FILELOCK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FILELOCK_VERSION_MAJOR 1
#define FILELOCK_VERSION_MINOR 4
#define FILELOCK_VERSION_PATCH 0
#define FILELOCK_VERSION_STRING "1.4.0"
/* Encoded as MAJOR*10000 + MINOR*100 + PATCH, comparable with fl_version_number(). */
#define FILELOCK_VERSION_NUMBER \
  (FILELOCK_VERSION_MAJOR * 10000 + FILELOCK_VERSION_MINOR * 100 + FILELOCK_VERSION_PATCH)

#if defined(_WIN32) && defined(FILELOCK_BUILDING)
#define FL_API __declspec(dllexport)
#elif defined(_WIN32) && !defined(FILELOCK_STATIC)
#define FL_API __declspec(dllimport)
#elif defined(__GNUC__)
#define FL_API __attribute__((visibility("default")))
#else
#define FL_API
#endif

/* ---- Status codes ------------------------------------------------------------ */
enum {
  FL_OK = 0,
  FL_EINVAL = -1,       /* bad argument or input; nothing was changed */
  FL_ENOMEM = -2,       /* out of memory */
  FL_EIO = -3,          /* I/O error from the OS (read, write, fsync, rename, ...) */
  FL_EPERM = -4,        /* permission denied, or a path refused for safety (symlink) */
  FL_ENOTFOUND = -5,    /* file, directory, backup or JSON pointer target missing */
  FL_EBUSY = -6,        /* FL_NOWAIT found the lock held */
  FL_ETIMEOUT = -7,     /* the timeout passed before the lock could be had */
  FL_EALREADY = -8,     /* this handle already holds a lock */
  FL_ENOTLOCKED = -9,   /* unlock of a handle that holds no lock */
  FL_EDEADLK = -10,     /* waiting forever would deadlock this thread (see below) */
  FL_ECANCELED = -11,   /* fl_cancel(), fl_state_cancel() or a cancel token ended the wait */
  FL_EUNSUPPORTED = -12,/* the backend or filesystem cannot do this */
  FL_ECORRUPT = -13,    /* a file on disk is damaged (state, log, backup) */
  FL_EVALIDATION = -14, /* the document does not satisfy the schema */
  FL_ECONFLICT = -15,   /* fl_state_write_if: the generation moved */
  FL_ERANGE = -16,      /* a value cannot be kept exactly (number out of range, ...) */
  FL_ENOSPC = -17       /* no space left on the device, or a file size limit */
};

/* FL_EDEADLK reports only a deadlock that is certain: the thread that calls fl_lock with
 * FL_FOREVER holds the lock through another handle of this process in a conflicting mode,
 * and it is the process's only thread, so nothing could ever release that handle. With
 * other threads running, any of them may unlock the handle (a pool thread takes a lock
 * for one task and the task's continuation releases it elsewhere): the call then waits
 * until the lock is released. A wait for one's own lock with other threads alive is
 * therefore not detected: give such waits a timeout. The POSIX backend does not pass on
 * the kernel's EDEADLK from fcntl(F_SETLKW) either: that check sees cycles between
 * processes where their threads hold and wait independently, so the wait goes on. */

/* Lock modes. */
enum { FL_EXCLUSIVE = 1, FL_SHARED = 2 };

/* timeout_ms values with special meaning; any positive value waits that long. */
#define FL_NOWAIT 0    /* try once: FL_EBUSY if held */
#define FL_FOREVER (-1) /* wait until acquired or cancelled */

/* Lock backends. AUTO picks the kernel lock that works on the path's filesystem
 * (flock on Linux/macOS, LockFileEx on Windows) and falls back to a clear
 * FL_EUNSUPPORTED naming LOCKFILE/LOCKDIR where kernel locks do not work. */
typedef enum fl_backend {
  FL_BACKEND_AUTO = 0,
  FL_BACKEND_FLOCK = 1,    /* flock(2): interoperates with flock(1), py-filelock, gofrs */
  FL_BACKEND_OFD = 2,      /* Linux open-file-description fcntl locks */
  FL_BACKEND_POSIX = 3,    /* classic fcntl record locks (NFS); per-process, see docs */
  FL_BACKEND_LOCKFILE = 4, /* O_EXCL lock file; no kernel lock needed; exclusive only */
  FL_BACKEND_LOCKDIR = 5,  /* mkdir lock directory; no kernel lock needed; exclusive only */
  FL_BACKEND_WINDOWS = 6   /* LockFileEx */
} fl_backend;

/* What each backend guarantees:
 *  FLOCK  whole-file flock(2) lock owned by the handle's open file: threads and
 *         processes exclude each other, released when the holder dies. Shares the lock
 *         with flock(1), py-filelock, portalocker, gofrs/flock on the same file.
 *  OFD    the same guarantees with Linux open-file-description fcntl locks (which NFS
 *         also honours).
 *  POSIX  classic fcntl locks, which belong to the process and which the OS drops when
 *         the process closes ANY descriptor of the lock file. filelock shares one
 *         descriptor per file among its handles and excludes them from each other
 *         in-process; code outside filelock that opens and closes the lock file in the
 *         same process still drops the lock. Use only where nothing else works.
 *  LOCKFILE, LOCKDIR  the lock is a name (an O_EXCL file, or a directory with
 *         "holder.json" inside), so they work where no kernel lock does. Exclusive only
 *         (FL_SHARED: FL_EUNSUPPORTED). Released by deleting the name; a holder that
 *         died leaves it, and it is broken only on proof of death (same host and boot:
 *         its pid no longer names a process with its start time; same host, later
 *         boot: dead) or, for another host's lock, once older than stale_after_ms.
 *         Waiters are woken by a directory watch and re-check every retry_interval_ms.
 *         A LOCKFILE appears with its record already written. An entry at the lock
 *         name with no LOCKFILE/LOCKDIR record (an empty file, a kernel backend's lock
 *         file, a directory with nothing but an unreadable or missing holder.json) is
 *         not a live name lock: it is broken once older than 10 s (or stale_after_ms, if
 *         shorter) and, for a file, only while no kernel lock is held on it. Anything
 *         else at the name (symlink, FIFO, a directory holding other files, a file with
 *         other contents) is never removed.
 * Legacy locks: what older scripts leave at "<file>.lock" (a file holding a bare pid; a
 * file of "pid=<pid>" and "locked_at=<epoch seconds>" lines; a directory holding only a
 * file "pid"). They lock by existence and record no host or start time, so every
 * backend judges them by the pid on this host alone: a pid that names no process is
 * broken (LOCKFILE/LOCKDIR remove it if it is still the entry judged; a kernel backend
 * takes the file over); a pid that names a process (even a reused one) or cannot be
 * checked keeps the lock, and the acquirer gets FL_EBUSY, or waits, polling every
 * retry_interval_ms, with a message naming the format and the pid. A kernel backend
 * cannot lock a directory: fl_open fails with FL_EBUSY on a live legacy lock directory.
 * Only sidecar lock names are judged so (with sidecar = 0 the file is the user's own).
 * Mixed backends on one path: any two filelock handles exclude each other whatever
 * backend each chose, or the later one fails at once with FL_EBUSY naming the holder's
 * backend; no one breaks a live holder. OFD and POSIX take flock first and their own
 * lock on top (Linux keeps the two apart on local filesystems; on NFS, SMB, macOS and
 * the BSDs they already conflict and only the backend's own lock is taken). A LOCKFILE
 * or LOCKDIR holder keeps an exclusive flock on its file or directory while it holds, so
 * a kernel-backend waiter waits for its release. A kernel backend meeting a LOCKDIR
 * directory cannot wait for it: FL_EBUSY at once. A kernel backend's lock file is never
 * removed by a LOCKFILE/LOCKDIR acquirer while any kernel lock is held on it; once
 * unheld, one carrying a kernel holder record is removed at once. Such a name-lock
 * waiter re-checks every retry_interval_ms (no name changes when a kernel lock is
 * released). On Windows the same holds with LockFileEx for flock: a LOCKFILE holder
 * keeps the WINDOWS backend's LockFileEx lock on its file (a WINDOWS/AUTO waiter waits
 * for its release), a LOCKDIR holder keeps none (a directory takes no LockFileEx lock;
 * WINDOWS/AUTO fail at once with FL_EBUSY naming LOCKDIR, as above).
 * Kernel-lock waits are woken the moment the holder releases (no polling, no signal
 * handlers installed): by the release itself when the holder is a filelock process of
 * the same user (on Linux, through a futex word in the user's shared-memory table
 * /dev/shm/filelock-wake-<uid>-v3, and that holder's death wakes the waiter too), by the
 * kernel otherwise. After fork() a child never releases its parent's lock
 * through an inherited handle: fl_unlock/fl_close there only forget it, and a later
 * fl_lock in the child takes a lock of its own. */
typedef struct fl_lock_options {
  uint32_t size;          /* sizeof(fl_lock_options); set by fl_lock_options_init */
  int32_t backend;        /* fl_backend; default FL_BACKEND_AUTO */
  const char *lock_dir;   /* NULL: lock file beside the path; else inside this directory,
                             named "<basename>.<hash of the absolute path>.lock" so two
                             paths never share a lock file */
  int32_t sidecar;        /* 1 (default): lock "<path>.lock"; 0: lock the path itself
                             (kernel backends only; never with LOCKFILE/LOCKDIR, which
                             delete their lock) */
  uint32_t file_mode;     /* permissions of a created lock file; default 0644 (the umask
                             applies; the file is never chmodded afterwards) */
  const char *owner;      /* label recorded with the holder: valid UTF-8, no control
                             characters (else FL_EINVAL); NULL: none */
  int32_t record_holder;  /* 1 (default): exclusive holders record pid, host, ... in the
                             lock file (one fixed-size record, written after locking).
                             LOCKFILE/LOCKDIR always record: it proves a holder dead */
  int32_t retry_interval_ms; /* lock-file backends only: re-check interval where no
                                wake-up is available (other hosts); default 100. Also
                                fl_state_wait's, where no directory watch can be had */
  int64_t stale_after_ms; /* lock-file backends: break another host's lock older than
                             this; 0 (default): never break by age alone */
  /* Since 1.4. The connection settings of an etcd:// name (see fl_open), as options
   * instead of in the name's query: 0 / NULL (the default) leaves each unset, so the
   * name's setting or the default applies. They are for etcd:// names only: set for a
   * file path, fl_open, fl_query, fl_state_open and fl_append refuse them with FL_EINVAL
   * naming the field (a mistyped name would otherwise silently drop the TLS or password
   * settings). A setting given both in the name and here is FL_EINVAL naming both when
   * the values differ. fl_state_open takes them from fl_state_options.lock, for the
   * state's document and for its lock. Strings are copied by fl_open. */
  int64_t etcd_ttl_ms;             /* lease TTL: whole seconds, >= 1000 (the name's ttl=) */
  int64_t etcd_dial_timeout_ms;    /* one TCP connect, > 0 (dial_timeout=) */
  int64_t etcd_request_timeout_ms; /* one request, failovers included, > 0 (request_timeout=) */
  const char *etcd_tls_ca;         /* CA file; turns TLS on (tls_ca=) */
  const char *etcd_tls_cert;       /* client certificate file, with etcd_tls_key (tls_cert=) */
  const char *etcd_tls_key;        /* its key file (tls_key=) */
  const char *etcd_user;           /* password authentication, with etcd_password_file (user=) */
  const char *etcd_password_file;  /* file whose first line is the password (password_file=) */
} fl_lock_options;

typedef struct fl_handle fl_handle; /* one lock: an open lock file and its state */

/* ---- Version and errors -------------------------------------------------------- */
FL_API const char *fl_version(void);      /* "1.4.0", static */
FL_API int fl_version_number(void);       /* FILELOCK_VERSION_NUMBER of the loaded library */
/* FL_OK if the loaded library is at least the header's version the caller was built
 * with (same major); FL_EUNSUPPORTED with a message otherwise. */
#define FL_CHECK_VERSION() fl_check_version(FILELOCK_VERSION_NUMBER)
FL_API int fl_check_version(int built_against);
FL_API const char *fl_strerror(int code); /* short static text for a code */
FL_API const char *fl_last_error(void);   /* this thread's last failure message, or "" */
/* Since 1.1. The OS error behind this thread's last failure, as an errno value (ENOENT,
 * EACCES, ...; on Windows the Win32 error mapped to the nearest errno), or 0 when the
 * failure did not come from the OS (a bad argument, a busy lock, a corrupt file). */
FL_API int fl_last_os_error(void);
/* Since 1.1. The path this thread's last failure was about (the one its message names),
 * or "" when it names none. Valid until this thread's next failing call. */
FL_API const char *fl_last_error_path(void);
FL_API void fl_free(void *p);             /* frees any string the library handed out */

/* ---- Locks --------------------------------------------------------------------- */
FL_API void fl_lock_options_init(fl_lock_options *opts);

/* Opens (creating if needed) the lock file for `path`. Does not lock. A lock file that
 * is a symlink is refused with FL_EPERM, a FIFO, directory or other non-regular file
 * with FL_EINVAL, the target untouched. Another user's lock file that may not be opened
 * for writing is opened read-only: locking works, the holder is not recorded. A path
 * ending in '/' or naming a directory is refused (FL_EINVAL).
 * etcd: a path "etcd://HOST:PORT[,HOST:PORT...]/PREFIX/NAME[?SETTINGS]" names a lock on
 * an etcd v3 cluster (3.4 or later, its JSON gateway over plain HTTP) instead of a file,
 * for processes on several hosts. Requests go to the endpoint that last answered and
 * fail over to the next on connection errors, on "no leader" (HTTP 503), and when one
 * does not answer within its share of the request timeout (an equal part of what is
 * left, at least 1 s); PORT defaults to 2379. A wait re-reads the queue at least once a
 * TTL, so a member that went silent under a watch is noticed. The lock is etcd's
 * own recipe (concurrency.Mutex): a lease, a key "PREFIX/NAME/<lease id in hex>" put
 * with it, the oldest key holds, each waiter watches the key just before its own
 * (FIFO; no polling); a shared waiter waits only for older exclusive keys. The key's
 * value is the holder record (pid, host, mode, owner, acquired_at), which fl_query
 * reports. The lease is kept alive by a library thread while the lock is waited for or
 * held; a holder that dies frees the lock when its lease expires (ttl). `etcdctl lock
 * PREFIX/NAME` takes the same lock (exclusive). SETTINGS, '&'-separated:
 *   ttl=5s               lease TTL (whole seconds, >= 1; default 5s; etcd may raise it)
 *   dial_timeout=2s      one TCP connect (default 2s)
 *   request_timeout=5s   one request, failovers included (default 5s)
 *   tls_ca=FILE          speak TLS (https) and check the members' certificates
 *                        against this CA (any tls_* setting turns TLS on; without
 *                        tls_ca the system's CAs are used)
 *   tls_cert=FILE, tls_key=FILE   this client's certificate and key, for members
 *                        started with --client-cert-auth (together; etcd's gateway
 *                        refuses one with a CommonName while authentication is on)
 *   user=NAME, password_file=FILE  password authentication (together): the password
 *                        is read from FILE's first line at each authentication, never
 *                        put in the URL, which every message names; a token etcd
 *                        expired is renewed once per call. A refused user is FL_EPERM.
 * Durations: "500ms", "5s", "1m", or a number of seconds. fl_open grants the first
 * lease, so an unreachable cluster fails here: FL_EIO naming every endpoint and curl's
 * or etcd's reason. A malformed name or another setting is FL_EINVAL. Each setting may
 * instead be given in fl_lock_options (its etcd_* fields, since 1.4); options other
 * than owner and those do not apply (a backend other than AUTO is FL_EINVAL). FL_EUNSUPPORTED
 * where etcd is not built (Windows, macOS) or libcurl.so.4 cannot be loaded (it is
 * loaded at the first etcd:// use, never linked). fl_lock's codes are the files'
 * (FL_EDEADLK too: a wait forever for a key this process holds, with no other thread to
 * release it). After fork() a child's copy of a handle never releases the parent's
 * lock. fl_lock_path returns the name;
 * fl_lock_fd returns -1. fl_unlock reports FL_EIO when the lease expired while held
 * (etcd unreachable for its TTL: another process may have held the lock meanwhile);
 * fl_lock_lost says so before, and fl_fencing_token gives the holder's token (below).
 * fl_scan lists the locks under an etcd:// prefix (below); fl_state_open keeps a JSON
 * document on etcd (below). Not yet: fl_append on etcd:// names. */
FL_API int fl_open(fl_handle **out, const char *path, const fl_lock_options *opts);
/* mode: FL_EXCLUSIVE or FL_SHARED; timeout_ms: FL_NOWAIT, FL_FOREVER or > 0.
 * FL_EBUSY (NOWAIT), FL_ETIMEOUT, FL_EALREADY, FL_ECANCELED; FL_EDEADLK when a
 * FL_FOREVER wait would be for a lock the calling thread holds through another handle
 * in a conflicting mode and no other thread exists to release it (see above); FL_EUNSUPPORTED when the filesystem has no such kernel lock
 * (the message names LOCKFILE/LOCKDIR). Shared holders are not recorded, and a shared
 * lock is not upgraded in place: unlock, then lock exclusively. */
FL_API int fl_lock(fl_handle *h, int mode, int64_t timeout_ms);
FL_API int fl_unlock(fl_handle *h); /* FL_ENOTLOCKED if nothing is held */
/* Ends a wait in progress on h with FL_ECANCELED. If no wait is in progress, the
 * request is kept and the next fl_lock() on h returns FL_ECANCELED at once, so a
 * cancel that races the start of a wait is never lost. fl_unlock() and an
 * FL_ECANCELED return clear the request. Safe to call from any thread. */
FL_API int fl_cancel(fl_handle *h);
FL_API void fl_close(fl_handle *h); /* NULL-safe; releases the lock if held */
/* 1 if h holds a lock, 0 if not. */
FL_API int fl_is_locked(const fl_handle *h);
/* The lock file's path (owned by h, valid until fl_close). */
FL_API const char *fl_lock_path(const fl_handle *h);
/* While h holds a lock: a file descriptor that carries it into a child process, or -1
 * (nothing held; the POSIX, LOCKFILE and LOCKDIR backends; Windows). A child that
 * inherits it (clear FD_CLOEXEC between fork and exec) shares the lock, which then lasts
 * until both have let go: the child keeps it if this process dies, as with flock(1).
 * It stays owned by h: do not close it here; fl_unlock(h) releases it for both. */
FL_API int fl_lock_fd(const fl_handle *h);
/* Since 1.3. A wait made by the caller's own blocking flock(2), for runtimes whose
 * threads block in a system call at no extra cost (Go's goroutines): it spares the
 * waiter thread fl_lock starts for each wait, and the extra wake-up through it.
 * After fl_lock(h, mode, FL_NOWAIT) returned FL_EBUSY, fl_wait_fd(h) is a descriptor to
 * block in flock(fd, LOCK_EX or LOCK_SH, as mode) on, or -1 when h's lock cannot be
 * waited for that way (the POSIX, LOCKFILE and LOCKDIR backends; Windows; h holds a
 * lock): wait with fl_lock then. The descriptor stays owned by h: never close it (a
 * caller may dup3() another file over it for a moment, to make a blocked flock return
 * on that file, if it puts h's file back before the next call on h). While the flock
 * call blocks, no call may use h. When it returns, fl_lock_waited ends the wait; a
 * caller that stopped waiting before it returned (a timeout, its own cancellation)
 * instead lets go of the lock it may have got: flock(fd, LOCK_UN), or fl_close(h).
 * fl_lock_waited(h, mode, timeout_ms, wait_errno) says how the wait ended, in fl_lock's
 * words:
 *  - wait_errno 0 (flock returned 0): completes the lock as fl_lock does (the OFD
 *    backend's own lock on top, a lock file removed meanwhile, the holder record):
 *    FL_OK, held; or FL_EBUSY, nothing held, when something flock does not show still
 *    holds it (a legacy lock, an fcntl lock of another program) or the lock file was
 *    replaced meanwhile: wait for the rest of the time with fl_lock.
 *  - wait_errno > 0 (flock failed with that errno): fl_lock's error for it.
 *  - wait_errno FL_ETIMEOUT (the caller gave up after timeout_ms): fl_lock's
 *    FL_ETIMEOUT; h is not touched, so this may be called while the flock still blocks.
 * The holder record and the exclusion between handles are as with fl_lock. */
FL_API int fl_wait_fd(const fl_handle *h);
/* Since 1.4. While h holds an etcd:// lock: its fencing token in *token, the create
 * revision of the holder's key, which grows with every acquisition in the cluster. A
 * store that remembers the largest token it has seen can refuse a write that carries a
 * smaller one: from a holder whose lease expired meanwhile. FL_ENOTLOCKED when h holds
 * nothing; FL_EUNSUPPORTED for a file lock (the kernel or the lock file keeps it until
 * it is released: it cannot pass to another holder while held). */
FL_API int fl_fencing_token(const fl_handle *h, int64_t *token);
/* Since 1.4. 1 if h's etcd:// lock is known to be lost while held: its lease expired
 * (etcd said so, or its TTL passed since etcd last confirmed it), so another process
 * may hold it; fl_unlock will report FL_EIO. 0 otherwise, and always for file locks. */
FL_API int fl_lock_lost(const fl_handle *h);
FL_API int fl_lock_waited(fl_handle *h, int mode, int64_t timeout_ms, int wait_errno);

/* ---- Cancel tokens and per-call waits (since 1.4) ---------------------------------- */
/* A cancel token ends the waits of the calls it is given to, and only those: unlike
 * fl_cancel() and fl_state_cancel(), which act on a handle and keep a request that
 * nobody took for the handle's next call, a token that is triggered after its call
 * returned changes nothing for the handle. Give one token to any number of calls, on
 * any handles, at once or in turn (GCancellable-like):
 *  - a call given a token that is already triggered fails at once with FL_ECANCELED;
 *  - a trigger during the call ends its wait (lock, state lock, change wait) at once,
 *    woken through what the wait already sleeps on (no polling, no thread, no signal);
 *    the call fails with FL_ECANCELED and a message naming the operation and the path,
 *    and the handle stays as it was before the call (nothing held, no request kept);
 *  - a call past its wait (it holds the lock) is not interrupted: it completes.
 * A triggered token stays triggered until fl_cancel_token_reset(). */
typedef struct fl_cancel_token fl_cancel_token;
FL_API int fl_cancel_token_create(fl_cancel_token **out);
/* Idempotent; NULL-safe. Safe from any thread, and from a signal handler while the
 * calls using the token are on kernel-lock (AUTO, FLOCK, OFD, WINDOWS), LOCKFILE or
 * LOCKDIR handles and state handles with those backends; a call on a POSIX-backend or
 * etcd:// handle makes it take a mutex to wake the wait (not async-signal-safe). */
FL_API void fl_cancel_token_trigger(fl_cancel_token *token);
/* 1 once triggered (until reset), else 0 (also for NULL). */
FL_API int fl_cancel_token_is_triggered(const fl_cancel_token *token);
/* Untriggers it for reuse; only while no call is using it. NULL-safe. */
FL_API void fl_cancel_token_reset(fl_cancel_token *token);
/* NULL-safe; only once no call is using it. */
FL_API void fl_cancel_token_free(fl_cancel_token *token);

/* timeout_ms value: the call's own default (fl_lock_with and fl_append_with: FL_FOREVER;
 * the state calls: the state's lock_timeout_ms; fl_state_wait_with: FL_FOREVER). */
#define FL_TIMEOUT_DEFAULT (-2)

/* How one call waits. Grows at the end only: call fl_wait_opts_init first. NULL means
 * all defaults. */
typedef struct fl_wait_opts {
  uint32_t size;           /* sizeof(fl_wait_opts); set by fl_wait_opts_init */
  int64_t timeout_ms;      /* FL_NOWAIT, FL_FOREVER, > 0, or FL_TIMEOUT_DEFAULT (default) */
  fl_cancel_token *cancel; /* ends this call's wait when triggered; NULL (default): none */
} fl_wait_opts;
FL_API void fl_wait_opts_init(fl_wait_opts *opts);

/* fl_lock, waiting as `wait` says (NULL: wait forever, no token). fl_cancel(h) still
 * works during the call. */
FL_API int fl_lock_with(fl_handle *h, int mode, const fl_wait_opts *wait);

/* State of the lock for `path` as JSON, without disturbing holders:
 * {"path","lock_path","exists","backend","locked","mode","holders":[{"pid","kind","mode"}],
 *  "holder":{"pid","host","start_time","boot_id","acquired_at","mode","owner"},
 *  "alive","stale","age_ms"}.
 * Kernel backends: "holders" lists every granted kernel lock on the lock file (Linux
 * /proc/locks; "pid" is null for OFD locks, which name no process); "holder" is the
 * recorded exclusive holder, given only while it holds the lock (else null); "stale" is
 * always false (a kernel lock dies with its holder); "age_ms" counts from the holder's
 * acquisition, or from the lock file's last change when there is no holder.
 * Backend: with opts NULL or backend FL_BACKEND_AUTO, "backend" is the one whose lock is
 * on disk at the lock name, and the other fields are as if it had been named: a file
 * carrying a LOCKFILE record is "lockfile"; a directory holding its record (or nothing
 * yet) is "lockdir"; a legacy lock (sidecar names only, see above) no kernel lock is
 * held on is "legacy", with "format", "holder" {"pid"}, "alive" and "stale" judged by
 * its pid; any other regular file is a kernel lock file: "ofd" or "posix" when such a
 * lock is held on it (when none is, as its last holder's record says), else "flock"
 * ("windows" on Windows). With nothing at the lock name: the backend a state file's
 * default meta dir records, else "flock" ("windows"). A named backend is reported as
 * named, and its lock looked for alone.
 * LOCKFILE/LOCKDIR (pass the same options): "locked" while the name exists; "alive" is
 * true/false/null (unknown: another host); "stale" says the lock may be broken, and
 * "reason" why or why not. "mode" is null when nothing is locked, "age_ms" when there
 * is no lock file ("exists": false). A lock path that is a symlink, FIFO, socket or
 * device (or a directory, for kernel backends) is refused with FL_EINVAL. Every string
 * is valid UTF-8: bytes that are not, and control characters in record fields, read as
 * U+FFFD. */
FL_API int fl_query(const char *path, const fl_lock_options *opts, char **info_json);
/* Lock files under dir (not recursive) as a JSON report:
 * {"dir","locks":[{"lock_path","backend","locked","mode","holders","holder","alive",
 *  "stale","age_ms"}],
 *  "leftovers":[{"path","leftover_of","kind","age_ms","stale","reason"}]}.
 * dir may be an etcd prefix "etcd://HOST:PORT[,...]/PREFIX": every lock whose keys lie
 * below it, at any depth, named by its own etcd:// URL (a lock with no holder and no
 * waiter has no keys: not listed); fl_clean_stale of it removes nothing (a dead
 * holder's lease expires by itself).
 * "locks": each entry as in fl_query. Only "*.lock" entries this library made are listed
 * (empty or holder-recorded files, lock directories with a record), and legacy locks
 * (see the backends above): "backend" "legacy", "format" "bare-pid", "pid-locked_at" or
 * "pid-directory", "holder" {"pid"} ("acquired_at" from locked_at), "stale" true when
 * the pid names no process, "reason" naming format and pid. An entry that could not be
 * read has "error" instead.
 * "leftovers": what a LOCKFILE/LOCKDIR process killed mid-step leaves beside the lock
 * "leftover_of" (see fl_clean_stale): "kind" "new" ("<lock>.new-<pid>-<tid>-<n>") or
 * "breaking" ("<lock>.breaking-...") or "break_claim" ("<lock>.break-<tag>-<n>"); "stale"
 * true if fl_clean_stale would remove it
 * (min_age_ms 0), "reason" why or why not. */
FL_API int fl_scan(const char *dir, char **report_json);
/* fl_scan with options (since 1.4): for an etcd:// prefix, the etcd_* fields of opts
 * (TLS files, user and password file, timeouts) apply as for fl_open; a backend other
 * than AUTO is FL_EINVAL. A directory takes opts at their defaults only: an etcd_*
 * field, or any other field set, is FL_EINVAL naming it. NULL opts: the defaults
 * (fl_scan). */
FL_API int fl_scan_with(const char *dir, const fl_lock_options *opts, char **report_json);
/* Removes lock files under dir that nobody holds and that are older than min_age_ms,
 * dead holders' lock-file-backend locks, legacy locks whose pid names no process (once
 * older than min_age_ms, aged by locked_at or mtime; a live one is kept with a reason
 * naming format and pid), and crash leftovers of those backends. Safe against
 * concurrent acquirers.
 * report: {"dir","removed":[{"lock_path","reason"}],"kept":[{"lock_path","reason"}],
 *          "errors":[{"lock_path","error"}]}
 * An item about a leftover names it in "lock_path" and has "leftover_of", the lock it
 * belongs to.
 * A kernel lock file is removed while this call holds it (flock and OFD, without
 * waiting), and every acquirer re-checks after locking that its file is still linked,
 * so no one is left holding a removed file while another holds its successor. Files
 * this process has open through the POSIX backend are kept. Another host's
 * LOCKFILE/LOCKDIR lock is never removed here (no proof of death). An empty lock file or
 * a lock directory without its record is removed only once older than 10 s.
 * Leftovers, also only once older than min_age_ms:
 *  - "<lock>.new-<pid>-<tid>-<n>", a LOCKFILE written but not yet moved to its name, is
 *    removed when its creator is proven dead (as a holder is), and otherwise (another
 *    host, no readable record) once older than 1 hour, which no live creator needs.
 *  - "<lock>.breaking-...", an entry moved aside by a process breaking a stale lock. That
 *    process may still put it back, so it is removed only if it would be removed at the
 *    lock name itself: a lock whose holder is proven dead, or a file no one holds a
 *    kernel lock on (if empty, older than 10 s), or a directory without a record older
 *    than 10 s. A live or another host's holder's lock, or anything the library did not
 *    make, is kept however old.
 *  - "<lock>.break-<tag>-<n>", the claim a process breaking a stale lock takes first (so
 *    two breakers never act on one lock at once), is kept while the lock it was taken
 *    for is still at the lock name, and removed once that lock is gone. */
FL_API int fl_clean_stale(const char *dir, int64_t min_age_ms, char **report_json);

/* ---- JSON state ---------------------------------------------------------------- */
/* What a power cut (or OS crash) leaves, by durability mode. A process crash (SIGKILL)
 * loses nothing in either mode: a returned commit is in place with its generation.
 * FL_DURABILITY_FULL: when a commit returns, its document and its generation survive a
 *   cut (the temp file and the generation record are fsynced before the rename, the
 *   directory after it), so a write_if based on an older generation still fails after
 *   it; a cut during the commit leaves the old document or the new one, whole, each
 *   with its own generation. fl_state_backup's copy is fsynced with its name. Not
 *   synced per commit (each would cost about what the commit's own fsyncs cost): the
 *   backup link of the outgoing document, the rotation of old backups and the audit
 *   line. A cut can lose the newest backups and log lines (verify reports a torn last
 *   line, or lost lines a file system left as zero bytes; both are skipped, not
 *   damage) or bring back a rotated backup, never a returned commit.
 * FL_DURABILITY_ATOMIC: no commit is fsynced (only the meta_dir files that the first
 *   open creates, once). Readers and process crashes see the old or the new document
 *   whole, but after a cut any recent commits may be lost, the
 *   generation may go back (a write_if may then pass on a number handed out before),
 *   and on filesystems without rename heuristics (XFS, ext4 mounted noauto_da_alloc)
 *   the file can be left empty or zero-filled: reads then fail with FL_ECORRUPT
 *   naming the newest valid backup, which fl_state_restore brings back (the backups
 *   are links of unsynced documents: a cut can empty them too, leaving none). */
enum {
  FL_DURABILITY_FULL = 0,  /* document and generation fsynced before commit returns */
  FL_DURABILITY_ATOMIC = 1 /* atomic rename, no fsync: never torn by a crash; a power
                              cut may lose commits or leave an empty file */
};

/* JSON rules for every document, value and patch: strict RFC 8259, valid UTF-8, no
 * duplicate keys, no NaN/Infinity, no U+0000 in strings (refused rather than cut short:
 * strings are kept as C strings). Numbers are kept as their original text, so values
 * a double cannot carry (integers beyond 2^53, 1e400) are written back exactly.
 * Documents nested deeper than this are refused (FL_EINVAL input, FL_ECORRUPT on disk). */
#define FL_JSON_MAX_DEPTH 256

typedef struct fl_state_options {
  uint32_t size;               /* sizeof(fl_state_options); set by fl_state_options_init */
  int32_t durability;          /* FL_DURABILITY_FULL (default) or FL_DURABILITY_ATOMIC */
  int32_t max_backups;         /* backups kept; default 50; 0: none */
  int32_t backup_before_write; /* 1 (default): back up the outgoing document on commit */
  int32_t audit_log;           /* 1 (default): one log line per commit/restore/failure */
  int32_t validate_on_read;    /* 1: reads check the schema too; default 0 */
  const char *schema_json;     /* JSON Schema subset: type, properties, required,
                                  additionalProperties, items, enum, const, minimum,
                                  maximum, minLength, maxLength, minItems, maxItems,
                                  pattern; other keywords are refused (FL_EINVAL) at
                                  open, annotations ($schema, title, ...) ignored.
                                  pattern: ECMA-262 without backreferences, lookaround
                                  or \p (refused at open), matched in linear time.
                                  NULL: none */
  int64_t lock_timeout_ms;     /* wait for the lock this long; default 10000 */
  const char *meta_dir;        /* backups, log, generation; NULL: ".<name>.filelock/" beside.
                                  One state file's own: another file opening it gets
                                  FL_EINVAL (meta_dir/owner names the file) */
  const char *initial_json;    /* document created when the file is missing; NULL: "{}" */
  const fl_lock_options *lock; /* NULL: defaults; copied at open. sidecar must stay 1
                                  (FL_EINVAL): commits replace the file itself */
  int64_t max_log_bytes;       /* audit log rotated past this size; default 8 MiB (a rotation
                                  that cannot rename the log, e.g. while a Windows viewer
                                  holds it open, leaves it growing until one can) */
  int64_t journal_max_bytes;   /* 0 (default): every commit rewrites the document.
                                  > 0: a transaction's commit appends what it did (its
                                  set/remove/merge operations, one checksummed record,
                                  fsynced in FULL) to meta_dir/journal instead, at the
                                  cost of the change, not of the document; the commit
                                  that would take the journal past this many bytes
                                  rewrites the document whole as before (a checkpoint)
                                  and starts the journal again. fl_state_write and
                                  fl_state_restore always rewrite. The document file then
                                  holds the checkpoint's generation: every read (any
                                  handle, any value of this option) returns the file
                                  with the journal applied, and a handle kept open reads
                                  only the records added since its last read. Backups are
                                  taken at checkpoints (of the file, labelled with its
                                  own generation) and by fl_state_backup (of the current
                                  document); journal commits take none. A crash or power
                                  cut leaves the old or the new generation, as above; a
                                  torn last record is ignored and cut off by the next
                                  commit (verify reports it). Negative: FL_EINVAL */
} fl_state_options;

typedef struct fl_state fl_state; /* one state file */
typedef struct fl_txn fl_txn;     /* a transaction: holds the exclusive lock */

FL_API void fl_state_options_init(fl_state_options *opts);
/* Creates meta_dir and, when the file is missing, writes initial_json as generation 1.
 * Removes temp files a crashed commit left behind (when no one holds the lock).
 * FL_EPERM if path is a symbolic link (a commit would replace the link itself),
 * FL_EINVAL if it is a directory; a failed open leaves nothing behind but the lock file.
 * FL_EPERM, naming the owner, if meta_dir or its backups/ is owned by a user other than
 * the caller, root or the state file's owner, or is writable by every user (on POSIX):
 * in a shared directory another user could otherwise plant backups and a generation.
 * The state file and every file in meta_dir are opened without following a symbolic
 * link and only as regular files: a symlink or FIFO put in their place is FL_EPERM,
 * never followed, never waited on.
 * A state file keeps the lock backend of its first open (meta_dir/backend; AUTO, FLOCK
 * and, on Windows, WINDOWS are one): an open asking for another gets FL_EINVAL naming
 * both, since handles with different backends may not exclude each other.
 * A user who may read the state file and its meta dir but not write them (another
 * user's state) can open it and read, list backups, history and verify; a commit then
 * fails with FL_EPERM and changes nothing.
 * A relative path is made absolute at open, so a later chdir() changes nothing.
 * etcd: a path "etcd://HOST:PORT[,...]/PREFIX/NAME[?SETTINGS]" (as fl_open's) keeps the
 * document on an etcd cluster, for processes on several hosts: the key PREFIX/NAME/doc
 * holds it and its mod revision is the generation (it grows, not by one); the lock is
 * fl_open's etcd lock on ".../NAME/lock"; backups are keys NAME/backups/<id> (ids as
 * above; the newest max_backups kept, a few more while other processes add theirs);
 * audit records are keys NAME/audit/... (about the newest 1000). Reads take no lock
 * (one linearizable read sees a whole document). Every commit is one etcd transaction
 * that writes the document, its backup and its audit record and releases the lock, on
 * condition that the document is unchanged since it was read and the lock key still
 * has this holder's revision: a holder whose lease expired (paused or cut off from
 * etcd for the TTL) cannot commit once another process may have taken the lock:
 * FL_ECONFLICT "fenced", nothing written. A document that, with its backup, passes
 * etcd's request size limit (--max-request-bytes, 1.5 MiB by default) is FL_EINVAL,
 * nothing written. fl_state_wait watches the key. meta_dir does not apply (FL_EINVAL);
 * durability is etcd's (its members fsync before a commit returns). */
FL_API int fl_state_open(fl_state **out, const char *path, const fl_state_options *opts);
FL_API void fl_state_close(fl_state *st); /* NULL-safe */

/* The whole document, as stored, and its generation (either out pointer may be NULL),
 * read under the shared lock. FL_ECORRUPT for a damaged file, naming the newest valid
 * backup; FL_ENOTFOUND if the file was deleted (fl_state_restore brings it back). */
FL_API int fl_state_read(fl_state *st, char **json_out, uint64_t *generation_out);
/* Since 1.4. The value at an RFC 6901 JSON pointer ("" = the whole document, "/a/0" =
 * member a's first element), compact, and the document's generation (may be NULL),
 * under the shared lock. FL_ENOTFOUND when the pointer names nothing. A handle with a
 * journal (journal_max_bytes) answers from its parsed copy: after another handle's small
 * commit it applies the new journal records only, so the call costs the change and the
 * value, not the document (fl_state_read prints the whole document). */
FL_API int fl_state_get(fl_state *st, const char *pointer, char **json_out, uint64_t *generation_out);
/* A commit of the whole document. Writing the document that is already there changes
 * nothing (the generation counts changes). */
FL_API int fl_state_write(fl_state *st, const char *json);
/* FL_ECONFLICT if the current generation is not expected_generation. */
FL_API int fl_state_write_if(fl_state *st, const char *json, uint64_t expected_generation);

/* Holds st's exclusive lock until commit or rollback: meanwhile use only the
 * transaction. fl_state_close(st) before then is safe: the transaction keeps what it
 * needs until it ends. */
FL_API int fl_txn_begin(fl_state *st, fl_txn **out);
/* JSON pointers are RFC 6901; "" is the whole document. A failed set, remove or merge
 * changes nothing; fl_txn_set refuses (FL_EINVAL) a value that would sit deeper than
 * FL_JSON_MAX_DEPTH levels (the pointer's tokens plus the value's own nesting). */
FL_API int fl_txn_get(fl_txn *t, const char *pointer, char **json_out);
FL_API int fl_txn_set(fl_txn *t, const char *pointer, const char *json); /* creates parents */
FL_API int fl_txn_remove(fl_txn *t, const char *pointer);
FL_API int fl_txn_merge(fl_txn *t, const char *merge_patch_json); /* RFC 7386 */
/* The generation the transaction started from. */
FL_API uint64_t fl_txn_generation(const fl_txn *t);
/* Always consumes t, even on failure. A failure leaves the old document in place,
 * except when only the final directory fsync fails: then the new document is in place
 * and the message says so. A commit in place is never reported as failed because of
 * the audit log: an audit.log that cannot be opened (a symlink, FIFO, no permission)
 * refuses the commit before anything changes, and a line that cannot be written after
 * the rename is kept by st and written before its next one (fl_state_verify counts it
 * in "log":{"unwritten"}). */
FL_API int fl_txn_commit(fl_txn *t);
FL_API void fl_txn_rollback(fl_txn *t); /* always consumes t; NULL-safe */

/* Backups are named by time and generation ("20261124T114512.123456Z-g00000000000000000042");
 * ids come from fl_state_backups. */
FL_API int fl_state_backup(fl_state *st, char **backup_id_out);
/* [{"id","generation","created_at","size"}], newest first. */
FL_API int fl_state_backups(fl_state *st, char **list_json);
FL_API int fl_state_restore(fl_state *st, const char *backup_id); /* a logged commit */
/* Audit records, newest first; limit <= 0: all. */
FL_API int fl_state_history(fl_state *st, int limit, char **records_json);
/* {"ok","document","generation","log":{...},"backups":{...},"problems":[...]}. The report
 * is returned in both cases: FL_OK, or FL_ECORRUPT when the document, a backup or a
 * log line before the last is damaged (a torn last log line, or lines a power cut left
 * as zero bytes, are only reported). */
FL_API int fl_state_verify(fl_state *st, char **report_json);
/* Since 1.2. Waits until the committed generation of the state file is greater than
 * after_generation and returns FL_OK with it in *generation_out (may be NULL); at once
 * if it already is. Any commit counts, from any process: a write, a transaction, a
 * restore (a commit that leaves the document as it was changes no generation and wakes
 * no one). Woken by the commit itself (a watch on the file's directory: inotify,
 * kqueue, a change notification), not by polling; where no watch can be had (a watch
 * limit) it re-checks every lock retry_interval_ms. Takes no lock: a transaction held
 * elsewhere does not delay the wake-up of a later commit. timeout_ms: FL_NOWAIT (look
 * once), FL_FOREVER or > 0; FL_ETIMEOUT when it passes, FL_ECANCELED when
 * fl_state_cancel(st) ends the wait. Several threads may wait on one st. */
FL_API int fl_state_wait(fl_state *st, uint64_t after_generation, int64_t timeout_ms,
                         uint64_t *generation_out);
/* Ends the fl_state_wait calls in progress on st with FL_ECANCELED; when there are
 * none, a lock wait in progress on st (fl_state_read, fl_state_write, fl_state_write_if,
 * fl_txn_begin, fl_state_backup, fl_state_restore, ...), nothing changed. If no wait is
 * in progress, the request is kept and the next wait of either kind on st returns
 * FL_ECANCELED at once, so a cancel that races the start of a wait is never lost; an
 * FL_ECANCELED return clears it, and so does the end of an operation that already held
 * the lock (it is not interrupted). Safe to call from any thread while another uses st
 * (st must stay open until both return). */
FL_API int fl_state_cancel(fl_state *st);

/* Since 1.4. The calls above that wait for the state's lock, or for a change, taking a
 * per-call fl_wait_opts (see fl_cancel_token_create): its timeout_ms replaces the
 * state's lock_timeout_ms (fl_state_wait_with: the wait's timeout; default FL_FOREVER),
 * and its token ends this call's wait only. NULL wait: as the call without _with.
 * fl_state_cancel(st) still works during them. */
FL_API int fl_state_read_with(fl_state *st, char **json_out, uint64_t *generation_out,
                              const fl_wait_opts *wait);
FL_API int fl_state_get_with(fl_state *st, const char *pointer, char **json_out,
                             uint64_t *generation_out, const fl_wait_opts *wait);
FL_API int fl_state_write_with(fl_state *st, const char *json, const fl_wait_opts *wait);
FL_API int fl_state_write_if_with(fl_state *st, const char *json, uint64_t expected_generation,
                                  const fl_wait_opts *wait);
FL_API int fl_txn_begin_with(fl_state *st, fl_txn **out, const fl_wait_opts *wait);
FL_API int fl_state_backup_with(fl_state *st, char **backup_id_out, const fl_wait_opts *wait);
FL_API int fl_state_restore_with(fl_state *st, const char *backup_id, const fl_wait_opts *wait);
FL_API int fl_state_history_with(fl_state *st, int limit, char **records_json,
                                 const fl_wait_opts *wait);
FL_API int fl_state_verify_with(fl_state *st, char **report_json, const fl_wait_opts *wait);
FL_API int fl_state_wait_with(fl_state *st, uint64_t after_generation, uint64_t *generation_out,
                              const fl_wait_opts *wait);

/* Appends one JSON value as a line to a JSONL file under its lock: whole or not at
 * all; concurrent appenders never interleave. fl_append is durable (fsync before
 * returning); fl_append_ex takes FL_DURABILITY_FULL or FL_DURABILITY_ATOMIC. The value
 * is written compact (newlines inside strings are escaped); waits for the lock without
 * a timeout; a file not ending in a newline gets one first. */
FL_API int fl_append(const char *path, const char *json_line, const fl_lock_options *opts);
FL_API int fl_append_ex(const char *path, const char *json_line, const fl_lock_options *opts,
                        int durability);
/* Since 1.4. fl_append_ex waiting for the lock as `wait` says (NULL: forever, no token). */
FL_API int fl_append_with(const char *path, const char *json_line, const fl_lock_options *opts,
                          int durability, const fl_wait_opts *wait);

#ifdef __cplusplus
}
#endif
#endif /* FILELOCK_H */
