"""Every rule of `check()`: bad input is rejected before anything is made, naming the property."""

from __future__ import annotations

from typing import Any

import pytest

from afi_provider.schema import UNKNOWN, check_inputs

VALID: dict[str, Any] = {
    "source_fpga_image_id": "afi-0123456789abcdef0",
    "source_region": "us-east-1",
    "region": "us-west-2",
}


def failures(**changes: Any) -> dict[str, str]:
    inputs = {**VALID, **changes}
    inputs = {k: v for k, v in inputs.items() if v is not None}
    return {f.property: f.reason for f in check_inputs(inputs)}


def test_valid_inputs_pass() -> None:
    assert failures() == {}
    assert (
        failures(
            name="x",
            description="",
            tags={"team": "fpga"},
            load_permissions={"user_ids": ["111122223333"], "public": False},
            wait_timeout_seconds=600,
            adopt_existing=True,
        )
        == {}
    )


@pytest.mark.parametrize(
    ("changes", "prop", "words"),
    [
        ({"source_fpga_image_id": None}, "source_fpga_image_id", "required"),
        ({"source_fpga_image_id": "ami-0123456789abcdef0"}, "source_fpga_image_id", "17"),
        ({"source_fpga_image_id": "afi-0123"}, "source_fpga_image_id", "17 lowercase hex"),
        ({"source_fpga_image_id": "afi-0123456789ABCDEF0"}, "source_fpga_image_id", "lowercase"),
        ({"source_fpga_image_id": "agfi-0123456789abcdef0"}, "source_fpga_image_id", "afi-"),
        ({"source_region": None}, "source_region", "required"),
        ({"source_region": "us_east_1"}, "source_region", "region name"),
        ({"region": "Mars"}, "region", "region name"),
        ({"region": "us-north-9"}, "region", "not a region EC2 is known to serve"),
        ({"name": ""}, "name", "non-empty"),
        ({"name": "n" * 256}, "name", "255"),
        ({"description": "d" * 256}, "description", "255"),
        ({"tags": ["a"]}, "tags", "mapping"),
        ({"tags": {"aws:owner": "x"}}, "tags", "reserved prefix"),
        ({"tags": {"": "x"}}, "tags", "1 to 128"),
        ({"tags": {"k" * 129: "x"}}, "tags", "1 to 128"),
        ({"tags": {"k": "v" * 257}}, "tags", "256"),
        ({"tags": {f"k{i}": "v" for i in range(51)}}, "tags", "50"),
        ({"load_permissions": {"user_ids": ["123"], "public": False}}, "load_permissions", "12"),
        ({"load_permissions": {"user_ids": ["111122223333"]}}, "load_permissions", "explicitly"),
        ({"load_permissions": {"public": "no"}}, "load_permissions", "explicitly"),
        ({"load_permissions": {"public": False, "groups": []}}, "load_permissions", "unknown"),
        ({"load_permissions": ["111122223333"]}, "load_permissions", "mapping"),
        ({"wait_timeout_seconds": 0}, "wait_timeout_seconds", "between"),
        ({"wait_timeout_seconds": "10m"}, "wait_timeout_seconds", "between"),
        ({"wait_timeout_seconds": True}, "wait_timeout_seconds", "between"),
        ({"adopt_existing": "yes"}, "adopt_existing", "true or false"),
    ],
)
def test_bad_input_names_the_property_and_the_fix(
    changes: dict[str, Any], prop: str, words: str
) -> None:
    found = failures(**changes)

    assert prop in found, found
    assert words in found[prop]


def test_an_agfi_given_as_source_is_explained() -> None:
    reason = failures(source_fpga_image_id="agfi-0123456789abcdef0")["source_fpga_image_id"]

    assert "global id" in reason and "afi-" in reason


def test_values_unknown_at_preview_are_skipped() -> None:
    assert (
        failures(
            source_fpga_image_id=UNKNOWN,
            region=UNKNOWN,
            tags={"team": UNKNOWN},
            load_permissions=UNKNOWN,
            wait_timeout_seconds=UNKNOWN,
        )
        == {}
    )
