"""Checks for d1-schema-validation, run by the cases scorer: each case returns what it observed; the ``expect=``
literals are stripped before this file enters the sandbox and compared outside it."""

from formkit.handlers import create_user
from formkit.issues import Issue
from formkit.schemas import USER_SCHEMA
from formkit.store import UserDirectory
from formkit.validate import validate
from hybrid_cases import case

GOOD = {"name": "Ada", "age": 36, "email": "ada@example.org"}


def issues(got):
    """validate()'s result as data: each Issue as (path, code). Anything that is not exactly a list of
    Issue objects is returned raw and is recorded as an opaque object, which fails."""
    if type(got) is not list:
        return got
    return [(i.path, i.code) if type(i) is Issue else i for i in got]


def codes(data, schema=USER_SCHEMA):
    return [(i.path, i.code) for i in validate(schema, data)]


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect=[])
def visible_valid_request_has_no_issues():
    return issues(validate(USER_SCHEMA, dict(GOOD)))


@case(expect=[("$.name", "required")])
def visible_missing_required_field():
    req = {"age": 36, "email": "ada@example.org"}
    return issues(validate(USER_SCHEMA, req))


@case(expect=[("$.age", "type")])
def visible_wrong_type_is_reported():
    req = dict(GOOD, age="36")
    return issues(validate(USER_SCHEMA, req))


@case(expect=[{"status": 201, "id": 1}, [{"name": "Ada", "age": 36, "email": "ada@example.org"}]])
def visible_handler_stores_valid_user():
    directory = UserDirectory()
    return [create_user(directory, dict(GOOD)), directory.rows]


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=[[("$.age", "type")], [("$.score", "type")], [("$.admin", "type")], []])
def booleans_are_not_numbers():
    return [codes(dict(GOOD, age=True)), codes(dict(GOOD, score=False)), codes(dict(GOOD, admin=1)),
            codes(dict(GOOD, score=1, admin=True))]


@case(expect=[[], [], [("$.age", "min")], [("$.age", "max")], [], [("$.name", "max_len")], [("$.name", "min_len")],
              [("$.score", "max")]])
def ranges_and_lengths_are_inclusive():
    return [codes(dict(GOOD, age=0)), codes(dict(GOOD, age=150)), codes(dict(GOOD, age=-1)),
            codes(dict(GOOD, age=151)), codes(dict(GOOD, name="x" * 40)), codes(dict(GOOD, name="x" * 41)),
            codes(dict(GOOD, name="")), codes(dict(GOOD, score=1.5))]


@case(expect=[[("$.address.city", "required"), ("$.address.zip", "min_len")], [("$.address", "type")], []])
def nested_object_paths():
    return [codes(dict(GOOD, address={"zip": "123"})), codes(dict(GOOD, address="Main St 1")),
            # unknown keys inside an object without "additional": False are accepted
            codes(dict(GOOD, address={"city": "Oslo", "floor": 3}))]


@case(expect=[[("$.tags[1]", "min_len"), ("$.tags[2]", "type")], [("$.tags", "max_items")]])
def list_items_have_indexed_paths():
    return [codes(dict(GOOD, tags=["a", "", 7])), codes(dict(GOOD, tags=["a", "b", "c", "d"]))]


@case(expect=[("$.role", "unknown")])
def unknown_top_level_key_rejected():
    return codes(dict(GOOD, role="root"))


@case(expect=[[("$", "type")], [("$.age", "type"), ("$.email", "required"), ("$.name", "required"), ("$.tags", "type"),
                                 ("$.zzz", "unknown")]])
def root_must_be_an_object_and_errors_are_sorted():
    # the Issue objects themselves, in order (the literal is sorted by (path, code), as `got == sorted(got)` asks)
    return [codes(["not", "a", "dict"]), issues(validate(USER_SCHEMA, {"zzz": 1, "age": "old", "tags": "x"}))]


@case(expect=[{"status": 400, "errors": [{"path": "$.age", "code": "max"}, {"path": "$.extra", "code": "unknown"}]},
              []])
def handler_returns_400_with_error_list_and_stores_nothing():
    directory = UserDirectory()
    resp = create_user(directory, {"name": "Bo", "age": 200, "email": "b@x", "extra": 1})
    return [resp, directory.rows]
