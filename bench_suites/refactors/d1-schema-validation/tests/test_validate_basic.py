from formkit.handlers import create_user
from formkit.issues import Issue
from formkit.schemas import USER_SCHEMA
from formkit.store import UserDirectory
from formkit.validate import validate

GOOD = {"name": "Ada", "age": 36, "email": "ada@example.org"}


def test_valid_request_has_no_issues():
    assert validate(USER_SCHEMA, dict(GOOD)) == []


def test_missing_required_field():
    req = {"age": 36, "email": "ada@example.org"}
    assert validate(USER_SCHEMA, req) == [Issue("$.name", "required")]


def test_wrong_type_is_reported():
    req = dict(GOOD, age="36")
    assert validate(USER_SCHEMA, req) == [Issue("$.age", "type")]


def test_handler_stores_valid_user():
    directory = UserDirectory()
    assert create_user(directory, dict(GOOD)) == {"status": 201, "id": 1}
    assert directory.rows == [GOOD]
