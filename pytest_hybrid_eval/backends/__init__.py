"""Upstream model servers the proxy forwards to, and ``make_backends`` that builds them from a config.

The API key is read from the environment variable the config names, once, here; it lives only in the
backend object's memory.
"""

from __future__ import annotations

import os

from pytest_hybrid_eval.backends.base import Backend, BackendUnavailable
from pytest_hybrid_eval.backends.openai_compat import OpenAICompatBackend, ScriptedBackend
from pytest_hybrid_eval.config import ModelEndpoint, SweepConfig
from pytest_hybrid_eval.errors import ConfigError

__all__ = ["Backend", "BackendUnavailable", "OpenAICompatBackend", "ScriptedBackend", "make_backends"]


def _live_backend(tier: str, ep: ModelEndpoint, config: SweepConfig) -> OpenAICompatBackend:
    api_key: str | None = None
    if ep.api_key_env:
        api_key = os.environ.get(ep.api_key_env)
        if not api_key:
            raise ConfigError(
                f"models.{tier}.api_key_env names the environment variable {ep.api_key_env}, which is not set; "
                f"export it or set models.{tier}.api_key_env to null")
    base = ep.base_url.rstrip("/")
    if ep.backend == "ollama" and not base.endswith("/v1"):
        # Ollama is reached through its OpenAI-compatible /v1 API for now (not the native /api/chat).
        base = f"{base}/v1"
    return OpenAICompatBackend(base, ep.name, api_key=api_key, kind="openai_compat",
                               connect_s=config.timeouts.connect_s, read_s=config.timeouts.read_s)


def make_backends(config: SweepConfig, scripted_base_url: str | None) -> dict[str, Backend]:
    """One backend per tier. Both get the same timeouts; the retry policy is applied by the proxy."""
    if config.backend == "scripted":
        if not scripted_base_url:
            raise ConfigError("backend 'scripted' needs the scripted server's URL; start it with the proxy")
        base = scripted_base_url.rstrip("/")
        return {
            tier: ScriptedBackend(f"{base}/{tier}/v1", ep.name, api_key=None, kind="scripted",
                                  connect_s=config.timeouts.connect_s, read_s=config.timeouts.read_s)
            for tier, ep in (("local", config.models.local), ("cloud", config.models.cloud))
        }
    return {
        "local": _live_backend("local", config.models.local, config),
        "cloud": _live_backend("cloud", config.models.cloud, config),
    }
