"""Print a JSON document with secret-looking values replaced by "[REDACTED]"."""

from __future__ import annotations

import json
import re
import sys

MARK = "[REDACTED]"
SENSITIVE_PARTS = ("password", "passwd", "secret", "token", "api_key", "apikey", "private_key")
SECRET_VALUE_PATTERNS = (
    re.compile(r"sk-[A-Za-z0-9]{16,}"),
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"ghp_[A-Za-z0-9]{36}"),
)


def sensitive_key(key: str) -> bool:
    norm = key.lower().replace("-", "_")
    return norm == "authorization" or any(part in norm for part in SENSITIVE_PARTS)


def looks_secret(value: str) -> bool:
    return any(p.fullmatch(value) for p in SECRET_VALUE_PATTERNS)


class Redactor:
    def __init__(self) -> None:
        self.count = 0

    def _hide(self):
        self.count += 1
        return MARK

    def walk(self, node, under_sensitive_key: bool = False):
        if isinstance(node, dict):
            return {k: self.walk(v, sensitive_key(k)) for k, v in node.items()}
        if isinstance(node, list):
            return [self.walk(v) for v in node]
        if isinstance(node, bool) or node is None:
            return node
        if under_sensitive_key and (isinstance(node, (int, float)) or (isinstance(node, str) and node != "")):
            return self._hide()
        if isinstance(node, str) and looks_secret(node):
            return self._hide()
        return node


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: redact.py FILE.json|-", file=sys.stderr)
        return 2
    text = sys.stdin.read() if argv[0] == "-" else open(argv[0], encoding="utf-8").read()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        print(f"invalid JSON: {exc.msg}", file=sys.stderr)
        return 1
    red = Redactor()
    out = red.walk(doc)
    sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(f"redacted {red.count} values", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
