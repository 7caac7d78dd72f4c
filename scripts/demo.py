"""`make demo`: the top-level stack, end to end, against the emulator.

Starts the emulator, seeds a source AFI, then runs the real `pulumi up`, `refresh` and `destroy`
with a local file backend. Every run starts from an empty backend, so it can be repeated at once.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import boto3

from afi_provider.offline import EmulatorProcess, aws_env, pulumi_env

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".demo"
SOURCE_REGION = "us-east-1"
REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
STACK = "demo"


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def pulumi(env: dict[str, str], *args: str, capture: bool = False) -> str:
    command = ["pulumi", *args, "--non-interactive", "--stack", STACK]
    if capture:
        return subprocess.run(
            command, cwd=ROOT, env=env, check=True, text=True, stdout=subprocess.PIPE
        ).stdout
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    return ""


def seed_source(env: dict[str, str]) -> tuple[str, str]:
    """Create the AFI to copy, as `aws ec2 create-fpga-image` would, and wait until available."""
    ec2 = boto3.client(
        "ec2",
        region_name=SOURCE_REGION,
        endpoint_url=env["AWS_ENDPOINT_URL_EC2"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    image_id = ec2.create_fpga_image(
        InputStorageLocation={"Bucket": "my-dcp-bucket", "Key": "design/cl_hello_world.tar"},
        Name="cl-hello-world",
        Description="Hello-world custom logic",
    )["FpgaImageId"]
    while True:
        image = ec2.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0]
        if image["State"]["Code"] != "pending":
            break
        time.sleep(0.2)
    print(f"source {image_id} ({image['FpgaImageGlobalId']}) in {SOURCE_REGION}: available")
    return str(image_id), str(image["FpgaImageGlobalId"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", type=Path, required=True, help="folder holding `pulumi`")
    parser.add_argument("--copy-seconds", type=float, default=3.0)
    args = parser.parse_args()

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir()
    step("starting the FPGA-image emulator")
    emulator = EmulatorProcess(
        ["--copy-seconds", str(args.copy_seconds), "--create-seconds", "1"],
        log_path=WORK / "emulator.log",
    )
    with emulator:
        print(f"emulator at {emulator.url}")
        env = pulumi_env(
            WORK / "backend", engine_bin=args.engine.resolve(), pulumi_home=WORK / "pulumi-home"
        )
        env.update(aws_env(emulator.url, region=SOURCE_REGION))
        source, source_agfi = seed_source(env)

        step(f"pulumi up: copies of {source} into {', '.join(REGIONS)}")
        subprocess.run(
            ["pulumi", "stack", "init", STACK, "--non-interactive"], cwd=ROOT, env=env, check=True
        )
        pulumi(env, "config", "set", "afi:sourceFpgaImageId", source)
        pulumi(env, "config", "set", "afi:sourceRegion", SOURCE_REGION)
        for index, region in enumerate(REGIONS):
            pulumi(env, "config", "set", "--path", f"afi:regions[{index}]", region)
        pulumi(env, "config", "set", "aws:region", SOURCE_REGION)
        pulumi(env, "up", "--yes")

        step("the copies")
        outputs = json.loads(pulumi(env, "stack", "output", "--json", capture=True))
        print(f"{'region':<12} {'afi id':<22} {'agfi':<23} state")
        for region in REGIONS:
            copy = outputs["copies"].get(region)
            if copy is None:
                print(f"{region:<12} {source:<22} {source_agfi:<23} available (the source)")
                continue
            print(
                f"{region:<12} {copy['fpga_image_id']:<22} {copy['fpga_image_global_id']:<23} "
                f"{copy['state']}"
            )

        step("pulumi refresh: the copies match the stack (no drift)")
        pulumi(env, "refresh", "--yes", "--expect-no-changes")

        step("pulumi destroy")
        pulumi(env, "destroy", "--yes")
        pulumi(env, "stack", "rm", "--yes")
    print("\ndemo finished")
    return 0


if __name__ == "__main__":
    sys.exit(main())
