from formkit.handlers import create_user
from formkit.schemas import USER_SCHEMA
from formkit.store import UserDirectory
from formkit.validate import validate

GOOD = {"name": "Ada", "age": 36, "email": "ada@example.org"}


def codes(data, schema=USER_SCHEMA):
    return [(i.path, i.code) for i in validate(schema, data)]


def test_booleans_are_not_numbers():
    assert codes(dict(GOOD, age=True)) == [("$.age", "type")]
    assert codes(dict(GOOD, score=False)) == [("$.score", "type")]
    assert codes(dict(GOOD, admin=1)) == [("$.admin", "type")]
    assert codes(dict(GOOD, score=1, admin=True)) == []


def test_ranges_and_lengths_are_inclusive():
    assert codes(dict(GOOD, age=0)) == []
    assert codes(dict(GOOD, age=150)) == []
    assert codes(dict(GOOD, age=-1)) == [("$.age", "min")]
    assert codes(dict(GOOD, age=151)) == [("$.age", "max")]
    assert codes(dict(GOOD, name="x" * 40)) == []
    assert codes(dict(GOOD, name="x" * 41)) == [("$.name", "max_len")]
    assert codes(dict(GOOD, name="")) == [("$.name", "min_len")]
    assert codes(dict(GOOD, score=1.5)) == [("$.score", "max")]


def test_nested_object_paths():
    assert codes(dict(GOOD, address={"zip": "123"})) == [
        ("$.address.city", "required"),
        ("$.address.zip", "min_len"),
    ]
    assert codes(dict(GOOD, address="Main St 1")) == [("$.address", "type")]
    # unknown keys inside an object without "additional": False are accepted
    assert codes(dict(GOOD, address={"city": "Oslo", "floor": 3})) == []


def test_list_items_have_indexed_paths():
    assert codes(dict(GOOD, tags=["a", "", 7])) == [("$.tags[1]", "min_len"), ("$.tags[2]", "type")]
    assert codes(dict(GOOD, tags=["a", "b", "c", "d"])) == [("$.tags", "max_items")]


def test_unknown_top_level_key_rejected():
    assert codes(dict(GOOD, role="root")) == [("$.role", "unknown")]


def test_root_must_be_an_object_and_errors_are_sorted():
    assert codes(["not", "a", "dict"]) == [("$", "type")]
    got = validate(USER_SCHEMA, {"zzz": 1, "age": "old", "tags": "x"})
    assert got == sorted(got)
    assert [(i.path, i.code) for i in got] == [
        ("$.age", "type"),
        ("$.email", "required"),
        ("$.name", "required"),
        ("$.tags", "type"),
        ("$.zzz", "unknown"),
    ]


def test_handler_returns_400_with_error_list_and_stores_nothing():
    directory = UserDirectory()
    resp = create_user(directory, {"name": "Bo", "age": 200, "email": "b@x", "extra": 1})
    assert resp == {
        "status": 400,
        "errors": [{"path": "$.age", "code": "max"}, {"path": "$.extra", "code": "unknown"}],
    }
    assert directory.rows == []
