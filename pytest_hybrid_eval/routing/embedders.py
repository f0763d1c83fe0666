"""Embedders for the embedding-knn strategy: an offline TF-IDF one and an OpenAI-compatible one.

TF-IDF is the default because it needs no model and no network, so the strategy is usable (and
deterministic) in every run; it is fitted on router/knn_corpus.jsonl once per process behind a
thread lock. The OpenAI-compatible embedder goes through ``ctx.aux.embed`` so its tokens are counted;
the corpus is embedded once per process and model, guarded by an asyncio lock, and a failure is not
cached: the next call simply tries again.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import threading
import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pytest_hybrid_eval.datafiles import data_path
from pytest_hybrid_eval.routing.strategies.base import AuxClient
from pytest_hybrid_eval.usage import AuxCall

CORPUS_FILE = "knn_corpus.jsonl"

_STOP_WORDS = (
    "a an the and or but if then so to of in on at by for with from into onto this that these those it its "
    "is are was were be been being do does did i we you our your my me us can could should would will "
    "please just some any all as not no"
)
_STOP = frozenset(_STOP_WORDS.split())
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class CorpusExample:
    id: str
    label: str
    text: str


def load_corpus() -> list[CorpusExample]:
    """The labelled examples; each line needs a text and a label of "local" or "cloud"."""
    out: list[CorpusExample] = []
    path = data_path("router", CORPUS_FILE)
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("label") not in ("local", "cloud") or not isinstance(row.get("text"), str):
            raise ValueError(f"{path}:{n}: need a text and label local|cloud")
        out.append(CorpusExample(str(row.get("id", n)), row["label"], row["text"]))
    return out


def _stem(word: str) -> str:
    """A deliberately tiny suffix stripper: enough to match "renaming" with "rename"-ish stems."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased stemmed words minus stop words, plus adjacent-word bigrams for phrases."""
    # split camelCase and snake_case so identifiers contribute their words
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower().replace("_", " ")
    words = [_stem(w) for w in _WORD.findall(text) if w not in _STOP and len(w) > 1]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


class TfidfEmbedder:
    """Sublinear-tf TF-IDF with smoothed idf and L2 normalisation, implemented on numpy."""

    name = "tfidf"

    def __init__(self, documents: Sequence[str]) -> None:
        docs = [tokenize(d) for d in documents]
        df: Counter[str] = Counter()
        for toks in docs:
            df.update(set(toks))
        self.vocab = {term: i for i, term in enumerate(sorted(df))}
        n = len(docs)
        self.idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in sorted(df)])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        mat = np.zeros((len(texts), len(self.vocab)))
        for row, text in enumerate(texts):
            for term, count in Counter(tokenize(text)).items():
                col = self.vocab.get(term)
                if col is not None:
                    mat[row, col] = 1.0 + math.log(count)
        mat *= self.idf
        return normalize_rows(mat)


def normalize_rows(mat: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    norms[norms == 0] = 1.0  # an all-zero row stays zero: similarity 0 to everything
    return mat / norms


_tfidf_lock = threading.Lock()
_tfidf: tuple[TfidfEmbedder, np.ndarray] | None = None


def tfidf_index() -> tuple[TfidfEmbedder, np.ndarray]:
    """(embedder, corpus matrix), built once per process; the lock makes concurrent first calls safe."""
    global _tfidf
    if _tfidf is None:
        with _tfidf_lock:
            if _tfidf is None:
                texts = [ex.text for ex in load_corpus()]
                emb = TfidfEmbedder(texts)
                _tfidf = (emb, emb.embed(texts))
    return _tfidf


class OpenAIEmbedder:
    """Embeds through the proxy's AuxClient (``/v1/embeddings`` on the local backend)."""

    name = "openai"

    def __init__(self) -> None:
        self._corpus: dict[str, np.ndarray] = {}
        # asyncio locks belong to one event loop; keep one per loop so tests and servers may differ
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._guard = threading.Lock()

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._guard:
            lock = self._locks.get(loop)
            if lock is None:
                lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def corpus_matrix(self, aux: AuxClient, model: str, cell_id: str | None,
                            timeout_s: float) -> tuple[np.ndarray | None, AuxCall | None, str | None]:
        """(matrix, aux record of the call made now or None if cached, error)."""
        cached = self._corpus.get(model)
        if cached is not None:
            return cached, None, None
        async with self._lock():
            cached = self._corpus.get(model)
            if cached is not None:
                return cached, None, None
            texts = [ex.text for ex in load_corpus()]
            vectors, call = await aux.embed(texts, model, cell_id, timeout_s)
            mat, err = _as_matrix(vectors, len(texts))
            if mat is None:
                return None, call, f"corpus embedding failed: {call.error or err}"
            self._corpus[model] = mat
            return mat, call, None

    async def embed_one(self, aux: AuxClient, text: str, model: str, cell_id: str | None,
                        timeout_s: float) -> tuple[np.ndarray | None, AuxCall, str | None]:
        vectors, call = await aux.embed([text], model, cell_id, timeout_s)
        mat, err = _as_matrix(vectors, 1)
        if mat is None:
            return None, call, f"query embedding failed: {call.error or err}"
        return mat[0], call, None


def _as_matrix(vectors: list[list[float]] | None, expected: int) -> tuple[np.ndarray | None, str | None]:
    if vectors is None:
        return None, "no vectors"
    if len(vectors) != expected:
        return None, f"got {len(vectors)} vectors for {expected} texts"
    try:
        mat = np.asarray(vectors, dtype=float)
    except (TypeError, ValueError) as exc:
        return None, f"bad vectors: {exc}"
    if mat.ndim != 2 or mat.shape[1] == 0 or not np.isfinite(mat).all():
        return None, "bad vector shape or values"
    return normalize_rows(mat), None


openai_embedder = OpenAIEmbedder()
