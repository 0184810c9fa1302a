"""Cursor paging, the same on every list route: `limit` (1-500, default 100) and `cursor`, answered with
`items` and `next_cursor` (null on the last page). A cursor is opaque to the client: pass back what was given."""

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import Query

from facegate.errors import InputError

MAX_LIMIT = 500
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="The most items to return (1-500).")]
Cursor = Annotated[
    str | None,
    Query(max_length=200, pattern=r"^[A-Za-z0-9_-]+$", description="The `next_cursor` of the previous page."),
]


def make_cursor(position: str | int) -> str:
    """The cursor that continues after `position` (the last item's key)."""
    return base64.urlsafe_b64encode(str(position).encode()).decode().rstrip("=")


def read_cursor(cursor: str | None) -> str | None:
    """The position a cursor continues after, or None for the first page; InputError when it was not ours."""
    if cursor is None:
        return None
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InputError("cursor: not a cursor this API gave (pass back `next_cursor` as it is)") from None


def read_int_cursor(cursor: str | None) -> int | None:
    """A cursor over integer keys."""
    position = read_cursor(cursor)
    if position is None:
        return None
    if not position.isdigit() or len(position) > 18:
        raise InputError("cursor: not a cursor this API gave (pass back `next_cursor` as it is)")
    return int(position)


def next_cursor(keys: list[str] | list[int], limit: int) -> str | None:
    """The cursor of the next page when this one is full, else None (one more query may find it empty)."""
    return make_cursor(keys[-1]) if len(keys) == limit and keys else None


def page_of(items: Sequence[Mapping[str, Any]], field: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """One page of a list held in memory (deployments, keys, rules, ...), in the order of each item's `field`: the
    items after the cursor's, at most `limit`, and the cursor of the next page (null when there is none)."""
    after = read_cursor(cursor)
    rest = sorted((i for i in items if after is None or str(i[field]) > after), key=lambda i: str(i[field]))
    page = rest[:limit]
    return {"items": page, "next_cursor": make_cursor(str(page[-1][field])) if len(rest) > limit else None}
