"""Number helpers."""

from __future__ import annotations


def clamp(value: float, low: float, high: float) -> float:
    if low > high:
        raise ValueError("low must not exceed high")
    return max(low, min(high, value))


def percent(part: float, whole: float, digits: int = 1) -> str:
    if whole == 0:
        return "n/a"
    return f"{100 * part / whole:.{digits}f}%"
