import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return subprocess.run(
        [sys.executable, str(ROOT / "dedupe.py"), *args], cwd=ROOT, capture_output=True, text=True, timeout=30
    )


def test_keep_last_preserves_input_order_of_kept_rows():
    r = run("data/customers.csv", "--key", "email", "--keep", "last")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "id,name,email,city\n"
        "3,Ada L.,ADA@example.org ,London\n"
        "5,Alan M. Turing,alan@example.org,Manchester\n"
        "6,Edsger Dijkstra,edsger@example.org,Nuenen\n"
        '7,Grace B. Hopper,grace@example.org,"New York, NY"\n'
    )
    assert r.stderr.strip() == "removed 3 duplicate rows"


def test_composite_key_and_quoting(tmp_path):
    src = tmp_path / "orders.csv"
    src.write_text(
        "sku,store,note\n"
        'A1,north,"say ""hi"""\n'
        "a1,North ,second\n"
        "A1,south,third\n"
        'B2,north,"x, y"\n'
        "A1,south,fifth\n",
        encoding="utf-8",
    )
    r = run(str(src), "--key", "sku,store")
    assert r.returncode == 0, r.stderr
    assert r.stdout == 'sku,store,note\nA1,north,"say ""hi"""\nA1,south,third\nB2,north,"x, y"\n'
    assert r.stderr.strip() == "removed 2 duplicate rows"


def test_no_duplicates_means_zero_removed(tmp_path):
    src = tmp_path / "u.csv"
    src.write_text("k,v\n1,a\n2,b\n", encoding="utf-8")
    r = run(str(src), "--key", "k")
    assert r.stdout == "k,v\n1,a\n2,b\n"
    assert r.stderr.strip() == "removed 0 duplicate rows"


def test_unknown_key_column_exits_2():
    r = run("data/customers.csv", "--key", "email,phone")
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.strip() == "unknown column: phone"
