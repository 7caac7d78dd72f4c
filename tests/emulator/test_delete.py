"""DeleteFpgaImage: only the owner deletes, and never while the AFI is shared or public."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .support import OTHER_ACCOUNT, Running, available_image, create_image


def error_code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    """The AWS error code of a botocore ClientError."""
    return str(raised.value.response["Error"]["Code"])


def test_deleted_image_vanishes_from_describe(ec2: Any) -> None:
    image_id = available_image(ec2)

    assert ec2.delete_fpga_image(FpgaImageId=image_id)["Return"] is True

    assert ec2.describe_fpga_images(Owners=["self"])["FpgaImages"] == []
    with pytest.raises(ClientError) as raised:
        ec2.describe_fpga_images(FpgaImageIds=[image_id])
    assert error_code(raised) == "InvalidFpgaImageID.NotFound"


def test_a_pending_image_can_be_deleted(ec2: Any) -> None:
    image_id = create_image(ec2)

    assert ec2.delete_fpga_image(FpgaImageId=image_id)["Return"] is True


def test_deleting_twice_is_not_found(ec2: Any) -> None:
    image_id = create_image(ec2)
    ec2.delete_fpga_image(FpgaImageId=image_id)

    with pytest.raises(ClientError) as raised:
        ec2.delete_fpga_image(FpgaImageId=image_id)

    assert error_code(raised) == "InvalidFpgaImageID.NotFound"


def test_delete_of_malformed_id_is_malformed(ec2: Any) -> None:
    with pytest.raises(ClientError) as raised:
        ec2.delete_fpga_image(FpgaImageId="afi-123")

    assert error_code(raised) == "InvalidFpgaImageID.Malformed"


def test_delete_in_another_region_is_not_found(emu: Running) -> None:
    image_id = create_image(emu.client("us-east-1"))

    with pytest.raises(ClientError) as raised:
        emu.client("us-west-2").delete_fpga_image(FpgaImageId=image_id)

    assert error_code(raised) == "InvalidFpgaImageID.NotFound"


def test_another_account_cannot_delete_a_private_image(emu: Running) -> None:
    image_id = create_image(emu.client())

    with pytest.raises(ClientError) as raised:
        emu.client(account=OTHER_ACCOUNT).delete_fpga_image(FpgaImageId=image_id)

    assert error_code(raised) == "InvalidFpgaImageID.NotFound"


def test_account_an_image_is_shared_with_cannot_delete_it(emu: Running) -> None:
    owner = emu.client()
    image_id = available_image(owner)
    owner.modify_fpga_image_attribute(
        FpgaImageId=image_id, OperationType="add", UserIds=[OTHER_ACCOUNT]
    )

    with pytest.raises(ClientError) as raised:
        emu.client(account=OTHER_ACCOUNT).delete_fpga_image(FpgaImageId=image_id)

    assert error_code(raised) == "OperationNotPermitted"


def test_owner_cannot_delete_a_shared_image(ec2: Any) -> None:
    image_id = available_image(ec2)
    ec2.modify_fpga_image_attribute(
        FpgaImageId=image_id, OperationType="add", UserIds=[OTHER_ACCOUNT]
    )

    with pytest.raises(ClientError) as raised:
        ec2.delete_fpga_image(FpgaImageId=image_id)

    assert error_code(raised) == "OperationNotPermitted"
    assert "shared" in raised.value.response["Error"]["Message"]


def test_owner_cannot_delete_a_public_image_until_load_permissions_are_reset(ec2: Any) -> None:
    image_id = available_image(ec2)
    ec2.modify_fpga_image_attribute(FpgaImageId=image_id, OperationType="add", UserGroups=["all"])

    with pytest.raises(ClientError) as raised:
        ec2.delete_fpga_image(FpgaImageId=image_id)
    assert error_code(raised) == "OperationNotPermitted"
    assert "public" in raised.value.response["Error"]["Message"]

    ec2.reset_fpga_image_attribute(FpgaImageId=image_id, Attribute="loadPermission")
    assert ec2.delete_fpga_image(FpgaImageId=image_id)["Return"] is True


def test_missing_image_id_is_a_missing_parameter(emu: Running) -> None:
    unchecked = emu.client(config=Config(parameter_validation=False))

    with pytest.raises(ClientError) as raised:
        unchecked.delete_fpga_image()

    assert error_code(raised) == "MissingParameter"


def test_dry_run_answers_dry_run_operation_and_keeps_the_image(ec2: Any) -> None:
    image_id = create_image(ec2)

    with pytest.raises(ClientError) as raised:
        ec2.delete_fpga_image(FpgaImageId=image_id, DryRun=True)

    assert error_code(raised) == "DryRunOperation"
    assert len(ec2.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"]) == 1
