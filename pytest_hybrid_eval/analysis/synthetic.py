"""Synthetic sweeps with known ground truth, for tests and the scale benchmark.

Each task has a difficulty and each strategy a skill; a cell passes with probability
sigmoid(skill − difficulty), so strategy differences are real and task clustering is strong — the
conditions under which naive row-level statistics go wrong and the analysis must not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from pytest_hybrid_eval.results import Provenance, Row, RowCalls, RowTokens
from pytest_hybrid_eval.usage import TokenCounts


@dataclass(frozen=True)
class StrategySpec:
    """Ground truth of one synthetic strategy: its skill (logit scale) and share of tokens sent to cloud."""

    skill: float
    cloud_share: float
    error_rate: float = 0.0


def synthetic_rows(
    strategies: dict[str, StrategySpec],
    n_tasks: int = 20,
    agents: tuple[str, ...] = ("builtin",),
    seeds: tuple[int, ...] = (1, 2, 3),
    backend: str = "scripted",
    rng_seed: int = 0,
    sweep: str = "synthetic",
) -> list[Row]:
    """Rows for every (task, agent, strategy, seed); error rows are failures with an error class."""
    rng = np.random.default_rng(rng_seed)
    difficulty = rng.normal(0.0, 1.5, n_tasks)
    classes = "ABCD"
    prov = Provenance(
        config_sha="synthetic",
        pricing_sha="synthetic",
        backend=backend,  # type: ignore[arg-type]
        local_model="local-x",
        cloud_model="cloud-y",
        local_backend=backend,
        cloud_backend=backend,
        package_version="0",
    )
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    rows: list[Row] = []
    for ti in range(n_tasks):
        task = f"t{ti:04d}"
        for agent in agents:
            for name, spec in strategies.items():
                for seed in seeds:
                    p = 1 / (1 + np.exp(-(spec.skill - difficulty[ti])))
                    err = "infra_error" if rng.random() < spec.error_rate else "none"
                    passed = bool(rng.random() < p) and err == "none"
                    total = int(rng.integers(2_000, 20_000))
                    cloud = int(total * spec.cloud_share)
                    local = total - cloud
                    rows.append(
                        Row(
                            sweep=sweep,
                            cell_id=f"{task}.{agent}.{name}.s{seed}",
                            task_id=task,
                            task_class=classes[ti % 4],
                            family=f"fam{ti % 3}",
                            difficulty="medium",
                            agent=agent,
                            strategy=name,
                            seed=seed,
                            passed=passed,
                            error=err,  # type: ignore[arg-type]
                            tests_passed=int(passed) * 5,
                            tests_total=5,
                            tokens=RowTokens(
                                local=TokenCounts(
                                    prompt=int(local * 0.8), completion=local - int(local * 0.8)
                                ),
                                cloud=TokenCounts(
                                    prompt=int(cloud * 0.8),
                                    completion=cloud - int(cloud * 0.8),
                                    cached=cloud // 10,
                                ),
                            ),
                            calls=RowCalls(local=3, cloud=1 if cloud else 0),
                            wall_ms=float(rng.integers(1_000, 60_000)),
                            provenance=prov,
                            started_at=t0,
                            finished_at=t0 + timedelta(seconds=30),
                        )
                    )
    return rows
