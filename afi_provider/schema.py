"""What `CopiedAfi` accepts: its inputs, which of them replace the copy, and the checks that
reject bad values before anything is created.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import CheckFailure
from pulumi.runtime.rpc import UNKNOWN

from afi_provider import ec2

AFI_ID = re.compile(r"^afi-[0-9a-f]{17}$")
AGFI_ID = re.compile(r"^agfi-[0-9a-f]{17}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")

DEFAULT_WAIT_TIMEOUT_SECONDS = 3600
MAX_WAIT_TIMEOUT_SECONDS = 7 * 24 * 3600
MAX_TAGS = 50

# Changing one of these makes a new copy; everything else updates the copy in place.
REPLACE_KEYS = ("source_fpga_image_id", "source_region", "region")
UPDATE_KEYS = ("name", "description", "tags", "load_permissions")
# Inputs that steer the provider and never cause a diff on their own.
STEERING_KEYS = ("wait_timeout_seconds", "adopt_existing", "client_token_seed")
INPUT_KEYS = REPLACE_KEYS + UPDATE_KEYS + STEERING_KEYS


def known(value: Any) -> bool:
    """Whether `value` is known, all the way down (values unknown at preview are not)."""
    if value == UNKNOWN:
        return False
    if isinstance(value, dict):
        return all(known(v) for v in value.values())
    if isinstance(value, list):
        return all(known(v) for v in value)
    return True


def declared(props: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs that are set."""
    return {k: props.get(k) for k in INPUT_KEYS if props.get(k) is not None}


def normal_permissions(value: Any) -> dict[str, Any]:
    """Load permissions in one canonical form; an undeclared value means private."""
    if not value:
        return {"user_ids": [], "public": False}
    return {
        "user_ids": sorted(set(value.get("user_ids") or [])),
        "public": bool(value.get("public", False)),
    }


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region that the installed botocore knows EC2 in, across all partitions."""
    session = ec2.shared_session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("ec2", partition_name=partition)
    )


def check_inputs(news: Mapping[str, Any]) -> list[CheckFailure]:
    """Validate the formats and limits of the inputs; unknown values are skipped."""
    failures: list[CheckFailure] = []

    def fail(prop: str, reason: str) -> None:
        failures.append(CheckFailure(prop, reason))

    source = news.get("source_fpga_image_id")
    if source is None:
        fail("source_fpga_image_id", "required: the afi- id of the AFI to copy")
    elif known(source) and not (isinstance(source, str) and AFI_ID.match(source)):
        if isinstance(source, str) and AGFI_ID.match(source):
            fail(
                "source_fpga_image_id",
                f"{source!r} is a global id (agfi-); give the regional afi- id of the source "
                "AFI instead (`aws ec2 describe-fpga-images` shows both)",
            )
        else:
            fail(
                "source_fpga_image_id",
                f"{source!r} is not an AFI id: expected 'afi-' followed by 17 lowercase hex digits",
            )

    for prop in ("source_region", "region"):
        value = news.get(prop)
        if value is None:
            fail(prop, "required: an AWS region name such as us-east-1")
        elif known(value) and not (isinstance(value, str) and REGION.match(value)):
            fail(prop, f"{value!r} is not an AWS region name; expected a name such as us-west-2")
        elif known(value) and value not in known_regions():
            fail(
                prop,
                f"{value!r} is not a region EC2 is known to serve; check the spelling "
                "(a region newer than the installed botocore needs a botocore upgrade)",
            )

    name = news.get("name")
    if name is not None and known(name):
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            fail("name", "must be a non-empty string of at most 255 characters, or left unset")
    description = news.get("description")
    if description is not None and known(description):
        if not isinstance(description, str) or len(description) > 255:
            fail("description", "must be a string of at most 255 characters")

    tags = news.get("tags")
    if tags is not None and known(tags):
        failures.extend(_check_tags(tags))

    permissions = news.get("load_permissions")
    if permissions is not None and known(permissions):
        failures.extend(_check_permissions(permissions))

    timeout = news.get("wait_timeout_seconds")
    if timeout is not None and known(timeout):
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not 1 <= timeout <= MAX_WAIT_TIMEOUT_SECONDS
        ):
            fail(
                "wait_timeout_seconds",
                f"{timeout!r} is not a number of seconds between 1 and {MAX_WAIT_TIMEOUT_SECONDS}",
            )

    adopt = news.get("adopt_existing")
    if adopt is not None and known(adopt) and not isinstance(adopt, bool):
        fail("adopt_existing", f"{adopt!r} is not true or false")
    return failures


def _check_tags(tags: Any) -> list[CheckFailure]:
    if not isinstance(tags, dict):
        return [CheckFailure("tags", "must be a mapping of tag keys to string values")]
    failures = []
    if len(tags) > MAX_TAGS:
        failures.append(CheckFailure("tags", f"has {len(tags)} tags; AWS allows {MAX_TAGS}"))
    for key, value in tags.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 128:
            failures.append(CheckFailure("tags", f"key {key!r} must be 1 to 128 characters"))
        elif key.lower().startswith("aws:"):
            failures.append(
                CheckFailure("tags", f"key {key!r} uses the reserved prefix 'aws:'; rename it")
            )
        if not isinstance(value, str) or len(value) > 256:
            failures.append(
                CheckFailure("tags", f"value of {key!r} must be a string of at most 256 characters")
            )
    return failures


def _check_permissions(permissions: Any) -> list[CheckFailure]:
    prop = "load_permissions"
    if not isinstance(permissions, dict):
        return [CheckFailure(prop, "must be a mapping with 'user_ids' and 'public'")]
    failures = []
    unknown_keys = sorted(set(permissions) - {"user_ids", "public"})
    if unknown_keys:
        failures.append(
            CheckFailure(prop, f"unknown keys {unknown_keys}; only 'user_ids' and 'public'")
        )
    if "public" not in permissions or not isinstance(permissions.get("public"), bool):
        failures.append(
            CheckFailure(
                prop, "'public' must be set explicitly to true or false when sharing an AFI"
            )
        )
    user_ids = permissions.get("user_ids") or []
    if not isinstance(user_ids, list):
        failures.append(CheckFailure(prop, "'user_ids' must be a list of 12-digit account ids"))
    else:
        for account in user_ids:
            if not (isinstance(account, str) and ACCOUNT_ID.match(account)):
                failures.append(
                    CheckFailure(prop, f"{account!r} in 'user_ids' is not a 12-digit account id")
                )
    return failures
