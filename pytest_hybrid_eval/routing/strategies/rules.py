"""Rules: cloud when any hard trigger fires (newest-turn size, many code blocks, a cloud keyword).

Size is measured on the newest user/tool delta, not the whole prompt: agents resend a large system
prompt every call, and counting it would send every agent call to the cloud.
"""

from __future__ import annotations

from typing import Any

from pytest_hybrid_eval.routing import features as fx
from pytest_hybrid_eval.routing.strategies import register
from pytest_hybrid_eval.routing.strategies.base import Decision, RouteRequest, StrategyContext
from pytest_hybrid_eval.routing.tokens import ENCODING_NAME, count_text

DATA_FILES = ("keywords.yaml",)


def keyword_matchers() -> tuple[fx.KeywordMatcher, fx.KeywordMatcher]:
    """(cloud, local) matchers built from router/keywords.yaml; rebuilt only when the file changes."""
    kw = fx.load_keywords()
    key = (tuple(kw.get("cloud") or ()), tuple(kw.get("local") or ()))
    cached = _matcher_cache.get(key)
    if cached is None:
        cached = (fx.KeywordMatcher(key[0]), fx.KeywordMatcher(key[1]))
        _matcher_cache.clear()
        _matcher_cache[key] = cached
    return cached


_matcher_cache: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[fx.KeywordMatcher, fx.KeywordMatcher]] = {}


@register("rules")
class Rules:
    name = "rules"

    async def decide(self, req: RouteRequest, ctx: StrategyContext) -> Decision:
        token_limit = int(ctx.params.get("token_limit", 4000))
        block_limit = int(ctx.params.get("code_blocks", 3))
        text = fx.delta_text(req.messages)
        tokens = count_text(text)
        blocks = fx.count_code_blocks(text)
        cloud_m, local_m = keyword_matchers()
        cloud_kw = cloud_m.find(text)
        local_kw = local_m.find(text)
        features: dict[str, Any] = {
            "tokens": tokens,
            "tokenizer": ENCODING_NAME,
            "code_blocks": blocks,
            "cloud_keywords": cloud_kw,
            "local_keywords": local_kw,
            "token_limit": token_limit,
            "code_block_limit": block_limit,
            "data_sha": fx.data_sha(*DATA_FILES),
        }
        if tokens > token_limit:
            return Decision("cloud", f"newest turn has {tokens} tokens > {token_limit}", 0.9, features)
        if blocks >= block_limit:
            return Decision("cloud", f"{blocks} code blocks >= {block_limit}", 0.8, features)
        if local_kw:
            # Per the rule set: a local keyword pulls local whenever no size/code trigger fired,
            # even against a cloud keyword; the reason names both so the row shows the override.
            why = f"local keywords: {', '.join(local_kw)}"
            if cloud_kw:
                why += f" (override cloud keywords: {', '.join(cloud_kw)})"
            return Decision("local", why, 0.6 if cloud_kw else 0.7, features)
        if cloud_kw:
            return Decision("cloud", f"cloud keywords: {', '.join(cloud_kw)}", 0.7, features)
        return Decision("local", "no trigger fired", 0.6, features)
