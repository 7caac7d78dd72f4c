"""The real processes the benchmark drives, and what is read from them.

The emulator runs as a child process (`afi_provider.offline.EmulatorProcess`) that logs one
line per request; the Pulumi CLI runs on a temporary project with a local file backend, exactly
as a user's CI would run it offline. While a command runs, its event log is read as the engine
writes it, so that each event gets a wall-clock time finer than the whole seconds the engine
stamps on it.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3

from afi_provider.offline import EmulatorProcess, aws_env, pulumi_env

ROOT = Path(__file__).resolve().parent.parent

# Knobs of the product that a run sets explicitly; inherited values would skew a run.
PRODUCT_KNOBS = ("AFI_PROVIDER_PROCESSES", "AFI_PROVIDER_SHARED_POLL")


def parse_time(text: str) -> float:
    """Seconds since the epoch of an EC2 timestamp such as `2026-01-01T00:00:00.000Z`."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (no interpolation): always a value that was measured."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


class Emulator:
    """The emulator as a child process, with a fixed copy latency, and its control API."""

    def __init__(self, copy_seconds: float, log_path: Path) -> None:
        self.copy_seconds = copy_seconds
        self.log_path = log_path
        self.process = EmulatorProcess(
            ["--copy-seconds", str(copy_seconds), "--create-seconds", "0", "--log-level", "info"],
            python=sys.executable,
            log_path=log_path,
        )
        self.url = ""

    def __enter__(self) -> Emulator:
        self.url = self.process.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.stop()

    def env(self) -> dict[str, str]:
        """What boto3 in any process needs to reach this emulator."""
        return aws_env(self.url)

    def client(self, region: str) -> Any:
        """A boto3 EC2 client for `region`, pointed at this emulator."""
        env = self.env()
        return boto3.session.Session().client(
            "ec2",
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )

    def control(self, method: str, path: str) -> Any:
        """Call the control API (`/_emulator/PATH`) and return its JSON answer."""
        request = urllib.request.Request(f"{self.url}/_emulator/{path}", method=method)
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def counts(self, action: str) -> dict[str, int]:
        """Requests for `action` so far, by region, from the control API."""
        counts = self.control("GET", "requests")["by_action"].get(action, {})
        return {region: int(n) for region, n in counts.items()}

    def request_times(self, action: str) -> dict[str, list[float]]:
        """When each request for `action` was answered, by region, from the request log.

        The control API counts requests but does not time them; the log at level `info` has one
        line per request, stamped to the millisecond in local time.
        """
        times: dict[str, list[float]] = {}
        for line in self.log_path.read_text(errors="replace").splitlines():
            parts = line.split()
            if len(parts) >= 8 and parts[4] in ("POST", "GET") and parts[7] == action:
                stamp = datetime.strptime(f"{parts[0]} {parts[1]}", "%Y-%m-%d %H:%M:%S,%f")
                times.setdefault(parts[5], []).append(stamp.timestamp())
        return times

    def images(self) -> list[dict[str, Any]]:
        """Every image of every account and region, with the fields Describe hides."""
        return list(self.control("GET", "images")["images"])

    def seed_source(self, region: str) -> str:
        """An available AFI to copy from (builds take no time in this emulator)."""
        api = self.client(region)
        image_id = str(
            api.create_fpga_image(
                InputStorageLocation={"Bucket": "bench", "Key": "cl.tar"}, Name="cl-bench"
            )["FpgaImageId"]
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            image = api.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0]
            if image["State"]["Code"] == "available":
                return image_id
            time.sleep(0.05)
        raise RuntimeError(f"source {image_id} did not become available")


def call_rate(times: Sequence[float], start: float, end: float) -> dict[str, Any] | None:
    """How often calls came between `start` and `end`: the inverse of their mean spacing.

    For calls at a steady interval this is exactly one over the interval, where a count divided
    by the window's length would be off by up to one call per window. None below three calls.
    """
    inside = sorted(t for t in times if start <= t <= end)
    if len(inside) < 3 or inside[-1] <= inside[0]:
        return None
    return {
        "calls": len(inside),
        "window_seconds": end - start,
        "per_second": (len(inside) - 1) / (inside[-1] - inside[0]),
        "count_over_window": len(inside) / (end - start),
    }


class EventTail:
    """Reads a Pulumi event log while the engine writes it; stamps each event on arrival."""

    def __init__(self, path: Path, poll: float = 0.02) -> None:
        self.path = path
        self.poll = poll
        self.events: list[tuple[float, dict[str, Any]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        pending = b""
        handle = None
        try:
            while True:
                stopping = self._stop.is_set()
                if handle is None and self.path.exists():
                    handle = open(self.path, "rb")  # noqa: SIM115
                if handle is not None:
                    chunk = handle.read()
                    now = time.time()
                    pending += chunk
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        if line.strip():
                            self.events.append((now, json.loads(line)))
                if stopping:
                    return
                self._stop.wait(self.poll)
        finally:
            if handle is not None:
                handle.close()

    def __enter__(self) -> EventTail:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


VERBOSE = ("-v=9", "--logtostderr", "--logflow")
_LOG_RECORD = re.compile(r'\{"time":"([^"]+)","level":"[A-Z]+","msg":"(.*?)","v":\d+\}')
_PROVIDER_CALL = re.compile(
    r"^Provider\[(0x[0-9a-f]+)\]\.(Check|Create|Read)\(.*\) (executing|success)"
)


def log_time(stamp: str) -> float:
    """Seconds since the epoch of an RFC 3339 time with any number of fractional digits."""
    found = re.fullmatch(r"(.+T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", stamp)
    if found is None:
        raise ValueError(f"not an RFC 3339 time: {stamp!r}")
    whole, fraction, zone = found.groups()
    offset = "+00:00" if zone == "Z" else zone
    return datetime.fromisoformat(whole + offset).timestamp() + float(fraction or 0.0)


def engine_timeline(output: str, started: float, resource_type: str) -> dict[str, Any]:
    """When the engine launched provider plugins, called them and stopped them.

    Read from the engine's own log (`pulumi ... -v=9 --logtostderr --logflow`); times are
    seconds from `started`. Only calls for resources of `resource_type` are counted.
    """
    launches: list[float] = []
    calls: dict[str, dict[str, list[float]]] = {}
    first_call: dict[str, float] = {}
    resource_kills: list[float] = []
    language_kills: list[float] = []
    for stamp, message in _LOG_RECORD.findall(output):
        at = log_time(stamp) - started
        if message.startswith("newPlugin(): Launching plugin 'pulumi-python (resource)'"):
            launches.append(at)
        elif message.startswith("killing plugin") and "pulumi-resource-" in message:
            resource_kills.append(at)
        elif message.startswith("killing plugin") and "pulumi-language-" in message:
            language_kills.append(at)
        found = _PROVIDER_CALL.match(message)
        if found and resource_type in message:
            provider, operation, phase = found.groups()
            calls.setdefault(operation, {}).setdefault(phase, []).append(at)
            first_call.setdefault(provider, at)

    def span(values: list[float]) -> list[float] | None:
        return [min(values), max(values)] if values else None

    return {
        "provider_launches": len(launches),
        "launched": span(launches),
        "first_call_per_process": sorted(first_call.values()),
        "calls": {
            operation: {phase: span(times) for phase, times in phases.items()}
            for operation, phases in calls.items()
        },
        "providers_stopping": span(resource_kills),
        # Language hosts are stopped once every provider has exited.
        "providers_gone": max(language_kills) if language_kills else None,
    }


@dataclass
class CommandRun:
    """One Pulumi CLI command: when it ran, how it ended, and the events it logged."""

    args: list[str]
    started: float
    ended: float
    returncode: int
    output_tail: str
    log_path: Path
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return self.ended - self.started


def engine_env(
    workdir: Path, engine_bin: Path, emulator: Emulator, knobs: Mapping[str, str]
) -> dict[str, str]:
    """The CLI's environment: file backend, no login, the emulator, this virtualenv's Python."""
    base = {k: v for k, v in os.environ.items() if k not in PRODUCT_KNOBS}
    env = pulumi_env(
        workdir / "backend",
        engine_bin=engine_bin,
        pulumi_home=workdir.parent / "pulumi-home",
        base=base,
    )
    env.update(emulator.env())
    env.update(
        {
            "PULUMI_PYTHON_CMD": sys.executable,
            # `--event-log` is offered only with debug commands on.
            "PULUMI_DEBUG_COMMANDS": "true",
            # The program and the provider processes import `bench.trivial` from here.
            "PYTHONPATH": str(ROOT),
            "AFI_PROVIDER_RUNTIME_DIR": str(workdir.parent / "runtime"),
        }
    )
    env.update(knobs)
    return env


class Project:
    """A Pulumi project with one stack in a folder of its own, driven with the real CLI."""

    def __init__(self, workdir: Path, program: str, env: Mapping[str, str]) -> None:
        self.dir = workdir / "project"
        self.dir.mkdir(parents=True)
        self.env = dict(env)
        self.workdir = workdir
        (self.dir / "Pulumi.yaml").write_text(
            f"name: {workdir.name}\n"
            "runtime:\n"
            "  name: python\n"
            "  options:\n"
            f"    virtualenv: {Path(sys.prefix)}\n"
        )
        (self.dir / "__main__.py").write_text(program)
        self._count = 0
        self.run(["stack", "init", "bench"], timeout=60, check=True)

    def run(
        self, args: Sequence[str], *, timeout: float, check: bool = True, events: bool = False
    ) -> CommandRun:
        """Run `pulumi ARGS`; the whole process group is stopped if it outlives `timeout`."""
        self._count += 1
        log_path = self.workdir / f"{self._count:02d}-{args[0]}.log"
        argv = ["pulumi", *args, "--non-interactive"]
        event_path = self.workdir / f"{self._count:02d}-{args[0]}.events.jsonl"
        if events:
            argv += ["--event-log", str(event_path)]
        tail = EventTail(event_path)
        with open(log_path, "wb") as log:
            if events:
                tail.__enter__()
            started = time.time()
            process = subprocess.Popen(
                argv,
                cwd=self.dir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                returncode = process.wait(timeout)
            except subprocess.TimeoutExpired:
                stop_group(process)
                returncode = -1
            ended = time.time()
            if events:
                tail.__exit__()
        output = log_path.read_text(errors="replace")
        run = CommandRun(
            list(args), started, ended, returncode, output[-3000:], log_path, tail.events
        )
        if check and returncode != 0:
            raise RuntimeError(f"pulumi {' '.join(args)} failed ({returncode}):\n{run.output_tail}")
        return run

    def export(self) -> dict[str, Any]:
        """The stack's state, secrets in plain text, as `pulumi stack export` prints it."""
        out = subprocess.run(
            ["pulumi", "stack", "export", "--show-secrets", "--non-interactive"],
            cwd=self.dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return dict(json.loads(out.stdout))


def stop_group(process: subprocess.Popen[Any]) -> None:
    """Stop a child started in a session of its own, with everything it started."""
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue
