"""examples/f2-instance under Pulumi's unit-test mocks (the AWS provider plugin is not available
offline, so the engine cannot run this one)."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pulumi
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "f2-instance" / "__main__.py"
SOURCE = "afi-0123456789abcdef0"
AGFI = "agfi-0fedcba9876543210"


class Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []
        self.calls: list[pulumi.runtime.MockCallArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        if args.typ == "pulumi-python:dynamic/fpga:CopiedAfi":
            return "afi-00000000000000001", {**args.inputs, "fpga_image_global_id": AGFI}
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        self.calls.append(args)
        if args.token == "aws:ec2/getAmi:getAmi":
            return {"id": "ami-0fpgadeveloper", "architecture": "x86_64"}
        return {}


@pytest.fixture
def mocks() -> Mocks:
    found = Mocks()
    pulumi.runtime.set_mocks(found, project="afi-f2-instance", stack="test", preview=False)
    pulumi.runtime.set_config("afi-f2-instance:source", SOURCE)
    return found


@pulumi.runtime.test
def test_the_instance_is_an_f2_that_loads_the_copied_agfi(mocks: Mocks) -> Any:
    program = runpy.run_path(str(EXAMPLE))
    instance, copy = program["instance"], program["copy"]

    def check(values: list[Any]) -> None:
        user_data, instance_type, ami, agfi = values
        assert instance_type == "f2.6xlarge"
        assert ami == "ami-0fpgadeveloper"
        assert agfi == AGFI
        assert f"fpga-load-local-image -S 0 -I {AGFI}" in user_data
        copies = [r for r in mocks.resources if r.typ.endswith("fpga:CopiedAfi")]
        assert copies[0].inputs["source_fpga_image_id"] == SOURCE
        assert copies[0].inputs["region"] == "us-west-2"
        lookups = [c for c in mocks.calls if c.token == "aws:ec2/getAmi:getAmi"]
        assert lookups and lookups[0].args["owners"] == ["amazon"]

    return pulumi.Output.all(
        instance.user_data, instance.instance_type, instance.ami, copy.fpga_image_global_id
    ).apply(check)
