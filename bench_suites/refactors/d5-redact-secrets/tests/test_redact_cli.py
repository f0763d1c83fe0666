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


EXPECTED_SAMPLE = """{
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
"""


def test_sample_config_is_redacted_exactly():
    r = run("samples/config.json")
    assert r.returncode == 0, r.stderr
    assert r.stdout == EXPECTED_SAMPLE
    assert r.stderr.strip() == "redacted 4 values"
