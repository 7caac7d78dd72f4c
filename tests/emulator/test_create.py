"""CreateFpgaImage: an AFI is pending for the create delay, then available with its build."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .support import Running, available_image, control, create_image, wait_for_state

AFI_ID = re.compile(r"^afi-[0-9a-f]{17}$")
AGFI_ID = re.compile(r"^agfi-[0-9a-f]{17}$")


def test_create_answers_afi_and_agfi_ids_of_17_lowercase_hex_digits(ec2: Any) -> None:
    response = ec2.create_fpga_image(InputStorageLocation={"Bucket": "dcp-bucket", "Key": "cl.tar"})

    assert AFI_ID.match(response["FpgaImageId"])
    assert AGFI_ID.match(response["FpgaImageGlobalId"])


def test_created_image_is_pending_without_build_results_then_available_with_them(
    make_emulator: Callable[..., Running],
) -> None:
    ec2 = make_emulator(create_seconds=1.0).client()
    created = ec2.create_fpga_image(
        InputStorageLocation={"Bucket": "dcp-bucket", "Key": "cl.tar"},
        Name="cl-hello",
        Description="hello world",
    )

    pending = ec2.describe_fpga_images(FpgaImageIds=[created["FpgaImageId"]])["FpgaImages"][0]
    assert pending["State"] == {"Code": "pending"}
    for hidden in ("FpgaImageGlobalId", "PciId", "ShellVersion"):
        assert hidden not in pending
    assert pending["InstanceTypes"] == []

    available = wait_for_state(ec2, created["FpgaImageId"], "available")
    assert available["FpgaImageGlobalId"] == created["FpgaImageGlobalId"]
    assert available["ShellVersion"].startswith("0x")
    assert set(available["PciId"]) == {"DeviceId", "VendorId", "SubsystemId", "SubsystemVendorId"}
    assert available["Name"] == "cl-hello"
    assert available["Description"] == "hello world"
    assert available["OwnerId"] == "123456789012"
    assert available["Public"] is False
    assert available["DataRetentionSupport"] is False
    assert available["InstanceTypes"] and all(
        t.startswith("f1.") for t in available["InstanceTypes"]
    )
    assert available["UpdateTime"] >= available["CreateTime"]


def test_storage_locations_are_recorded_as_given(emu: Running, ec2: Any) -> None:
    image_id = create_image(ec2, LogsStorageLocation={"Bucket": "logs", "Key": "cl/"})

    (image,) = [
        i for i in control(emu.url, "GET", "/images")["images"] if i["image_id"] == image_id
    ]
    assert image["input_location"] == {"bucket": "dcp-bucket", "key": "cl-hello.tar"}
    assert image["logs_location"] == {"bucket": "logs", "key": "cl/"}


def test_tag_specifications_tag_the_new_image(ec2: Any) -> None:
    image_id = create_image(
        ec2,
        TagSpecifications=[
            {"ResourceType": "fpga-image", "Tags": [{"Key": "team", "Value": "fpga"}]}
        ],
    )

    image = ec2.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0]
    assert image["Tags"] == [{"Key": "team", "Value": "fpga"}]


def test_tag_specification_for_another_resource_type_is_invalid(ec2: Any) -> None:
    with pytest.raises(ClientError) as raised:
        create_image(
            ec2,
            TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "a", "Value": "b"}]}],
        )

    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_missing_input_storage_location_is_a_missing_parameter(emu: Running) -> None:
    unchecked = emu.client(config=Config(parameter_validation=False))

    with pytest.raises(ClientError) as raised:
        unchecked.create_fpga_image(Name="no-input")

    assert raised.value.response["Error"]["Code"] == "MissingParameter"
    assert "InputStorageLocation" in raised.value.response["Error"]["Message"]


def test_input_storage_location_without_key_is_a_missing_parameter(ec2: Any) -> None:
    with pytest.raises(ClientError) as raised:
        ec2.create_fpga_image(InputStorageLocation={"Bucket": "dcp-bucket"})

    assert raised.value.response["Error"]["Code"] == "MissingParameter"


def test_same_client_token_and_parameters_return_the_same_image(emu: Running, ec2: Any) -> None:
    first = create_image(ec2, ClientToken="build-1")
    second = create_image(ec2, ClientToken="build-1")

    assert first == second
    assert len(control(emu.url, "GET", "/images")["images"]) == 1


def test_same_client_token_with_other_parameters_is_a_mismatch(ec2: Any) -> None:
    create_image(ec2, "cl-hello", ClientToken="build-1")

    with pytest.raises(ClientError) as raised:
        create_image(ec2, "cl-other", ClientToken="build-1")

    assert raised.value.response["Error"]["Code"] == "IdempotentParameterMismatch"


def test_dry_run_answers_dry_run_operation_and_creates_nothing(emu: Running, ec2: Any) -> None:
    with pytest.raises(ClientError) as raised:
        create_image(ec2, DryRun=True)

    assert raised.value.response["Error"]["Code"] == "DryRunOperation"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert control(emu.url, "GET", "/images")["images"] == []


def test_quota_of_owned_images_per_region_is_resource_limit_exceeded(
    make_emulator: Callable[..., Running],
) -> None:
    emu = make_emulator(max_images=2)
    ec2 = emu.client("us-east-1")
    create_image(ec2, "one")
    create_image(ec2, "two")

    with pytest.raises(ClientError) as raised:
        create_image(ec2, "three")
    assert raised.value.response["Error"]["Code"] == "ResourceLimitExceeded"

    create_image(emu.client("us-west-2"), "other-region")
    create_image(emu.client("us-east-1", account="210987654321"), "other-account")


def test_deleting_an_image_frees_its_place_in_the_quota(
    make_emulator: Callable[..., Running],
) -> None:
    emu = make_emulator(max_images=1)
    ec2 = emu.client()
    image_id = available_image(ec2, "one")
    ec2.delete_fpga_image(FpgaImageId=image_id)

    assert create_image(ec2, "two") != image_id
