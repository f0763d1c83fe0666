"""A small template engine: {{ expr | filter }}, {% if %}/{% else %}, {% for %} and {# comments #}."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


class TemplateError(Exception):
    """Base class of every error raised by this module."""


class TemplateSyntaxError(TemplateError):
    """The template source is malformed (raised when the Template is built)."""


class UndefinedVariableError(TemplateError):
    """A variable used by the template cannot be resolved (raised while rendering)."""


class Template:
    """A compiled template."""

    def __init__(self, source: str, filters: Mapping[str, Callable[[Any], Any]] | None = None) -> None:
        self.source = source
        self.filters = dict(filters or {})

    def render(self, context: Mapping[str, Any]) -> str:
        """Render with the given variables."""
        return ""


def render(source: str, context: Mapping[str, Any], filters: Mapping[str, Callable[[Any], Any]] | None = None) -> str:
    """Compile `source` and render it in one step."""
    return ""
