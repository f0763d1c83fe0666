"""Page-number pagination shared by every list endpoint (?page=1 is the first page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

DEFAULT_PER_PAGE = 20


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total_items: int
    total_pages: int
    has_next: bool
    has_prev: bool


def paginate(items: list[T], page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> Page[T]:
    """The ``page``-th slice of ``items`` (pages are numbered from 1) plus navigation metadata."""
    total_pages = len(items) // per_page
    start = page * per_page
    end = start + per_page
    return Page(
        items=items[start:end],
        page=page,
        per_page=per_page,
        total_items=len(items),
        total_pages=total_pages,
        has_next=page < total_pages,
        has_prev=page > 1,
    )
