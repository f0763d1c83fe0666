"""The scripted model's "skill": every random-looking choice is a hash, so a sweep replays exactly.

All draws are uniform numbers in [0, 1) taken from sha256 of the inputs that define the situation
(task, seed, call index, tier, purpose). Model answers, classifier labels and judge verdicts are keyed by
the task and seed, never the strategy (common random numbers): two strategies that send the same call to
the same tier get the same answer, as a real model at temperature 0 would, so paired comparisons see
only the routing difference. Injected faults stay keyed by cell (they model the infrastructure). Nothing depends on wall time, process or request order
(except fault retries, which are counted per (cell, call, tier, purpose) so a retried call can succeed).
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pytest_hybrid_eval.config import Skill, TierSpeed

FaultKind = Literal["http_500", "http_429", "bad_json", "stream_cut", "conn_refused", "read_stall"]
#: What each kind looks like to a client, which decides whether a proxy may retry it:
#: ``http_500``/``http_429`` are error statuses (retryable); ``bad_json`` and ``stream_cut`` arrive as a
#: 200 whose body breaks (too late to retry: bytes may already be with the agent); ``conn_refused`` drops
#: the connection before any response (a connection error, retryable); ``read_stall`` says nothing for
#: longer than the read timeout (a timeout, retryable).
FAULT_KINDS: tuple[FaultKind, ...] = ("http_500", "http_429", "bad_json", "stream_cut", "conn_refused", "read_stall")
#: The kinds a client sees before any response byte, so a retry policy can (and should) retry them.
RETRYABLE_FAULTS: frozenset[FaultKind] = frozenset({"http_500", "http_429", "conn_refused", "read_stall"})


def draw(*parts: object) -> float:
    """A deterministic uniform number in [0, 1) for the given parts (order matters)."""
    key = "\x1f".join(str(p) for p in parts).encode("utf-8")
    digest = hashlib.sha256(key).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def situation(cell_id: str) -> str:
    """The part of a cell id that a model's answer may depend on: its task (agent and strategy dropped).

    An id that is not a cell id (``task.agent.strategy.sSEED``) is used whole.
    """
    parts = cell_id.split(".")
    return parts[0] if len(parts) == 4 else cell_id


def answers_correctly(skill: Skill, difficulty: str, cell_id: str, call_index: int, seed: int, tier: str) -> bool:
    """True when this call's answer is the reference solution; the same for every strategy of a task.

    ``u < p`` with ``u`` in [0, 1) makes skill 1.0 always right and 0.0 always wrong.
    """
    p = float(getattr(skill, difficulty))
    return draw("answer", situation(cell_id), call_index, seed, tier) < p


def classifier_label(difficulty: str | None, error_rate: float, cell_id: str, call_index: int, seed: int,
                     tier: str) -> str:
    """What a small router classifier says about the task: right label, flipped with ``error_rate``."""
    truth = "COMPLEX" if difficulty == "hard" else "SIMPLE"
    if draw("classifier", situation(cell_id), call_index, seed, tier) < error_rate:
        return "SIMPLE" if truth == "COMPLEX" else "COMPLEX"
    return truth


def fault_for(rate: float, cell_id: str, call_index: int, tier: str, attempt: int,
              purpose: str = "") -> FaultKind | None:
    """The fault injected into this attempt of a call, or None; the kind is an independent draw.

    ``purpose`` names a helper request (``classifier``, ...) made on behalf of the call; it gets its own
    draws (and its own attempt counter at the server), so a strategy's aux calls never shift which
    attempts of the call itself are faulted and a row's faults can be recomputed from the row alone.
    The empty purpose (the call itself) keeps the draw keys of the original four-part form.
    """
    key: tuple[object, ...] = (cell_id, call_index, tier, attempt, *((purpose,) if purpose else ()))
    if rate <= 0.0 or draw("fault", *key) >= rate:
        return None
    pick = draw("fault-kind", *key)
    return FAULT_KINDS[min(int(pick * len(FAULT_KINDS)), len(FAULT_KINDS) - 1)]


def modelled_ms(speed: TierSpeed, completion_tokens: int) -> float:
    """Time a model of this tier would need: time to first token plus generation at tokens/s."""
    return speed.ttft_ms + completion_tokens / speed.tokens_per_s * 1000.0
