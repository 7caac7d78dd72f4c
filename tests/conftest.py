"""Fixtures shared by the whole suite: the Pulumi engine and the emulator as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from afi_provider import ec2, poller
from afi_provider.offline import EmulatorProcess, aws_env, pulumi_env

ROOT = Path(__file__).resolve().parent.parent
SLOW_REGION = "ap-southeast-2"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def engine_bin() -> Path:
    """The folder holding the pinned `pulumi` CLI, found or built by scripts/ensure-pulumi."""
    given = os.environ.get("AFI_PULUMI_BIN")
    if given:
        return Path(given)
    result = subprocess.run(
        [str(ROOT / "scripts" / "ensure-pulumi")], stdout=subprocess.PIPE, text=True
    )
    if result.returncode != 0 or not result.stdout.strip():
        message = "the Pulumi engine could not be found or built (scripts/ensure-pulumi failed)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return Path(result.stdout.strip().splitlines()[-1])


@dataclass
class Emulator:
    """A running emulator process and boto3 clients for it."""

    url: str
    process: EmulatorProcess

    def client(self, region: str = "us-east-1", account: str = "") -> Any:
        env = aws_env(self.url, region=region, account=account)
        return boto3.client(
            "ec2",
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )

    def seed(self, region: str = "us-east-1", name: str = "cl-hello", account: str = "") -> str:
        """Create an AFI as `aws ec2 create-fpga-image` would and wait until it is available."""
        ec2 = self.client(region, account)
        image_id = ec2.create_fpga_image(
            InputStorageLocation={"Bucket": "dcp", "Key": f"{name}.tar"}, Name=name
        )["FpgaImageId"]
        wait_for_state(ec2, image_id, "available")
        return str(image_id)

    def control(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        """Call the emulator's control API (`/_emulator/...`) and return its JSON answer."""
        request = urllib.request.Request(
            f"{self.url}/_emulator/{path}",
            method=method,
            data=json.dumps(payload).encode() if payload is not None else None,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def force_state(self, image_id: str, state: str, message: str = "") -> None:
        self.control("POST", f"images/{image_id}/state", {"state": state, "message": message})

    def requests(self) -> dict[str, Any]:
        """Request counts by action and region, as the control API reports them."""
        return dict(self.control("GET", "requests"))

    def images(self, region: str, account: str = "") -> list[dict[str, Any]]:
        """Every image the account owns in `region`, as DescribeFpgaImages lists them."""
        pages = self.client(region, account).get_paginator("describe_fpga_images")
        return [i for page in pages.paginate(Owners=["self"]) for i in page["FpgaImages"]]


def wait_for_state(ec2: Any, image_id: str, state: str, timeout: float = 30.0) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + timeout
    while True:
        image = ec2.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0]
        if image["State"]["Code"] == state:
            return dict(image)
        if time.monotonic() > deadline:
            raise AssertionError(f"{image_id} is {image['State']} after {timeout} s")
        time.sleep(0.1)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    """The emulator as a child process with short delays; its log lands in the test's folder."""
    process = EmulatorProcess(
        # Copies to ap-southeast-2 are slow, for the tests that act while a copy is pending.
        ["--copy-seconds", "1", "--create-seconds", "0.2"]
        + ["--copy-seconds-pair", f"us-east-1:{SLOW_REGION}=20"],
        python=sys.executable,
        log_path=tmp_path / "emulator.log",
    )
    with process:
        yield Emulator(process.url, process)


@pytest.fixture
def aws_in_this_process(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Emulator:
    """boto3 in this process talks to the emulator, as the default account, with new clients
    and pollers; the shared poll keeps its state in the test's folder."""
    for key, value in aws_env(emulator.url).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AFI_PROVIDER_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setattr(ec2, "_clients", {})
    monkeypatch.setattr(ec2, "_session", None)
    monkeypatch.setattr(poller, "_pollers", {})
    return emulator


@dataclass
class PulumiRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class Stack:
    """A Pulumi project in a temporary folder, driven with the real CLI and a file backend."""

    dir: Path
    env: dict[str, str]
    name: str = "test"
    runs: list[PulumiRun] = field(default_factory=list)

    def write_program(self, source: str) -> None:
        (self.dir / "__main__.py").write_text(textwrap.dedent(source))

    def pulumi(self, *args: str, check: bool = True, timeout: float = 300) -> PulumiRun:
        done = subprocess.run(
            ["pulumi", *args, "--non-interactive", "--stack", self.name],
            cwd=self.dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        run = PulumiRun(done.returncode, done.stdout, done.stderr)
        self.runs.append(run)
        if check and done.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed:\n{run.output}")
        return run

    def up(self, *args: str, check: bool = True) -> PulumiRun:
        return self.pulumi("up", "--yes", "--skip-preview", *args, check=check)

    def outputs(self) -> dict[str, Any]:
        return dict(json.loads(self.pulumi("stack", "output", "--json").stdout))

    def resources(self, type_suffix: str = "CopiedAfi") -> list[dict[str, Any]]:
        """The resources of that type in the stack's state, as `pulumi stack export` shows them."""
        state = json.loads(self.pulumi("stack", "export").stdout)
        return [
            r for r in state["deployment"].get("resources") or [] if r["type"].endswith(type_suffix)
        ]

    def config(self, key: str, value: str) -> None:
        self.pulumi("config", "set", key, value)


def new_stack(
    folder: Path,
    engine_bin: Path,
    endpoint_url: str,
    name: str = "test",
    account: str = "",
    *,
    venv: Path = Path(sys.prefix),
    python: str = sys.executable,
    runtime_options: str = "",
    base_env: Mapping[str, str] | None = None,
) -> Stack:
    """A stack in `folder` whose program runs in `venv` (this one by default), against the
    emulator. `runtime_options` are more lines for Pulumi.yaml's `runtime.options`."""
    project = folder / "project"
    project.mkdir(parents=True)
    (project / "Pulumi.yaml").write_text(
        "name: afi-test\n"
        "runtime:\n"
        "  name: python\n"
        "  options:\n"
        f"{runtime_options}"
        f"    virtualenv: {venv}\n"
    )
    env = pulumi_env(
        folder / "backend", engine_bin=engine_bin, pulumi_home=folder / "home", base=base_env
    )
    env.update(aws_env(endpoint_url, account=account))
    env["PULUMI_PYTHON_CMD"] = python
    created = Stack(project, env, name)
    subprocess.run(
        ["pulumi", "stack", "init", name, "--non-interactive"],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    return created


@pytest.fixture
def stack(tmp_path: Path, engine_bin: Path, emulator: Emulator) -> Stack:
    """An empty stack whose program runs in this virtualenv and talks to the emulator."""
    return new_stack(tmp_path, engine_bin, emulator.url)
