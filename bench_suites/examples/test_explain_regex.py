"""Your own tests as benchmark cells: the `hybrid_cell` and `hybrid_proxy` fixtures.

`pytest bench_suites/examples` runs each `hybrid_cell` test once per strategy and seed of the sweep; every
call it makes goes through the routing proxy, and its outcome, tokens and cost become a row of raw.jsonl.
Offline (the scripted backend) the model answers with the `reference` of `hybrid_task` when its skill draw
for the tier and difficulty says right, with the `decoy` otherwise; against live models the marker's
answers are not used.
"""

import re

import pytest

PATTERN = r"^\d{3}-\d{4}$"


@pytest.mark.hybrid_task(
    difficulty="medium",
    reference="It matches exactly three digits, a hyphen, then exactly four digits, e.g. 555-1234.",
    decoy="It matches any phone number.",
)
def test_explains_regex(hybrid_cell):
    reply = hybrid_cell.chat(f"In one sentence, what strings does the regex {PATTERN} match?")
    assert re.search(r"three digits", reply) and re.search(r"four digits", reply), reply


@pytest.mark.hybrid_task(reference="5", decoy="4", difficulty="easy")
def test_always_local_stays_local(hybrid_proxy):
    cell = hybrid_proxy.cell("always-local")
    reply = cell.chat("What is 2 + 3? Answer with the number only.")
    decisions = hybrid_proxy.decisions(cell.id)
    assert [d.choice for d in decisions] == ["local"]
    assert cell.usage().cloud_calls == 0
    assert reply.strip() == "5"
