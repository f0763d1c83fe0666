"""The scripted ``/v1/embeddings``: a hashed bag of words, so an embedding router works offline."""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from pytest_hybrid_eval.routing import tokens
from pytest_hybrid_eval.simulator.transport import BadRequest

__all__ = ["EMBED_DIM", "embed", "embedding_inputs"]

EMBED_DIM = 256
_WORD = re.compile(r"[a-z0-9_]+")


def embedding_inputs(raw: Any) -> list[str]:
    """The texts of an ``input``: OpenAI accepts a string, a list of strings, a token list, or a list of them."""
    def one(item: Any) -> str:
        if isinstance(item, str):
            return item
        if isinstance(item, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in item):
            try:
                return tokens.encoding().decode(item)
            except Exception:  # token ids out of range
                raise BadRequest(400, "'input' contains invalid token ids") from None
        raise BadRequest(400, "'input' must be a string, a list of strings or a list of token ids")

    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and raw and all(isinstance(t, int) and not isinstance(t, bool) for t in raw):
        return [one(raw)]
    if isinstance(raw, list) and raw:
        return [one(item) for item in raw]
    raise BadRequest(400, "'input' must be a non-empty string or list")


def embed(text: str, dims: int = EMBED_DIM) -> list[float]:
    """Hashed bag of words: each lower-cased word adds ±1 to a hashed slot; the result has unit length.

    Texts sharing words get a positive cosine, which is all a kNN router needs to behave sensibly
    offline; the empty text maps to the zero vector (no direction to normalise).
    """
    vec = [0.0] * dims
    for word in _WORD.findall(text.lower()):
        digest = hashlib.sha256(word.encode("utf-8")).digest()
        slot = int.from_bytes(digest[:4], "big") % dims
        vec[slot] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vec))
    return [v / norm for v in vec] if norm else vec
