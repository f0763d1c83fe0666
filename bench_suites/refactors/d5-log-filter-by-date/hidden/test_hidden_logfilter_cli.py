import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return subprocess.run(
        [sys.executable, str(ROOT / "logfilter.py"), *args], cwd=ROOT, capture_output=True, text=True, timeout=30
    )


def test_offsets_are_converted_to_utc_before_comparing():
    r = run("logs/app.log", "--since", "2024-03-03")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "2024-03-02T23:30:00-01:00 INFO late event\n"
        "2024-03-03T00:00:00Z INFO final flush\n"
        "    flushed 120 rows\n"
    )
    assert r.stderr.strip() == "2 entries matched"


def test_until_day_is_inclusive():
    r = run("logs/app.log", "--until", "2024-02-29")
    assert r.stdout == (
        "2024-02-28T23:59:59Z INFO worker started\n"
        "2024-02-29T10:00:00Z WARN disk 81% full\n"
        "2024-03-01T01:30:00+02:00 INFO nightly job queued\n"
    )
    assert r.stderr.strip() == "3 entries matched"


def test_single_day_range():
    r = run("logs/app.log", "--since", "2024-03-01", "--until", "2024-03-01")
    assert r.stdout == (
        "2024-03-01T00:00:00Z ERROR nightly job failed\n"
        "Traceback (most recent call last):\n"
        '  File "job.py", line 3, in run\n'
        "ValueError: bad row 17\n"
    )
    assert r.stderr.strip() == "1 entries matched"


def test_no_bounds_drops_only_preamble_and_adds_final_newline(tmp_path):
    log = tmp_path / "x.log"
    log.write_text("preamble\n2024-01-01T00:00:00Z A\n  more\n2024-01-02T00:00:00Z B", encoding="utf-8")
    r = run(str(log))
    assert r.returncode == 0
    assert r.stdout == "2024-01-01T00:00:00Z A\n  more\n2024-01-02T00:00:00Z B\n"
    assert r.stderr.strip() == "2 entries matched"


def test_invalid_date_exits_2():
    r = run("logs/app.log", "--since", "2024-02-30")
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.strip() == "invalid date: 2024-02-30"
