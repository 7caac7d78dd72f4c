"""CopyFpgaImage: a new AFI in the endpoint's region carrying the source's agfi."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .support import (
    OTHER_ACCOUNT,
    Running,
    available_image,
    control,
    create_image,
    wait_for_state,
)

NOT_FOUND = (
    "NOT_FOUND: Source image is not found or the user ID is not authorized to copy source image."
)
INVALID_STATE = "INVALID_STATE: Source image is not in a suitable state to allow copying."


def test_copy_is_a_new_afi_in_the_endpoint_region_with_the_source_agfi(emu: Running) -> None:
    east, west = emu.client("us-east-1"), emu.client("us-west-2")
    source_id = available_image(east, "cl-hello", Description="source text")
    source = east.describe_fpga_images(FpgaImageIds=[source_id])["FpgaImages"][0]

    copy_id = west.copy_fpga_image(SourceFpgaImageId=source_id, SourceRegion="us-east-1")[
        "FpgaImageId"
    ]

    assert re.match(r"^afi-[0-9a-f]{17}$", copy_id) and copy_id != source_id
    copy = wait_for_state(west, copy_id, "available")
    assert copy["FpgaImageGlobalId"] == source["FpgaImageGlobalId"]
    assert copy["Name"] == "cl-hello"
    assert "Description" not in copy
    assert copy["PciId"] == source["PciId"]
    with pytest.raises(ClientError) as raised:
        east.describe_fpga_images(FpgaImageIds=[copy_id])
    assert raised.value.response["Error"]["Code"] == "InvalidFpgaImageID.NotFound"


def test_copy_is_pending_without_agfi_until_the_copy_delay_passes(
    make_emulator: Callable[..., Running],
) -> None:
    emu = make_emulator(copy_seconds=1.0)
    east, west = emu.client("us-east-1"), emu.client("us-west-2")
    source_id = available_image(east)

    copy_id = west.copy_fpga_image(SourceFpgaImageId=source_id, SourceRegion="us-east-1")[
        "FpgaImageId"
    ]

    pending = west.describe_fpga_images(FpgaImageIds=[copy_id])["FpgaImages"][0]
    assert pending["State"]["Code"] == "pending"
    assert "FpgaImageGlobalId" not in pending
    wait_for_state(west, copy_id, "available")


def test_name_and_description_of_the_request_override_the_source(emu: Running) -> None:
    east = emu.client("us-east-1")
    source_id = available_image(east, "cl-hello")

    copy_id = east.copy_fpga_image(
        SourceFpgaImageId=source_id,
        SourceRegion="us-east-1",
        Name="renamed",
        Description="copied here",
    )["FpgaImageId"]

    copy = wait_for_state(east, copy_id, "available")
    assert (copy["Name"], copy["Description"]) == ("renamed", "copied here")


def test_tags_stay_with_the_source(emu: Running) -> None:
    east, west = emu.client("us-east-1"), emu.client("us-west-2")
    source_id = available_image(east)
    east.create_tags(Resources=[source_id], Tags=[{"Key": "team", "Value": "fpga"}])

    copy_id = west.copy_fpga_image(SourceFpgaImageId=source_id, SourceRegion="us-east-1")[
        "FpgaImageId"
    ]

    assert wait_for_state(west, copy_id, "available")["Tags"] == []


def test_copy_delay_can_be_set_per_region_pair(make_emulator: Callable[..., Running]) -> None:
    emu = make_emulator(copy_seconds=0.2, copy_seconds_pairs={("us-east-1", "eu-west-1"): 30.0})
    east, west, eu = emu.client("us-east-1"), emu.client("us-west-2"), emu.client("eu-west-1")
    source_id = available_image(east)

    slow = eu.copy_fpga_image(SourceFpgaImageId=source_id, SourceRegion="us-east-1")
    fast = west.copy_fpga_image(SourceFpgaImageId=source_id, SourceRegion="us-east-1")

    wait_for_state(west, fast["FpgaImageId"], "available")
    slow_image = eu.describe_fpga_images(FpgaImageIds=[slow["FpgaImageId"]])["FpgaImages"][0]
    assert slow_image["State"]["Code"] == "pending"


def test_copy_of_an_unknown_source_ends_failed_not_found(emu: Running) -> None:
    west = emu.client("us-west-2")

    copy_id = west.copy_fpga_image(
        SourceFpgaImageId="afi-0123456789abcdef0", SourceRegion="us-east-1"
    )["FpgaImageId"]

    failed = wait_for_state(west, copy_id, "failed")
    assert failed["State"] == {"Code": "failed", "Message": NOT_FOUND}
    assert "FpgaImageGlobalId" not in failed


def test_copy_failure_is_reported_after_the_copy_delay(
    make_emulator: Callable[..., Running],
) -> None:
    emu = make_emulator(copy_seconds=1.0)
    west = emu.client("us-west-2")

    copy_id = west.copy_fpga_image(
        SourceFpgaImageId="afi-0123456789abcdef0", SourceRegion="us-east-1"
    )["FpgaImageId"]

    first = west.describe_fpga_images(FpgaImageIds=[copy_id])["FpgaImages"][0]
    assert first["State"] == {"Code": "pending"}
    wait_for_state(west, copy_id, "failed")


def test_source_looked_up_in_the_source_region_only(emu: Running) -> None:
    east, west = emu.client("us-east-1"), emu.client("us-west-2")
    source_id = available_image(east)

    copy_id = west.copy_fpga_image(SourceFpgaImageId=source_id, SourceRegion="eu-west-1")[
        "FpgaImageId"
    ]

    assert wait_for_state(west, copy_id, "failed")["State"]["Message"] == NOT_FOUND


def test_another_account_cannot_copy_even_an_image_shared_with_it(emu: Running) -> None:
    owner = emu.client("us-east-1")
    source_id = available_image(owner)
    owner.modify_fpga_image_attribute(
        FpgaImageId=source_id, OperationType="add", UserIds=[OTHER_ACCOUNT]
    )
    other = emu.client("us-west-2", account=OTHER_ACCOUNT)

    copy_id = other.copy_fpga_image(SourceFpgaImageId=source_id, SourceRegion="us-east-1")[
        "FpgaImageId"
    ]

    failed = wait_for_state(other, copy_id, "failed")
    assert failed["State"]["Message"] == NOT_FOUND
    assert failed["OwnerId"] == OTHER_ACCOUNT


def test_copy_of_a_pending_source_ends_failed_invalid_state(
    make_emulator: Callable[..., Running],
) -> None:
    emu = make_emulator(create_seconds=60)
    east, west = emu.client("us-east-1"), emu.client("us-west-2")
    source_id = create_image(east)

    copy_id = west.copy_fpga_image(SourceFpgaImageId=source_id, SourceRegion="us-east-1")[
        "FpgaImageId"
    ]

    failed = wait_for_state(west, copy_id, "failed")
    assert failed["State"] == {"Code": "failed", "Message": INVALID_STATE}
    assert failed["Name"] == "cl-hello"


def test_copy_of_an_unavailable_source_ends_failed_invalid_state(emu: Running) -> None:
    east, west = emu.client("us-east-1"), emu.client("us-west-2")
    source_id = available_image(east)
    control(emu.url, "POST", f"/images/{source_id}/state", {"state": "unavailable"})

    copy_id = west.copy_fpga_image(SourceFpgaImageId=source_id, SourceRegion="us-east-1")[
        "FpgaImageId"
    ]

    assert wait_for_state(west, copy_id, "failed")["State"]["Message"] == INVALID_STATE


def test_same_client_token_returns_the_same_copy_and_makes_no_second_one(emu: Running) -> None:
    east, west = emu.client("us-east-1"), emu.client("us-west-2")
    source_id = available_image(east)
    request = {"SourceFpgaImageId": source_id, "SourceRegion": "us-east-1", "ClientToken": "t-1"}

    first = west.copy_fpga_image(**request)["FpgaImageId"]
    second = west.copy_fpga_image(**request)["FpgaImageId"]

    assert first == second
    copies = [i for i in control(emu.url, "GET", "/images")["images"] if i["region"] == "us-west-2"]
    assert [copy["image_id"] for copy in copies] == [first]


def test_client_token_still_answers_the_deleted_copy_and_copies_nothing(emu: Running) -> None:
    east, west = emu.client("us-east-1"), emu.client("us-west-2")
    source_id = available_image(east)
    request = {"SourceFpgaImageId": source_id, "SourceRegion": "us-east-1", "ClientToken": "t-1"}
    first = west.copy_fpga_image(**request)["FpgaImageId"]
    wait_for_state(west, first, "available")
    west.delete_fpga_image(FpgaImageId=first)

    again = west.copy_fpga_image(**request)["FpgaImageId"]

    assert again == first
    assert west.describe_fpga_images(Owners=["self"])["FpgaImages"] == []


def test_same_client_token_with_other_parameters_is_a_mismatch(emu: Running) -> None:
    east = emu.client("us-east-1")
    source_id = available_image(east)
    east.copy_fpga_image(SourceFpgaImageId=source_id, SourceRegion="us-east-1", ClientToken="t")

    with pytest.raises(ClientError) as raised:
        east.copy_fpga_image(
            SourceFpgaImageId=source_id, SourceRegion="us-east-1", ClientToken="t", Name="other"
        )

    assert raised.value.response["Error"]["Code"] == "IdempotentParameterMismatch"


def test_client_tokens_are_scoped_to_the_destination_region(emu: Running) -> None:
    east, west = emu.client("us-east-1"), emu.client("us-west-2")
    source_id = available_image(east)
    request = {"SourceFpgaImageId": source_id, "SourceRegion": "us-east-1", "ClientToken": "t"}

    assert (
        east.copy_fpga_image(**request)["FpgaImageId"]
        != west.copy_fpga_image(**request)["FpgaImageId"]
    )


def test_malformed_source_id_is_rejected_at_once(emu: Running) -> None:
    with pytest.raises(ClientError) as raised:
        emu.client("us-west-2").copy_fpga_image(
            SourceFpgaImageId="afi-NOT-HEX", SourceRegion="us-east-1"
        )

    assert raised.value.response["Error"]["Code"] == "InvalidFpgaImageID.Malformed"


def test_source_region_that_is_no_region_name_is_invalid(emu: Running) -> None:
    with pytest.raises(ClientError) as raised:
        emu.client("us-west-2").copy_fpga_image(
            SourceFpgaImageId="afi-0123456789abcdef0", SourceRegion="not a region"
        )

    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_missing_source_region_is_a_missing_parameter(emu: Running) -> None:
    unchecked = emu.client("us-west-2", config=Config(parameter_validation=False))

    with pytest.raises(ClientError) as raised:
        unchecked.copy_fpga_image(SourceFpgaImageId="afi-0123456789abcdef0")

    assert raised.value.response["Error"]["Code"] == "MissingParameter"
    assert "SourceRegion" in raised.value.response["Error"]["Message"]


def test_dry_run_answers_dry_run_operation_and_copies_nothing(emu: Running) -> None:
    east = emu.client("us-east-1")
    source_id = available_image(east)

    with pytest.raises(ClientError) as raised:
        east.copy_fpga_image(SourceFpgaImageId=source_id, SourceRegion="us-east-1", DryRun=True)

    assert raised.value.response["Error"]["Code"] == "DryRunOperation"
    assert len(control(emu.url, "GET", "/images")["images"]) == 1


def test_copies_count_against_the_destination_quota(
    make_emulator: Callable[..., Running],
) -> None:
    emu = make_emulator(max_images=1)
    east, west = emu.client("us-east-1"), emu.client("us-west-2")
    source_id = available_image(east)
    west.copy_fpga_image(SourceFpgaImageId=source_id, SourceRegion="us-east-1")

    with pytest.raises(ClientError) as raised:
        west.copy_fpga_image(SourceFpgaImageId=source_id, SourceRegion="us-east-1")

    assert raised.value.response["Error"]["Code"] == "ResourceLimitExceeded"
