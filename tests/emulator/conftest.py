"""Fixtures of the emulator's conformance suite.

Every test talks to a real emulator over HTTP with real boto3 clients, so botocore's own
serializer and parser judge the wire format. Most tests use an in-process emulator (fast to
start); the CLI and restart tests run ``python -m afi_provider.emulator`` as a child process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from afi_provider.emulator import Emulator, EmulatorConfig

from .support import COPY_SECONDS, CREATE_SECONDS, EmulatorProcess, Running


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., Running]]:
    """Start in-process emulators with the given :class:`EmulatorConfig` fields."""
    started: list[Emulator] = []

    def start(**fields: Any) -> Running:
        fields.setdefault("create_seconds", CREATE_SECONDS)
        fields.setdefault("copy_seconds", COPY_SECONDS)
        emulator = Emulator(EmulatorConfig(**fields))
        emulator.start()
        started.append(emulator)
        return Running(emulator)

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emu(make_emulator: Callable[..., Running]) -> Running:
    """An in-process emulator with short delays."""
    return make_emulator()


@pytest.fixture
def ec2(emu: Running) -> Any:
    """A client of the default account in us-east-1."""
    return emu.client("us-east-1")


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., EmulatorProcess]]:
    """Start ``python -m afi_provider.emulator`` children; all are stopped at the end."""
    children: list[EmulatorProcess] = []

    def start(*args: str) -> EmulatorProcess:
        child = EmulatorProcess(list(args), tmp_path / f"emulator-{len(children)}.log")
        child.start()
        children.append(child)
        return child

    yield start
    for child in children:
        if child.process is not None and child.process.poll() is None:
            child.stop()
