"""Checks for d5-csv-dedupe, run by the cases scorer. Each case runs the candidate's `dedupe.py` in a child
process and returns what it observed (exit code, stdout, stripped stderr); the ``expect=`` literals are
stripped before this file enters the sandbox and compared outside it."""

import os
import subprocess
import sys
import tempfile

from hybrid_cases import case

ROOT = os.getcwd()  # the scoring tree: the candidate's dedupe.py and the public data/ sit here


def run(*args):
    return subprocess.run([sys.executable, os.path.join(ROOT, "dedupe.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect=[0, "id,name,email,city\n"
                 "1,Ada Lovelace,ada@example.org,London\n"
                 "2,Alan Turing,alan@example.org,Wilmslow\n"
                 '4,Grace Hopper,grace@example.org,"Arlington, VA"\n'
                 "6,Edsger Dijkstra,edsger@example.org,Nuenen\n"], timeout=40)
def visible_dedupe_by_email_keeps_first():
    r = run("data/customers.csv", "--key", "email")
    return [r.returncode, r.stdout]


@case(expect="removed 3 duplicate rows", timeout=40)
def visible_reports_removed_count_on_stderr():
    return run("data/customers.csv", "--key", "email").stderr.strip()


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=[0, "id,name,email,city\n"
                 "3,Ada L.,ADA@example.org ,London\n"
                 "5,Alan M. Turing,alan@example.org,Manchester\n"
                 "6,Edsger Dijkstra,edsger@example.org,Nuenen\n"
                 '7,Grace B. Hopper,grace@example.org,"New York, NY"\n',
              "removed 3 duplicate rows"], timeout=40)
def keep_last_preserves_input_order_of_kept_rows():
    r = run("data/customers.csv", "--key", "email", "--keep", "last")
    return [r.returncode, r.stdout, r.stderr.strip()]


@case(expect=[0, 'sku,store,note\nA1,north,"say ""hi"""\nA1,south,third\nB2,north,"x, y"\n',
              "removed 2 duplicate rows"], timeout=40)
def composite_key_and_quoting():
    with tempfile.TemporaryDirectory() as tmp:
        src = write(tmp, "orders.csv",
                    "sku,store,note\n"
                    'A1,north,"say ""hi"""\n'
                    "a1,North ,second\n"
                    "A1,south,third\n"
                    'B2,north,"x, y"\n'
                    "A1,south,fifth\n")
        r = run(src, "--key", "sku,store")
    return [r.returncode, r.stdout, r.stderr.strip()]


@case(expect=["k,v\n1,a\n2,b\n", "removed 0 duplicate rows"], timeout=40)
def no_duplicates_means_zero_removed():
    with tempfile.TemporaryDirectory() as tmp:
        r = run(write(tmp, "u.csv", "k,v\n1,a\n2,b\n"), "--key", "k")
    return [r.stdout, r.stderr.strip()]


@case(expect=[2, "", "unknown column: phone"], timeout=40)
def unknown_key_column_exits_2():
    r = run("data/customers.csv", "--key", "email,phone")
    return [r.returncode, r.stdout, r.stderr.strip()]
