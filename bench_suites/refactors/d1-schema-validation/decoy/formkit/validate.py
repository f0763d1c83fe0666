"""Validate plain request data (dicts, lists, scalars) against a small dict-based schema."""

from __future__ import annotations

from typing import Any

from formkit.issues import Issue


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "int":
        return isinstance(value, int)
    if kind == "float":
        return isinstance(value, (int, float))
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    raise ValueError(f"unknown schema type {kind!r}")


def _check(schema: dict, value: Any, path: str, out: list[Issue]) -> None:
    kind = schema["type"]
    if not _type_ok(kind, value):
        out.append(Issue(path, "type"))
        return
    if kind in ("int", "float"):
        if "min" in schema and value < schema["min"]:
            out.append(Issue(path, "min"))
        if "max" in schema and value > schema["max"]:
            out.append(Issue(path, "max"))
    elif kind == "str":
        if "min_len" in schema and len(value) < schema["min_len"]:
            out.append(Issue(path, "min_len"))
        if "max_len" in schema and len(value) > schema["max_len"]:
            out.append(Issue(path, "max_len"))
    elif kind == "list":
        if "min_items" in schema and len(value) < schema["min_items"]:
            out.append(Issue(path, "min_items"))
        if "max_items" in schema and len(value) > schema["max_items"]:
            out.append(Issue(path, "max_items"))
        if "items" in schema:
            for i, item in enumerate(value):
                _check(schema["items"], item, f"{path}[{i}]", out)
    elif kind == "object":
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                out.append(Issue(f"{path}.{key}", "required"))
        for key, item in value.items():
            if key in props:
                _check(props[key], item, f"{path}.{key}", out)


def validate(schema: dict, data: Any) -> list[Issue]:
    out: list[Issue] = []
    _check(schema, data, "$", out)
    return sorted(out, key=lambda issue: (issue.path, issue.code))
