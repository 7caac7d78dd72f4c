"""CopiedAfi under the real engine, one test per path of its lifecycle."""

from __future__ import annotations

import threading
import time

import pytest

from tests.conftest import SLOW_REGION, Emulator, Stack

pytestmark = pytest.mark.e2e


def program(**inputs: object) -> str:
    """A stack with one CopiedAfi `copy` of config `source`, exporting all its outputs."""
    args = "".join(f", {key}={value!r}" for key, value in inputs.items())
    return f"""
import pulumi
from afi_provider import CopiedAfi

source = pulumi.Config().require("source")
copy = CopiedAfi("copy", source_fpga_image_id=source, source_region="us-east-1"{args})
pulumi.export("copy", {{k: getattr(copy, k) for k in (
    "fpga_image_id", "fpga_image_global_id", "state", "state_message", "region", "name",
    "description", "tags", "load_permissions", "public", "owner_id", "pci_id",
    "shell_version", "create_time", "update_time", "instance_types")}})
"""


def deploy(stack: Stack, emulator: Emulator, **inputs: object) -> dict[str, object]:
    stack.write_program(program(**{"region": "us-west-2", **inputs}))
    stack.config("source", emulator.seed("us-east-1", name="cl-dram-dma"))
    stack.up()
    return dict(stack.outputs()["copy"])


def live(emulator: Emulator, region: str, image_id: str) -> dict[str, object]:
    ec2 = emulator.client(region)
    return dict(ec2.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0])


def test_outputs_describe_the_copy(stack: Stack, emulator: Emulator) -> None:
    copy = deploy(stack, emulator, tags={"team": "fpga"})

    image = live(emulator, "us-west-2", str(copy["fpga_image_id"]))
    assert copy["name"] == "cl-dram-dma"  # the source's name by default
    assert copy["tags"] == {"team": "fpga"}
    assert copy["owner_id"] == image["OwnerId"]
    assert copy["shell_version"] == image["ShellVersion"]
    assert copy["pci_id"]["vendor_id"] == image["PciId"]["VendorId"]  # type: ignore[index]
    assert copy["load_permissions"] == {"user_ids": [], "public": False}
    assert copy["public"] is False
    assert str(copy["create_time"]).startswith(str(image["CreateTime"].year))  # type: ignore[attr-defined]


def test_refresh_shows_rename_and_retag_and_up_puts_them_back(
    stack: Stack, emulator: Emulator
) -> None:
    copy = deploy(stack, emulator, name="hello", tags={"team": "fpga"})
    image_id = str(copy["fpga_image_id"])
    ec2 = emulator.client("us-west-2")
    ec2.modify_fpga_image_attribute(FpgaImageId=image_id, Attribute="name", Name="renamed")
    ec2.create_tags(Resources=[image_id], Tags=[{"Key": "stray", "Value": "x"}])

    drift = stack.pulumi("refresh", "--yes", "--diff", "--expect-no-changes", check=False)
    assert drift.returncode != 0
    assert "renamed" in drift.output and "stray" in drift.output
    stack.up()

    image = live(emulator, "us-west-2", image_id)
    assert image["Name"] == "hello"
    assert image["Tags"] == [{"Key": "team", "Value": "fpga"}]
    assert stack.outputs()["copy"]["fpga_image_id"] == image_id


def test_refresh_shows_sharing_out_of_band_and_up_unshares(
    stack: Stack, emulator: Emulator
) -> None:
    image_id = str(deploy(stack, emulator)["fpga_image_id"])
    emulator.client("us-west-2").modify_fpga_image_attribute(
        FpgaImageId=image_id,
        Attribute="loadPermission",
        LoadPermission={"Add": [{"UserId": "111122223333"}]},
    )

    drift = stack.pulumi("refresh", "--yes", "--diff", "--expect-no-changes", check=False)
    assert drift.returncode != 0 and "111122223333" in drift.output
    stack.up()

    attribute = emulator.client("us-west-2").describe_fpga_image_attribute(
        FpgaImageId=image_id, Attribute="loadPermission"
    )["FpgaImageAttribute"]
    assert attribute.get("LoadPermissions", []) == []


def test_a_copy_gone_unavailable_is_replaced_by_the_next_up(
    stack: Stack, emulator: Emulator
) -> None:
    old = str(deploy(stack, emulator)["fpga_image_id"])
    emulator.force_state(old, "unavailable", "The AFI is no longer available")

    stack.pulumi("refresh", "--yes")
    assert stack.resources()[0]["outputs"]["state"] == "unavailable"
    stack.up()

    new = stack.outputs()["copy"]
    assert new["fpga_image_id"] != old and new["state"] == "available"
    assert old not in [i["FpgaImageId"] for i in emulator.images("us-west-2")]


def test_in_place_updates_keep_the_afi_id(stack: Stack, emulator: Emulator) -> None:
    image_id = str(deploy(stack, emulator)["fpga_image_id"])

    stack.write_program(
        program(
            region="us-west-2",
            name="renamed",
            description="v2",
            tags={"team": "fpga", "tier": "prod"},
            load_permissions={"user_ids": ["111122223333"], "public": True},
        )
    )
    preview = stack.pulumi("preview", "--diff")
    stack.up()

    assert "update" in preview.output and "replace" not in preview.output
    copy = stack.outputs()["copy"]
    assert copy["fpga_image_id"] == image_id
    image = live(emulator, "us-west-2", image_id)
    assert (image["Name"], image["Description"], image["Public"]) == ("renamed", "v2", True)
    assert {t["Key"]: t["Value"] for t in image["Tags"]} == {"team": "fpga", "tier": "prod"}
    assert copy["load_permissions"] == {"user_ids": ["111122223333"], "public": True}


def test_changing_the_region_replaces_the_copy_and_deletes_the_old_one(
    stack: Stack, emulator: Emulator
) -> None:
    old = str(deploy(stack, emulator)["fpga_image_id"])

    stack.write_program(program(region="eu-west-1"))
    stack.up()

    new = stack.outputs()["copy"]
    assert new["region"] == "eu-west-1" and new["fpga_image_id"] != old
    assert emulator.images("us-west-2") == []
    assert [i["FpgaImageId"] for i in emulator.images("eu-west-1")] == [new["fpga_image_id"]]


def test_changing_the_wait_timeout_is_not_a_diff(stack: Stack, emulator: Emulator) -> None:
    deploy(stack, emulator)

    stack.write_program(program(region="us-west-2", wait_timeout_seconds=99))
    preview = stack.pulumi("preview", "--expect-no-changes", check=False)

    assert preview.returncode == 0, preview.output


def test_a_copy_that_fails_reports_aws_message_and_leaves_nothing(
    stack: Stack, emulator: Emulator
) -> None:
    message = "INVALID_STATE: Source image is not in a suitable state to allow copying."

    def fail_the_copy() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            pending = [i for i in emulator.images(SLOW_REGION) if i["State"]["Code"] == "pending"]
            if pending:
                emulator.force_state(pending[0]["FpgaImageId"], "failed", message)
                return
            time.sleep(0.1)

    stack.write_program(program(region=SLOW_REGION))
    stack.config("source", emulator.seed("us-east-1"))
    failer = threading.Thread(target=fail_the_copy)
    failer.start()
    run = stack.up(check=False)
    failer.join()

    assert run.returncode != 0
    assert message in run.output
    assert f"to {SLOW_REGION} failed" in run.output
    assert emulator.images(SLOW_REGION) == []
    assert stack.resources() == []


def test_a_timed_out_wait_is_resumed_by_the_next_up_without_a_second_copy(
    stack: Stack, emulator: Emulator
) -> None:
    stack.write_program(program(region=SLOW_REGION, wait_timeout_seconds=2))
    stack.config("source", emulator.seed("us-east-1"))

    first = stack.up(check=False)
    assert first.returncode != 0 and "resumes" in first.output
    pending = emulator.images(SLOW_REGION)
    assert [i["State"]["Code"] for i in pending] == ["pending"]

    stack.write_program(program(region=SLOW_REGION, wait_timeout_seconds=60))
    stack.up()

    copy = stack.outputs()["copy"]
    assert copy["fpga_image_id"] == pending[0]["FpgaImageId"]
    assert copy["state"] == "available"
    assert len(emulator.images(SLOW_REGION)) == 1


def test_adopt_existing_takes_over_a_matching_copy_instead_of_copying(
    stack: Stack, emulator: Emulator
) -> None:
    source = emulator.seed("us-east-1")
    west = emulator.client("us-west-2")
    existing = west.copy_fpga_image(SourceFpgaImageId=source, SourceRegion="us-east-1")
    emulator_wait = existing["FpgaImageId"]
    from tests.conftest import wait_for_state

    wait_for_state(west, emulator_wait, "available")
    emulator.control("DELETE", "requests")

    stack.write_program(program(region="us-west-2", adopt_existing=True))
    stack.config("source", source)
    stack.up()

    assert stack.outputs()["copy"]["fpga_image_id"] == emulator_wait
    assert "CopyFpgaImage" not in emulator.requests()["by_action"]
    assert len(emulator.images("us-west-2")) == 1


def test_a_source_that_is_not_available_is_rejected_before_anything_is_created(
    stack: Stack, emulator: Emulator
) -> None:
    source = emulator.seed("us-east-1")
    emulator.force_state(source, "unavailable")
    emulator.control("DELETE", "requests")

    stack.write_program(program(region="us-west-2"))
    stack.config("source", source)
    preview = stack.pulumi("preview", check=False)

    assert preview.returncode != 0
    assert "source_fpga_image_id" in preview.output and "unavailable" in preview.output
    assert emulator.requests()["mutating"] == 0
