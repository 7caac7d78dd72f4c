"""EC2 filters: wildcard values matched against what one caller sees of an AFI or a tag."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from . import errors
from .models import FpgaImageView, TagDescription, format_timestamp

IMAGE_FILTERS = (
    "create-time",
    "fpga-image-id",
    "fpga-image-global-id",
    "name",
    "owner-id",
    "product-code",
    "shell-version",
    "state",
    "tag-key",
    "update-time",
)
TAG_FILTERS = ("key", "resource-id", "resource-type", "value")


@dataclass(frozen=True)
class Filter:
    """One ``Filter.N``: a name and the values that are ORed together."""

    name: str
    values: tuple[str, ...]


def check_filters(filters: Sequence[Filter], known: Sequence[str]) -> None:
    """Raise ``InvalidParameterValue`` for a filter name outside ``known`` and ``tag:KEY``."""
    for given in filters:
        if given.name not in known and not given.name.startswith("tag:"):
            raise errors.InvalidParameterValue(f"The filter '{given.name}' is invalid")


def wildcard_matches(pattern: str, value: str) -> bool:
    """Match ``value`` against an EC2 filter value: ``*`` any run, ``?`` one character.

    A backslash makes the next character literal, so ``\\*`` matches a star.
    """
    parts: list[str] = []
    escaped = False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    if escaped:
        parts.append(re.escape("\\"))
    return re.fullmatch("".join(parts), value, flags=re.DOTALL) is not None


def image_matches(view: FpgaImageView, image_filter: Filter) -> bool:
    """Tell whether any value of ``image_filter`` matches the AFI as its caller sees it.

    Matching the caller's view means hidden fields (a pending AFI's agfi, another owner's
    tags) cannot be found through a filter either.
    """
    candidates = _image_filter_values(view, image_filter.name)
    return any(
        wildcard_matches(pattern, candidate)
        for pattern in image_filter.values
        for candidate in candidates
    )


def _image_filter_values(view: FpgaImageView, name: str) -> list[str]:
    if name.startswith("tag:"):
        key = name[len("tag:") :]
        return [value for tag_key, value in view.tags if tag_key == key]
    single: dict[str, str | None] = {
        "create-time": format_timestamp(view.create_time),
        "update-time": format_timestamp(view.update_time),
        "fpga-image-id": view.image_id,
        "fpga-image-global-id": view.global_id,
        "name": view.name,
        "owner-id": view.owner_id,
        "shell-version": view.shell_version,
        "state": view.state,
    }
    if name in single:
        value = single[name]
        return [] if value is None else [value]
    if name == "product-code":
        return list(view.product_codes)
    if name == "tag-key":
        return [key for key, _ in view.tags]
    raise errors.InvalidParameterValue(f"The filter '{name}' is invalid")


def tag_matches(tag: TagDescription, all_tags: dict[str, str], tag_filter: Filter) -> bool:
    """Tell whether ``tag`` passes a DescribeTags filter.

    ``tag:KEY`` looks at the other tags of the same resource (``all_tags``), so it selects
    every tag of the resources that carry ``KEY`` with a matching value.
    """
    if tag_filter.name.startswith("tag:"):
        key = tag_filter.name[len("tag:") :]
        candidates = [all_tags[key]] if key in all_tags else []
    else:
        candidates = [
            {
                "key": tag.key,
                "value": tag.value,
                "resource-id": tag.resource_id,
                "resource-type": tag.resource_type,
            }[tag_filter.name]
        ]
    return any(
        wildcard_matches(pattern, candidate)
        for pattern in tag_filter.values
        for candidate in candidates
    )
