"""Importing an existing copy, and AfiReplicas fanning one AFI out over regions."""

from __future__ import annotations

import pytest

from tests.conftest import Emulator, Stack, wait_for_state

pytestmark = pytest.mark.e2e


def test_import_is_refused_for_dynamic_resources_and_adopt_existing_takes_its_place(
    stack: Stack, emulator: Emulator
) -> None:
    # The engine's import read sends a dynamic provider neither state nor inputs, so the provider
    # server cannot find which provider to run; the README explains this and points to
    # adopt_existing. Should a later engine allow it, the first assertion below tells.
    source = emulator.seed("us-east-1")
    west = emulator.client("us-west-2")
    image_id = west.copy_fpga_image(SourceFpgaImageId=source, SourceRegion="us-east-1")[
        "FpgaImageId"
    ]
    wait_for_state(west, image_id, "available")
    declare = """
import pulumi
from afi_provider import CopiedAfi

copy = CopiedAfi("copy", source_fpga_image_id={source!r}, source_region="us-east-1",
                 region="us-west-2"{extra})
pulumi.export("id", copy.fpga_image_id)
"""
    stack.write_program(
        declare.format(source=source, extra=f", opts=pulumi.ResourceOptions(import_={image_id!r})")
    )

    imported = stack.up(check=False)

    assert imported.returncode != 0 and "__provider" in imported.output
    assert [i["FpgaImageId"] for i in emulator.images("us-west-2")] == [image_id]

    stack.write_program(declare.format(source=source, extra=", adopt_existing=True"))
    stack.up()

    assert stack.outputs() == {"id": image_id}
    assert [i["FpgaImageId"] for i in emulator.images("us-west-2")] == [image_id]


def test_replicas_copy_to_each_region_and_map_the_source_region_to_the_source(
    stack: Stack, emulator: Emulator
) -> None:
    source = emulator.seed("us-east-1")
    stack.write_program(
        f"""
import pulumi
from afi_provider import AfiReplicas

replicas = AfiReplicas("hello", source_fpga_image_id={source!r}, source_region="us-east-1",
                       regions=["us-east-1", "us-west-2", "eu-west-1"])
pulumi.export("ids", replicas.fpga_image_ids)
pulumi.export("agfi", replicas.fpga_image_global_id)
"""
    )

    stack.up()

    outputs = stack.outputs()
    ids = outputs["ids"]
    assert ids["us-east-1"] == source
    assert [i["FpgaImageId"] for i in emulator.images("us-east-1")] == [source]
    for region in ("us-west-2", "eu-west-1"):
        assert [i["FpgaImageId"] for i in emulator.images(region)] == [ids[region]]
    agfi = emulator.client().describe_fpga_images(FpgaImageIds=[source])["FpgaImages"][0]
    assert outputs["agfi"] == agfi["FpgaImageGlobalId"]
