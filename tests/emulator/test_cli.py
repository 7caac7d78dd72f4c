"""``python -m afi_provider.emulator`` as users and scripts run it."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from .support import (
    LISTENING,
    EmulatorProcess,
    available_image,
    control,
    ec2_client,
    wait_for_state,
)


def test_prints_one_line_with_the_url_serves_boto3_and_exits_on_sigterm(
    spawn: Callable[..., EmulatorProcess],
) -> None:
    child = spawn("--port", "0", "--create-seconds", "0.2")
    assert child.first_line.startswith(LISTENING + "http://127.0.0.1:")

    ec2 = ec2_client(child.url, "us-west-2")
    image_id = available_image(ec2)
    assert ec2.describe_fpga_images(Owners=["self"])["FpgaImages"][0]["FpgaImageId"] == image_id

    assert child.stop() == 0


def test_nothing_else_is_printed_on_stdout(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "afi_provider.emulator",
            "--log-level",
            "debug",
            "--create-seconds",
            "0.2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    url = line[len(LISTENING) :].strip()
    available_image(ec2_client(url))
    process.send_signal(signal.SIGINT)

    rest, _ = process.communicate(timeout=10)

    assert line.startswith(LISTENING)
    assert rest == ""
    assert process.returncode == 0


def test_copy_in_flight_finishes_on_time_after_the_process_restarts(
    spawn: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    data_dir = str(tmp_path / "state")
    args = ("--data-dir", data_dir, "--create-seconds", "0.2", "--copy-seconds", "4")
    first = spawn(*args)
    source_id = available_image(ec2_client(first.url, "us-east-1"))
    copy_id = ec2_client(first.url, "us-west-2").copy_fpga_image(
        SourceFpgaImageId=source_id, SourceRegion="us-east-1"
    )["FpgaImageId"]
    assert first.stop() == 0

    second = spawn(*args)
    west = ec2_client(second.url, "us-west-2")

    assert west.describe_fpga_images(FpgaImageIds=[copy_id])["FpgaImages"][0]["State"] == {
        "Code": "pending"
    }
    copy = wait_for_state(west, copy_id, "available")
    source = ec2_client(second.url, "us-east-1").describe_fpga_images(FpgaImageIds=[source_id])
    assert copy["FpgaImageGlobalId"] == source["FpgaImages"][0]["FpgaImageGlobalId"]


def test_log_level_info_writes_one_line_per_request_to_stderr(
    spawn: Callable[..., EmulatorProcess],
) -> None:
    child = spawn("--log-level", "info")
    ec2 = ec2_client(child.url, "eu-west-1")
    ec2.describe_fpga_images()
    with pytest.raises(ClientError):
        ec2.delete_fpga_image(FpgaImageId="afi-0123456789abcdef0")
    child.stop()

    lines = [line for line in child.stderr_path.read_text().splitlines() if line.strip()]

    assert len(lines) == 2
    assert "eu-west-1" in lines[0] and "DescribeFpgaImages" in lines[0] and "200" in lines[0]
    assert "DeleteFpgaImage" in lines[1] and "InvalidFpgaImageID.NotFound" in lines[1]


def test_credential_flags_and_file_turn_on_signature_checks(
    spawn: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    keys.write_text("# team keys\nAKIDFILE:file-secret\n")
    child = spawn("--credential", "AKIDFLAG:flag-secret", "--credentials", str(keys))

    ec2_client(child.url, access_key="AKIDFLAG", secret="flag-secret").describe_tags()
    ec2_client(child.url, access_key="AKIDFILE", secret="file-secret").describe_tags()
    with pytest.raises(ClientError) as raised:
        ec2_client(child.url, access_key="AKIDFILE", secret="wrong").describe_tags()

    assert raised.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_shared_credentials_ini_file_is_accepted(
    spawn: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    keys = tmp_path / "credentials"
    keys.write_text("[ci]\naws_access_key_id = AKIDINI\naws_secret_access_key = ini-secret\n")
    child = spawn("--credentials", str(keys))

    assert ec2_client(child.url, access_key="AKIDINI", secret="ini-secret").describe_tags()


def test_fault_flags_reach_the_running_emulator(spawn: Callable[..., EmulatorProcess]) -> None:
    child = spawn(
        "--throttle-rate", "0.5", "--error-rate", "0.1", "--latency-ms", "1", "--seed", "4"
    )

    assert control(child.url, "GET", "/faults") == {
        "throttle_rate": 0.5,
        "error_rate": 0.1,
        "latency_ms": 1.0,
    }


def test_quota_and_per_pair_copy_delay_flags_apply(
    spawn: Callable[..., EmulatorProcess],
) -> None:
    child = spawn(
        "--max-images",
        "1",
        "--create-seconds",
        "0.2",
        "--copy-seconds",
        "0.2",
        "--copy-seconds-pair",
        "us-east-1:us-west-2=30",
    )
    east = ec2_client(child.url, "us-east-1")
    source_id = available_image(east)
    with pytest.raises(ClientError) as raised:
        available_image(east, "second")
    assert raised.value.response["Error"]["Code"] == "ResourceLimitExceeded"

    slow = ec2_client(child.url, "us-west-2").copy_fpga_image(
        SourceFpgaImageId=source_id, SourceRegion="us-east-1"
    )
    fast = ec2_client(child.url, "eu-west-1").copy_fpga_image(
        SourceFpgaImageId=source_id, SourceRegion="us-east-1"
    )

    wait_for_state(ec2_client(child.url, "eu-west-1"), fast["FpgaImageId"], "available")
    west = ec2_client(child.url, "us-west-2")
    slow_image = west.describe_fpga_images(FpgaImageIds=[slow["FpgaImageId"]])["FpgaImages"][0]
    assert slow_image["State"]["Code"] == "pending"


@pytest.mark.parametrize(
    "args",
    [
        ["--throttle-rate", "1.5"],
        ["--copy-seconds", "-1"],
        ["--copy-seconds-pair", "us-east-1=5"],
        ["--credential", "no-secret"],
        ["--log-level", "loud"],
    ],
)
def test_invalid_arguments_exit_with_usage_error(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "afi_provider.emulator", *args],
        capture_output=True,
        text=True,
        timeout=20,
    )

    assert done.returncode == 2
    assert done.stdout == ""
    assert "usage:" in done.stderr
