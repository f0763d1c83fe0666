import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args, stdin=None):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, str(ROOT / "redact.py"), *args],
        cwd=ROOT, input=stdin, capture_output=True, encoding="utf-8", env=env, timeout=30,
    )


def test_reads_stdin_with_dash_and_keeps_key_order():
    doc = {"z": 1, "client_secret": "s", "a": {"AUTHORIZATION": "Basic xyz", "authorization_mode": "x"}}
    r = run("-", stdin=json.dumps(doc))
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        '{\n  "z": 1,\n  "client_secret": "[REDACTED]",\n  "a": {\n'
        '    "AUTHORIZATION": "[REDACTED]",\n    "authorization_mode": "x"\n  }\n}\n'
    )
    assert r.stderr.strip() == "redacted 2 values"


def test_numbers_redacted_but_null_bool_and_empty_kept_under_sensitive_keys():
    doc = {"pin_password": 1234, "secret": None, "token-refresh": True, "PrivateKey": "k", "private-key": ""}
    r = run("-", stdin=json.dumps(doc))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {
        "pin_password": "[REDACTED]",
        "secret": None,
        "token-refresh": True,
        "PrivateKey": "k",
        "private-key": "",
    }
    assert r.stderr.strip() == "redacted 1 values"


def test_containers_under_sensitive_keys_are_walked_not_replaced():
    doc = {"secrets": [{"name": "a", "value": "plain"}, "sk-" + "A" * 16], "tokens": {"api_key": "v", "n": 2}}
    r = run("-", stdin=json.dumps(doc))
    assert json.loads(r.stdout) == {
        "secrets": [{"name": "a", "value": "plain"}, "[REDACTED]"],
        "tokens": {"api_key": "[REDACTED]", "n": 2},
    }
    assert r.stderr.strip() == "redacted 2 values"


def test_value_patterns_must_match_whole_string():
    doc = [
        "sk-" + "b" * 15,
        "sk-" + "b" * 16,
        "prefix sk-" + "c" * 20,
        "AKIA" + "Q" * 16,
        "AKIA" + "q" * 16,
        "ghp_" + "x" * 36,
        "ghp_" + "x" * 35,
    ]
    r = run("-", stdin=json.dumps(doc))
    assert json.loads(r.stdout) == [doc[0], "[REDACTED]", doc[2], "[REDACTED]", doc[4], "[REDACTED]", doc[6]]
    assert r.stderr.strip() == "redacted 3 values"


def test_invalid_json_exits_1_with_no_stdout():
    r = run("-", stdin="{not json")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.startswith("invalid JSON")
