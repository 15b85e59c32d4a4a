"""Numbers a float cannot carry arrive as Decimal and are written back byte for byte."""
from __future__ import annotations

from decimal import Decimal

from libfilelock import ExactDecimal, JsonState
from libfilelock import filelock_native as native

STORED = ('{"huge":1e400,"big":12345678901234567890123,"tiny":-2.5E-400,'
          '"close":0.30000000000000001,"plain":0.1,"int":7}')
EXACT = ["1e400", "12345678901234567890123", "-2.5E-400", "0.30000000000000001"]


def stored_by_the_library(path):
    """Writes STORED through the C API, which keeps every number's text."""
    state = JsonState(path)
    native.fl_state_write(state._native(False), STORED)
    return state


def test_numbers_a_float_would_change_arrive_as_decimal(tmp_path):
    doc = stored_by_the_library(tmp_path / "s.json").read()
    assert isinstance(doc["huge"], Decimal) and doc["huge"] == Decimal("1e400")
    assert doc["huge"].is_finite()
    assert doc["big"] == 12345678901234567890123 and isinstance(doc["big"], int)
    assert isinstance(doc["tiny"], Decimal) and doc["tiny"] != 0
    assert doc["close"] == Decimal("0.30000000000000001")
    assert type(doc["plain"]) is float and doc["plain"] == 0.1


def test_writing_the_document_back_keeps_every_digit(tmp_path):
    path = tmp_path / "s.json"
    state = stored_by_the_library(path)
    state.write(state.read())
    with state.transaction() as txn:
        txn.data["touched"] = True
    text = path.read_text()
    for number in EXACT:
        assert number in text
    assert "inf" not in text.lower()
    raw, _ = native.fl_state_read(state._native(False))
    for number in EXACT:
        assert number in raw


def test_decimals_made_by_the_program_are_written_exactly(tmp_path):
    path = tmp_path / "s.json"
    state = JsonState(path)
    state.write({"price": Decimal("19.10"), "huge": Decimal("1E+400"),
                 "list": [Decimal("-0.000000000000000000001")]})
    raw, _ = native.fl_state_read(state._native(False))
    assert "19.10" in raw and "1E+400" in raw and "-1E-21" in raw
    back = state.read()
    assert back["list"] == [-1e-21]  # a float carries this one exactly (shortest repr)
    assert type(back["price"]) is float and back["price"] == 19.1  # same value
    assert isinstance(back["huge"], ExactDecimal) and back["huge"].text == "1E+400"


def test_floats_parsed_in_c_are_what_parse_float_gives():
    """loads() skips the per-float Python hook when the text has no number a float
    could change; the values and types must be the hook's, at the screen's limits."""
    import json
    import random

    from libfilelock._numbers import ExactDecimal, loads, parse_float

    literals = ["42.5", "-0.0", "1E5", "-1.25E-7", "123456789012345", "12345678901234.5",
                "0.00000000000001", "999999999999999e99", "1.5e-99", "9007199254740993e0",
                "9007199254740993.0", "1234567890123456e5", "0.1000000000000001",
                "1e100", "1e-100", "2.5E+300", "1e308", "4.9e-324", "1.7976931348623157e308"]
    rng = random.Random(16)
    for _ in range(3000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 19)))
        digits = digits.lstrip("0") or "0"
        point = rng.randint(0, len(digits))
        mantissa = digits[:point] + ("." + digits[point:] if point < len(digits) else "")
        mantissa = mantissa if not mantissa.startswith(".") else "0" + mantissa
        exponent = rng.choice(["", f"e{rng.randint(-340, 340)}", f"E+{rng.randint(0, 99)}"])
        literals.append(rng.choice(["", "-"]) + mantissa + exponent)
    for literal in literals:
        # One per document: the screen looks at the whole text.
        text = f'{{"n":[{literal}],"s":"x"}}'
        got, want = loads(text)["n"][0], json.loads(text, parse_float=parse_float)["n"][0]
        assert type(got) is type(want), literal
        assert got == want, literal
        if isinstance(want, ExactDecimal):
            assert got.text == want.text
    # A text whose every float is short is parsed without the hook, and the same.
    plain = '{"ms":[42.5,0.25,1e-7],"id":12345678901234567890}'
    assert loads(plain) == {"ms": [42.5, 0.25, 1e-7], "id": 12345678901234567890}


def test_a_cyclic_document_is_refused_as_not_storable(tmp_path):
    """The fast encoder skips the cycle check; a cycle still gets the checked message."""
    import pytest

    from libfilelock import StateValidationError

    state = JsonState(tmp_path / "s.json")
    doc = {"a": []}
    doc["a"].append(doc)
    with pytest.raises(StateValidationError, match="Circular reference"):
        state.write(doc)
    with pytest.raises(StateValidationError, match="Circular reference"):
        with state.transaction() as txn:
            txn.data["self"] = txn.data
    assert state.read() == {}
