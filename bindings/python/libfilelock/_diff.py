"""What a transaction changed, as JSON-pointer operations (for a journaled commit).

A journaled commit appends the transaction's operations, so setting the whole document
would write the whole document again. ``changes`` compares the document the transaction
began from with the edited one and returns the sets and removes that turn one into the
other: objects are compared member by member, anything else that differs (a list, a
scalar, a value of another type) is set whole.

Python's ``==`` finds the members that changed at C speed, but it holds ``1``, ``1.0``
and ``True`` equal (and ``0.0`` and ``-0.0``), which JSON does not. So the operations are
checked: applied to the original, they must give exactly the edited document's text;
when they do not (or write more than the document itself), the caller sets the whole
document, as before.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Tuple

# ("set", pointer, value) or ("remove", pointer, None)
_Op = Tuple[str, str, Any]


def escape(key: str) -> str:
    """A member name as an RFC 6901 reference token."""
    if "~" in key or "/" in key:
        return key.replace("~", "~0").replace("/", "~1")
    return key


def _diff(old: Any, new: Any, pointer: str, ops: List[_Op]) -> None:
    """Operations turning the dict ``old`` into the dict ``new`` (both at ``pointer``)."""
    for key, value in new.items():
        if key.__class__ is not str or "\0" in key:
            raise _Whole  # not a member name the library's pointers can carry
        if key not in old:
            ops.append(("set", pointer + "/" + escape(key), value))
            continue
        before = old[key]
        if before.__class__ is dict and value.__class__ is dict:
            if before is value or before == value:
                continue  # possibly 1 vs 1.0 inside: the check in changes() sees it
            _diff(before, value, pointer + "/" + escape(key), ops)
        elif before.__class__ is not value.__class__ or before != value:
            ops.append(("set", pointer + "/" + escape(key), value))
    for key in old:
        if key not in new:
            ops.append(("remove", pointer + "/" + escape(key), None))


class _Whole(Exception):
    """The change is not worth (or not possible) as operations: set the whole document."""


def _apply(doc: Any, ops: List[_Op]) -> Any:
    """``ops`` applied to ``doc`` (changed in place) as the library applies them: a set
    replaces a member where it is or adds it at the end, a remove takes it out."""
    for kind, pointer, value in ops:
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
        node = doc
        for token in tokens[:-1]:
            node = node[token]
        if kind == "set":
            node[tokens[-1]] = value
        else:
            del node[tokens[-1]]
    return doc


def changes(original: Any, edited: Any, edited_text: str,
            encode: Callable[[Any], str]) -> Optional[List[Tuple[str, str, Optional[str]]]]:
    """The operations (kind, pointer, value's JSON text or None) that turn ``original``
    into ``edited`` exactly, ``[]`` when nothing changed, or None when the caller should
    set the whole document (``edited_text``, ``encode(edited)``).

    ``original`` is the document the transaction began from, parsed again (the caller's
    copy was edited in place); it is changed here."""
    if original.__class__ is not dict or edited.__class__ is not dict:
        return None
    ops: List[_Op] = []
    try:
        _diff(original, edited, "", ops)
    except Exception:  # _Whole, or a value whose == refuses (the whole set is exact)
        return None
    # The check: the operations on the original give the edited document's text.
    if encode(_apply(original, ops)) != edited_text:
        return None
    out: List[Tuple[str, str, Optional[str]]] = []
    size = 0
    for kind, pointer, value in ops:
        text = None if kind == "remove" else encode(value)
        size += len(pointer) + (0 if text is None else len(text))
        if size >= len(edited_text):
            return None  # the operations would write more than the document
        out.append((kind, pointer, text))
    return out
