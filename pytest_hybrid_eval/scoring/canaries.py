"""Canary tests: randomly named tests with a known bad outcome, planted in every test directory per run.

Where a task's tests must run in the candidate's process (a real repository's own suite), the report
could be forged from inside. A forgery that works by rewriting reports, swallowing exceptions, removing
asserts or writing a fake report cannot tell these tests apart from the real ones unless it reads and
understands them, and it turns at least one of them into a pass. Each directory gets three: one that
raises (must fail), one whose fixture raises (must error) and one that asserts two unguessable, unequal
values (must fail). A cell whose report shows any canary passing, or lacks one, is ``forged``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from pytest_hybrid_eval.scoring.junit import Outcome, Report, junit_key

_TEMPLATE = '''import pytest


@pytest.fixture
def {fixture}():
    raise LookupError({code_a})


def test_{fail}():
    raise AssertionError({code_b})


def test_{error}({fixture}):
    pass


def test_{value}():
    observed = {value_a}
    assert observed == {value_b}
'''


@dataclass(frozen=True)
class Canaries:
    files: tuple[str, ...]
    expected: dict[str, Outcome]  # node id -> the outcome a faithful report shows

    def verdict(self, report: Report) -> str | None:
        """None when every canary shows its expected outcome; else which one does not, and how."""
        for nodeid, want in self.expected.items():
            got = report.kinds.get(junit_key(nodeid))
            if got is None:
                return f"canary {nodeid} is missing from the report"
            if got != want:
                return f"canary {nodeid} was reported {got} (it must be {want})"
        return None


def _word() -> str:
    return secrets.token_hex(5)


def plant(tree: Path, test_dirs: list[str]) -> Canaries:
    """Write one canary module into each of ``test_dirs`` (relative to ``tree``)."""
    files: list[str] = []
    expected: dict[str, Outcome] = {}
    for top in test_dirs:
        names = {k: f"{_word()}" for k in ("module", "fixture", "fail", "error", "value")}
        value_a = secrets.randbelow(10**12)
        value_b = value_a + 1 + secrets.randbelow(10**6)
        rel = f"{top}/test_{names['module']}.py"
        source = _TEMPLATE.format(fixture=f"res_{names['fixture']}", fail=names["fail"], error=names["error"],
                                  value=names["value"], code_a=secrets.randbelow(10**9),
                                  code_b=secrets.randbelow(10**9), value_a=value_a, value_b=value_b)  # fmt: skip
        (tree / rel).write_text(source, encoding="utf-8")
        files.append(rel)
        expected[f"{rel}::test_{names['fail']}"] = "failed"
        expected[f"{rel}::test_{names['error']}"] = "error"
        expected[f"{rel}::test_{names['value']}"] = "failed"
    return Canaries(tuple(files), expected)
