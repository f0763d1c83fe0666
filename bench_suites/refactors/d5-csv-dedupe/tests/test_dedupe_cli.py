import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return subprocess.run(
        [sys.executable, str(ROOT / "dedupe.py"), *args], cwd=ROOT, capture_output=True, text=True, timeout=30
    )


def test_dedupe_by_email_keeps_first():
    r = run("data/customers.csv", "--key", "email")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "id,name,email,city\n"
        "1,Ada Lovelace,ada@example.org,London\n"
        "2,Alan Turing,alan@example.org,Wilmslow\n"
        '4,Grace Hopper,grace@example.org,"Arlington, VA"\n'
        "6,Edsger Dijkstra,edsger@example.org,Nuenen\n"
    )


def test_reports_removed_count_on_stderr():
    r = run("data/customers.csv", "--key", "email")
    assert r.stderr.strip() == "removed 3 duplicate rows"
