"""Pricing table loading, the billing formula, and the one-line errors a bad table produces."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pytest_hybrid_eval.errors import PricingError
from pytest_hybrid_eval.pricing import load_table, row_cost
from pytest_hybrid_eval.results import Provenance, Row, RowCalls, RowTokens
from pytest_hybrid_eval.usage import AuxCall, CallRecord, TokenCounts

EXPECTED = {
    "gpt-5.5": (5, 30, 0.5),
    "gpt-5": (1.25, 10, 0.125),
    "gpt-5-mini": (0.25, 2, 0.025),
    "claude-opus-4-7": (15, 75, 1.5),
    "claude-sonnet-4-6": (3, 15, 0.3),
    "claude-haiku-4-5": (1, 5, 0.1),
}


def _row(cloud: TokenCounts, local: TokenCounts, records: list[CallRecord] | None = None) -> Row:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    prov = Provenance(
        config_sha="c",
        pricing_sha="p",
        backend="scripted",
        local_model="l",
        cloud_model="c",
        local_backend="x",
        cloud_backend="y",
        package_version="0",
    )
    return Row(
        sweep="s",
        cell_id="c1",
        task_id="t",
        task_class="A",
        family="f",
        difficulty="easy",
        agent="a",
        strategy="always-cloud",
        seed=1,
        passed=True,
        tokens=RowTokens(local=local, cloud=cloud),
        calls=RowCalls(records=records or []),
        provenance=prov,
        started_at=now,
        finished_at=now,
    )


def test_table_has_the_six_models_scenarios_and_aliases() -> None:
    t = load_table()
    assert len(t.sha256) == 64 and t.effective_date and t.version
    for name, (i, o, c) in EXPECTED.items():
        p = t.price(name)
        assert (p.input, p.output, p.cache_read) == (i, o, c)
        assert t.scenarios[name].model == name
    assert t.resolve("anthropic-claude-sonnet-4.6") == "claude-sonnet-4-6"
    assert t.resolve("openai-gpt5-mini") == "gpt-5-mini"
    assert len(t.aliases) == 6


def test_cost_formula_with_cache_and_cap() -> None:
    t = load_table()
    tok = TokenCounts(prompt=1_000_000, completion=500_000, cached=200_000)
    assert t.cost(tok, "gpt-5.5") == pytest.approx(0.8 * 5 + 0.2 * 0.5 + 0.5 * 30)
    # cached larger than the prompt is capped at the prompt: all prompt billed at cache price
    over = TokenCounts(prompt=100_000, completion=0, cached=900_000)
    assert t.cost(over, "claude-opus-4-7") == pytest.approx(0.1 * 1.5)
    assert t.cost(TokenCounts(), "gpt-5") == 0.0


def test_row_cost_counts_cloud_tokens_only() -> None:
    t = load_table()
    local = TokenCounts(prompt=10_000_000, completion=10_000_000)
    cloud = TokenCounts(prompt=1_000_000, completion=100_000)
    local_aux = AuxCall(kind="classifier", tier="local", model="q", usage=TokenCounts(prompt=5_000_000))
    rec = CallRecord(cell_id="c1", call_index=0, strategy="cascade", choice="local", aux=[local_aux])
    assert row_cost(_row(cloud, local, [rec]), "gpt-5-mini", t) == pytest.approx(0.25 + 0.2)
    cloud_aux = AuxCall(kind="judge", tier="cloud", model="g", usage=TokenCounts(prompt=1_000_000))
    rec2 = CallRecord(cell_id="c1", call_index=1, strategy="cascade", choice="cloud", aux=[cloud_aux])
    assert t.row_cost(_row(cloud, local, [rec2]), "gpt-5-mini") == pytest.approx(0.25 + 0.2 + 0.25)


def test_unknown_scenario_lists_valid_ones() -> None:
    with pytest.raises(PricingError, match="valid scenarios: .*gpt-5-mini"):
        load_table().cost(TokenCounts(), "gpt-4")


def _write(tmp_path: Path, data: object) -> Path:
    p = tmp_path / "t.json"
    p.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return p


def test_malformed_tables_give_one_line_errors(tmp_path: Path) -> None:
    good = json.loads(Path(load_table().path).read_text())
    with pytest.raises(PricingError, match=r"t\.json: not valid JSON"):
        load_table(str(_write(tmp_path, "{nope")))
    bad = json.loads(json.dumps(good))
    del bad["models"]["gpt-5"]["output"]
    with pytest.raises(PricingError, match=r"field 'models\.gpt-5\.output'.*add") as ei:
        load_table(str(_write(tmp_path, bad)))
    assert "\n" not in str(ei.value)
    bad = json.loads(json.dumps(good))
    del bad["models"]["gpt-5-mini"]
    with pytest.raises(PricingError, match=r"scenarios\.gpt-5-mini\.model.*has no price"):
        load_table(str(_write(tmp_path, bad)))
    bad = json.loads(json.dumps(good))
    bad["models"]["gpt-5"]["input"] = -1
    with pytest.raises(PricingError, match=r"models\.gpt-5\.input"):
        load_table(str(_write(tmp_path, bad)))
    with pytest.raises(PricingError, match="not found"):
        load_table(str(tmp_path / "missing.json"))


def test_sha_tracks_file_bytes(tmp_path: Path) -> None:
    src = Path(load_table().path).read_bytes()
    p = tmp_path / "copy.json"
    p.write_bytes(src)
    assert load_table(str(p)).sha256 == load_table().sha256
    p.write_bytes(src + b"\n")
    assert load_table(str(p)).sha256 != load_table().sha256
