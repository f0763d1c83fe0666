"""GET /recipes?page=N&per_page=M"""

from __future__ import annotations

from api.pagination import DEFAULT_PER_PAGE, paginate


def list_recipes(store: list[dict[str, object]], query: dict[str, str]) -> dict[str, object]:
    page = paginate(
        sorted(store, key=lambda r: str(r["title"])),
        page=int(query.get("page", "1")),
        per_page=int(query.get("per_page", str(DEFAULT_PER_PAGE))),
    )
    return {
        "recipes": page.items,
        "page": page.page,
        "total_pages": page.total_pages,
        "next": page.page + 1 if page.has_next else None,
        "prev": page.page - 1 if page.has_prev else None,
    }
