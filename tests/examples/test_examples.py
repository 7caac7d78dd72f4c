"""The examples that need only the FPGA-image API, run with the real engine against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Emulator, Stack, wait_for_state

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def use_example(stack: Stack, name: str) -> None:
    stack.write_program((EXAMPLES / name / "__main__.py").read_text())


def test_multi_region_makes_both_afis_available_in_every_region(
    stack: Stack, emulator: Emulator
) -> None:
    shell, dram = emulator.seed(name="shell"), emulator.seed(name="dram-dma")
    use_example(stack, "multi-region")
    stack.pulumi("config", "set", "--path", "afis.shell", shell)
    stack.pulumi("config", "set", "--path", "afis.dram-dma", dram)

    stack.up()

    outputs = stack.outputs()
    for name, source in (("shell", shell), ("dram-dma", dram)):
        afis = outputs[name]["afis"]
        assert afis["us-east-1"] == source
        for region in ("us-west-2", "eu-west-1"):
            image = emulator.client(region).describe_fpga_images(FpgaImageIds=[afis[region]])
            found = image["FpgaImages"][0]
            assert found["FpgaImageGlobalId"] == outputs[name]["agfi"]
            assert found["State"]["Code"] == "available"
            assert found["Tags"] == [{"Key": "afi", "Value": name}]
    assert len(emulator.images("us-west-2")) == 2


def test_adopt_existing_takes_copies_made_by_hand_without_copying_again(
    stack: Stack, emulator: Emulator
) -> None:
    source = emulator.seed()
    by_hand = {}
    for region in ("us-west-2", "eu-west-1"):
        ec2 = emulator.client(region)
        by_hand[region] = ec2.copy_fpga_image(SourceFpgaImageId=source, SourceRegion="us-east-1")[
            "FpgaImageId"
        ]
        wait_for_state(ec2, by_hand[region], "available")
    emulator.control("DELETE", "requests")
    use_example(stack, "adopt-existing")
    stack.config("source", source)
    stack.pulumi("config", "set", "--path", "regions[0]", "us-west-2")
    stack.pulumi("config", "set", "--path", "regions[1]", "eu-west-1")

    stack.up()

    assert stack.outputs()["afis"] == by_hand
    assert "CopyFpgaImage" not in emulator.requests()["by_action"]
    stack.pulumi("destroy", "--yes")
    assert emulator.images("us-west-2") == [] and emulator.images("eu-west-1") == []
