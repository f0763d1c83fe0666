"""Routing strategies on hand-made conversations, plus the shared features and the router evaluation."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.routing import features as fx
from pytest_hybrid_eval.routing.router_eval import evaluate, load_prompts
from pytest_hybrid_eval.routing.strategies import (
    EscalatingStrategy,
    ScoringStrategy,
    get_strategy,
    register,
    strategy_names,
)
from pytest_hybrid_eval.routing.strategies.base import Decision, RouteRequest, StrategyContext
from pytest_hybrid_eval.routing.strategies.embedding_knn import vote
from pytest_hybrid_eval.routing.strategies.escalate import needs_escalation
from pytest_hybrid_eval.routing.strategies.llm_classifier import parse_answer
from pytest_hybrid_eval.routing.tokens import content_text, count_text, message_text
from pytest_hybrid_eval.usage import AuxCall, TokenCounts

NEW = ["rules", "heuristic", "llm-classifier", "embedding-knn", "cascade", "phase-aware", "escalate"]
TOOLS = [{"type": "function", "function": {"name": "read_file", "parameters": {"type": "object"}}}]


class FakeAux:
    """A scripted AuxClient: records every call, answers with ``reply`` after ``delay`` seconds."""

    def __init__(self, reply: str | None = "SIMPLE", delay: float = 0.0, fail: bool = False,
                 vectors: Any = None) -> None:
        self.reply, self.delay, self.fail, self.vectors = reply, delay, fail, vectors
        self.chats: list[list[dict[str, Any]]] = []
        self.embeds: list[list[str]] = []

    async def chat(self, kind: str, messages: list[dict[str, Any]], model: str, cell_id: str | None,
                   timeout_s: float) -> tuple[str | None, AuxCall]:
        self.chats.append(messages)
        await asyncio.sleep(self.delay)
        usage = TokenCounts(prompt=120, completion=1)
        if self.fail:
            return None, AuxCall(kind="classifier", tier="local", model=model, usage=usage, ok=False,
                                 error="HTTP 500")
        return self.reply, AuxCall(kind="classifier", tier="local", model=model, usage=usage)

    async def embed(self, texts: list[str], model: str, cell_id: str | None,
                    timeout_s: float) -> tuple[list[list[float]] | None, AuxCall]:
        self.embeds.append(texts)
        call = AuxCall(kind="embedding", tier="local", model=model, usage=TokenCounts(prompt=len(texts)))
        if self.fail:
            return None, call.model_copy(update={"ok": False, "error": "connection refused"})
        return self.vectors(texts), call


def decide(name: str, body: dict[str, Any], params: dict[str, Any] | None = None,
           aux: Any = None) -> Decision:
    ctx = StrategyContext(params=params or {}, aux=aux, classifier_model="tiny-clf")
    return asyncio.run(get_strategy(name).decide(RouteRequest(body, "cell-1", 0), ctx))


def chat(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "system", "content": "You are a helpful assistant."},
                         {"role": "user", "content": text}]}


def tool_turn(task: str, result: str) -> dict[str, Any]:
    return {"tools": TOOLS, "messages": [
        {"role": "system", "content": "You are a coding agent. " + "Rules of the repo. " * 400},
        {"role": "user", "content": task},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "read_file", "arguments": '{"path": "a.py"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": result},
    ]}


AIDER_ARCHITECT = ("Act as an expert architect engineer and provide direction to your editor engineer. "
                   "Describe how to modify the code.")
AIDER_EDITOR = ("Act as an expert software developer who edits source code. Describe each change with a "
                "*SEARCH/REPLACE block*.")


def cline(mode: str) -> dict[str, Any]:
    return {"messages": [
        {"role": "system", "content": "You are Cline, a highly skilled software engineer."},
        {"role": "user", "content": f"<task>rename a variable</task>\n<environment_details>\n# Current Mode\n"
                                    f"{mode} MODE\n</environment_details>"}]}


# ---- registry and common contract ----------------------------------------------------------------


def test_all_strategies_registered_and_pin_their_data() -> None:
    assert set(NEW) <= set(strategy_names())
    for name in NEW:
        d = decide(name, chat("Design a plugin architecture for the CLI"))
        assert d.choice in ("local", "cloud")
        assert len(d.features["data_sha"]) == 64, name
        json.dumps(d.features)  # features must be serialisable into the call record


# ---- features --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("please format this file", ["format"]),
    ("call formatDate here", []),
    ("use format_date", []),
    ("reformat it", []),
    ("FORMAT the output", ["format"]),
    ("there is a race\n  condition", ["race condition"]),
    ("racecondition", []),
    ("a race-condition", []),
])
def test_keywords_match_on_word_boundaries(text: str, expected: list[str]) -> None:
    assert fx.KeywordMatcher(["format", "race condition"]).find(text) == expected


def test_code_blocks_and_tokens() -> None:
    text = "a\n```py\nx=1\n```\ntext\n~~~\ny\n~~~\n```\nunclosed"
    assert fx.count_code_blocks(text) == 3
    assert fx.count_code_blocks("inline ``` not at line start") == 0
    assert count_text("hello world") == 2


def test_message_text_joins_content_parts_and_tool_arguments() -> None:
    msg = {"role": "assistant", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": ""}, "b"],
           "tool_calls": [{"function": {"name": "write_file", "arguments": '{"p": 1}'}}]}
    assert message_text(msg) == 'a\nb\n{"p": 1}'
    assert content_text(msg["content"]) == "a\nb" and content_text(None) == ""


@pytest.mark.parametrize("name", ["", "my.strategy", "a/b", " padded"])
def test_strategy_names_that_cannot_sit_in_a_cell_id_are_refused(name: str) -> None:
    with pytest.raises(HybridEvalError, match="not usable in a cell id"):
        register(name)
    assert name not in strategy_names()


def test_optional_capabilities_are_found_through_the_protocols() -> None:
    escalating = {n for n in strategy_names() if isinstance(get_strategy(n), EscalatingStrategy)}
    scoring = {n for n in strategy_names() if isinstance(get_strategy(n), ScoringStrategy)}
    assert escalating == {"escalate"}
    assert scoring == {"heuristic", "cascade", "phase-aware"}
    heuristic = get_strategy("heuristic")
    assert isinstance(heuristic, ScoringStrategy)
    assert heuristic.score_request(RouteRequest(chat("hi"), None, 0), {})["score"] is not None


def test_newest_delta_ignores_system_prompt_and_old_turns() -> None:
    body = tool_turn("task", "tool says hi")
    assert fx.delta_text(body["messages"]) == "tool says hi"
    assert fx.delta_is_tool_result(body["messages"]) and fx.follows_tool_call(body["messages"])
    assert fx.is_agent_conversation(body, []) == (True, "tool message")
    assert fx.is_agent_conversation(chat("hi"), []) == (False, "plain chat")
    assert fx.is_agent_conversation({"messages": [], "tools": TOOLS}, [])[0]


# ---- rules -----------------------------------------------------------------------------------------


def test_rules_triggers() -> None:
    assert decide("rules", chat("fix the spelling in the title")).choice == "local"
    d = decide("rules", chat("Investigate the deadlock in the worker pool"))
    assert d.choice == "cloud" and d.features["cloud_keywords"] == ["deadlock", "investigate"]
    blocks = "\n".join("```\ncode\n```" for _ in range(3))
    d = decide("rules", chat(blocks))
    assert d.choice == "cloud" and d.features["code_blocks"] == 3
    d = decide("rules", chat("word " * 300), {"token_limit": 100})
    assert d.choice == "cloud" and d.features["tokens"] > 100
    # a local keyword pulls local against a cloud keyword, but not against a size trigger
    assert decide("rules", chat("rename the parser class")).choice == "local"
    assert decide("rules", chat("rename " + "word " * 300), {"token_limit": 100}).choice == "cloud"


def test_rules_counts_newest_turn_not_system_prompt() -> None:
    d = decide("rules", tool_turn("task", "ok"))
    assert d.choice == "local" and d.features["tokens"] < 5


def test_rules_word_boundary_no_false_local() -> None:
    d = decide("rules", chat("Restructure formatDate and commentary handling"))
    assert d.features["local_keywords"] == [] and d.choice == "cloud"


# ---- heuristic -------------------------------------------------------------------------------------


def test_heuristic_agent_first_call_plans_in_cloud() -> None:
    body = {"tools": TOOLS, "messages": [{"role": "system", "content": "agent"},
                                         {"role": "user", "content": "Add pagination to the API"}]}
    d = decide("heuristic", body)
    assert d.features["is_agent"] and d.features["parts"]["first_call_bonus"] > 0
    assert d.choice == "cloud"
    assert d.features["distance"] == pytest.approx(d.features["score"] - d.features["threshold"])


def test_heuristic_tool_result_goes_local() -> None:
    d = decide("heuristic", tool_turn("Refactor the storage layer", "def f():\n    return 1\n"))
    assert d.choice == "local" and d.features["parts"]["tool_discount"] < 0


def test_heuristic_chat_uses_chat_threshold_and_params() -> None:
    d = decide("heuristic", chat("What does this regex match?"))
    assert not d.features["is_agent"] and d.choice == "local" and d.features["threshold"] == 8
    assert decide("heuristic", chat("What does this regex match?"), {"chat_threshold": -5}).choice == "cloud"
    assert decide("heuristic", chat("Find the race condition in this worker")).choice == "cloud"


# ---- llm-classifier ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("reply", "expected"), [
    ("COMPLEX", "COMPLEX"), ("simple.", "SIMPLE"), ("<think>maybe COMPLEX</think>SIMPLE", "SIMPLE"),
    ("SIMPLE or COMPLEX", "unparseable"), ("SIMPLER", "unparseable"), ("", "unparseable"), (None, "unparseable"),
])
def test_classifier_parse(reply: str | None, expected: str) -> None:
    assert parse_answer(reply) == expected


def test_classifier_routes_and_counts_aux_tokens() -> None:
    aux = FakeAux("COMPLEX")
    d = decide("llm-classifier", chat("x" * 9000), aux=aux)
    assert d.choice == "cloud" and d.aux[0].usage.prompt == 120 and d.aux[0].model == "tiny-clf"
    sent = aux.chats[0]
    assert sent[0]["role"] == "system" and "SIMPLE" in sent[0]["content"] and len(sent[1]["content"]) == 4000
    assert decide("llm-classifier", chat("hi"), aux=FakeAux("SIMPLE")).choice == "local"


def test_classifier_failures_route_local_and_say_why() -> None:
    d = decide("llm-classifier", chat("hi"), aux=FakeAux("I think it is hard"))
    assert d.choice == "local" and "unparseable" in d.reason and d.aux
    d = decide("llm-classifier", chat("hi"), aux=FakeAux(fail=True))
    assert d.choice == "local" and "failed" in d.reason and not d.aux[0].ok
    d = decide("llm-classifier", chat("hi"), {"timeout_s": 0.05}, aux=FakeAux("COMPLEX", delay=5))
    assert d.choice == "local" and "timed out" in d.reason and d.aux[0].error.startswith("timeout")
    d = decide("llm-classifier", chat("hi"))
    assert d.choice == "local" and "no classifier available" in d.reason and d.aux == []


# ---- embedding-knn -----------------------------------------------------------------------------------


def test_knn_tfidf_deterministic_and_sensible() -> None:
    a = decide("embedding-knn", chat("Fix a typo in the README heading"))
    b = decide("embedding-knn", chat("Fix a typo in the README heading"))
    assert a.features == b.features and a.choice == "local"
    assert len(a.features["neighbours"]) == 5 and a.features["embedder"] == "tfidf"
    c = decide("embedding-knn", chat("Design a distributed job queue with retries and dead-lettering"))
    assert c.choice == "cloud"


def test_knn_ties_and_no_match_go_local() -> None:
    import numpy as np

    tied = vote(np.array([0.5, 0.5, 0.0]), ["cloud", "local", "cloud"], ["a", "b", "c"], k=2)
    assert tied["vote"] == {"local": 0.5, "cloud": 0.5}
    d = decide("embedding-knn", chat("zzqx vvbn"))
    assert d.choice == "local" and d.features["vote"] == {"local": 0.0, "cloud": 0.0}


def test_knn_openai_embedder_and_per_call_fallback() -> None:
    from pytest_hybrid_eval.routing import embedders as em

    em.openai_embedder._corpus.clear()
    labels = [ex.label for ex in em.load_corpus()]

    def vecs(texts: list[str]) -> list[list[float]]:
        if len(texts) == len(labels):
            return [[1.0, 0.0] if lab == "cloud" else [0.0, 1.0] for lab in labels]
        return [[1.0, 0.1]]

    failing = FakeAux(fail=True)
    d = decide("embedding-knn", chat("anything"), {"embedder": "openai", "embedding_model": "e"}, failing)
    assert d.features["embedder"] == "tfidf" and "tfidf fallback" in d.reason and d.aux and not d.aux[0].ok
    good = FakeAux(vectors=vecs)
    d = decide("embedding-knn", chat("anything"), {"embedder": "openai", "embedding_model": "e"}, good)
    assert d.features["embedder"] == "openai" and d.choice == "cloud" and len(d.aux) == 2
    d = decide("embedding-knn", chat("again"), {"embedder": "openai", "embedding_model": "e"}, good)
    assert len(d.aux) == 1 and len(good.embeds) == 3  # corpus embedded once per process and model
    em.openai_embedder._corpus.clear()


# ---- cascade ----------------------------------------------------------------------------------------


def test_cascade_asks_classifier_only_inside_band() -> None:
    aux = FakeAux("COMPLEX")
    # far below the chat threshold with a tiny band: heuristic decides, no aux call
    d = decide("cascade", chat("hi"), {"band": 1, "chat_threshold": 50}, aux)
    assert d.choice == "local" and aux.chats == [] and d.features["classifier_answer"] is None
    # inside the band: the classifier's COMPLEX wins over the heuristic's local
    d = decide("cascade", chat("hi"), {"band": 15}, aux)
    assert len(aux.chats) == 1 and d.features["heuristic_choice"] == "local"
    assert d.features["classifier_answer"] == "COMPLEX" and d.features["final"] == "cloud" == d.choice
    assert d.aux[0].usage.prompt == 120
    # inside the band without a classifier: heuristic choice kept, and the reason says so
    d = decide("cascade", chat("hi"), {"band": 15})
    assert d.choice == "local" and "no classifier available" in d.reason


# ---- phase-aware -------------------------------------------------------------------------------------


def test_phase_aware_agents() -> None:
    arch = {"messages": [{"role": "system", "content": AIDER_ARCHITECT}, {"role": "user", "content": "add x"}]}
    edit = {"messages": [{"role": "system", "content": AIDER_EDITOR}, {"role": "user", "content": "add x"}]}
    d = decide("phase-aware", arch)
    assert d.choice == "cloud" and d.features["phase"] == "aider-architect"
    d = decide("phase-aware", edit)
    assert d.choice == "local" and d.features["phase"] == "aider-editor"
    d = decide("phase-aware", cline("PLAN"))
    assert d.choice == "cloud" and d.features["phase"] == "cline-plan"
    d = decide("phase-aware", cline("ACT"))
    assert d.features["phase"] == "cline-act" and d.features["fallback"] and "heuristic fallback" in d.reason
    title = {"messages": [{"role": "system", "content": "You are a title generator. Output only a title."},
                          {"role": "user", "content": "Redesign the distributed architecture"}]}
    assert decide("phase-aware", title).choice == "local"
    d = decide("phase-aware", chat("hello"))
    assert d.features["phase"] is None and "no phase recognised: heuristic fallback" in d.reason


# ---- escalate ----------------------------------------------------------------------------------------


def _reply(content: Any = "done", finish: str = "stop", tool_calls: Any = None) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls is not None:
        msg["tool_calls"] = tool_calls
    return {"choices": [{"index": 0, "message": msg, "finish_reason": finish}]}


def _call(args: Any, name: str = "read_file") -> list[dict[str, Any]]:
    return [{"id": "1", "type": "function", "function": {"name": name, "arguments": args}}]


def test_escalate_decision() -> None:
    d = decide("escalate", chat("anything"))
    assert d.choice == "local" and d.verify_then_escalate


@pytest.mark.parametrize(("body", "why"), [
    (_reply("Here is the fix."), None),
    (_reply(None, "tool_calls", _call('{"path": "a.py"}')), None),
    (_reply(None, "tool_calls", _call("")), None),
    (_reply("", "stop"), "empty"),
    (_reply("   ", "stop"), "empty"),
    (_reply("half an ans", "length"), "truncated"),
    (_reply(None, "tool_calls", _call('{"path": "a.py"')), "malformed"),
    (_reply(None, "tool_calls", _call("[1, 2]")), "malformed"),
    (_reply(None, "tool_calls", _call("{}", name="")), "malformed"),
    (_reply("I'm sorry, but I can't help with that."), "refusal"),
    (_reply("As an AI language model I cannot run code."), "refusal"),
    (_reply("Done.\n" + "x" * 400 + "\nI'm sorry, but I can't resist one more note."), None),
    ({"choices": []}, "no choices"),
])
def test_needs_escalation(body: dict[str, Any], why: str | None) -> None:
    got = needs_escalation(body)
    if why is None:
        assert got is None
    else:
        assert got is not None and why in got


# ---- router evaluation ---------------------------------------------------------------------------------


def test_router_eval_runs_over_labelled_prompts() -> None:
    prompts = load_prompts()
    assert len(prompts) >= 60
    assert {p["kind"] for p in prompts} == {"chat", "agent"}
    assert any(m.get("role") == "tool" for p in prompts for m in p["body"]["messages"])
    rows = {r["strategy"]: r for r in evaluate(["always-local", "heuristic", "llm-classifier"])}
    local_share = sum(p["label"] == "local" for p in prompts) / len(prompts)
    assert rows["always-local"]["accuracy"] == pytest.approx(local_share, abs=1e-3)
    assert rows["always-local"]["cloud_share"] == 0
    assert rows["heuristic"]["accuracy"] > rows["always-local"]["accuracy"]
    assert rows["llm-classifier"]["no_classifier"] == len(prompts)
    assert rows["heuristic"]["decide_ms_p50"] is not None and not rows["heuristic"]["errors"]
    with_aux = evaluate(["llm-classifier"], aux=FakeAux("COMPLEX"))[0]
    assert with_aux["cloud_share"] == 1 and with_aux["aux_calls"] == len(prompts)


def test_eval_prompts_are_not_corpus_copies() -> None:
    from pytest_hybrid_eval.routing.embedders import load_corpus

    corpus = {ex.text.strip().lower() for ex in load_corpus()}
    texts = {fx.last_user_text(p["body"]["messages"]).strip().lower() for p in load_prompts()}
    assert not corpus & texts
    labels = [ex.label for ex in load_corpus()]
    assert len(labels) >= 50 and labels.count("local") == labels.count("cloud")
