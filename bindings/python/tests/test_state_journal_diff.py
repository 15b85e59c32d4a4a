"""Transactions on a journaled state (journal_max_bytes) send what they changed, as
JSON-pointer operations, so the journal record is the size of the change; every
handle, in this process or another, reads exactly the edited document."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from decimal import Decimal

from libfilelock import JsonState

FILLER = "x" * 200_000  # makes a whole-document record unmistakable


def journal_size(path):
    return (path.parent / f".{path.name}.filelock" / "journal").stat().st_size


def make(tmp_path, document, **options):
    path = tmp_path / "state.json"
    state = JsonState(path, journal_max_bytes=1 << 26, **options)
    state.write(document)  # a whole write: the file; the journal starts empty
    return path, state


def read_elsewhere(path):
    """The document as a fresh handle in another process reads it (its JSON text, so
    types and member order are compared exactly)."""
    code = textwrap.dedent("""
        import sys
        from libfilelock import JsonState
        from libfilelock._numbers import dumps
        sys.stdout.write(dumps(JsonState(sys.argv[1]).read()))
    """)
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                         text=True, check=True)
    return out.stdout


def exact(value):
    from libfilelock._numbers import dumps
    return dumps(value)


def commit(state, path, edit):
    """Runs ``edit`` in a transaction; returns the bytes the journal grew by and the
    data as edited."""
    before = journal_size(path)
    with state.transaction() as txn:
        edit(txn.data)
        edited = txn.data
    return journal_size(path) - before, edited


def test_a_one_key_change_on_a_large_document_appends_a_small_record(tmp_path):
    document = {f"key{i}": {"value": i, "text": "y" * 90} for i in range(10_000)}
    path, state = make(tmp_path, document)
    assert path.stat().st_size > 1_000_000
    on_disk = path.read_bytes()
    grew, edited = commit(state, path, lambda d: d["key5000"].__setitem__("value", -1))
    assert 0 < grew < 512, grew  # the whole document would be over a megabyte
    assert path.read_bytes() == on_disk  # the file is untouched: the journal has it
    assert state.read()["key5000"] == {"value": -1, "text": "y" * 90}
    assert read_elsewhere(path) == exact(edited)


def test_nested_changes_removals_and_new_members(tmp_path):
    path, state = make(tmp_path, {"filler": FILLER, "a": {"b": {"c": 1, "d": 2}, "e": 3},
                                  "gone": {"deep": True}})

    def edit(d):
        d["a"]["b"]["c"] = 10
        del d["a"]["b"]["d"]
        d["a"]["b"]["new"] = {"x": [1, 2]}
        del d["gone"]
        d["added"] = None

    grew, edited = commit(state, path, edit)
    assert 0 < grew < 1024, grew
    assert edited == {"filler": FILLER, "a": {"b": {"c": 10, "new": {"x": [1, 2]}}, "e": 3},
                      "added": None}
    assert read_elsewhere(path) == exact(edited)
    assert JsonState(path).read() == edited


def test_member_names_with_slash_and_tilde(tmp_path):
    path, state = make(tmp_path, {"filler": FILLER, "a/b": {"~c": 1, "~1": 2, "x~/y": 3}})

    def edit(d):
        d["a/b"]["~c"] = "one"
        d["a/b"]["~1"] = "two"
        del d["a/b"]["x~/y"]
        d["a/b"]["/~0/"] = "new"
        d["~"] = {"/": "root"}

    grew, edited = commit(state, path, edit)
    assert 0 < grew < 1024, grew
    assert read_elsewhere(path) == exact(edited)
    assert JsonState(path).read()["a/b"] == {"~c": "one", "~1": "two", "/~0/": "new"}


def test_lists_are_replaced_whole_and_types_may_change(tmp_path):
    path, state = make(tmp_path, {"filler": FILLER, "list": [1, 2, {"k": "v"}],
                                  "obj": {"k": 1}, "arr": [1], "s": "text", "n": 5})

    def edit(d):
        d["list"][2]["k"] = "w"
        d["list"].append(4)
        d["obj"] = ["now", "a", "list"]   # dict -> list
        d["arr"] = {"now": "an object"}    # list -> dict
        d["s"] = 7                         # str -> number
        d["n"] = None                      # number -> null

    grew, edited = commit(state, path, edit)
    assert 0 < grew < 1024, grew
    assert read_elsewhere(path) == exact(edited)
    assert JsonState(path).read() == edited


def test_values_python_holds_equal_but_json_does_not(tmp_path):
    # 1 == 1.0 == True and 0.0 == -0.0 in Python; in JSON they are other values.
    path, state = make(tmp_path, {"filler": FILLER, "i": 1, "f": 1.0, "b": True, "z": 0.0,
                                  "nested": {"i": 1}, "other": 0})

    def edit(d):
        d["i"] = True
        d["f"] = 1
        d["b"] = 1.0
        d["z"] = -0.0
        d["nested"]["i"] = 1.0
        d["other"] = 1  # a change == does see, beside the ones it does not

    commit(state, path, edit)
    text = read_elsewhere(path)
    assert json.loads(text)["other"] == 1
    for key, want in (("i", "true"), ("f", "1"), ("b", "1.0"), ("z", "-0.0")):
        assert f'"{key}":{want}' in text, (key, text[-200:])
    assert '"nested":{"i":1.0}' in text


def test_numbers_keep_their_exact_value(tmp_path):
    big = 2 ** 100 + 1
    path, state = make(tmp_path, {"filler": FILLER, "big": big, "tiny": Decimal("1e-400"),
                                  "close": 0.1, "count": 0})

    def edit(d):
        d["count"] += 1
        d["new_big"] = -big
        d["exact"] = Decimal("0.30000000000000001")

    grew, edited = commit(state, path, edit)
    assert 0 < grew < 1024, grew
    got = JsonState(path).read()
    assert got["big"] == big and got["new_big"] == -big
    assert got["tiny"] == Decimal("1e-400") and got["exact"] == Decimal("0.30000000000000001")
    assert got["close"] == 0.1 and got["count"] == 1
    assert read_elsewhere(path) == exact(edited)


def test_a_transaction_that_changes_nothing_writes_nothing(tmp_path):
    path, state = make(tmp_path, {"filler": FILLER, "a": {"b": [1, 2]}})
    generation = state.read_versioned()[1]
    log = tmp_path / ".state.json.filelock" / "audit.log"
    lines = log.read_text()
    before = journal_size(path)
    with state.transaction() as txn:
        txn.data["a"]["b"].append(3)
        txn.data["a"]["b"].pop()  # back as it was
    assert journal_size(path) == before
    assert state.read_versioned()[1] == generation
    assert log.read_text() == lines


def test_member_order_is_kept(tmp_path):
    path, state = make(tmp_path, {"filler": FILLER, "a": 1, "b": 2, "c": 3})

    def edit(d):
        b = d.pop("b")
        d["b"] = b + 1  # now after "c"

    _, edited = commit(state, path, edit)
    assert list(edited) == ["filler", "a", "c", "b"]
    assert read_elsewhere(path) == exact(edited)


def test_a_replaced_document_is_set_whole(tmp_path):
    path, state = make(tmp_path, {"filler": FILLER, "a": 1})
    grew, edited = commit(state, path, lambda d: (d.clear(), d.update({"only": FILLER + "z"})))
    assert grew > len(FILLER)  # one whole-document set, not a remove and a set
    assert read_elsewhere(path) == exact(edited)
    with state.transaction() as txn:
        txn.data = ["a", "list", "document"]
    assert JsonState(path).read() == ["a", "list", "document"]


def test_the_audit_log_names_what_changed(tmp_path):
    path, state = make(tmp_path, {"filler": FILLER, "a": {"b": 1, "c/d": 2}})
    with state.transaction() as txn:
        txn.data["a"]["b"] = 2
        del txn.data["a"]["c/d"]
    last = json.loads((tmp_path / ".state.json.filelock" / "audit.log").read_text()
                      .splitlines()[-1])
    assert last["op"] == "commit" and last["ok"] is True
    assert sorted(last["changed"]) == ["/a/b", "/a/c~1d"]


def test_schema_still_checks_the_edited_document(tmp_path):
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    path, state = make(tmp_path, {"filler": FILLER, "n": 1}, schema=schema)
    before = journal_size(path)
    try:
        with state.transaction() as txn:
            txn.data["n"] = "not a number"
    except Exception as exc:  # noqa: BLE001 - the binding's validation error
        assert "n" in str(exc)
    else:
        raise AssertionError("the schema let a string in")
    assert journal_size(path) == before
    assert JsonState(path).read()["n"] == 1


def test_seed_data_replaces_the_document(tmp_path):
    path, state = make(tmp_path, {"filler": FILLER, "a": 1})
    with state.transaction(seed_data={"seeded": True}) as txn:
        txn.data["b"] = 2
    assert JsonState(path).read() == {"seeded": True, "b": 2}


def test_async_transactions_send_the_change(tmp_path):
    path, state = make(tmp_path, {"filler": FILLER, "a": {"n": 1}})
    before = journal_size(path)

    async def run():
        async with state.atransaction() as txn:
            txn.data["a"]["n"] = 2
            txn.data["a"]["m/~"] = [3]

    asyncio.run(run())
    assert 0 < journal_size(path) - before < 1024
    assert JsonState(path).read()["a"] == {"n": 2, "m/~": [3]}
