"""One native call's cancel token (fl_wait_opts, since 1.4).

A Ctrl-C or a cancelled asyncio task ends the native wait of the call it interrupted
through a token of that call alone: a cancel that lands after the call returned
triggers a token nobody waits on any more, so the handle needs no repair (fl_cancel and
fl_state_cancel instead keep a request for the handle's next call)."""
from __future__ import annotations

from typing import Any

from ._native import native


class CallCancel:
    """The wait options of one call, carrying its own cancel token."""

    __slots__ = ("token", "opts")

    def __init__(self, timeout_ms: int = native.FL_TIMEOUT_DEFAULT) -> None:
        self.token = native.fl_cancel_token()
        self.opts = native.fl_wait_opts()
        self.opts.timeout_ms = timeout_ms
        self.opts.cancel = self.token  # borrowed: both live as long as this object

    def trigger(self) -> None:
        """Ends the call's wait (FL_ECANCELED); does nothing once it has returned."""
        native.fl_cancel_token_trigger(self.token)

    @property
    def triggered(self) -> bool:
        return bool(native.fl_cancel_token_is_triggered(self.token))


def with_form(function: Any) -> Any:
    """The ``_with`` form of a native state call (the same arguments, then the wait
    options), or ``function`` itself when it takes them already."""
    return _WITH.get(function, function)


_WITH = {
    native.fl_state_read: native.fl_state_read_with,
    native.fl_state_write: native.fl_state_write_with,
    native.fl_state_write_if: native.fl_state_write_if_with,
    native.fl_txn_begin: native.fl_txn_begin_with,
    native.fl_state_backup: native.fl_state_backup_with,
    native.fl_state_restore: native.fl_state_restore_with,
    native.fl_state_history: native.fl_state_history_with,
    native.fl_state_verify: native.fl_state_verify_with,
}
