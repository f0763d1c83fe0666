"""A cell is one (task, agent, strategy, seed); its id is stable, readable and URL-safe.

The id doubles as the proxy path segment and the key of the usage ledger, so every LLM call an agent
makes is attributed to exactly one cell. Dots separate the fields because names never contain dots.
"""

from __future__ import annotations

from itertools import product

from pydantic import BaseModel, ConfigDict

from pytest_hybrid_eval.errors import HybridEvalError


class Cell(BaseModel):
    model_config = ConfigDict(frozen=True)

    task_id: str
    agent: str
    strategy: str
    seed: int

    @property
    def id(self) -> str:
        return f"{self.task_id}.{self.agent}.{self.strategy}.s{self.seed}"

    @property
    def item_name(self) -> str:
        """The pytest item name under its task.yaml, e.g. ``cline-cascade-s42``."""
        return f"{self.agent}-{self.strategy}-s{self.seed}"

    @classmethod
    def parse(cls, cell_id: str) -> Cell:
        parts = cell_id.split(".")
        if len(parts) != 4 or not parts[3].startswith("s") or not parts[3][1:].lstrip("-").isdigit():
            raise HybridEvalError(f"malformed cell id {cell_id!r}; expected <task>.<agent>.<strategy>.s<seed>")
        return cls(task_id=parts[0], agent=parts[1], strategy=parts[2], seed=int(parts[3][1:]))


def expand(task_id: str, agents: list[str], strategies: list[str], seeds: list[int]) -> list[Cell]:
    """Cells of one task in a stable order: agent, then strategy, then seed."""
    return [Cell(task_id=task_id, agent=a, strategy=s, seed=n) for a, s, n in product(agents, strategies, seeds)]
