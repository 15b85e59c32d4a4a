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
