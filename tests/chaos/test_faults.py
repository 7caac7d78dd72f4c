"""Faults while copies wait: throttling, a crashed `pulumi up`, a restarted endpoint."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.chaos.conftest import Record
from tests.conftest import Emulator, Stack, new_stack

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]

REGIONS = ["us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1"]


def fan_out(copies: int) -> str:
    """A program with `copies` CopiedAfi resources spread over four regions."""
    return f"""
import pulumi
from afi_provider import CopiedAfi

source = pulumi.Config().require("source")
regions = {REGIONS!r}
for i in range({copies}):
    CopiedAfi(f"copy-{{i}}", source_fpga_image_id=source, source_region="us-east-1",
              region=regions[i % len(regions)], name=f"copy-{{i}}")
"""


def copies_by_state(emulator: Emulator) -> dict[str, int]:
    counts: dict[str, int] = {}
    for region in REGIONS:
        for image in emulator.images(region):
            code = image["State"]["Code"]
            counts[code] = counts.get(code, 0) + 1
    return counts


def up_in_background(stack: Stack, **popen: Any) -> subprocess.Popen[str]:
    """`pulumi up` of the stack, started and left running; its stderr goes where its stdout does."""
    return subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack.name],
        cwd=stack.dir,
        env=stack.env,
        stderr=subprocess.STDOUT,
        **popen,
    )


def wait_for_pending(emulator: Emulator, copies: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while copies_by_state(emulator).get("pending", 0) < copies and time.monotonic() < deadline:
        time.sleep(0.2)


def copy_names(emulator: Emulator) -> list[str]:
    return sorted(i.get("Name", "") for r in REGIONS for i in emulator.images(r))


@pytest.mark.slow
def test_throttled_requests_still_converge_on_exactly_one_copy_each(
    tmp_path: Path, engine_bin: Path, start_emulator: Callable[..., Emulator], record: Record
) -> None:
    record("30% of requests throttled during `pulumi up` of 16 copies")
    emulator = start_emulator("--copy-seconds", "3", "--create-seconds", "0.1", "--seed", "7")
    source = emulator.seed()
    stack = new_stack(tmp_path, engine_bin, emulator.url)
    stack.write_program(fan_out(16))
    stack.config("source", source)
    emulator.control("POST", "faults", {"throttle_rate": 0.3})

    stack.up()

    emulator.control("POST", "faults", {"throttle_rate": 0.0})
    throttled = emulator.requests()["errors"].get("RequestLimitExceeded", 0)
    record.count(f"{throttled} requests throttled")
    assert throttled > 0
    assert copy_names(emulator) == sorted(f"copy-{i}" for i in range(16))
    assert copies_by_state(emulator) == {"available": 16}
    record.count("16 copies, all available, one per resource; 0 orphaned")
    assert len(stack.resources()) == 16


@pytest.mark.slow
def test_a_killed_up_then_the_documented_recovery_makes_no_duplicate(
    tmp_path: Path, engine_bin: Path, start_emulator: Callable[..., Emulator], record: Record
) -> None:
    record("`kill -9` of `pulumi up` while 8 copies wait; `pulumi cancel`, refresh, `up` again")
    emulator = start_emulator("--copy-seconds", "10", "--create-seconds", "0.1")
    source = emulator.seed()
    stack = new_stack(tmp_path, engine_bin, emulator.url)
    stack.write_program(fan_out(8))
    stack.config("source", source)

    up = up_in_background(stack, start_new_session=True, stdout=subprocess.DEVNULL)
    wait_for_pending(emulator, 8)
    assert copies_by_state(emulator) == {"pending": 8}
    started_by_the_run = descendants(up.pid)
    os.killpg(up.pid, signal.SIGKILL)
    up.wait()
    left = wait_until_gone(started_by_the_run, timeout=15)

    stack.pulumi("cancel", "--yes")
    stack.pulumi("refresh", "--yes", "--clear-pending-creates")
    stack.up()

    record.count(
        f"8 copies pending at the kill; {len(started_by_the_run)} processes the run had started, "
        f"{len(left)} of them still running 15 s later"
    )
    assert left == [], [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in left]
    assert copy_names(emulator) == sorted(f"copy-{i}" for i in range(8))
    assert copies_by_state(emulator) == {"available": 8}
    record.count("8 copies after recovery, 0 duplicates")
    assert len(stack.resources()) == 8


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from the kernel's process table."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, of in parents.items() if of == parent]
        found += children
        frontier += children
    return found


def wait_until_gone(pids: list[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while True:
        alive = [pid for pid in pids if Path(f"/proc/{pid}").exists()]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.5)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_an_endpoint_restarted_while_copies_wait_loses_nothing(
    tmp_path: Path, engine_bin: Path, start_emulator: Callable[..., Emulator], record: Record
) -> None:
    record("the emulator restarted with `--data-dir` while 8 copies are pending")
    port = free_port()
    flags = ["--copy-seconds", "8", "--create-seconds", "0.1", "--data-dir", str(tmp_path / "d")]
    emulator = start_emulator(*flags, port=port)
    source = emulator.seed()
    stack = new_stack(tmp_path, engine_bin, emulator.url)
    stack.write_program(fan_out(8))
    stack.config("source", source)

    up = up_in_background(stack, stdout=subprocess.PIPE, text=True)
    wait_for_pending(emulator, 8)
    emulator.process.stop()
    time.sleep(2)
    emulator = start_emulator(*flags, port=port, log="emulator-2.log")
    output, _ = up.communicate(timeout=180)

    assert up.returncode == 0, output
    assert copies_by_state(emulator) == {"available": 8}
    record.count("8 copies pending at the restart; 8 available after, 0 lost, 0 duplicated")
    stack.pulumi("refresh", "--yes", "--expect-no-changes")
    record.count("refresh afterwards: no changes")
