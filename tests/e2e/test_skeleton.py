"""The walking skeleton under the real engine: up, refresh and destroy against the emulator."""

from __future__ import annotations

import pytest

from tests.conftest import Emulator, Stack

pytestmark = pytest.mark.e2e

PROGRAM = """
import pulumi
from afi_provider import CopiedAfi

config = pulumi.Config()
source = config.require("source")
west = CopiedAfi("west", source_fpga_image_id=source, source_region="us-east-1",
                 region="us-west-2")
east = CopiedAfi("east", source_fpga_image_id=source, source_region="us-east-1",
                 region="us-east-1")
for name, copy in (("west", west), ("east", east)):
    pulumi.export(name, {"id": copy.fpga_image_id, "agfi": copy.fpga_image_global_id,
                         "state": copy.state, "region": copy.region})
"""


def source_agfi(emulator: Emulator, source: str) -> str:
    ec2 = emulator.client("us-east-1")
    return str(
        ec2.describe_fpga_images(FpgaImageIds=[source])["FpgaImages"][0]["FpgaImageGlobalId"]
    )


def test_up_copies_across_and_within_regions_keeping_the_global_id(
    stack: Stack, emulator: Emulator
) -> None:
    source = emulator.seed("us-east-1")
    stack.write_program(PROGRAM)
    stack.config("source", source)

    stack.up()

    outputs = stack.outputs()
    agfi = source_agfi(emulator, source)
    for name, region in (("west", "us-west-2"), ("east", "us-east-1")):
        copy = outputs[name]
        assert copy["id"].startswith("afi-") and copy["id"] != source
        assert copy["agfi"] == agfi
        assert copy["state"] == "available"
        assert copy["region"] == region
        live = [i for i in emulator.images(region) if i["FpgaImageId"] == copy["id"]]
        assert live and live[0]["State"]["Code"] == "available"


def test_refresh_after_up_finds_no_drift(stack: Stack, emulator: Emulator) -> None:
    stack.write_program(PROGRAM)
    stack.config("source", emulator.seed("us-east-1"))
    stack.up()

    refresh = stack.pulumi("refresh", "--yes", "--expect-no-changes", check=False)

    assert refresh.returncode == 0, refresh.output


def test_refresh_removes_a_copy_deleted_out_of_band(stack: Stack, emulator: Emulator) -> None:
    stack.write_program(PROGRAM)
    stack.config("source", emulator.seed("us-east-1"))
    stack.up()
    west = stack.outputs()["west"]["id"]

    emulator.client("us-west-2").delete_fpga_image(FpgaImageId=west)
    stack.pulumi("refresh", "--yes")

    remaining = [r["outputs"]["fpga_image_id"] for r in stack.resources()]
    assert west not in remaining
    assert len(remaining) == 1


def test_destroy_deletes_every_copy_and_keeps_the_source(stack: Stack, emulator: Emulator) -> None:
    source = emulator.seed("us-east-1")
    stack.write_program(PROGRAM)
    stack.config("source", source)
    stack.up()

    stack.pulumi("destroy", "--yes")

    assert emulator.images("us-west-2") == []
    assert [i["FpgaImageId"] for i in emulator.images("us-east-1")] == [source]
    assert stack.resources() == []


def test_destroy_succeeds_when_the_copy_is_already_gone(stack: Stack, emulator: Emulator) -> None:
    stack.write_program(PROGRAM)
    stack.config("source", emulator.seed("us-east-1"))
    stack.up()
    emulator.client("us-west-2").delete_fpga_image(FpgaImageId=stack.outputs()["west"]["id"])

    stack.pulumi("destroy", "--yes")

    assert stack.resources() == []
