"""Baseline: the shell loop of the AWS CLI manual, as a plain boto3 script.

For each destination in turn: `copy-fpga-image`, then `describe-fpga-images` every `--poll`
seconds until the copy leaves `pending`, then the next destination. It runs as a process of its
own and appends one JSON line per copy to `--out` as soon as that copy is done, so that the wall
time of the first k copies can be read off one run of all of them: a loop over k destinations
would do exactly those first k iterations.

The endpoint and credentials come from the environment, as for any boto3 program.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import boto3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", required=True, help="afi- id of the AFI to copy")
    parser.add_argument("--source-region", required=True)
    parser.add_argument("--regions", required=True, help="comma-separated, used round-robin")
    parser.add_argument("--count", type=int, required=True, help="how many copies in all")
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between describes")
    parser.add_argument("--timeout", type=float, default=600.0, help="per copy, in seconds")
    parser.add_argument("--out", required=True, help="JSON-lines file, one line per copy")
    args = parser.parse_args()

    regions = args.regions.split(",")
    clients = {r: boto3.session.Session().client("ec2", region_name=r) for r in regions}
    with open(args.out, "a") as out:
        for index in range(args.count):
            region = regions[index % len(regions)]
            out.write(json.dumps(copy_and_wait(clients[region], region, index, args)) + "\n")
            out.flush()
    return 0


def copy_and_wait(api: Any, region: str, index: int, args: argparse.Namespace) -> dict[str, Any]:
    """One iteration of the loop: copy, then poll until the copy is no longer pending."""
    sent = time.time()
    image_id = api.copy_fpga_image(
        SourceFpgaImageId=args.source, SourceRegion=args.source_region, Name=f"loop-{index}"
    )["FpgaImageId"]
    call_seconds: list[float] = []
    state = "pending"
    deadline = time.monotonic() + args.timeout
    while state == "pending" and time.monotonic() < deadline:
        time.sleep(args.poll)
        began = time.perf_counter()
        image = api.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0]
        call_seconds.append(time.perf_counter() - began)
        state = image["State"]["Code"]
    return {
        "index": index,
        "region": region,
        "image_id": image_id,
        "copy_sent": sent,
        "done": time.time(),
        "state": state,
        "describe_seconds": call_seconds,
    }


if __name__ == "__main__":
    raise SystemExit(main())
