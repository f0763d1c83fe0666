"""The Row schema: one per cell, the line format of raw.jsonl, and what its error classes mean on resume.

Writing and reading rows on disk is ``store.rows``; this module is only the schema, so pricing, the
analysis and a cell's runner can build and inspect rows without touching the sweep directory.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pytest_hybrid_eval.usage import CallRecord, TokenCounts

SCHEMA_VERSION = 1

ErrorClass = Literal[
    "none",
    "agent_error",
    "agent_timeout",
    "not_installed",
    "infra_error",
    "backend_error",
    "score_error",
    "budget_exhausted",
    "forged",  # the candidate tampered with its verdict (scoring.pytest_scorer): a failure, never infrastructure
]

#: Error classes that say nothing about the agent or the strategy: the harness, the model server, the scorer,
#: the spending cap or a missing agent CLI failed. A resume retries these (and only these, by default), and
#: the analysis reports pass rates with and without them. Every other error class is an outcome of the cell.
INFRA_ERRORS: frozenset[str] = frozenset(
    {"infra_error", "backend_error", "score_error", "budget_exhausted", "not_installed"}
)

#: Which recorded error rows a resume runs again: infrastructure errors only (default), all, or none.
RetryErrors = Literal["infra", "all", "none"]


class RowTokens(BaseModel):
    model_config = ConfigDict(extra="forbid")

    local: TokenCounts = TokenCounts()
    cloud: TokenCounts = TokenCounts()
    aux: TokenCounts = Field(default=TokenCounts(), description="Strategy auxiliary calls (classifier, embedding).")
    scoring: TokenCounts = Field(default=TokenCounts(), description="Tokens the scorer spent (the LLM judge): "
                                 "a cost of scoring, never counted as routing cost or cloud share.")


class RowCalls(BaseModel):
    model_config = ConfigDict(extra="forbid")

    local: int = 0
    cloud: int = 0
    aux: int = 0
    failed: int = 0
    records: list[CallRecord] = Field(default_factory=list)
    #: the scorer's own calls (the LLM judge), kept apart from the routed calls of the agent
    scoring: int = 0
    scoring_records: list[CallRecord] = Field(default_factory=list)


class Provenance(BaseModel):
    """Everything needed to say what produced a row."""

    model_config = ConfigDict(extra="forbid")

    config_sha: str
    pricing_sha: str
    router_data_sha: str = ""
    backend: Literal["scripted", "live", "replay"]
    local_model: str
    cloud_model: str
    local_backend: str
    cloud_backend: str
    agent_version: str = ""
    sandbox_kind: str = ""
    sandbox_isolated: bool = True
    package_version: str
    git_sha: str = ""
    hardware_ref: str = ""
    python: str = ""


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    sweep: str
    cell_id: str
    task_id: str
    task_class: str
    family: str
    difficulty: str
    agent: str
    strategy: str
    seed: int
    passed: bool
    tests_passed: int = 0
    tests_total: int = 0
    error: ErrorClass = "none"
    reason: str | None = None
    scorer: str = "pytest"
    tokens: RowTokens = RowTokens()
    calls: RowCalls = RowCalls()
    wall_ms: float = 0.0
    agent_ms: float = 0.0
    score_ms: float = 0.0
    agent_turns: int = 0
    agent_extra: dict[str, str] = Field(
        default_factory=dict, description="What the agent adapter reported: sandboxed, exit code, its own status."
    )
    provenance: Provenance
    started_at: datetime
    finished_at: datetime


def retried_on_resume(row: Row, retry_errors: RetryErrors = "infra") -> bool:
    """Does a resume run this cell again? Only error rows can be, and by default only infrastructure ones:
    an agent error or timeout is the strategy's outcome, and retrying it would give error-prone strategies
    extra attempts."""
    if row.error == "none" or retry_errors == "none":
        return False
    return retry_errors == "all" or row.error in INFRA_ERRORS
