import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return subprocess.run(
        [sys.executable, str(ROOT / "logfilter.py"), *args], cwd=ROOT, capture_output=True, text=True, timeout=30
    )


def test_range_with_continuation_lines():
    r = run("logs/app.log", "--since", "2024-02-29", "--until", "2024-03-02")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "2024-02-29T10:00:00Z WARN disk 81% full\n"
        "2024-03-01T01:30:00+02:00 INFO nightly job queued\n"
        "2024-03-01T00:00:00Z ERROR nightly job failed\n"
        "Traceback (most recent call last):\n"
        '  File "job.py", line 3, in run\n'
        "ValueError: bad row 17\n"
        "2024-03-02T12:00:00Z INFO retry ok\n"
    )
    assert r.stderr.strip() == "4 entries matched"
