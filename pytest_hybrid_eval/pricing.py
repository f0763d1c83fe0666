"""Price cloud tokens with the versioned table in ``pricing/pricing_tables.json``.

Cost is never stored in a row: rows keep token counts and the table's SHA-256, and cost is computed here
at analysis time, so a price change re-prices old sweeps without re-running them and every figure can be
traced to the exact table bytes. Local tokens cost 0 (hardware is out of scope).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pytest_hybrid_eval.datafiles import data_dir, sha256_file
from pytest_hybrid_eval.errors import PricingError
from pytest_hybrid_eval.usage import TokenCounts

if TYPE_CHECKING:
    from pytest_hybrid_eval.results import Row

Num = TypeVar("Num", float, np.ndarray)

PER_TOKENS = 1_000_000
DEFAULT_TABLE = "pricing_tables.json"


class ModelPrice(BaseModel):
    """USD per 1M tokens for one cloud model."""

    model_config = ConfigDict(extra="forbid")

    provider: str = ""
    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_read: float = Field(ge=0)


class Scenario(BaseModel):
    """A pricing scenario: "what would the cloud tier cost if it were this model"."""

    model_config = ConfigDict(extra="forbid")

    model: str
    description: str = ""


class PricingTable(BaseModel):
    """A dated, versioned price table; ``sha256`` is the hash of the file bytes it was read from."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = 1
    version: str
    effective_date: str
    currency: str = "USD"
    unit: str = "per_1M_tokens"
    source: str = ""
    models: dict[str, ModelPrice]
    scenarios: dict[str, Scenario]
    aliases: dict[str, str] = Field(default_factory=dict)
    sha256: str = ""
    path: str = ""

    @model_validator(mode="after")
    def _references_resolve(self) -> PricingTable:
        for name, sc in self.scenarios.items():
            if sc.model not in self.models:
                raise ValueError(
                    f"scenarios.{name}.model: model {sc.model!r} has no price; add it under 'models'"
                )
        for alias, target in self.aliases.items():
            if target not in self.scenarios:
                raise ValueError(
                    f"aliases.{alias}: scenario {target!r} is not defined; add it under 'scenarios'"
                )
        if self.unit != "per_1M_tokens":
            raise ValueError("unit: only 'per_1M_tokens' is supported; convert prices to USD per 1M tokens")
        return self

    @property
    def scenario_names(self) -> list[str]:
        return list(self.scenarios)

    def resolve(self, scenario: str) -> str:
        """Canonical scenario name for ``scenario`` (its own name, or an alias such as hybrid-coding-eval's scenario names)."""
        if scenario in self.scenarios:
            return scenario
        if scenario in self.aliases:
            return self.aliases[scenario]
        valid = ", ".join(sorted(self.scenarios))
        raise PricingError(
            f"{self.path or 'pricing table'}: unknown pricing scenario {scenario!r}; valid scenarios: {valid}"
        )

    def price(self, scenario: str) -> ModelPrice:
        """The per-1M prices a scenario charges."""
        return self.models[self.scenarios[self.resolve(scenario)].model]

    def cost(self, tokens: TokenCounts, scenario: str) -> float:
        """USD for ``tokens`` billed under ``scenario``; cached tokens are capped at the prompt count."""
        p = self.price(scenario)
        return float(cost_from_counts(tokens.prompt, tokens.completion, tokens.cached, p))

    def row_cost(self, row: Row, scenario: str) -> float:
        """Cloud spend of one row: its cloud tokens plus any auxiliary call that ran on the cloud tier.

        Local tokens and local auxiliary calls (the usual case: classifier/embedding run locally) cost 0.
        """
        total = self.cost(row.tokens.cloud, scenario)
        for rec in row.calls.records:
            for aux in rec.aux:
                if aux.tier == "cloud":
                    total += self.cost(aux.usage, scenario)
        return total


def cost_from_counts(prompt: Num, completion: Num, cached: Num, price: ModelPrice) -> Num:
    """The billing formula, shared by the scalar path and the vectorised (numpy) analysis path."""
    cached = np.minimum(np.maximum(cached, 0), prompt)
    return (
        (prompt - cached) * price.input + cached * price.cache_read + completion * price.output
    ) / PER_TOKENS


def _resolve_path(name_or_path: str | Path) -> Path:
    """A bare file name means the versioned ``pricing/`` folder first (then the working directory)."""
    p = Path(name_or_path)
    if p.is_absolute() or p.parent != Path("."):
        return p
    try:
        candidate = data_dir("pricing") / p
    except FileNotFoundError:
        return p
    return candidate if candidate.is_file() or not p.is_file() else p


def load_table(name_or_path: str | Path = DEFAULT_TABLE) -> PricingTable:
    """Load and validate a table (a bare name is looked up in the ``pricing/`` data folder).

    Any problem becomes a one-line ``PricingError`` naming the file, the field and the fix.
    """
    path = _resolve_path(name_or_path)
    if not path.is_file():
        raise PricingError(f"{path}: pricing table not found; check pricing.table in the config")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PricingError(f"{path}: not valid JSON ({exc}); fix the syntax") from None
    if not isinstance(raw, dict):
        raise PricingError(f"{path}: top level must be an object with 'models' and 'scenarios'")
    raw.pop("sha256", None)
    raw.pop("path", None)
    try:
        table = PricingTable.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"]) or "(table)"
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = f"missing; add field '{field}'"
        if not err["loc"]:
            raise PricingError(f"{path}: {msg}") from None  # the validator's message names the field
        raise PricingError(f"{path}: field '{field}': {msg}") from None
    table.sha256 = sha256_file(path)
    table.path = str(path)
    return table


def row_cost(row: Row, scenario: str, table: PricingTable | None = None) -> float:
    """Cloud USD of ``row`` under ``scenario`` (the default table when none is given)."""
    return (table or load_table()).row_cost(row, scenario)
