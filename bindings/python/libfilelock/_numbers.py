"""JSON text <-> Python values without changing any number.

The library keeps every number's text, so a value a float cannot carry (1e400,
0.30000000000000001) must not come back as inf or rounded: such numbers arrive as
:class:`ExactDecimal` (a ``decimal.Decimal`` that remembers its text) and are written
back as that text. Integers need nothing: Python's int is exact.
"""
from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any, List, Optional


class ExactDecimal(Decimal):
    """A number from a document that a float would change; written back byte for byte."""

    __slots__ = ("text",)

    def __new__(cls, text: str) -> "ExactDecimal":
        self = super().__new__(cls, text)
        self.text = text
        return self


def parse_float(text: str) -> Any:
    """A float when the float has exactly the text's value, else an ExactDecimal."""
    value = float(text)
    shortest = repr(value)
    if shortest == text or (value - value == 0 and Decimal(shortest) == Decimal(text)):
        return value
    return ExactDecimal(text)


# One decoder and one encoder for every call: json.loads/dumps with options build new
# ones each time, a sizeable part of a small document's round trip through a transaction.
_DECODER = json.JSONDecoder(parse_float=parse_float)


class _HasDecimal(Exception):
    """The value holds a Decimal: written by the path that keeps all its digits."""


def _no_decimal(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        raise _HasDecimal
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"),
                            default=_no_decimal)


def loads(text: str) -> Any:
    if text.__class__ is not str or text.startswith("\ufeff"):
        return json.loads(text, parse_float=parse_float)  # its checks and messages
    return _DECODER.decode(text)


def dumps(value: Any) -> str:
    """Compact JSON; NaN and infinities are refused, as JSON has no such numbers.
    Decimals are written with all their digits."""
    try:
        return _ENCODER.encode(value)
    except _HasDecimal:
        pass
    exact: List[str] = []
    token: Optional[str] = None

    def default(obj: Any) -> str:
        nonlocal token
        if not isinstance(obj, Decimal):
            raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
        if not obj.is_finite():
            raise ValueError(f"Out of range decimal value for JSON: {obj}")
        # A unique string stands in for the number until the text is complete.
        token = token or uuid.uuid4().hex
        exact.append(obj.text if isinstance(obj, ExactDecimal) else str(obj))
        return f"{token}{len(exact) - 1}{token}"

    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"),
                      default=default)
    for i, number in enumerate(exact):
        text = text.replace(f'"{token}{i}{token}"', number, 1)
    return text
