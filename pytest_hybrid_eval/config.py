"""The sweep configuration: one pydantic model, YAML files, dotted overrides, a canonical sha256.

Extra keys are forbidden everywhere so a typo is an error that names the nearest valid key, never a
setting that is silently ignored (one of hybrid-coding-eval's confounds: fields accepted but never applied).
"""

from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pytest_hybrid_eval.errors import ConfigError

Tier = Literal["local", "cloud"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelEndpoint(_Strict):
    """A live model: any OpenAI-compatible server (or Ollama's native API)."""

    name: str
    backend: Literal["openai_compat", "ollama"] = "openai_compat"
    base_url: str = "http://127.0.0.1:11434/v1"
    api_key_env: str | None = Field(
        default=None, description="Name of the environment variable holding the key; the key itself is never stored."
    )


class Models(_Strict):
    local: ModelEndpoint = ModelEndpoint(name="qwen3.6:35b", base_url="http://127.0.0.1:11434/v1")
    cloud: ModelEndpoint = ModelEndpoint(name="gpt-5.5", base_url="https://api.openai.com/v1", api_key_env="OPENAI_API_KEY")
    router_classifier: str = "qwen3:0.6b"
    fallback_cloud: str | None = Field(
        default=None, description="Not supported: no fallback model is ever called; setting it is an error.")

    @field_validator("fallback_cloud")
    @classmethod
    def _no_fallback(cls, v: str | None) -> str | None:
        # The proxy has no fallback path (a silent fallback was one of hybrid-coding-eval's confounds); a value here
        # would be a setting accepted but never applied.
        if v is not None:
            raise ValueError("fallback_cloud is not supported (the proxy never falls back to another model); "
                             "remove it")
        return v


class Skill(_Strict):
    """Probability that the scripted model answers a task of each difficulty correctly."""

    easy: float = Field(ge=0.0, le=1.0)
    medium: float = Field(ge=0.0, le=1.0)
    hard: float = Field(ge=0.0, le=1.0)


class TierSpeed(_Strict):
    tokens_per_s: float = Field(gt=0)
    ttft_ms: float = Field(ge=0)


class ScriptedConfig(_Strict):
    """The offline backend: a model of configurable skill, deterministic per (cell, call, seed)."""

    local: Skill = Skill(easy=0.85, medium=0.6, hard=0.35)
    cloud: Skill = Skill(easy=0.98, medium=0.95, hard=0.9)
    local_speed: TierSpeed = TierSpeed(tokens_per_s=45.0, ttft_ms=250.0)
    cloud_speed: TierSpeed = TierSpeed(tokens_per_s=120.0, ttft_ms=600.0)
    latency_scale: float = Field(
        default=0.0, ge=0.0, le=1.0,
        description="Fraction of the modelled latency actually slept (0 = answer at once; the modelled figure is still reported in headers).",
    )
    classifier_error_rate: float = Field(default=0.1, ge=0.0, le=1.0)
    fault_rate: float = Field(default=0.0, ge=0.0, le=1.0)


class TaskSelection(_Strict):
    roots: list[str] = ["bench_suites"]
    classes: list[str] = []
    families: list[str] = []
    ids: list[str] = []


class Timeouts(_Strict):
    agent_s: float | None = Field(default=None, gt=0, description="Overrides each task's agent_timeout_s when set.")
    test_s: float | None = Field(default=None, gt=0, description="Overrides each task's test_timeout_s when set.")
    connect_s: float = Field(default=10.0, gt=0)
    read_s: float = Field(default=180.0, gt=0)


class Retry(_Strict):
    max_retries: int = Field(default=2, ge=0, le=10)
    backoff_s: float = Field(default=0.5, ge=0)


class SandboxConfig(_Strict):
    kind: Literal["auto", "bwrap", "docker", "process"] = "auto"
    memory_mb: int = Field(default=1024, ge=64)
    pids: int = Field(default=256, ge=8)
    cpu_s: int = Field(default=120, ge=1)


class AgentSettings(_Strict):
    max_turns: int = Field(default=4, ge=1, le=50, description="Turn limit of the built-in agent and step limit of CLI agents.")


class ScoringConfig(_Strict):
    review_scorer: Literal["rubric", "llm-judge"] = Field(
        default="rubric",
        description="How d4 review tasks are scored: the deterministic rubric, or the LLM judge on the cloud tier.",
    )


class PricingConfig(_Strict):
    table: str = Field(default="pricing_tables.json", description="File under pricing/ (or a path).")
    primary: str = "gpt-5.5"
    scenarios: list[str] = ["gpt-5.5", "gpt-5", "gpt-5-mini", "claude-opus-4-7", "claude-sonnet-4-6", "claude-haiku-4-5"]


class RoutingConfig(_Strict):
    params: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-strategy parameters, e.g. {heuristic: {threshold: 12}}."
    )
    retry: Retry = Retry()
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    record_dir: str | None = Field(
        default=None, description="Store every upstream exchange here (one file per exchange) for replay.")
    replay_dir: str | None = Field(
        default=None, description="Answer every call from a record_dir store; no backend is contacted.")

    @model_validator(mode="after")
    def _record_or_replay(self) -> RoutingConfig:
        if self.record_dir is not None and self.replay_dir is not None:
            raise ValueError("record_dir and replay_dir are exclusive; set only one of them")
        return self


class ProxyConfig(_Strict):
    """Limits of the routing proxy's HTTP server: a loopback port any local process (or browser page) can
    reach, so a stuck or hostile client must not hold connections open or buy unbounded cloud output."""

    idle_timeout_s: float = Field(
        default=75.0, gt=0, description="Close a connection that has no request in flight for this long "
                                       "(from connect, or since its last reply).")
    header_timeout_s: float = Field(
        default=10.0, gt=0, description="Close a new connection whose first request line and headers are not "
                                       "complete within this many seconds (slow-header clients).")
    max_n: int = Field(default=8, ge=1, description="Largest 'n' (choices per call) the proxy forwards; more is a 400.")
    max_tokens: int = Field(
        default=131072, ge=1,
        description="Largest 'max_tokens' / 'max_completion_tokens' the proxy forwards; more is a 400.")


class BudgetConfig(_Strict):
    """A hard cap on cloud spend, enforced by the proxy as calls complete (prices from pricing.table)."""

    max_cloud_usd: float | None = Field(
        default=None, ge=0.0, description="Refuse cloud calls (HTTP 402) once this much has been spent; None = no cap.")


class AnalysisConfig(_Strict):
    """How the analysis decides: a cheaper strategy is recommended only if it is shown non-inferior."""

    margin: float = Field(
        default=0.05, gt=0.0, lt=1.0,
        description="Largest pass-rate drop (as a fraction) accepted for a cheaper strategy: it is recommended only "
                    "if the one-sided 95% lower bound of its paired difference from the best is above -margin.")


class SweepConfig(_Strict):
    name: str = "smoke"
    backend: Literal["scripted", "live"] = "scripted"
    agents: list[str] = ["builtin"]
    strategies: list[str] = ["always-local", "always-cloud"]
    seeds: list[int] = [42]
    models: Models = Models()
    scripted: ScriptedConfig = ScriptedConfig()
    tasks: TaskSelection = TaskSelection()
    timeouts: Timeouts = Timeouts()
    sandbox: SandboxConfig = SandboxConfig()
    agent: AgentSettings = AgentSettings()
    scoring: ScoringConfig = ScoringConfig()
    pricing: PricingConfig = PricingConfig()
    routing: RoutingConfig = RoutingConfig()
    proxy: ProxyConfig = ProxyConfig()
    budget: BudgetConfig = BudgetConfig()
    analysis: AnalysisConfig = AnalysisConfig()
    out_dir: str = Field(default="results/runs/{name}", description="'{name}' is replaced by the sweep name.")

    @field_validator("agents", "strategies")
    @classmethod
    def _nonempty_unique(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("must list at least one name")
        if len(set(v)) != len(v):
            raise ValueError("names must be unique")
        return v

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, v: list[int]) -> list[int]:
        if not v or len(set(v)) != len(v):
            raise ValueError("must list at least one seed, each once")
        return v

    def resolved_out_dir(self, base: Path | None = None) -> Path:
        out = Path(self.out_dir.replace("{name}", self.name))
        return out if out.is_absolute() or base is None else base / out

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


# -- loading and overrides -------------------------------------------------------------------------------


def _first_error(exc: ValidationError, source: str, data: dict[str, Any] | None = None) -> ConfigError:
    err = exc.errors()[0]
    loc = [str(x) for x in err["loc"]]
    path = ".".join(loc) or "(root)"
    if err["type"] == "extra_forbidden":
        hint = nearest_key(loc)
        fix = f"did you mean '{hint}'?" if hint else "remove it"
        return ConfigError(f"{source}: unknown key '{path}'; {fix}")
    return ConfigError(f"{source}: '{path}': {err['msg']}")


def _fields_at(loc: list[str]) -> list[str]:
    """Valid field names at the parent of a dotted path (for 'did you mean')."""
    model: type[BaseModel] | None = SweepConfig
    for part in loc[:-1]:
        if model is None or part not in model.model_fields:
            return []
        ann = model.model_fields[part].annotation
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    return list(model.model_fields) if model is not None else []


def nearest_key(loc: list[str]) -> str | None:
    options = _fields_at(loc)
    match = difflib.get_close_matches(loc[-1], options, n=1, cutoff=0.5)
    if not match:
        return None
    return ".".join([*loc[:-1], match[0]])


def load_yaml(path: Path | str) -> dict[str, Any]:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found; pass an existing file to --hybrid-config") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML ({str(exc).splitlines()[0]}); fix the syntax") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the config as UTF-8 YAML") from None
    except OSError as exc:  # a directory, no permission, ...
        raise ConfigError(f"{path}: cannot read the config ({exc.strerror or type(exc).__name__}); "
                          "pass a readable YAML file to --hybrid-config") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a sweep config must be a mapping of keys (name, agents, strategies, …)")
    return data


def apply_override(data: dict[str, Any], expr: str) -> None:
    """Apply one ``a.b.c=value`` override in place; the value is parsed as YAML (so ``[x,y]`` is a list)."""
    if "=" not in expr:
        raise ConfigError(f"--hybrid-set {expr!r}: expected KEY=VALUE, e.g. models.local.name=qwen3.6:35b")
    key, _, raw = expr.partition("=")
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise ConfigError(f"--hybrid-set {expr!r}: empty key")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    _check_path(parts, expr)
    node = data
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            node[part] = nxt
        node = nxt
    node[parts[-1]] = value


def _check_path(parts: list[str], expr: str) -> None:
    model: type[BaseModel] | None = SweepConfig
    for i, part in enumerate(parts):
        if model is None:
            return  # inside a free-form mapping (e.g. routing.params.<strategy>.<key>)
        if part not in model.model_fields:
            hint = nearest_key(parts[: i + 1])
            fix = f"did you mean '{hint}'?" if hint else f"valid keys here: {', '.join(model.model_fields)}"
            raise ConfigError(f"--hybrid-set {expr!r}: unknown key '{'.'.join(parts[: i + 1])}'; {fix}")
        ann = model.model_fields[part].annotation
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
        if model is None and i < len(parts) - 1 and not _is_mapping(ann):
            raise ConfigError(f"--hybrid-set {expr!r}: '{'.'.join(parts[: i + 1])}' is a value, not a section")


def _is_mapping(ann: Any) -> bool:
    return getattr(ann, "__origin__", None) is dict


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def build_config(path: Path | str | None, overrides: list[str] = (), flags: dict[str, Any] | None = None) -> SweepConfig:
    """Defaults, then the config file, then ``flags`` (options as dotted keys), then ``--hybrid-set``.

    Layers merge key by key, so overriding one leaf (``scripted.cloud.easy=1``) keeps its siblings.
    """
    data = load_yaml(path) if path else {}
    try:
        SweepConfig.model_validate(data)
    except ValidationError as exc:
        if any(e["type"] == "extra_forbidden" for e in exc.errors()):
            raise _first_error(exc, str(path)) from None
    data = _deep_merge(SweepConfig().model_dump(mode="json"), data)
    source = str(path) if path else "config"
    for key, value in (flags or {}).items():
        if value is None:
            continue
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    for expr in overrides:
        apply_override(data, expr)
        source = f"{source} + --hybrid-set"
    try:
        return SweepConfig.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, source, data) from None
