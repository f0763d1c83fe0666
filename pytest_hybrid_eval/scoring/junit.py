"""Reading pytest's JUnit XML: outcomes per test case, keyed the way pytest's writer names them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Outcome = Literal["passed", "failed", "error", "skipped"]


def junit_key(nodeid: str) -> tuple[str, str]:
    """(classname, name) under which pytest's JUnit writer records a node id."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    return ".".join(names[:-1]), names[-1]


@dataclass
class Report:
    outcomes: dict[tuple[str, str], bool]  # (classname, name) -> passed
    kinds: dict[tuple[str, str], Outcome]  # (classname, name) -> the worst outcome recorded for it
    duplicates: int
    collection_errors: list[str]


_RANK: dict[Outcome, int] = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}


def parse_junit(path: Path) -> Report:
    """Outcomes per test case from a JUnit XML file (raises ET.ParseError / OSError when unreadable)."""
    root = ET.parse(path).getroot()
    outcomes: dict[tuple[str, str], bool] = {}
    kinds: dict[tuple[str, str], Outcome] = {}
    duplicates = 0
    errors: list[str] = []
    for case in root.iter("testcase"):
        key = (case.get("classname", ""), case.get("name", ""))
        bad = [child for child in case if child.tag in ("failure", "error", "skipped")]
        kind: Outcome = "passed"
        for child in bad:
            tag: Outcome = "failed" if child.tag == "failure" else child.tag  # type: ignore[assignment]
            kind = tag if _RANK[tag] > _RANK[kind] else kind
            if child.tag == "error" and (child.get("message") or "").startswith("collection failure"):
                detail = [ln for ln in (child.text or "").splitlines() if ln.startswith("E ")]
                errors.append(f"{key[1] or key[0]}: {detail[-1][1:].strip() if detail else 'collection failure'}")
        if key in outcomes:
            duplicates += 1
            kind = kind if _RANK[kind] > _RANK[kinds[key]] else kinds[key]
        outcomes[key] = not bad and outcomes.get(key, True)
        kinds[key] = kind
    return Report(outcomes, kinds, duplicates, errors)
