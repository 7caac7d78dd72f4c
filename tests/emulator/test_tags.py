"""CreateTags, DeleteTags and DescribeTags on AFIs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .support import OTHER_ACCOUNT, Running, available_image, create_image


def tags_of(ec2: Any, image_id: str) -> dict[str, str]:
    """The tags DescribeFpgaImages shows on one AFI."""
    image = ec2.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0]
    return {tag["Key"]: tag["Value"] for tag in image["Tags"]}


def error_code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    """The AWS error code of a botocore ClientError."""
    return str(raised.value.response["Error"]["Code"])


# -- CreateTags -----------------------------------------------------------------------------


def test_create_tags_adds_and_overwrites_on_every_resource(ec2: Any) -> None:
    first, second = create_image(ec2, "a"), create_image(ec2, "b")
    ec2.create_tags(Resources=[first], Tags=[{"Key": "stage", "Value": "dev"}])

    ec2.create_tags(
        Resources=[first, second],
        Tags=[{"Key": "stage", "Value": "prod"}, {"Key": "team", "Value": "fpga"}],
    )

    assert tags_of(ec2, first) == {"stage": "prod", "team": "fpga"}
    assert tags_of(ec2, second) == {"stage": "prod", "team": "fpga"}


def test_tag_without_value_has_an_empty_value(ec2: Any) -> None:
    image_id = create_image(ec2)

    ec2.create_tags(Resources=[image_id], Tags=[{"Key": "flag"}])

    assert tags_of(ec2, image_id) == {"flag": ""}


def test_tagging_a_resource_that_is_not_an_afi_is_invalid_id(ec2: Any) -> None:
    with pytest.raises(ClientError) as raised:
        ec2.create_tags(Resources=["i-0123456789abcdef0"], Tags=[{"Key": "a", "Value": "b"}])

    assert error_code(raised) == "InvalidID"


def test_tagging_an_unknown_afi_is_not_found_and_changes_no_other_resource(ec2: Any) -> None:
    image_id = create_image(ec2)

    with pytest.raises(ClientError) as raised:
        ec2.create_tags(
            Resources=[image_id, "afi-0123456789abcdef0"], Tags=[{"Key": "a", "Value": "b"}]
        )

    assert error_code(raised) == "InvalidFpgaImageID.NotFound"
    assert tags_of(ec2, image_id) == {}


def test_tagging_a_malformed_afi_id_is_malformed(ec2: Any) -> None:
    with pytest.raises(ClientError) as raised:
        ec2.create_tags(Resources=["afi-zzz"], Tags=[{"Key": "a", "Value": "b"}])

    assert error_code(raised) == "InvalidFpgaImageID.Malformed"


def test_tag_keys_starting_with_aws_are_reserved(ec2: Any) -> None:
    image_id = create_image(ec2)

    with pytest.raises(ClientError) as raised:
        ec2.create_tags(Resources=[image_id], Tags=[{"Key": "aws:owner", "Value": "me"}])

    assert error_code(raised) == "InvalidParameterValue"


def test_more_than_50_tags_on_one_resource_is_tag_limit_exceeded(ec2: Any) -> None:
    image_id = create_image(ec2)
    ec2.create_tags(Resources=[image_id], Tags=[{"Key": f"k{n}", "Value": "v"} for n in range(50)])

    with pytest.raises(ClientError) as raised:
        ec2.create_tags(Resources=[image_id], Tags=[{"Key": "one-more", "Value": "v"}])

    assert error_code(raised) == "TagLimitExceeded"


def test_another_account_cannot_tag_an_image_shared_with_it(emu: Running) -> None:
    owner = emu.client()
    image_id = available_image(owner)
    owner.modify_fpga_image_attribute(
        FpgaImageId=image_id, OperationType="add", UserIds=[OTHER_ACCOUNT]
    )

    with pytest.raises(ClientError) as raised:
        emu.client(account=OTHER_ACCOUNT).create_tags(
            Resources=[image_id], Tags=[{"Key": "a", "Value": "b"}]
        )

    assert error_code(raised) == "OperationNotPermitted"


def test_create_tags_requires_resources_and_tags(emu: Running) -> None:
    unchecked = emu.client(config=Config(parameter_validation=False))

    with pytest.raises(ClientError) as no_tags:
        unchecked.create_tags(Resources=["afi-0123456789abcdef0"])
    with pytest.raises(ClientError) as no_resources:
        unchecked.create_tags(Tags=[{"Key": "a", "Value": "b"}])

    assert error_code(no_tags) == "MissingParameter"
    assert error_code(no_resources) == "MissingParameter"


# -- DeleteTags -----------------------------------------------------------------------------


def test_delete_tags_by_key_by_key_and_value_or_all(ec2: Any) -> None:
    image_id = create_image(ec2)
    ec2.create_tags(
        Resources=[image_id],
        Tags=[
            {"Key": "a", "Value": "1"},
            {"Key": "b", "Value": "2"},
            {"Key": "c", "Value": "3"},
        ],
    )

    ec2.delete_tags(Resources=[image_id], Tags=[{"Key": "a"}])
    assert tags_of(ec2, image_id) == {"b": "2", "c": "3"}

    ec2.delete_tags(Resources=[image_id], Tags=[{"Key": "b", "Value": "other"}])
    assert tags_of(ec2, image_id) == {"b": "2", "c": "3"}
    ec2.delete_tags(Resources=[image_id], Tags=[{"Key": "b", "Value": "2"}])
    assert tags_of(ec2, image_id) == {"c": "3"}

    ec2.delete_tags(Resources=[image_id])
    assert tags_of(ec2, image_id) == {}


def test_delete_tags_with_empty_value_deletes_only_empty_valued_tags(ec2: Any) -> None:
    image_id = create_image(ec2)
    ec2.create_tags(Resources=[image_id], Tags=[{"Key": "a", "Value": "1"}])

    ec2.delete_tags(Resources=[image_id], Tags=[{"Key": "a", "Value": ""}])

    assert tags_of(ec2, image_id) == {"a": "1"}


def test_delete_tags_of_another_accounts_image_is_not_found(emu: Running) -> None:
    image_id = create_image(emu.client())

    with pytest.raises(ClientError) as raised:
        emu.client(account=OTHER_ACCOUNT).delete_tags(Resources=[image_id])

    assert error_code(raised) == "InvalidFpgaImageID.NotFound"


# -- DescribeTags ---------------------------------------------------------------------------


def test_describe_tags_lists_each_tag_with_its_resource(ec2: Any) -> None:
    image_id = create_image(ec2)
    ec2.create_tags(Resources=[image_id], Tags=[{"Key": "team", "Value": "fpga"}])

    assert ec2.describe_tags()["Tags"] == [
        {"ResourceId": image_id, "ResourceType": "fpga-image", "Key": "team", "Value": "fpga"}
    ]


def test_describe_tags_filters(emu: Running, ec2: Any) -> None:
    first, second = create_image(ec2, "a"), create_image(ec2, "b")
    ec2.create_tags(Resources=[first], Tags=[{"Key": "team", "Value": "fpga"}])
    ec2.create_tags(
        Resources=[second],
        Tags=[{"Key": "team", "Value": "cpu"}, {"Key": "stage", "Value": "dev"}],
    )

    def found(*filters: tuple[str, list[str]]) -> set[tuple[str, str]]:
        response = ec2.describe_tags(Filters=[{"Name": n, "Values": v} for n, v in filters])
        return {(tag["ResourceId"], tag["Key"]) for tag in response["Tags"]}

    assert found(("key", ["stage"])) == {(second, "stage")}
    assert found(("value", ["fp*"])) == {(first, "team")}
    assert found(("resource-id", [first])) == {(first, "team")}
    assert found(("resource-type", ["fpga-image"])) == {
        (first, "team"),
        (second, "team"),
        (second, "stage"),
    }
    assert found(("tag:stage", ["dev"])) == {(second, "team"), (second, "stage")}
    assert found(("key", ["team"]), ("value", ["cpu"])) == {(second, "team")}
    assert found(("resource-type", ["instance"])) == set()


def test_describe_tags_unknown_filter_is_invalid(ec2: Any) -> None:
    with pytest.raises(ClientError) as raised:
        ec2.describe_tags(Filters=[{"Name": "colour", "Values": ["red"]}])

    assert error_code(raised) == "InvalidParameterValue"


def test_describe_tags_shows_only_the_callers_tags_in_its_region(emu: Running) -> None:
    image_id = create_image(emu.client())
    emu.client().create_tags(Resources=[image_id], Tags=[{"Key": "a", "Value": "b"}])

    assert emu.client(account=OTHER_ACCOUNT).describe_tags()["Tags"] == []
    assert emu.client("us-west-2").describe_tags()["Tags"] == []


def test_describe_tags_paginator_walks_every_page(ec2: Any) -> None:
    image_id = create_image(ec2)
    ec2.create_tags(
        Resources=[image_id], Tags=[{"Key": f"k{n:02d}", "Value": "v"} for n in range(12)]
    )

    pages = list(ec2.get_paginator("describe_tags").paginate(PaginationConfig={"PageSize": 5}))

    assert [len(page["Tags"]) for page in pages] == [5, 5, 2]
    assert [t["Key"] for page in pages for t in page["Tags"]] == [f"k{n:02d}" for n in range(12)]


def test_describe_tags_max_results_out_of_range_is_invalid(ec2: Any) -> None:
    with pytest.raises(ClientError) as raised:
        ec2.describe_tags(MaxResults=2000)

    assert error_code(raised) == "InvalidParameterValue"


# -- DryRun ---------------------------------------------------------------------------------


def test_dry_run_of_each_tag_operation_changes_nothing(ec2: Any) -> None:
    image_id = create_image(ec2)
    calls: list[Callable[[], object]] = [
        lambda: ec2.create_tags(
            Resources=[image_id], Tags=[{"Key": "a", "Value": "b"}], DryRun=True
        ),
        lambda: ec2.delete_tags(Resources=[image_id], DryRun=True),
        lambda: ec2.describe_tags(DryRun=True),
    ]

    for call in calls:
        with pytest.raises(ClientError) as raised:
            call()
        assert error_code(raised) == "DryRunOperation"

    assert tags_of(ec2, image_id) == {}
