"""Checks for d5-log-filter-by-date, run by the cases scorer. Each case runs the candidate's `logfilter.py` in a
child process and returns what it observed (exit code, stdout, stripped stderr); the ``expect=`` literals are
stripped before this file enters the sandbox and compared outside it."""

import os
import subprocess
import sys
import tempfile

from hybrid_cases import case

ROOT = os.getcwd()  # the scoring tree: the candidate's logfilter.py and the public logs/ sit here


def run(*args):
    return subprocess.run([sys.executable, os.path.join(ROOT, "logfilter.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect=[0, "2024-02-29T10:00:00Z WARN disk 81% full\n"
                 "2024-03-01T01:30:00+02:00 INFO nightly job queued\n"
                 "2024-03-01T00:00:00Z ERROR nightly job failed\n"
                 "Traceback (most recent call last):\n"
                 '  File "job.py", line 3, in run\n'
                 "ValueError: bad row 17\n"
                 "2024-03-02T12:00:00Z INFO retry ok\n",
              "4 entries matched"], timeout=40)
def visible_range_with_continuation_lines():
    r = run("logs/app.log", "--since", "2024-02-29", "--until", "2024-03-02")
    return [r.returncode, r.stdout, r.stderr.strip()]


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=[0, "2024-03-02T23:30:00-01:00 INFO late event\n"
                 "2024-03-03T00:00:00Z INFO final flush\n"
                 "    flushed 120 rows\n",
              "2 entries matched"], timeout=40)
def offsets_are_converted_to_utc_before_comparing():
    r = run("logs/app.log", "--since", "2024-03-03")
    return [r.returncode, r.stdout, r.stderr.strip()]


@case(expect=["2024-02-28T23:59:59Z INFO worker started\n"
              "2024-02-29T10:00:00Z WARN disk 81% full\n"
              "2024-03-01T01:30:00+02:00 INFO nightly job queued\n",
              "3 entries matched"], timeout=40)
def until_day_is_inclusive():
    r = run("logs/app.log", "--until", "2024-02-29")
    return [r.stdout, r.stderr.strip()]


@case(expect=["2024-03-01T00:00:00Z ERROR nightly job failed\n"
              "Traceback (most recent call last):\n"
              '  File "job.py", line 3, in run\n'
              "ValueError: bad row 17\n",
              "1 entries matched"], timeout=40)
def single_day_range():
    r = run("logs/app.log", "--since", "2024-03-01", "--until", "2024-03-01")
    return [r.stdout, r.stderr.strip()]


@case(expect=[0, "2024-01-01T00:00:00Z A\n  more\n2024-01-02T00:00:00Z B\n", "2 entries matched"], timeout=40)
def no_bounds_drops_only_preamble_and_adds_final_newline():
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "x.log")
        with open(log, "w", encoding="utf-8") as fh:
            fh.write("preamble\n2024-01-01T00:00:00Z A\n  more\n2024-01-02T00:00:00Z B")
        r = run(log)
    return [r.returncode, r.stdout, r.stderr.strip()]


@case(expect=[2, "", "invalid date: 2024-02-30"], timeout=40)
def invalid_date_exits_2():
    r = run("logs/app.log", "--since", "2024-02-30")
    return [r.returncode, r.stdout, r.stderr.strip()]
