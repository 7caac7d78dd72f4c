"""DescribeFpgaImages: ids, owners, every documented filter, pagination and visibility."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .support import (
    DEFAULT_ACCOUNT,
    OTHER_ACCOUNT,
    THIRD_ACCOUNT,
    Running,
    available_image,
    control,
    create_image,
)

AMAZON_ACCOUNT = "095707098027"


def ids(response: dict[str, Any]) -> list[str]:
    """The AFI ids of a DescribeFpgaImages answer, in order."""
    return [image["FpgaImageId"] for image in response["FpgaImages"]]


@dataclass
class Catalog:
    """Two AFIs of the default account: ``hello`` available, ``dram`` still pending."""

    emu: Running
    ec2: Any
    hello: str
    hello_agfi: str
    dram: str
    dram_agfi: str

    def control_view(self, image_id: str) -> dict[str, Any]:
        images = control(self.emu.url, "GET", "/images")["images"]
        return next(image for image in images if image["image_id"] == image_id)

    def filtered(self, *filters: tuple[str, list[str]]) -> set[str]:
        response = self.ec2.describe_fpga_images(
            Filters=[{"Name": name, "Values": values} for name, values in filters]
        )
        return set(ids(response))


@pytest.fixture
def catalog(make_emulator: Callable[..., Running]) -> Catalog:
    # A long create delay keeps `dram` pending for the whole test; `hello` is forced ready.
    emu = make_emulator(create_seconds=60)
    ec2 = emu.client()
    hello = ec2.create_fpga_image(
        InputStorageLocation={"Bucket": "b", "Key": "hello.tar"},
        Name="cl_hello_world",
        TagSpecifications=[
            {"ResourceType": "fpga-image", "Tags": [{"Key": "team", "Value": "fpga"}]}
        ],
    )
    control(emu.url, "POST", f"/images/{hello['FpgaImageId']}/state", {"state": "available"})
    ec2.modify_fpga_image_attribute(
        FpgaImageId=hello["FpgaImageId"], Attribute="productCodes", ProductCodes=["abc123"]
    )
    dram = ec2.create_fpga_image(
        InputStorageLocation={"Bucket": "b", "Key": "dram.tar"},
        Name="cl_dram_dma",
        TagSpecifications=[
            {"ResourceType": "fpga-image", "Tags": [{"Key": "stage", "Value": "dev"}]}
        ],
    )
    return Catalog(
        emu,
        ec2,
        hello["FpgaImageId"],
        hello["FpgaImageGlobalId"],
        dram["FpgaImageId"],
        dram["FpgaImageGlobalId"],
    )


# -- ids ------------------------------------------------------------------------------------


def test_describe_by_ids_returns_exactly_those_images(emu: Running, ec2: Any) -> None:
    first, second, _ = (create_image(ec2, name) for name in ("a", "b", "c"))

    assert sorted(ids(ec2.describe_fpga_images(FpgaImageIds=[second, first]))) == sorted(
        [first, second]
    )


def test_malformed_id_is_invalid_fpga_image_id_malformed(ec2: Any) -> None:
    with pytest.raises(ClientError) as raised:
        ec2.describe_fpga_images(FpgaImageIds=["afi-06d0ffc989feeeXXX"])

    assert raised.value.response["Error"]["Code"] == "InvalidFpgaImageID.Malformed"


def test_unknown_id_is_invalid_fpga_image_id_not_found(ec2: Any) -> None:
    with pytest.raises(ClientError) as raised:
        ec2.describe_fpga_images(FpgaImageIds=["afi-03d027a3318440a77"])

    assert raised.value.response["Error"]["Code"] == "InvalidFpgaImageID.NotFound"
    assert "afi-03d027a3318440a77" in raised.value.response["Error"]["Message"]


def test_images_live_in_their_region_only(emu: Running) -> None:
    image_id = create_image(emu.client("us-east-1"))
    west = emu.client("us-west-2")

    assert ids(west.describe_fpga_images()) == []
    with pytest.raises(ClientError) as raised:
        west.describe_fpga_images(FpgaImageIds=[image_id])
    assert raised.value.response["Error"]["Code"] == "InvalidFpgaImageID.NotFound"


# -- owners and visibility ------------------------------------------------------------------


def test_another_accounts_private_image_is_invisible(emu: Running) -> None:
    image_id = create_image(emu.client())
    other = emu.client(account=OTHER_ACCOUNT)

    assert ids(other.describe_fpga_images()) == []
    with pytest.raises(ClientError) as raised:
        other.describe_fpga_images(FpgaImageIds=[image_id])
    assert raised.value.response["Error"]["Code"] == "InvalidFpgaImageID.NotFound"


def test_image_shared_by_load_permission_is_visible_to_that_account_only(emu: Running) -> None:
    owner = emu.client()
    image_id = available_image(owner)
    owner.create_tags(Resources=[image_id], Tags=[{"Key": "secret", "Value": "x"}])
    owner.modify_fpga_image_attribute(
        FpgaImageId=image_id, OperationType="add", UserIds=[OTHER_ACCOUNT]
    )

    shared = emu.client(account=OTHER_ACCOUNT).describe_fpga_images(FpgaImageIds=[image_id])
    assert shared["FpgaImages"][0]["OwnerId"] == DEFAULT_ACCOUNT
    assert shared["FpgaImages"][0]["Tags"] == []
    assert ids(emu.client(account=THIRD_ACCOUNT).describe_fpga_images()) == []


def test_public_image_is_visible_to_every_account(emu: Running) -> None:
    owner = emu.client()
    image_id = available_image(owner)
    owner.modify_fpga_image_attribute(FpgaImageId=image_id, OperationType="add", UserGroups=["all"])

    seen = emu.client(account=THIRD_ACCOUNT).describe_fpga_images()["FpgaImages"]
    assert [(i["FpgaImageId"], i["Public"]) for i in seen] == [(image_id, True)]


def test_owner_self_lists_own_images_but_not_shared_or_public_ones(emu: Running) -> None:
    mine = create_image(emu.client(account=OTHER_ACCOUNT), "mine")
    theirs = available_image(emu.client(), "theirs")
    emu.client().modify_fpga_image_attribute(
        FpgaImageId=theirs, OperationType="add", UserGroups=["all"]
    )
    other = emu.client(account=OTHER_ACCOUNT)

    assert ids(other.describe_fpga_images(Owners=["self"])) == [mine]
    assert sorted(ids(other.describe_fpga_images())) == sorted([mine, theirs])


def test_owner_account_id_and_owners_are_ored(emu: Running) -> None:
    mine = create_image(emu.client(account=OTHER_ACCOUNT), "mine")
    theirs = available_image(emu.client(), "theirs")
    emu.client().modify_fpga_image_attribute(
        FpgaImageId=theirs, OperationType="add", UserIds=[OTHER_ACCOUNT]
    )
    other = emu.client(account=OTHER_ACCOUNT)

    assert ids(other.describe_fpga_images(Owners=[DEFAULT_ACCOUNT])) == [theirs]
    both = other.describe_fpga_images(Owners=[DEFAULT_ACCOUNT, "self"])
    assert sorted(ids(both)) == sorted([mine, theirs])


def test_owner_amazon_lists_public_images_owned_by_amazon(emu: Running) -> None:
    seeded = control(
        emu.url,
        "POST",
        "/images",
        {
            "account_id": AMAZON_ACCOUNT,
            "region": "us-east-1",
            "name": "cl_hello_world_04151701",
            "owner_alias": "amazon",
            "public": True,
        },
    )
    create_image(emu.client(), "own")

    images = emu.client().describe_fpga_images(Owners=["amazon"])["FpgaImages"]

    assert [(i["FpgaImageId"], i["OwnerAlias"]) for i in images] == [(seeded["image_id"], "amazon")]


def test_owner_that_is_neither_alias_nor_account_id_is_malformed(ec2: Any) -> None:
    with pytest.raises(ClientError) as raised:
        ec2.describe_fpga_images(Owners=["12345"])

    assert raised.value.response["Error"]["Code"] == "InvalidUserID.Malformed"


# -- filters --------------------------------------------------------------------------------


def test_filter_state(catalog: Catalog) -> None:
    assert catalog.filtered(("state", ["available"])) == {catalog.hello}
    assert catalog.filtered(("state", ["pending"])) == {catalog.dram}


def test_filter_name_with_star_and_question_mark_wildcards(catalog: Catalog) -> None:
    assert catalog.filtered(("name", ["cl_*"])) == {catalog.hello, catalog.dram}
    assert catalog.filtered(("name", ["*_world"])) == {catalog.hello}
    assert catalog.filtered(("name", ["cl_?ram_dma"])) == {catalog.dram}
    assert catalog.filtered(("name", ["cl_"])) == set()


def test_filter_fpga_image_id(catalog: Catalog) -> None:
    assert catalog.filtered(("fpga-image-id", [catalog.dram])) == {catalog.dram}


def test_filter_fpga_image_global_id_matches_only_built_images(catalog: Catalog) -> None:
    assert catalog.filtered(("fpga-image-global-id", [catalog.hello_agfi])) == {catalog.hello}
    assert catalog.filtered(("fpga-image-global-id", [catalog.dram_agfi])) == set()


def test_filter_owner_id(catalog: Catalog) -> None:
    assert catalog.filtered(("owner-id", [DEFAULT_ACCOUNT])) == {catalog.hello, catalog.dram}
    assert catalog.filtered(("owner-id", [OTHER_ACCOUNT])) == set()


def test_filter_product_code(catalog: Catalog) -> None:
    assert catalog.filtered(("product-code", ["abc123"])) == {catalog.hello}


def test_filter_shell_version(catalog: Catalog) -> None:
    shell = catalog.ec2.describe_fpga_images(FpgaImageIds=[catalog.hello])["FpgaImages"][0][
        "ShellVersion"
    ]

    assert catalog.filtered(("shell-version", [shell])) == {catalog.hello}


def test_filter_tag_key_value(catalog: Catalog) -> None:
    assert catalog.filtered(("tag:team", ["fpga"])) == {catalog.hello}
    assert catalog.filtered(("tag:team", ["f*"])) == {catalog.hello}
    assert catalog.filtered(("tag:team", ["dev"])) == set()


def test_filter_tag_key(catalog: Catalog) -> None:
    assert catalog.filtered(("tag-key", ["stage"])) == {catalog.dram}


def test_filter_create_time_exact_and_by_day(catalog: Catalog) -> None:
    created = catalog.control_view(catalog.hello)["create_time"]

    assert catalog.hello in catalog.filtered(("create-time", [created]))
    assert catalog.filtered(("create-time", [created[:10] + "*"])) >= {catalog.hello}
    assert catalog.filtered(("create-time", ["1999-*"])) == set()


def test_filter_update_time(catalog: Catalog) -> None:
    updated = catalog.control_view(catalog.hello)["update_time"]

    assert catalog.filtered(("update-time", [updated])) == {catalog.hello}


def test_filter_values_are_ored(catalog: Catalog) -> None:
    both = catalog.filtered(("name", ["cl_hello_world", "cl_dram_dma"]))

    assert both == {catalog.hello, catalog.dram}


def test_filters_are_anded(catalog: Catalog) -> None:
    assert catalog.filtered(("name", ["cl_*"]), ("state", ["pending"])) == {catalog.dram}
    assert catalog.filtered(("name", ["cl_hello_world"]), ("name", ["cl_dram_dma"])) == set()


def test_backslash_makes_a_wildcard_literal(emu: Running, ec2: Any) -> None:
    star = create_image(ec2, "build*1")
    create_image(ec2, "build-1")

    response = ec2.describe_fpga_images(Filters=[{"Name": "name", "Values": ["build\\*1"]}])

    assert ids(response) == [star]


def test_unknown_filter_is_invalid_parameter_value(ec2: Any) -> None:
    with pytest.raises(ClientError) as raised:
        ec2.describe_fpga_images(Filters=[{"Name": "bad-filter", "Values": ["value"]}])

    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "bad-filter" in raised.value.response["Error"]["Message"]


# -- pagination -----------------------------------------------------------------------------


def test_paginator_walks_every_page_of_five(emu: Running, ec2: Any) -> None:
    created = {create_image(ec2, f"image-{n:02d}") for n in range(12)}

    pages = list(
        ec2.get_paginator("describe_fpga_images").paginate(
            Owners=["self"], PaginationConfig={"PageSize": 5}
        )
    )

    assert [len(page["FpgaImages"]) for page in pages] == [5, 5, 2]
    assert {image_id for page in pages for image_id in ids(page)} == created
    assert "NextToken" in pages[0] and "NextToken" not in pages[-1]


def test_max_results_over_1000_is_rejected_by_the_server(ec2: Any) -> None:
    with pytest.raises(ClientError) as raised:
        ec2.describe_fpga_images(MaxResults=1001)

    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_max_results_under_5_is_rejected_by_the_server(emu: Running) -> None:
    unchecked = emu.client(config=Config(parameter_validation=False))

    with pytest.raises(ClientError) as raised:
        unchecked.describe_fpga_images(MaxResults=4)

    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_max_results_1000_is_accepted(ec2: Any) -> None:
    create_image(ec2)

    assert len(ec2.describe_fpga_images(MaxResults=1000)["FpgaImages"]) == 1


def test_next_token_the_server_did_not_issue_is_invalid(ec2: Any) -> None:
    with pytest.raises(ClientError) as raised:
        ec2.describe_fpga_images(MaxResults=5, NextToken="not-a-token")

    assert raised.value.response["Error"]["Code"] == "InvalidPaginationToken"


def test_dry_run_answers_dry_run_operation(ec2: Any) -> None:
    with pytest.raises(ClientError) as raised:
        ec2.describe_fpga_images(DryRun=True)

    assert raised.value.response["Error"]["Code"] == "DryRunOperation"
