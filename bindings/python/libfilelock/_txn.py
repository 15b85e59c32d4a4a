"""Transactions on a state file: their begin and end, written once, and what each kind
does in between: the whole document as Python data (:class:`StateTransaction`) or
values at JSON pointers (:class:`StateEdit`). aio.py gives both an ``async with``."""
from __future__ import annotations

import copy
import logging
from types import TracebackType
from typing import TYPE_CHECKING, Any, Optional, Type, TypeVar

from . import _diff, _numbers
from ._errors import FL_EINVAL, StateError
from ._native import native
from .schema import check_model, is_pydantic_model

if TYPE_CHECKING:
    from .state import JsonState

_log = logging.getLogger("libfilelock")
_Self = TypeVar("_Self", bound="_Transaction")  # what a with/async with gives back


# The commit path is a small share of a durable commit's time only if it stays short:
# no call or attribute lookup it does not need (bench/bindings/py_binding.py).
class _Transaction:
    """A transaction's bookkeeping: taking over the begun ``fl_txn``, the state's count
    of open transactions, rollback (recorded in the history) or the commit's last
    steps. Subclasses say what happens at begin (``_opened``) and before the commit
    (``_prepare``); the scopes below say how the lock wait and the commit run."""

    def __init__(self, state: "JsonState", validate: bool) -> None:
        self._state = state  # kept alive as long as the transaction
        self._validate = validate
        self._txn: Any = None
        self.generation: Optional[int] = None  # the generation the transaction began from

    def _opened(self, txn: Any) -> None:
        """Reads what the block starts from (the transaction has just begun)."""

    def _prepare(self, txn: Any) -> None:
        """Checks and sends the block's work before the commit; raising rolls back."""

    def _start(self, txn: Any) -> None:
        """Takes over ``txn``, just begun; rolls it back if ``_opened`` fails."""
        try:
            self.generation = native.fl_txn_generation(txn)
            self._opened(txn)
        except BaseException:
            native.fl_txn_rollback(txn)
            raise
        self._txn = txn
        self._state._count_transaction(+1)

    def _finish(self, exc_type: Optional[Type[BaseException]],
                exc_val: Optional[BaseException]) -> Any:
        """Ends the block: the transaction to commit, or None once rolled back after an
        exception in the block. A refusal by ``_prepare`` rolls back and raises."""
        txn, self._txn = self._txn, None
        state = self._state
        state._count_transaction(-1)
        if exc_type is not None:
            native.fl_txn_rollback(txn)
            state._record_rollback(self.generation, exc_val or exc_type())
            return None
        try:
            self._prepare(txn)
        except BaseException as refused:
            native.fl_txn_rollback(txn)
            state._record_rollback(self.generation, refused)
            raise
        return txn

    def _committed(self) -> None:
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug("committed transaction on %s (from generation %s)", self._state.path,
                       self.generation)


class _SyncScope(_Transaction):
    """``with``: the lock wait on the calling thread (Ctrl-C ends it), then the block."""

    def __enter__(self: _Self) -> _Self:
        self._start(self._state._locked_call(self._validate, False, native.fl_txn_begin,
                                             undo=native.fl_txn_rollback))
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]],
                 exc_val: Optional[BaseException], exc_tb: Optional[TracebackType]) -> None:
        txn = self._finish(exc_type, exc_val)
        if txn is not None:
            native.fl_txn_commit(txn)  # consumes the transaction even when it fails
            self._committed()


class _Document(_Transaction):
    """The whole document as ``data``, sent back at the commit."""

    def __init__(self, state: "JsonState", validate: bool, seed_data: Any) -> None:
        super().__init__(state, validate)
        self._seed = seed_data
        # The document's text at begin, when the commit sends only what changed.
        self._original: Optional[str] = None
        self.data: Any = None

    def _opened(self, txn: Any) -> None:
        if self._seed is None:
            text = native.fl_txn_get(txn, "")  # a str here
            self.data = _numbers.loads(text)
            if self._state._diffs:
                self._original = text
        else:
            self.data = copy.deepcopy(self._seed)

    def _prepare(self, txn: Any) -> None:
        state = self._state
        if self._validate and state.schema is not None:
            check_model(state.schema, self.data, "fl_txn_commit", str(state.path))
        text = state._encode(self.data, "fl_txn_commit")
        if self._original is None:
            native.fl_txn_set(txn, "", text)
        else:
            _send_changes(txn, self._original, self.data, text)


class _Pointers(_Transaction):
    """Values read and changed at RFC 6901 JSON pointers inside the library's copy of
    the document: nothing else of the document is parsed or printed in Python."""

    def get(self, pointer: str) -> Any:
        """The value at ``pointer`` (``""``: the whole document), with this block's
        changes. One that names nothing raises :class:`StateReadError`
        (``FL_ENOTFOUND``), as :meth:`JsonState.get` does."""
        return _numbers.loads(native.fl_txn_get(self._live(pointer, "fl_txn_get"), pointer))

    def set(self, pointer: str, value: Any) -> None:
        """Puts ``value`` at ``pointer``, creating missing parent objects. A value JSON
        cannot hold raises :class:`StateValidationError`; a failed set changes nothing."""
        txn = self._live(pointer, "fl_txn_set")
        native.fl_txn_set(txn, pointer, self._state._encode(value, "fl_txn_set"))

    def remove(self, pointer: str) -> None:
        """Removes the member or element at ``pointer`` (``FL_ENOTFOUND`` if none)."""
        native.fl_txn_remove(self._live(pointer, "fl_txn_remove"), pointer)

    def merge(self, patch: Any) -> None:
        """Applies an RFC 7386 merge patch to the document: its members replace the
        document's, recursively into objects, and a ``None`` member removes one."""
        txn = self._live("", "fl_txn_merge")
        native.fl_txn_merge(txn, self._state._encode(patch, "fl_txn_merge"))

    def _live(self, pointer: str, operation: str) -> Any:
        """The open transaction, for a pointer the library reads whole."""
        if self._txn is None:
            raise StateError(f"{operation} '{self._state.path}': the edit is not open "
                             "(use it inside its with block)", FL_EINVAL, operation)
        if "\0" in pointer:
            # The library would read "/a\0b" as "/a" and change another member.
            raise ValueError(f"{operation} '{self._state.path}': embedded null byte in "
                             f"pointer {pointer!r}")
        return self._txn

    def _prepare(self, txn: Any) -> None:
        # A JSON Schema dict is checked by the library at the commit, on its own copy.
        # A pydantic model can only be checked here, on the whole document.
        state = self._state
        if self._validate and is_pydantic_model(state.schema):
            document = _numbers.loads(native.fl_txn_get(txn, ""))
            check_model(state.schema, document, "fl_txn_commit", str(state.path))


class StateTransaction(_SyncScope, _Document):
    """An update of the whole document under the exclusive lock.

    ``data`` is the document (a dict for object documents); edit it in place. Leaving
    the ``with`` block normally validates and commits it atomically; an exception rolls
    back and leaves the file exactly as it was. Begin parses the document and the
    commit prints it: for a small change to a large document, :class:`StateEdit` costs
    the change instead.
    """


class StateEdit(_SyncScope, _Pointers):
    """A transaction that reads and changes values at JSON pointers
    (``state.edit()``): ``get``, ``set``, ``remove``, ``merge``, ``generation``.

    It holds the exclusive lock from the ``with`` to its end. Leaving the block normally
    commits; an exception rolls back, leaves the file exactly as it was and is recorded
    in :meth:`JsonState.get_transaction_history`. Only the values passed and read cross
    between Python and the library, so with ``journal_max_bytes`` a one-key change of a
    large document costs the change. With a pydantic model as the schema and
    ``validate`` true, the commit reads and checks the whole document in Python (the
    document's cost, once); a JSON Schema dict is checked by the library.
    """


def _send_changes(txn: Any, original: str, data: Any, text: str) -> None:
    """The transaction's edits as operations on ``txn`` (its journal record is then the
    change, not the document): ``original`` is the document's text at begin, ``text``
    the edited ``data``'s. Nothing changed: no operation (the commit writes nothing)."""
    ops = _diff.changes(_numbers.loads(original), data, text, _numbers.dumps)
    if ops is None:
        native.fl_txn_set(txn, "", text)
        return
    for kind, pointer, value in ops:
        if value is None:
            native.fl_txn_remove(txn, pointer)
        else:
            native.fl_txn_set(txn, pointer, value)
