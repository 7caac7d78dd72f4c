"""Helpers of the emulator's conformance suite: clients, waiters, the control API, processes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.config import Config

from afi_provider.emulator import Emulator

DEFAULT_ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
THIRD_ACCOUNT = "333333333333"
CREATE_SECONDS = 0.2
COPY_SECONDS = 0.3
LISTENING = "afi-emulator listening on "

# One botocore session for every client: it caches the loaded EC2 model, which makes a new
# client cheap enough to create one per account and region in each test.
_BOTOCORE_SESSION = botocore.session.get_session()
_NO_RETRIES = Config(retries={"total_max_attempts": 1})


def ec2_client(
    url: str,
    region: str = "us-east-1",
    access_key: str = "test",
    secret: str = "test",
    config: Config | None = None,
) -> Any:
    """Return a real boto3 EC2 client for the emulator at ``url``."""
    session = boto3.session.Session(botocore_session=_BOTOCORE_SESSION)
    return session.client(
        "ec2",
        region_name=region,
        endpoint_url=url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        config=_NO_RETRIES.merge(config) if config else _NO_RETRIES,
    )


def wait_for_state(ec2: Any, image_id: str, state: str, timeout: float = 10.0) -> dict[str, Any]:
    """Poll DescribeFpgaImages until the AFI reaches ``state``; return its description."""
    deadline = time.monotonic() + timeout
    while True:
        image: dict[str, Any] = ec2.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0]
        if image["State"]["Code"] == state:
            return image
        if time.monotonic() > deadline:
            raise AssertionError(f"{image_id} is still {image['State']} after {timeout} s")
        time.sleep(0.02)


def create_image(ec2: Any, name: str = "cl-hello", **members: Any) -> str:
    """Create an AFI as ``aws ec2 create-fpga-image`` does and return its id."""
    response = ec2.create_fpga_image(
        InputStorageLocation={"Bucket": "dcp-bucket", "Key": f"{name}.tar"},
        Name=name,
        **members,
    )
    return str(response["FpgaImageId"])


def available_image(ec2: Any, name: str = "cl-hello", **members: Any) -> str:
    """Create an AFI and wait until it is available; return its id."""
    image_id = create_image(ec2, name, **members)
    wait_for_state(ec2, image_id, "available")
    return image_id


def control(url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the control API; return the decoded JSON (raises ``HTTPError`` on 4xx)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{url}/_emulator{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@dataclass
class Running:
    """An emulator under test and ways to reach it."""

    emulator: Emulator

    @property
    def url(self) -> str:
        """The endpoint URL."""
        return self.emulator.url

    def client(
        self,
        region: str = "us-east-1",
        account: str | None = None,
        config: Config | None = None,
    ) -> Any:
        """A boto3 EC2 client acting in ``region`` as ``account`` (default account if None)."""
        return ec2_client(self.url, region, account or "test", config=config)


class EmulatorProcess:
    """``python -m afi_provider.emulator`` as a child process, as users run it.

    :param args: command-line arguments after the module name.
    :param stderr_path: file that receives the child's stderr (its log).
    """

    def __init__(self, args: Sequence[str], stderr_path: Path) -> None:
        self.args = list(args)
        self.stderr_path = stderr_path
        self.process: subprocess.Popen[str] | None = None
        self.first_line = ""

    @property
    def url(self) -> str:
        """The URL printed on the first line of stdout."""
        return self.first_line[len(LISTENING) :].strip()

    def start(self, timeout: float = 20.0) -> str:
        """Start the child and wait for its first line; return the URL."""
        with open(self.stderr_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "afi_provider.emulator", *self.args],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        stdout = self.process.stdout
        assert stdout is not None
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        self.first_line = lines[0].rstrip("\n") if lines else ""
        if not self.first_line.startswith(LISTENING):
            self.stop()
            raise AssertionError(
                f"emulator printed {self.first_line!r}; log:\n{self.stderr_path.read_text()}"
            )
        return self.url

    def stop(self) -> int:
        """Send SIGTERM and return the exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.terminate()
        try:
            return self.process.wait(10)
        finally:
            if self.process.stdout is not None:
                self.process.stdout.close()

    def healthy(self) -> bool:
        """Tell whether the control API answers."""
        try:
            return bool(control(self.url, "GET", "/health")["status"] == "ok")
        except (urllib.error.URLError, OSError):
            return False
