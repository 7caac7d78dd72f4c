"""Fixtures for the fault, crash and bad-input scenarios, and the results table they produce.

Every scenario records what it counted; `make chaos` writes the table of scenarios, counts and
outcomes to docs/chaos.md (the path in AFI_CHAOS_REPORT).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from afi_provider.offline import EmulatorProcess
from tests.conftest import Emulator

ROWS: list[tuple[str, str, str]] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[Any]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[CALL_REPORT] = report


CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@dataclass
class Record:
    scenario: str = ""
    counted: list[str] = field(default_factory=list)

    def __call__(self, scenario: str) -> None:
        self.scenario = scenario

    def count(self, text: str) -> None:
        self.counted.append(text)


@pytest.fixture
def record(request: pytest.FixtureRequest) -> Iterator[Record]:
    """Names the scenario and collects what it counted, for the results table."""
    found = Record()
    yield found
    report = request.node.stash.get(CALL_REPORT, None)
    outcome = "holds" if report is not None and report.passed else "FAILS"
    ROWS.append((found.scenario or request.node.name, "; ".join(found.counted), outcome))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("AFI_CHAOS_REPORT")
    if not target or not ROWS:
        return
    lines = [
        "# Faults, crashes and bad input: results",
        "",
        "Written by `make chaos` from the scenarios in `tests/chaos/`; every count is read from",
        "the emulator (images per account and region, requests by action) or from the engine.",
        "",
        "| scenario | what was counted | result |",
        "|---|---|---|",
    ]
    lines += [f"| {s} | {c} | {r} |" for s, c, r in ROWS]
    Path(target).write_text("\n".join(lines) + "\n")


@pytest.fixture
def start_emulator(tmp_path: Path) -> Iterator[Callable[..., Emulator]]:
    """Starts emulators with the given flags; all are stopped when the test ends."""
    started: list[EmulatorProcess] = []

    def start(*args: str, port: int = 0, log: str = "emulator.log") -> Emulator:
        process = EmulatorProcess(
            list(args), python=sys.executable, port=port, log_path=tmp_path / log
        )
        process.start()
        started.append(process)
        return Emulator(process.url, process)

    yield start
    for process in started:
        process.stop()
