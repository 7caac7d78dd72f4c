"""Describe-, Modify- and ResetFpgaImageAttribute: name, description, loadPermission,
productCodes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .support import OTHER_ACCOUNT, THIRD_ACCOUNT, Running, available_image, create_image


def attribute(ec2: Any, image_id: str, name: str) -> dict[str, Any]:
    """The FpgaImageAttribute of DescribeFpgaImageAttribute."""
    response = ec2.describe_fpga_image_attribute(FpgaImageId=image_id, Attribute=name)
    return dict(response["FpgaImageAttribute"])


def error_code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    """The AWS error code of a botocore ClientError."""
    return str(raised.value.response["Error"]["Code"])


# -- DescribeFpgaImageAttribute -------------------------------------------------------------


def test_describe_each_attribute_returns_the_id_and_that_attribute_only(ec2: Any) -> None:
    image_id = available_image(ec2, "cl-hello", Description="hello world")

    assert attribute(ec2, image_id, "name") == {"FpgaImageId": image_id, "Name": "cl-hello"}
    assert attribute(ec2, image_id, "description") == {
        "FpgaImageId": image_id,
        "Description": "hello world",
    }
    assert attribute(ec2, image_id, "loadPermission") == {
        "FpgaImageId": image_id,
        "LoadPermissions": [],
    }
    assert attribute(ec2, image_id, "productCodes") == {
        "FpgaImageId": image_id,
        "ProductCodes": [],
    }


def test_describe_of_unknown_attribute_is_invalid(ec2: Any) -> None:
    image_id = create_image(ec2)

    with pytest.raises(ClientError) as raised:
        ec2.describe_fpga_image_attribute(FpgaImageId=image_id, Attribute="shellVersion")

    assert error_code(raised) == "InvalidParameterValue"


def test_describe_attribute_of_unknown_and_malformed_ids(ec2: Any) -> None:
    with pytest.raises(ClientError) as not_found:
        ec2.describe_fpga_image_attribute(FpgaImageId="afi-0123456789abcdef0", Attribute="name")
    with pytest.raises(ClientError) as malformed:
        ec2.describe_fpga_image_attribute(FpgaImageId="afi-xyz", Attribute="name")

    assert error_code(not_found) == "InvalidFpgaImageID.NotFound"
    assert error_code(malformed) == "InvalidFpgaImageID.Malformed"


def test_missing_attribute_is_a_missing_parameter(emu: Running, ec2: Any) -> None:
    image_id = create_image(ec2)
    unchecked = emu.client(config=Config(parameter_validation=False))

    with pytest.raises(ClientError) as raised:
        unchecked.describe_fpga_image_attribute(FpgaImageId=image_id)

    assert error_code(raised) == "MissingParameter"


def test_account_it_is_shared_with_sees_the_name_but_not_the_load_permissions(
    emu: Running,
) -> None:
    owner = emu.client()
    image_id = available_image(owner, "cl-hello")
    owner.modify_fpga_image_attribute(
        FpgaImageId=image_id, OperationType="add", UserIds=[OTHER_ACCOUNT]
    )
    other = emu.client(account=OTHER_ACCOUNT)

    assert attribute(other, image_id, "name")["Name"] == "cl-hello"
    with pytest.raises(ClientError) as raised:
        attribute(other, image_id, "loadPermission")
    assert error_code(raised) == "OperationNotPermitted"


# -- ModifyFpgaImageAttribute ---------------------------------------------------------------


def test_modify_name_and_description_without_naming_the_attribute(ec2: Any) -> None:
    image_id = available_image(ec2, "cl-hello")

    renamed = ec2.modify_fpga_image_attribute(FpgaImageId=image_id, Name="new name")
    described = ec2.modify_fpga_image_attribute(FpgaImageId=image_id, Description="new text")

    assert renamed["FpgaImageAttribute"] == {"FpgaImageId": image_id, "Name": "new name"}
    assert described["FpgaImageAttribute"]["Description"] == "new text"
    image = ec2.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0]
    assert (image["Name"], image["Description"]) == ("new name", "new text")


def test_modify_name_with_the_attribute_named(ec2: Any) -> None:
    image_id = available_image(ec2, "cl-hello")

    ec2.modify_fpga_image_attribute(FpgaImageId=image_id, Attribute="name", Name="named")

    assert attribute(ec2, image_id, "name")["Name"] == "named"


def test_named_attribute_without_its_value_is_a_missing_parameter(ec2: Any) -> None:
    image_id = available_image(ec2)

    with pytest.raises(ClientError) as raised:
        ec2.modify_fpga_image_attribute(FpgaImageId=image_id, Attribute="description")

    assert error_code(raised) == "MissingParameter"


def test_modify_with_nothing_to_change_is_a_missing_parameter(ec2: Any) -> None:
    image_id = available_image(ec2)

    with pytest.raises(ClientError) as raised:
        ec2.modify_fpga_image_attribute(FpgaImageId=image_id)

    assert error_code(raised) == "MissingParameter"


def test_modify_two_attributes_at_once_is_an_invalid_combination(ec2: Any) -> None:
    image_id = available_image(ec2)

    with pytest.raises(ClientError) as raised:
        ec2.modify_fpga_image_attribute(FpgaImageId=image_id, Name="a", Description="b")

    assert error_code(raised) == "InvalidParameterCombination"


def test_add_and_remove_user_ids_with_operation_type(ec2: Any) -> None:
    image_id = available_image(ec2)

    added = ec2.modify_fpga_image_attribute(
        FpgaImageId=image_id,
        Attribute="loadPermission",
        OperationType="add",
        UserIds=[OTHER_ACCOUNT, THIRD_ACCOUNT],
    )
    assert added["FpgaImageAttribute"]["LoadPermissions"] == [
        {"UserId": OTHER_ACCOUNT},
        {"UserId": THIRD_ACCOUNT},
    ]

    ec2.modify_fpga_image_attribute(
        FpgaImageId=image_id, OperationType="remove", UserIds=[OTHER_ACCOUNT]
    )
    assert attribute(ec2, image_id, "loadPermission")["LoadPermissions"] == [
        {"UserId": THIRD_ACCOUNT}
    ]


def test_group_all_makes_the_image_public_and_removing_it_private(ec2: Any) -> None:
    image_id = available_image(ec2)

    ec2.modify_fpga_image_attribute(FpgaImageId=image_id, OperationType="add", UserGroups=["all"])
    public = ec2.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0]
    assert public["Public"] is True
    assert attribute(ec2, image_id, "loadPermission")["LoadPermissions"] == [{"Group": "all"}]

    ec2.modify_fpga_image_attribute(
        FpgaImageId=image_id, OperationType="remove", UserGroups=["all"]
    )
    assert ec2.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0]["Public"] is False


def test_load_permission_structure_adds_and_removes_in_one_request(ec2: Any) -> None:
    image_id = available_image(ec2)
    ec2.modify_fpga_image_attribute(
        FpgaImageId=image_id, OperationType="add", UserIds=[OTHER_ACCOUNT]
    )

    changed = ec2.modify_fpga_image_attribute(
        FpgaImageId=image_id,
        LoadPermission={
            "Add": [{"UserId": THIRD_ACCOUNT}, {"Group": "all"}],
            "Remove": [{"UserId": OTHER_ACCOUNT}],
        },
    )

    assert changed["FpgaImageAttribute"]["LoadPermissions"] == [
        {"UserId": THIRD_ACCOUNT},
        {"Group": "all"},
    ]


def test_user_ids_without_operation_type_is_a_missing_parameter(ec2: Any) -> None:
    image_id = available_image(ec2)

    with pytest.raises(ClientError) as raised:
        ec2.modify_fpga_image_attribute(FpgaImageId=image_id, UserIds=[OTHER_ACCOUNT])

    assert error_code(raised) == "MissingParameter"


def test_user_id_that_is_not_an_account_id_is_malformed(ec2: Any) -> None:
    image_id = available_image(ec2)

    with pytest.raises(ClientError) as raised:
        ec2.modify_fpga_image_attribute(
            FpgaImageId=image_id, OperationType="add", UserIds=["12345"]
        )

    assert error_code(raised) == "InvalidUserID.Malformed"


def test_group_other_than_all_is_invalid(ec2: Any) -> None:
    image_id = available_image(ec2)

    with pytest.raises(ClientError) as raised:
        ec2.modify_fpga_image_attribute(
            FpgaImageId=image_id, OperationType="add", UserGroups=["friends"]
        )

    assert error_code(raised) == "InvalidParameterValue"


def test_product_codes_are_added_and_cannot_be_removed(ec2: Any) -> None:
    image_id = available_image(ec2)

    added = ec2.modify_fpga_image_attribute(
        FpgaImageId=image_id, Attribute="productCodes", ProductCodes=["abc123"]
    )
    assert added["FpgaImageAttribute"]["ProductCodes"] == [
        {"ProductCodeId": "abc123", "ProductCodeType": "marketplace"}
    ]
    image = ec2.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0]
    assert image["ProductCodes"] == [{"ProductCodeId": "abc123", "ProductCodeType": "marketplace"}]

    with pytest.raises(ClientError) as raised:
        ec2.modify_fpga_image_attribute(
            FpgaImageId=image_id,
            Attribute="productCodes",
            OperationType="remove",
            ProductCodes=["abc123"],
        )
    assert error_code(raised) == "InvalidParameterValue"


def test_attributes_change_only_while_available(make_emulator: Callable[..., Running]) -> None:
    ec2 = make_emulator(create_seconds=60).client()
    image_id = create_image(ec2)

    with pytest.raises(ClientError) as raised:
        ec2.modify_fpga_image_attribute(FpgaImageId=image_id, Name="too early")

    assert error_code(raised) == "IncorrectState"


def test_modify_updates_the_update_time(ec2: Any) -> None:
    image_id = available_image(ec2)
    before = ec2.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0]["UpdateTime"]

    ec2.modify_fpga_image_attribute(FpgaImageId=image_id, Name="changed")

    after = ec2.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0]["UpdateTime"]
    assert after > before


def test_another_account_cannot_modify_an_image_shared_with_it(emu: Running) -> None:
    owner = emu.client()
    image_id = available_image(owner)
    owner.modify_fpga_image_attribute(
        FpgaImageId=image_id, OperationType="add", UserIds=[OTHER_ACCOUNT]
    )

    with pytest.raises(ClientError) as raised:
        emu.client(account=OTHER_ACCOUNT).modify_fpga_image_attribute(
            FpgaImageId=image_id, Name="stolen"
        )

    assert error_code(raised) == "OperationNotPermitted"


def test_another_account_cannot_modify_a_private_image(emu: Running) -> None:
    image_id = available_image(emu.client())

    with pytest.raises(ClientError) as raised:
        emu.client(account=OTHER_ACCOUNT).modify_fpga_image_attribute(
            FpgaImageId=image_id, Name="stolen"
        )

    assert error_code(raised) == "InvalidFpgaImageID.NotFound"


# -- ResetFpgaImageAttribute ----------------------------------------------------------------


def test_reset_removes_every_load_permission(ec2: Any) -> None:
    image_id = available_image(ec2)
    ec2.modify_fpga_image_attribute(
        FpgaImageId=image_id,
        LoadPermission={"Add": [{"UserId": OTHER_ACCOUNT}, {"Group": "all"}]},
    )

    assert ec2.reset_fpga_image_attribute(FpgaImageId=image_id, Attribute="loadPermission")[
        "Return"
    ]

    assert attribute(ec2, image_id, "loadPermission")["LoadPermissions"] == []
    assert ec2.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0]["Public"] is False


def test_reset_without_attribute_resets_load_permissions(ec2: Any) -> None:
    image_id = available_image(ec2)
    ec2.modify_fpga_image_attribute(
        FpgaImageId=image_id, OperationType="add", UserIds=[OTHER_ACCOUNT]
    )

    ec2.reset_fpga_image_attribute(FpgaImageId=image_id)

    assert attribute(ec2, image_id, "loadPermission")["LoadPermissions"] == []


def test_reset_of_another_attribute_is_invalid(ec2: Any) -> None:
    image_id = available_image(ec2)

    with pytest.raises(ClientError) as raised:
        ec2.reset_fpga_image_attribute(FpgaImageId=image_id, Attribute="name")

    assert error_code(raised) == "InvalidParameterValue"


def test_another_account_cannot_reset(emu: Running) -> None:
    owner = emu.client()
    image_id = available_image(owner)
    owner.modify_fpga_image_attribute(FpgaImageId=image_id, OperationType="add", UserGroups=["all"])

    with pytest.raises(ClientError) as raised:
        emu.client(account=OTHER_ACCOUNT).reset_fpga_image_attribute(FpgaImageId=image_id)

    assert error_code(raised) == "OperationNotPermitted"


def test_reset_of_unknown_image_is_not_found(ec2: Any) -> None:
    with pytest.raises(ClientError) as raised:
        ec2.reset_fpga_image_attribute(FpgaImageId="afi-0123456789abcdef0")

    assert error_code(raised) == "InvalidFpgaImageID.NotFound"


# -- DryRun ---------------------------------------------------------------------------------


def test_dry_run_of_each_attribute_operation_changes_nothing(ec2: Any) -> None:
    image_id = available_image(ec2, "cl-hello")
    calls: list[Callable[[], object]] = [
        lambda: ec2.describe_fpga_image_attribute(
            FpgaImageId=image_id, Attribute="name", DryRun=True
        ),
        lambda: ec2.modify_fpga_image_attribute(FpgaImageId=image_id, Name="x", DryRun=True),
        lambda: ec2.reset_fpga_image_attribute(FpgaImageId=image_id, DryRun=True),
    ]

    for call in calls:
        with pytest.raises(ClientError) as raised:
            call()
        assert error_code(raised) == "DryRunOperation"

    assert attribute(ec2, image_id, "name")["Name"] == "cl-hello"
