"""A cell's evidence: the agent's final editable files and its log tail, kept so the cell can be scored
again later (``hybrid-eval rescore``/``rejudge``) without running the agent again.

Only files that exist at the end of the run are kept; a file the agent deleted (or never created) is
absent, and reads back as None, exactly as the sweep scored it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable

from pytest_hybrid_eval.store.layout import SweepDir


def keep_evidence(sweep: SweepDir, cell_id: str, files: dict[str, str | None], agent_log: str) -> None:
    """Replace the cell's evidence with ``files`` (relative path -> text, None = absent) and its log."""
    ev = sweep.evidence(cell_id)
    shutil.rmtree(ev.root, ignore_errors=True)
    for rel, content in files.items():
        if content is not None:
            dest = ev.file(rel)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(content, encoding="utf-8")
    ev.root.mkdir(parents=True, exist_ok=True)
    ev.agent_log.write_text(agent_log, encoding="utf-8")


def read_evidence(sweep: SweepDir, cell_id: str, editable: Iterable[str]) -> dict[str, str | None] | None:
    """The kept text of each ``editable`` file (None when absent); None when the cell kept no evidence.

    A symbolic link is never followed: the sweep only ever writes regular files there.
    """
    ev = sweep.evidence(cell_id)
    if not ev.root.is_dir():
        return None
    out: dict[str, str | None] = {}
    for rel in editable:
        path = ev.file(rel)
        out[rel] = path.read_text(encoding="utf-8", errors="replace") if path.is_file() and not path.is_symlink() else None
    return out
