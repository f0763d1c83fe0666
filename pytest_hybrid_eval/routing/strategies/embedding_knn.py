"""Embedding k-NN: a similarity-weighted vote of the k nearest labelled examples.

The newest user/tool delta is embedded and compared (cosine) with router/knn_corpus.jsonl. Ties, and
a query that resembles nothing, go local: without evidence the cheap tier is the default. With the
"openai" embedder a failed embedding call falls back to TF-IDF for that call only and says so;
hybrid-coding-eval instead disabled the strategy until restart.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pytest_hybrid_eval.routing import embedders as em
from pytest_hybrid_eval.routing import features as fx
from pytest_hybrid_eval.routing.strategies import register
from pytest_hybrid_eval.routing.strategies.base import Decision, RouteRequest, StrategyContext
from pytest_hybrid_eval.usage import AuxCall

DATA_FILES = (em.CORPUS_FILE,)
MAX_CHARS = 4000


def query_text(req: RouteRequest) -> str:
    return (fx.delta_text(req.messages) or fx.last_user_text(req.messages))[:MAX_CHARS]


def vote(similarities: np.ndarray, labels: list[str], ids: list[str], k: int) -> dict[str, Any]:
    """Top-k by similarity (stable: equal similarities keep corpus order) and the weighted vote."""
    k = max(1, min(k, len(labels)))
    order = np.argsort(-similarities, kind="stable")[:k]
    tally = {"local": 0.0, "cloud": 0.0}
    neighbours = []
    for i in order:
        sim = float(similarities[i])
        tally[labels[i]] += max(sim, 0.0)  # a dissimilar neighbour carries no weight
        neighbours.append({"id": ids[i], "label": labels[i], "similarity": round(sim, 4)})
    return {"neighbours": neighbours, "vote": {k_: round(v, 4) for k_, v in tally.items()}}


@register("embedding-knn")
class EmbeddingKnn:
    name = "embedding-knn"

    async def decide(self, req: RouteRequest, ctx: StrategyContext) -> Decision:
        k = int(ctx.params.get("k", 5))
        wanted = str(ctx.params.get("embedder", "tfidf"))
        text = query_text(req)
        corpus = em.load_corpus()
        labels = [ex.label for ex in corpus]
        ids = [ex.id for ex in corpus]
        aux: list[AuxCall] = []
        fallback_why: str | None = None
        sims: np.ndarray | None = None
        used = "tfidf"

        if wanted == "openai":
            sims, fallback_why = await self._openai_similarities(req, ctx, text, aux)
            if sims is not None:
                used = "openai"
        elif wanted != "tfidf":
            fallback_why = f"unknown embedder {wanted!r}"
        if sims is None:
            emb, matrix = em.tfidf_index()
            sims = matrix @ emb.embed([text])[0]

        result = vote(sims, labels, ids, k)
        tally = result["vote"]
        choice = "cloud" if tally["cloud"] > tally["local"] else "local"
        total = tally["cloud"] + tally["local"]
        confidence = round(max(tally.values()) / total, 3) if total > 0 else 0.5
        if total == 0:
            reason = "no similar example; local by default"
        elif tally["cloud"] == tally["local"]:
            reason = "tied vote; local"
        else:
            reason = f"{choice} vote {tally[choice]:.2f} of {total:.2f} over k={k}"
        if fallback_why:
            reason += f" (tfidf fallback: {fallback_why})"
        features: dict[str, Any] = {
            "embedder": used,
            "embedder_requested": wanted,
            "k": k,
            **result,
            "data_sha": fx.data_sha(*DATA_FILES),
        }
        if fallback_why:
            features["fallback"] = fallback_why
        return Decision(choice, reason, confidence, features, aux)

    async def _openai_similarities(self, req: RouteRequest, ctx: StrategyContext, text: str,
                                   aux: list[AuxCall]) -> tuple[np.ndarray | None, str | None]:
        if ctx.aux is None:
            return None, "no embedding client"
        model = str(ctx.params.get("embedding_model", ""))
        timeout_s = float(ctx.params.get("timeout_s", 10))
        try:
            matrix, call, err = await em.openai_embedder.corpus_matrix(ctx.aux, model, req.cell_id, timeout_s)
            if call is not None:
                aux.append(call)
            if matrix is None:
                return None, err
            vec, call, err = await em.openai_embedder.embed_one(ctx.aux, text, model, req.cell_id, timeout_s)
            aux.append(call)
        except Exception as exc:  # the client should not raise; if it does, this call still routes
            return None, f"embedding client raised {type(exc).__name__}: {exc}"
        if vec is None:
            return None, err
        if vec.shape[0] != matrix.shape[1]:
            return None, f"query dim {vec.shape[0]} != corpus dim {matrix.shape[1]}"
        return matrix @ vec, None
