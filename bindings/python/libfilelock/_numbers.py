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
from json.encoder import encode_basestring
from typing import Any, Callable, List, Optional

try:
    from json.encoder import c_make_encoder  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - CPython always has it
    c_make_encoder = None


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
# Floats parsed in C, for a text with no number a float could change: a Python call per
# float is most of what parse_float costs a small document.
_FLOAT_DECODER = json.JSONDecoder()
_JSON_SPACE = " \t\n\r"

# parse_float returns float(text) for a float of at most 15 digits and an exponent of
# at most two, such as "42.5" or "-1.25E-7": a normal double keeps 15 significant
# digits, so its shortest repr has the text's value. The screen maps digits and "." to
# "0", "eE" to "e" and "+" to "-", then looks for 16 digit characters in a row or an
# exponent of three digits; strings can match too, which costs only the slower path.
_SCREEN = str.maketrans("123456789.E+", "0000000000e-")


def _floats_exact(text: str) -> bool:
    """True if float() keeps every number of ``text`` exactly (conservative)."""
    screened = text.translate(_SCREEN)
    return not ("0000000000000000" in screened or "e000" in screened or "e-000" in screened)


class _HasDecimal(Exception):
    """The value holds a Decimal: written by the path that keeps all its digits."""


def _no_decimal(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        raise _HasDecimal
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"),
                            default=_no_decimal)


def _make_fast_encoder() -> Optional[Callable[[Any, int], Any]]:
    """_ENCODER's C encoder without its circular-reference check, made once (encode()
    makes one per call): ``"".join(f(value, 0))`` is ``_ENCODER.encode(value)``. None
    where json has no C encoder."""
    if c_make_encoder is None:
        return None
    try:
        return c_make_encoder(None, _no_decimal, encode_basestring, None, ":", ",",
                              False, False, False)
    except TypeError:  # another signature: the plain encoder does the same work
        return None


_FAST_ENCODE = _make_fast_encoder()


def loads(text: str) -> Any:
    if text.__class__ is not str or text.startswith("\ufeff"):
        return json.loads(text, parse_float=parse_float)  # its checks and messages
    # Texts from the library are compact (a file's ends with a newline): scanned at
    # once; anything else goes through decode(), for its checks and its errors.
    decoder = _FLOAT_DECODER if text.isascii() and _floats_exact(text) else _DECODER
    try:
        value, end = decoder.scan_once(text, 0)
    except StopIteration:
        return decoder.decode(text)
    if end == len(text) or not text[end:].strip(_JSON_SPACE):
        return value
    return decoder.decode(text)


def _encode(value: Any) -> str:
    if _FAST_ENCODE is None:
        return _ENCODER.encode(value)
    try:
        return "".join(_FAST_ENCODE(value, 0))
    except RecursionError:
        # A cycle, or a very deep document: the checking encoder says which.
        return _ENCODER.encode(value)


def dumps(value: Any) -> str:
    """Compact JSON; NaN and infinities are refused, as JSON has no such numbers.
    Decimals are written with all their digits."""
    try:
        return _encode(value)
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
