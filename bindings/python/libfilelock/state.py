"""Crash-safe JSON state files: read, write and transactions under the file's lock,
with backups and an audit log kept by the library."""
from __future__ import annotations

import datetime
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple, Union

from ._cancel import CallCancel, with_form
from ._errors import (FL_EBUSY, FL_ETIMEOUT, FL_EVALIDATION, FileLockError,
                      StateError, StateValidationError)
from ._interrupt import call_interruptibly
from ._native import (PathLike, check_etcd_settings, dumps, fspath, loads, lock_options, native,
                      timeout_ms)
from .jsonl import append_jsonl
from .schema import check_model, schema_json
from ._txn import StateEdit, StateTransaction  # defined there, importable from here

if TYPE_CHECKING:
    from .aio import AsyncStateEdit, AsyncStateTransaction

_log = logging.getLogger("libfilelock")
# Transactions that roll back never reach the library's audit log (nothing was
# committed), so the binding keeps them in this journal beside it.
_ROLLBACK_JOURNAL = "rollbacks.jsonl"

# A handle's options: (with the schema, validate on read, lock timeout zero).
_Key = Tuple[bool, bool, bool]

_HISTORY_ALIASES = {
    "timestamp": ("timestamp", "time", "at", "ts"),
    "operation": ("operation", "op", "action", "event"),
    "success": ("success", "ok"),
    "details": ("details", "error", "message", "reason"),
}


@dataclass(frozen=True)
class Backup:
    """One backup of a state file; pass it, its ``id`` or its ``path`` to
    ``restore_backup``."""

    id: str
    generation: Optional[int] = None
    created_at: Optional[str] = None
    size: Optional[int] = None
    path: Optional[Path] = None  # the backup file (a JSON document)

    @property
    def name(self) -> str:
        return self.id

    def __str__(self) -> str:
        return self.id


def _normalize_record(record: Dict[str, Any]) -> Dict[str, Any]:
    """Audit records with the keys pipeline tools read (timestamp, operation, success,
    details) alongside the library's own."""
    out = dict(record)
    for key, candidates in _HISTORY_ALIASES.items():
        if key not in out:
            found = next((record[c] for c in candidates if c in record), None)
            out[key] = found if key != "success" else bool(found if found is not None else True)
    return out


def _is_etcd(path: Any) -> bool:
    return isinstance(path, str) and path.startswith("etcd://")


class BackupManager:
    """Manual backup control for a state file (``state.backup_manager``)."""

    def __init__(self, state: "JsonState") -> None:
        self._state = state

    def create_backup(self) -> Backup:
        """Backs up the current document now and returns the new backup."""
        backup_id = self._state._locked_call(False, False, native.fl_state_backup)
        for backup in self.list_backups(limit=0):
            if backup.id == backup_id:
                return backup
        return Backup(backup_id)

    def list_backups(self, limit: int = 10) -> List[Backup]:
        """Backups, newest first; ``limit <= 0`` lists all."""
        entries = loads(native.fl_state_backups(self._state._native(False))) or []
        meta_dir = self._state.meta_dir
        folder = None if meta_dir is None else meta_dir / "backups"  # etcd: keys, no files
        backups = [Backup(e["id"], e.get("generation"), e.get("created_at"), e.get("size"),
                          None if folder is None else folder / (e["id"] + ".json"))
                   for e in entries]
        return backups[:limit] if limit > 0 else backups

    def restore_backup(self, backup: Union[Backup, str, "os.PathLike[str]"]) -> bool:
        """Makes a backup the current document (a logged commit, itself backed up).

        ``backup`` is a :class:`Backup`, its id, or its file (``Backup.path``, a path in
        the backups folder)."""
        if isinstance(backup, Backup):
            backup_id = backup.id
        else:
            text = os.fspath(backup) if isinstance(backup, os.PathLike) else str(backup)
            name = Path(text).name
            # A file of the backups folder is "<id>.json"; a bare id has no suffix.
            is_file = isinstance(backup, os.PathLike) or name != text or name.endswith(".json")
            backup_id = name[:-len(".json")] if is_file and name.endswith(".json") else name
        fspath(backup_id)  # a NUL would cut the id short in the library
        self._state._locked_call(False, False, native.fl_state_restore, backup_id)
        return True


class JsonState:
    """A JSON document in a file, shared safely by threads and processes.

    Writes replace the file atomically (temp file, fsync, rename) under an exclusive
    lock, after backing up the outgoing document; every commit is logged. A crash at
    any point leaves either the old or the new document, never a torn one.

    An object may be shared by threads: each thread uses its own library handles, so
    transactions in different threads exclude each other as processes do.

    Args:
        path: the state file; created (from ``initial``, else ``{}``) if missing.
        validate_on_read: check reads against the schema too.
        max_backups: backups kept (0: none).
        backup_before_write: back up the outgoing document on every commit.
        timeout: seconds to wait for the file's lock; ``None`` waits forever.
        schema: a JSON Schema dict, or a pydantic model class.
        durable: fsync before a commit returns (False: atomic but may be lost on power cut).
        audit_log: keep the transaction log.
        meta_dir: where backups and the log live (default: beside the file).
        initial: the document created when the file is missing.
        journal_max_bytes: > 0: a transaction's commit appends its changes to a journal
            beside the document (the cost of the change, not of the document); the commit
            that would take it past this many bytes rewrites the document whole. A
            transaction sends the members it changed (lists and values whole), so its
            record is the size of the change. 0 (the default): every commit rewrites the
            document. Every handle reads the journal.
        etcd_ttl, etcd_dial_timeout, etcd_request_timeout (seconds), etcd_tls_ca,
            etcd_tls_cert, etcd_tls_key, etcd_user, etcd_password_file: an etcd:// name's
            connection settings, as for FileLock (for the document and its lock).
    """

    def __init__(self, path: PathLike, validate_on_read: bool = False, max_backups: int = 50,
                 backup_before_write: bool = True, *, timeout: Optional[float] = 10.0,
                 schema: Any = None, durable: bool = True, audit_log: bool = True,
                 meta_dir: Optional[PathLike] = None, initial: Any = None,
                 journal_max_bytes: int = 0, **etcd: Any) -> None:
        self._etcd = check_etcd_settings(type(self).__name__, etcd)
        # An etcd:// name stays a str: a Path would fold its "//".
        self.path: Union[Path, str] = path if _is_etcd(path) else Path(path)
        self.validate_on_read = validate_on_read
        self.max_backups = max_backups
        self.backup_before_write = backup_before_write
        self.timeout = timeout
        self.schema = schema
        self._schema_json = schema_json(schema)
        self._durable = durable
        self._audit_log = audit_log
        self._meta_dir = meta_dir
        self._initial_json = None if initial is None else dumps(initial)
        self._journal_max_bytes = journal_max_bytes
        # A journaled commit appends the transaction's operations: transactions send
        # what they changed rather than the whole document (etcd keeps no journal).
        self._diffs = journal_max_bytes > 0 and not _is_etcd(self.path)
        # Library handles are single-threaded: each thread opens its own, and they
        # exclude each other like handles in different processes.
        self._local = threading.local()
        self._mutex = threading.Lock()
        self._all_handles: List[Any] = []
        self._async_free: Dict[_Key, List[Any]] = {}
        self._active = 0
        self.backup_manager = BackupManager(self)
        self._native(True)  # opens now, so a bad path fails here

    # -- reading and writing ---------------------------------------------------------
    def read(self, validate: Optional[bool] = None) -> Any:
        """The current document. ``validate`` (default: ``validate_on_read``) checks it
        against the schema; a damaged file raises :class:`StateReadError`."""
        return self.read_versioned(validate)[0]

    def read_versioned(self, validate: Optional[bool] = None) -> Tuple[Any, int]:
        """The current document and its generation (for :meth:`write_if`)."""
        check = self.validate_on_read if validate is None else validate
        text, generation = self._locked_call(True, check, native.fl_state_read)
        data = loads(text)
        if check:
            check_model(self.schema, data, "fl_state_read", str(self.path))
        return data, generation

    def get(self, pointer: str) -> Any:
        """The value at an RFC 6901 JSON pointer (``""`` is the whole document,
        ``"/phases/build/status"`` one member). A pointer that names nothing raises
        :class:`StateReadError` with code ``FL_ENOTFOUND``. With ``journal_max_bytes`` a
        long-lived handle keeps the parsed document, so after another handle's small
        commit this costs the change and the value, not the document."""
        return self.get_versioned(pointer)[0]

    def get_versioned(self, pointer: str) -> Tuple[Any, int]:
        """The value at ``pointer`` and the document's generation."""
        text, generation = self._locked_call(True, self.validate_on_read, native.fl_state_get, pointer)
        return loads(text), generation

    def write(self, data: Any, validate: bool = True) -> None:
        """Replaces the document atomically (backed up, logged)."""
        if validate:
            check_model(self.schema, data, "fl_state_write", str(self.path))
        self._locked_call(validate, False, native.fl_state_write,
                          self._encode(data, "fl_state_write"))

    def write_if(self, data: Any, generation: int, validate: bool = True) -> None:
        """Like :meth:`write`, but raises :class:`StateConflictError` if the document
        is no longer at ``generation``."""
        if validate:
            check_model(self.schema, data, "fl_state_write_if", str(self.path))
        self._locked_call(validate, False, native.fl_state_write_if,
                          self._encode(data, "fl_state_write_if"), generation)

    def transaction(self, validate: bool = True, seed_data: Any = None) -> StateTransaction:
        """A read-modify-write of the document under the lock (use with ``with``).

        ``seed_data`` starts the transaction from that document instead of the current
        one (a full replacement). ``txn.data`` is the whole document, parsed at begin
        and printed at the commit: for a few values of a large document, :meth:`edit`
        costs the change instead.
        """
        return StateTransaction(self, validate, seed_data)

    def atransaction(self, validate: bool = True, seed_data: Any = None) -> "AsyncStateTransaction":
        """:meth:`transaction` for asyncio: ``async with state.atransaction() as txn:``.
        The lock wait and the commit run off the event loop; cancelling the task while
        it waits for the lock leaves everything as it was."""
        from .aio import AsyncStateEdit, AsyncStateTransaction
        return AsyncStateTransaction(self, validate, seed_data)

    def edit(self, validate: bool = True) -> StateEdit:
        """A transaction on values at JSON pointers (use with ``with``)::

            with state.edit() as edit:
                edit.set("/phases/build/status", "done")
                runs = edit.get("/runs")
                edit.remove("/phases/old")
                edit.merge({"updated_by": "ci", "tmp": None})  # RFC 7386

        Commits on normal exit, rolls back on an exception (in the history with
        ``success: False``). Unlike :meth:`transaction` it never parses or prints the
        whole document in Python, so its cost follows the values it touches; with
        ``journal_max_bytes`` the commit appends only the change. ``validate`` checks
        the committed document against the schema: a JSON Schema dict in the library;
        a pydantic model here, which reads the whole document once at the commit.
        """
        return StateEdit(self, validate)

    def aedit(self, validate: bool = True) -> "AsyncStateEdit":
        """:meth:`edit` for asyncio: ``async with state.aedit() as edit:``. The lock
        wait and the commit run off the event loop; cancelling the task while it waits
        for the lock leaves everything as it was."""
        from .aio import AsyncStateEdit
        return AsyncStateEdit(self, validate)

    async def aupdate(self, fn: Callable[[Any], Any], validate: bool = True) -> Any:
        """Applies ``fn`` to the document in an async transaction and returns the
        committed document. ``fn`` edits it in place or returns a replacement."""
        async with self.atransaction(validate) as txn:
            replacement = fn(txn.data)
            if replacement is not None:
                txn.data = replacement
        return txn.data

    # -- backups, history, checks --------------------------------------------------------
    # -- waiting for a change ----------------------------------------------------------
    def wait_for_change(self, after: Optional[int] = None, timeout: Optional[float] = None) -> int:
        """Waits until a commit from any process or thread (a write, a transaction, a
        restore) moves the generation past ``after`` (default: the generation now) and
        returns the new generation; at once if it already is past. Woken by the commit,
        not by polling; a commit that leaves the document as it was wakes no one.
        ``timeout`` in seconds (None: forever, 0: look once); when it passes,
        :class:`StateLockError` (a ``TimeoutError``, code ``FL_ETIMEOUT``). Ctrl-C ends
        the wait."""
        handle = self._native(False)
        wait_ms = timeout_ms(timeout)
        if wait_ms == native.FL_NOWAIT:
            return _wait_for_change(handle, after, wait_ms)  # looks once: nothing to interrupt
        if after is not None:
            # Already past: answered at once, without the hop an interruptible wait costs.
            try:
                return int(native.fl_state_wait(handle, after, native.FL_NOWAIT))
            except StateError as exc:
                if exc.code != FL_ETIMEOUT:
                    raise
        return self._waiting(handle, _wait_for_change, after, wait_ms)

    async def await_for_change(self, after: Optional[int] = None,
                               timeout: Optional[float] = None) -> int:
        """:meth:`wait_for_change` for asyncio: the wait runs off the event loop, and
        cancelling the awaiting task ends it promptly."""
        from .aio import run_blocking
        key, handle = self._borrow_async_handle(False)
        call = CallCancel()
        try:
            return await run_blocking(
                lambda: _wait_for_change(handle, after, timeout_ms(timeout), call.opts),
                call.trigger, lambda _: None)
        finally:
            self._return_async_handle(key, handle)

    def list_backups(self, limit: int = 10) -> List[Backup]:
        """Backups, newest first; ``limit <= 0`` lists all."""
        return self.backup_manager.list_backups(limit)

    def restore_backup(self, backup: Union[Backup, str, "os.PathLike[str]"]) -> bool:
        """Makes a backup the current document; returns True."""
        return self.backup_manager.restore_backup(backup)

    def get_transaction_history(self, limit: int = 50) -> List[Dict[str, Any]]:
        """Audit records, newest first, each with ``timestamp``, ``operation``,
        ``success`` and ``details``. Transactions that rolled back (an exception in the
        block, a schema refusal) are there with ``success: False`` and the reason."""
        records = loads(self._locked_call(False, False, native.fl_state_history, limit)) or []
        records.extend(self._rollbacks())
        records.sort(key=lambda r: str(r.get("time", "")), reverse=True)
        if limit > 0:
            records = records[:limit]
        return [_normalize_record(r) for r in records]

    @property
    def meta_dir(self) -> Optional[Path]:
        """Where the backups and the logs are kept; None for an etcd:// name (keys)."""
        if self._meta_dir is not None:
            return Path(self._meta_dir)
        if isinstance(self.path, str):
            return None
        return self.path.parent / f".{self.path.name}.filelock"

    def verify(self) -> Dict[str, Any]:
        """Checks the document, log and backups; ``report['ok']`` is True if all is well."""
        return loads(self._locked_call(False, False, native.fl_state_verify))

    # -- lifetime -------------------------------------------------------------------
    def close(self) -> None:
        """Closes the state's files. Transactions must be finished first."""
        with self._mutex:
            if self._active:
                raise StateError(f"close '{self.path}': a transaction is still open")
            handles, self._all_handles = self._all_handles, []
            self._local = threading.local()
            self._async_free = {}
        for handle in handles:
            native.fl_state_close(handle)

    def __enter__(self) -> "JsonState":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {str(self.path)!r}>"

    # -- internals ------------------------------------------------------------------------
    def _record_rollback(self, generation: Optional[int], reason: BaseException) -> None:
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug("rolled back transaction on %s: %r", self.path, reason)
        if not self._audit_log or self.meta_dir is None:
            return  # etcd:// keeps no rollback journal (appends take files only)
        now = datetime.datetime.now(datetime.timezone.utc)
        record = {"time": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "generation": generation,
                  "op": "transaction", "ok": False, "pid": os.getpid(), "rolled_back": True,
                  "error": f"{type(reason).__name__}: {reason}"}
        try:
            append_jsonl(self.meta_dir / _ROLLBACK_JOURNAL, record, durable=False)
        except FileLockError as exc:
            # The rollback itself succeeded; a lost history line must not mask the reason.
            _log.warning("could not record the rollback on %s: %s", self.path, exc)

    def _rollbacks(self) -> List[Dict[str, Any]]:
        if self.meta_dir is None:
            return []
        try:
            text = (self.meta_dir / _ROLLBACK_JOURNAL).read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        records = []
        for line in text.splitlines():
            try:
                records.append(loads(line))
            except ValueError:
                continue  # a torn last line after a crash
        return records

    def _locked_call(self, with_schema: bool, validate_on_read: bool,
                     function: Callable[..., Any], *args: Any,
                     undo: Optional[Callable[[Any], None]] = None) -> Any:
        """``function(handle, *args)``, an operation that takes the file's lock.

        A main-thread wait must be interruptible, and that costs a hop to the worker
        thread (``_interrupt``). So the main thread first calls on a handle that does
        not wait for the lock, and makes the waiting call (:meth:`_waiting`) only if
        the lock was busy. The busy try changed nothing, so calling again is safe.
        """
        if not self._tries_first():
            return function(self._handle(with_schema, validate_on_read, False), *args)
        try:
            return function(self._handle(with_schema, validate_on_read, True), *args)
        except FileLockError as busy:
            if busy.code != FL_EBUSY:
                raise
        return self._waiting(self._handle(with_schema, validate_on_read, False), function,
                             *args, undo=undo)

    def _tries_first(self) -> bool:
        """True where calls try without waiting first: in the main thread (only it gets
        Ctrl-C), when the state waits for its lock at all."""
        # timeout_ms(t) is FL_NOWAIT exactly when t == 0 (None and negatives wait forever).
        return self.timeout != 0 and threading.current_thread() is threading.main_thread()

    def _waiting(self, handle: Any, function: Callable[..., Any], *args: Any,
                 undo: Optional[Callable[[Any], None]] = None) -> Any:
        """``function(handle, *args)``, a call that may wait for the file's lock, with
        Ctrl-C ending the wait (KeyboardInterrupt) through the call's own cancel token,
        so a Ctrl-C that lands after the wait ended leaves the handle as it was.
        ``undo`` reverses a call that succeeded anyway (a transaction begun just before
        the cancel landed)."""
        call = CallCancel()

        def settle(outcome: Dict[str, Any]) -> None:
            if "result" in outcome and undo is not None:
                undo(outcome["result"])

        return call_interruptibly(lambda: with_form(function)(handle, *args, call.opts),
                                  call.trigger, settle)

    def _encode(self, data: Any, operation: str) -> str:
        try:
            return dumps(data)
        except (TypeError, ValueError) as exc:
            raise self._not_storable(exc, operation) from exc

    def _not_storable(self, exc: Exception, operation: str) -> StateValidationError:
        return StateValidationError(f"{operation} '{self.path}': not storable as JSON: {exc}",
                                    FL_EVALIDATION, operation)

    def _native(self, with_schema: bool, validate_on_read: bool = False) -> Any:
        """The library handle this thread's calls start on (opened on first use)."""
        return self._handle(with_schema, validate_on_read, self._tries_first())

    def _handle(self, with_schema: bool, validate_on_read: bool, trying: bool) -> Any:
        """This thread's handle for this combination of checks; ``trying``: one whose
        lock timeout is zero (FL_NOWAIT), for :meth:`_locked_call`'s first try.

        Writes that skip validation, and reads that check, need handles opened with
        different options; all of them share the same file, lock, backups and log.
        """
        key = (bool(with_schema and self._schema_json), bool(validate_on_read), trying)
        handles: Dict[_Key, Any] = self._local.__dict__.setdefault("handles", {})
        handle = handles.get(key)
        if handle is None:
            try:
                handle = self._open_handle(key)
            except FileLockError as busy:
                # Creating a missing file waits for the lock: let a waiting handle do
                # that (as every open did before), then the file is there to open.
                if not trying or busy.code != FL_EBUSY:
                    raise
                self._handle(with_schema, validate_on_read, False)
                handle = self._open_handle(key)
            handles[key] = handle
        return handle

    def _open_handle(self, key: "_Key") -> Any:
        opts = native.fl_state_options()
        opts.durability = (native.FL_DURABILITY_FULL if self._durable
                           else native.FL_DURABILITY_ATOMIC)
        opts.max_backups = self.max_backups
        opts.backup_before_write = 1 if self.backup_before_write else 0
        opts.audit_log = 1 if self._audit_log else 0
        opts.validate_on_read = 1 if key[1] else 0
        opts.lock_timeout_ms = native.FL_NOWAIT if key[2] else timeout_ms(self.timeout)
        if key[0]:
            opts.schema_json = self._schema_json
        if self._meta_dir is not None:
            opts.meta_dir = fspath(self._meta_dir)
        opts.journal_max_bytes = self._journal_max_bytes
        if self._initial_json is not None:
            opts.initial_json = self._initial_json
        lock = lock_options(**self._etcd)
        opts.lock = lock  # copied by fl_state_open
        handle = native.fl_state_open(fspath(self.path), opts)
        with self._mutex:
            self._all_handles.append(handle)
        return handle

    def _borrow_async_handle(self, validate: bool) -> Tuple["_Key", Any]:
        """A handle no other transaction uses (async transactions of one event loop may
        overlap, and their calls run on several threads), with its options key."""
        key = (bool(validate and self._schema_json), False, False)
        with self._mutex:
            free = self._async_free.setdefault(key, [])
            if free:
                return key, free.pop()
        return key, self._open_handle(key)

    def _return_async_handle(self, key: "_Key", handle: Any) -> None:
        """Back to the free list: a cancelled call left nothing on it (its own token)."""
        with self._mutex:
            if any(h is handle for h in self._all_handles):  # else closed meanwhile
                self._async_free.setdefault(key, []).append(handle)

    def _count_transaction(self, delta: int) -> None:
        with self._mutex:
            self._active += delta


def _wait_for_change(handle: Any, after: Optional[int], wait_ms: int,
                     wait: Any = None) -> int:
    """fl_state_wait past ``after``, or past the generation now when it is None;
    ``wait``: fl_wait_opts carrying the call's cancel token (its timeout is set here)."""
    if after is None:
        try:
            after = native.fl_state_wait(handle, 0, native.FL_NOWAIT)
        except StateError as exc:
            if exc.code != FL_ETIMEOUT:
                raise
            after = 0  # no generation yet
    if wait is None:
        return int(native.fl_state_wait(handle, after, wait_ms))
    wait.timeout_ms = wait_ms
    return int(native.fl_state_wait_with(handle, after, wait))


# Pipeline phases hold objects with a string status; everything else is free-form.
PIPELINE_SCHEMA: Dict[str, Any] = {
    "type": "object",
    "properties": {
        f"phase{n}": {"type": "object", "properties": {"status": {"type": "string"}}}
        for n in range(1, 10)
    },
}


class PipelineState(JsonState):
    """A pipeline's shared state file (``pipeline.json``).

    A :class:`JsonState` whose schema defaults to :data:`PIPELINE_SCHEMA` (each
    ``phaseN`` entry is an object whose ``status`` is a string); pass ``schema=None``
    for none, or your own JSON Schema dict or pydantic model.
    """

    def __init__(self, path: PathLike, validate_on_read: bool = False, max_backups: int = 50,
                 backup_before_write: bool = True, *, schema: Any = PIPELINE_SCHEMA,
                 **options: Any) -> None:
        super().__init__(path, validate_on_read, max_backups, backup_before_write,
                         schema=schema, **options)
