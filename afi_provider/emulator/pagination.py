"""``MaxResults`` and ``NextToken``: slicing a sorted listing into pages."""

from __future__ import annotations

import base64
import binascii
import json
from typing import TypeVar

from . import errors

Item = TypeVar("Item")

MIN_PAGE_SIZE = 5
MAX_PAGE_SIZE = 1000


def check_page_size(max_results: int | None) -> None:
    """Raise ``InvalidParameterValue`` unless ``max_results`` is absent or 5..1000."""
    if max_results is not None and not MIN_PAGE_SIZE <= max_results <= MAX_PAGE_SIZE:
        raise errors.InvalidParameterValue(
            f"Value ( {max_results} ) for parameter maxResults is invalid. "
            f"Expecting a value between {MIN_PAGE_SIZE} and {MAX_PAGE_SIZE}."
        )


def paginate(
    items: list[Item], max_results: int | None, next_token: str | None
) -> tuple[list[Item], str | None]:
    """Slice ``items`` into one page and the token of the next one (``None`` on the last)."""
    offset = 0
    if next_token is not None:
        offset = _decode_token(next_token)
    if max_results is None:
        return items[offset:], None
    end = offset + max_results
    token = _encode_token(end) if end < len(items) else None
    return items[offset:end], token


def _encode_token(offset: int) -> str:
    raw = json.dumps({"offset": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_token(token: str) -> int:
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise errors.InvalidPaginationToken(token) from exc
    if not isinstance(offset, int) or offset < 0:
        raise errors.InvalidPaginationToken(token)
    return offset
