"""Checks for d5-redact-secrets, run by the cases scorer. Each case runs the candidate's `redact.py` in a child
process and returns what it observed (exit code, stdout or the JSON parsed from it, stripped stderr); the
``expect=`` literals are stripped before this file enters the sandbox and compared outside it."""

import json
import os
import subprocess
import sys

from hybrid_cases import attempt, case

ROOT = os.getcwd()  # the scoring tree: the candidate's redact.py and the public samples/ sit here


def run(*args, stdin=None):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, os.path.join(ROOT, "redact.py"), *args], cwd=ROOT, input=stdin,
                          capture_output=True, encoding="utf-8", env=env, timeout=30)


def parsed(stdout):
    return attempt(json.loads, stdout)


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect=[0, """{
  "service": "billing",
  "db": {
    "host": "db.internal",
    "port": 5432,
    "user": "billing",
    "Password": "[REDACTED]"
  },
  "api-key": "[REDACTED]",
  "tokens_enabled": true,
  "retries": 3,
  "integrations": [
    {
      "name": "openai",
      "key": "[REDACTED]"
    },
    {
      "name": "aws",
      "access": "[REDACTED]",
      "region": "eu-west-1"
    },
    {
      "name": "github",
      "pat": "ghp_short"
    }
  ],
  "owner": "Zoë"
}
""", "redacted 4 values"], timeout=40)
def visible_sample_config_is_redacted_exactly():
    r = run("samples/config.json")
    return [r.returncode, r.stdout, r.stderr.strip()]


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=[0, '{\n  "z": 1,\n  "client_secret": "[REDACTED]",\n  "a": {\n'
                 '    "AUTHORIZATION": "[REDACTED]",\n    "authorization_mode": "x"\n  }\n}\n',
              "redacted 2 values"], timeout=40)
def reads_stdin_with_dash_and_keeps_key_order():
    doc = {"z": 1, "client_secret": "s", "a": {"AUTHORIZATION": "Basic xyz", "authorization_mode": "x"}}
    r = run("-", stdin=json.dumps(doc))
    return [r.returncode, r.stdout, r.stderr.strip()]


@case(expect=[0, {"pin_password": "[REDACTED]", "secret": None, "token-refresh": True, "PrivateKey": "k",
                  "private-key": ""},
              "redacted 1 values"], timeout=40)
def numbers_redacted_but_null_bool_and_empty_kept_under_sensitive_keys():
    doc = {"pin_password": 1234, "secret": None, "token-refresh": True, "PrivateKey": "k", "private-key": ""}
    r = run("-", stdin=json.dumps(doc))
    return [r.returncode, parsed(r.stdout), r.stderr.strip()]


@case(expect=[{"secrets": [{"name": "a", "value": "plain"}, "[REDACTED]"],
               "tokens": {"api_key": "[REDACTED]", "n": 2}},
              "redacted 2 values"], timeout=40)
def containers_under_sensitive_keys_are_walked_not_replaced():
    doc = {"secrets": [{"name": "a", "value": "plain"}, "sk-" + "A" * 16], "tokens": {"api_key": "v", "n": 2}}
    r = run("-", stdin=json.dumps(doc))
    return [parsed(r.stdout), r.stderr.strip()]


@case(expect=[["sk-" + "b" * 15, "[REDACTED]", "prefix sk-" + "c" * 20, "[REDACTED]", "AKIA" + "q" * 16,
               "[REDACTED]", "ghp_" + "x" * 35],
              "redacted 3 values"], timeout=40)
def value_patterns_must_match_whole_string():
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
    return [parsed(r.stdout), r.stderr.strip()]


@case(check="invalid_json_exits_1", timeout=40)
def invalid_json_exits_1_with_no_stdout():
    r = run("-", stdin="{not json")
    return [r.returncode, r.stdout, r.stderr]
