"""A small template engine: {{ expr | filter }}, {% if %}/{% else %}, {% for %} and {# comments #}."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


class TemplateError(Exception):
    """Base class of every error raised by this module."""


class TemplateSyntaxError(TemplateError):
    """The template source is malformed (raised when the Template is built)."""


class UndefinedVariableError(TemplateError):
    """A variable used by the template cannot be resolved (raised while rendering)."""


_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+))*\Z")
_IF = re.compile(r"if\s+(?:(not)\s+)?(\S+)\Z")
_FOR = re.compile(r"for\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\s+(\S+)\Z")
_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}"}

BUILTIN_FILTERS: dict[str, Callable[[Any], Any]] = {
    "upper": lambda v: str(v).upper(),
    "lower": lambda v: str(v).lower(),
    "title": lambda v: str(v).title(),
    "strip": lambda v: str(v).strip(),
    "length": len,
    "safe": lambda v: v,
}


@dataclass
class _Out:
    path: str
    filters: list[Callable[[Any], Any]]
    safe: bool


@dataclass
class _If:
    path: str
    negate: bool
    line: int
    body: list = field(default_factory=list)
    orelse: list | None = None


@dataclass
class _For:
    name: str
    path: str
    line: int
    body: list = field(default_factory=list)


def _tokens(source: str):
    """Yield ('text', str, line) and (opener, content, line) items."""
    pos = 0
    while pos < len(source):
        m = re.compile(r"\{[{%#]").search(source, pos)
        if m is None:
            yield "text", source[pos:], 0
            return
        if m.start() > pos:
            yield "text", source[pos:m.start()], 0
        opener = m.group()
        line = source.count("\n", 0, m.start()) + 1
        end = source.find(_CLOSERS[opener], m.end())
        if end < 0:
            raise TemplateSyntaxError(f"unclosed tag on line {line}")
        yield opener, source[m.end():end].strip(), line
        pos = end + 2


class Template:
    """A compiled template."""

    def __init__(self, source: str, filters: Mapping[str, Callable[[Any], Any]] | None = None) -> None:
        self.source = source
        self.filters = {**BUILTIN_FILTERS, **dict(filters or {})}
        self._nodes = self._parse(source)

    # -- compile -----------------------------------------------------------------------------------
    def _parse(self, source: str) -> list:
        root: list = []
        stack: list[tuple[_If | _For, list]] = []  # (block, list currently being filled)

        def target() -> list:
            return stack[-1][1] if stack else root

        for kind, content, line in _tokens(source):
            if kind == "text":
                target().append(content)
            elif kind == "{#":
                continue
            elif kind == "{{":
                target().append(self._output(content, line))
            else:
                keyword = content.split(None, 1)[0] if content else ""
                if keyword == "if":
                    m = _IF.match(content)
                    if not m or not _PATH.match(m.group(2)):
                        raise TemplateSyntaxError(f"invalid expression {content!r} on line {line}")
                    node = _If(m.group(2), bool(m.group(1)), line)
                    target().append(node)
                    stack.append((node, node.body))
                elif keyword == "for":
                    m = _FOR.match(content)
                    if not m or not _PATH.match(m.group(2)):
                        raise TemplateSyntaxError(f"invalid expression {content!r} on line {line}")
                    node = _For(m.group(1), m.group(2), line)
                    target().append(node)
                    stack.append((node, node.body))
                elif keyword in ("else", "endif", "endfor"):
                    if content != keyword:
                        raise TemplateSyntaxError(f"invalid expression {content!r} on line {line}")
                    top = stack[-1][0] if stack else None
                    if keyword == "else":
                        if not isinstance(top, _If) or top.orelse is not None:
                            raise TemplateSyntaxError(f"unexpected 'else' on line {line}")
                        top.orelse = []
                        stack[-1] = (top, top.orelse)
                    elif keyword == "endif":
                        if not isinstance(top, _If):
                            raise TemplateSyntaxError(f"unexpected 'endif' on line {line}")
                        stack.pop()
                    else:
                        if not isinstance(top, _For):
                            raise TemplateSyntaxError(f"unexpected 'endfor' on line {line}")
                        stack.pop()
                elif keyword == "":
                    raise TemplateSyntaxError(f"invalid expression '' on line {line}")
                else:
                    raise TemplateSyntaxError(f"unknown tag {keyword!r} on line {line}")
        if stack:
            block = stack[-1][0]
            kw = "if" if isinstance(block, _If) else "for"
            raise TemplateSyntaxError(f"unclosed block '{kw}' opened on line {block.line}")
        return root

    def _output(self, content: str, line: int) -> _Out:
        parts = [p.strip() for p in content.split("|")]
        path, names = parts[0], parts[1:]
        if not _PATH.match(path) or any(not n for n in names):
            raise TemplateSyntaxError(f"invalid expression {content!r} on line {line}")
        funcs = []
        for n in names:
            if n not in self.filters:
                raise TemplateSyntaxError(f"unknown filter {n!r} on line {line}")
            funcs.append(self.filters[n])
        return _Out(path, funcs, "safe" in names)

    # -- render ------------------------------------------------------------------------------------
    def render(self, context: Mapping[str, Any]) -> str:
        """Render with the given variables."""
        out: list[str] = []
        self._run(self._nodes, [dict(context)], out)
        return "".join(out)

    @staticmethod
    def _lookup(path: str, scopes: list[Mapping[str, Any]]) -> Any:
        first, *rest = path.split(".")
        for scope in reversed(scopes):
            if first in scope:
                value = scope[first]
                break
        else:
            raise UndefinedVariableError(f"undefined variable {path!r}")
        for part in rest:
            if isinstance(value, Mapping) and part in value:
                value = value[part]
            elif part.isdigit() and isinstance(value, (list, tuple)) and int(part) < len(value):
                value = value[int(part)]
            elif not part.startswith("_") and not part.isdigit() and hasattr(value, part):
                value = getattr(value, part)
            else:
                raise UndefinedVariableError(f"undefined variable {path!r}")
        return value

    def _run(self, nodes: list, scopes: list[Mapping[str, Any]], out: list[str]) -> None:
        for node in nodes:
            if isinstance(node, str):
                out.append(node)
            elif isinstance(node, _Out):
                value = self._lookup(node.path, scopes)
                for f in node.filters:
                    value = f(value)
                text = "" if value is None else str(value)
                out.append(text if node.safe else html.escape(text, quote=True))
            elif isinstance(node, _If):
                value = bool(self._lookup(node.path, scopes))
                if value != node.negate:
                    self._run(node.body, scopes, out)
                elif node.orelse is not None:
                    self._run(node.orelse, scopes, out)
            else:
                seq = self._lookup(node.path, scopes)
                try:
                    items = list(seq)
                except TypeError:
                    raise TemplateError(f"{node.path!r} is not iterable") from None
                n = len(items)
                for i, item in enumerate(items):
                    loop = {"index": i + 1, "index0": i, "first": i == 0, "last": i == n - 1, "length": n}
                    self._run(node.body, [*scopes, {node.name: item, "loop": loop}], out)


def render(source: str, context: Mapping[str, Any], filters: Mapping[str, Callable[[Any], Any]] | None = None) -> str:
    """Compile `source` and render it in one step."""
    return Template(source, filters).render(context)
