"""The measurements of `make bench`: what is run, in which order, and what is kept of it.

Everything runs for real: the emulator as processes, the pinned Pulumi CLI on temporary
projects, boto3 over HTTP. The plain boto3 loop runs in the background against an emulator of
its own for the whole benchmark (it spends nearly all its time asleep between two describes);
everything else runs one command at a time, so that the commands do not compete for the CPU.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import (
    ROOT,
    VERBOSE,
    CommandRun,
    Emulator,
    Project,
    call_rate,
    engine_env,
    engine_timeline,
    parse_time,
    percentile,
    stop_group,
)

SOURCE_REGION = "us-east-1"
REGIONS = ("us-west-2", "eu-west-1", "ap-northeast-1", "eu-central-1")
SIZES = (1, 4, 16, 32)
REFRESH_SIZE = 32
REFRESH_REPEATS = 3
# Speed-ups off takes N/4 copy latencies; above this N its `pulumi up` runs only once.
SECOND_PASS_OFF_MAX = 4
# Above every N measured, so that the engine never holds a copy back. The CLI's own default is
# four operations per CPU; `cli_default_parallel` measures that case on its own.
ENGINE_PARALLEL = 64
# The describe rate is taken from this long after the last copy started, so that the read-back
# that follows each CopyFpgaImage counts as starting the copy, not as waiting for it.
WAIT_WINDOW_SKIP = 1.0
DESCRIBE = "DescribeFpgaImages"
SPEEDUPS_OFF = {"AFI_PROVIDER_PROCESSES": "1", "AFI_PROVIDER_SHARED_POLL": "0"}
LOOP_POLL_SECONDS = 1.0

COPIES_PROGRAM = """\
from afi_provider import CopiedAfi

REGIONS = {regions!r}
for index in range({count}):
    CopiedAfi(f"copy-{{index}}", source_fpga_image_id={source!r},
              source_region={source_region!r}, region=REGIONS[index % len(REGIONS)])
"""

TRIVIAL_PROGRAM = """\
from bench.trivial import Echo

for index in range({count}):
    Echo(f"echo-{{index}}", index)
"""


@dataclass
class Settings:
    """What a run of the benchmark is configured with."""

    copy_seconds: float
    engine_bin: Path
    workdir: Path
    log: Callable[[str], None]
    cli_default_parallel: bool = True
    diagnostics: bool = True


def run_all(settings: Settings) -> dict[str, Any]:
    """Every measurement; returns the raw results (see `bench.report` for what is derived)."""
    results: dict[str, Any] = {"meta": meta(settings)}
    log = settings.log
    with Emulator(settings.copy_seconds, settings.workdir / "emulator-loop.log") as loop_emu:
        loop = LoopBaseline(loop_emu, settings, count=max(SIZES))
        loop.start()
        try:
            with Emulator(settings.copy_seconds, settings.workdir / "emulator.log") as emulator:
                source = emulator.seed_source(SOURCE_REGION)
                bench = Bench(emulator, source, settings, loop.progress)
                ups: dict[str, Any] = {}
                projects: dict[str, Project] = {}
                bench.ups(ups, first_pass(), projects)
                results["refresh"] = bench.refreshes(projects)
                results["provider_cost"] = bench.provider_cost(projects)
                if settings.diagnostics:
                    results["engine_timelines"] = bench.diagnose(projects)
                if settings.cli_default_parallel:
                    log("afi-provider, N=32, at the CLI's default --parallel")
                    results["up_cli_default_parallel"] = bench.up(
                        "cli-default-parallel", max(SIZES), {}, parallel=None
                    )[0]
                # A second `pulumi up` of each N, minutes after the first: the table takes the
                # faster, the one less disturbed by other work on the machine.
                bench.ups(ups, second_pass(), projects)
                results["up"] = ups
            log(f"waiting for the plain boto3 loop ({loop.progress()})")
            results["loop"] = loop.finish()
        finally:
            loop.stop()
    results["meta"]["loadavg_end"] = list(os.getloadavg())
    return results


def first_pass() -> list[tuple[str, int]]:
    """Each N with the speed-ups on, then off, so that a slow spell of the machine hits both."""
    return [(kind, count) for count in SIZES for kind in ("product", "speedups_off")]


def second_pass() -> list[tuple[str, int]]:
    """Each N again, except speed-ups off where it takes four or more copy latencies."""
    return [
        (kind, count)
        for count in SIZES
        for kind in ("product", "speedups_off")
        if kind == "product" or count <= SECOND_PASS_OFF_MAX
    ]


def meta(settings: Settings) -> dict[str, Any]:
    """What the results were measured with and on."""
    version = subprocess.run(
        [str(settings.engine_bin / "pulumi"), "version"], capture_output=True, text=True, timeout=60
    ).stdout.strip()
    return {
        "copy_seconds": settings.copy_seconds,
        "source_region": SOURCE_REGION,
        "regions": list(REGIONS),
        "sizes": list(SIZES),
        "engine_parallel": ENGINE_PARALLEL,
        "cli_default_parallel": 4 * (os.cpu_count() or 1),
        "pulumi_version": version,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "loadavg_start": list(os.getloadavg()),
        "loop_poll_seconds": LOOP_POLL_SECONDS,
        "started_at": time.time(),
    }


class Bench:
    """The engine-driven measurements, all against one emulator."""

    def __init__(
        self, emulator: Emulator, source: str, settings: Settings, side: Callable[[], str]
    ) -> None:
        self.emulator = emulator
        self.source = source
        self.settings = settings
        self.side = side
        self._runs = 0

    def log(self, message: str) -> None:
        self.settings.log(f"{message}  [boto3 loop: {self.side()}]")

    def project(self, label: str, program: str, knobs: dict[str, str]) -> Project:
        """A new stack running `program`, with the product's knobs set to `knobs`."""
        self._runs += 1
        workdir = self.settings.workdir / f"{self._runs:02d}-{label}"
        workdir.mkdir(parents=True)
        env = engine_env(workdir, self.settings.engine_bin, self.emulator, knobs)
        return Project(workdir, program, env)

    def ups(
        self, out: dict[str, Any], plan: Sequence[tuple[str, int]], projects: dict[str, Project]
    ) -> None:
        """`pulumi up` of N copies for each (kind, N) of `plan`; adds to `out` and `projects`."""
        for kind, count in plan:
            knobs = SPEEDUPS_OFF if kind == "speedups_off" else {}
            self.log(f"{kind}: pulumi up, N={count}")
            result, project = self.up(kind, count, knobs, parallel=ENGINE_PARALLEL)
            runs = out.setdefault(kind, {}).setdefault(str(count), [])
            result["pass"] = len(runs) + 1
            runs.append(result)
            projects.setdefault(f"{kind}-{count}", project)
            self.log(
                f"{kind}: N={count} took {result['wall_seconds']:.1f} s "
                f"({result['wall_over_latency']:.2f} x copy latency); "
                f"available->returned p95 {result['return_latency_p95']:.2f} s"
            )

    def up(
        self, kind: str, count: int, knobs: dict[str, str], parallel: int | None
    ) -> tuple[dict[str, Any], Project]:
        """One `pulumi up` of `count` copies on a new stack, and what was measured of it."""
        program = COPIES_PROGRAM.format(
            regions=list(REGIONS), count=count, source=self.source, source_region=SOURCE_REGION
        )
        project = self.project(f"{kind}-{count}", program, knobs)
        before = {image["image_id"] for image in self.emulator.images()}
        # Worst case: four copies at a time (one provider process), each a copy latency plus
        # the slowest poll of the speed-ups-off schedule.
        waves = -(-count // 4)
        timeout = 180 + waves * (self.settings.copy_seconds + 10) * 2
        args = ["up", "--yes", "--skip-preview"]
        if parallel is not None:
            args += ["--parallel", str(parallel)]
        counted = self.emulator.counts(DESCRIBE)
        run = project.run(args, timeout=timeout, events=True)
        totals = {
            region: n - counted.get(region, 0)
            for region, n in self.emulator.counts(DESCRIBE).items()
        }
        images = [
            image
            for image in self.emulator.images()
            if image["image_id"] not in before and image["source_image_id"] == self.source
        ]
        times = self.emulator.request_times(DESCRIBE)
        result = analyse_up(run, images, times, count, self.settings.copy_seconds)
        result["describe_calls"] = totals
        return result, project

    def refreshes(self, projects: dict[str, Project]) -> dict[str, Any]:
        """`pulumi refresh` of N=32 copies, with and without speed-ups, and of N trivial ones."""
        trivial = self.project("trivial", TRIVIAL_PROGRAM.format(count=REFRESH_SIZE), {})
        self.log(f"trivial: pulumi up, N={REFRESH_SIZE}")
        trivial.run(["up", "--yes", "--skip-preview"], timeout=300)
        projects["trivial"] = trivial
        subjects = {
            "product": projects[f"product-{REFRESH_SIZE}"],
            "speedups_off": projects[f"speedups_off-{REFRESH_SIZE}"],
            "trivial": trivial,
        }
        walls: dict[str, list[float]] = {kind: [] for kind in subjects}
        for attempt in range(REFRESH_REPEATS):
            for kind, project in subjects.items():
                run = project.run(
                    ["refresh", "--yes", "--skip-preview", "--parallel", str(ENGINE_PARALLEL)],
                    timeout=300,
                )
                walls[kind].append(run.wall)
                self.log(f"refresh {attempt + 1}/{REFRESH_REPEATS}, {kind}: {run.wall:.1f} s")
        return {
            "size": REFRESH_SIZE,
            "walls": walls,
            # The fastest of the repeats: the least disturbed by other work on the machine.
            "best": {kind: min(values) for kind, values in walls.items()},
        }

    def provider_cost(self, projects: dict[str, Project]) -> dict[str, Any]:
        """Per-operation cost inside a provider process (bench/provider_cost.py)."""
        self.log("provider time per operation")
        files = {}
        for kind, suffix in (("product", "CopiedAfi"), ("trivial", "Echo")):
            key = f"product-{REFRESH_SIZE}" if kind == "product" else "trivial"
            files[kind] = self.settings.workdir / f"{kind}-resources.json"
            files[kind].write_text(json.dumps(exported(projects[key], suffix)))
        done = subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "provider_cost.py"),
                "--resources",
                str(files["product"]),
                "--trivial",
                str(files["trivial"]),
            ],
            env=projects["trivial"].env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"provider_cost.py failed:\n{done.stderr[-3000:]}")
        cost = dict(json.loads(done.stdout))
        self.log(
            f"provider read over gRPC: first {cost['grpc_read']['first_ms']:.0f} ms, "
            f"later median {cost['grpc_read']['median_ms']:.1f} ms"
        )
        return cost

    def diagnose(self, projects: dict[str, Project]) -> dict[str, Any]:
        """One more `up` of N=32 and one more refresh of each stack, with the engine's log on.

        Not timed for the table (the log slows the engine a little): they show where the engine
        waits, from its own account of when it launched, called and stopped each provider.
        """
        count = max(SIZES)
        out: dict[str, Any] = {}
        program = COPIES_PROGRAM.format(
            regions=list(REGIONS), count=count, source=self.source, source_region=SOURCE_REGION
        )
        project = self.project(f"diagnostic-{count}", program, {})
        self.log(f"diagnostic: pulumi up -v=9, N={count}")
        run = project.run(
            ["up", "--yes", "--skip-preview", "--parallel", str(ENGINE_PARALLEL), *VERBOSE],
            timeout=300 + 4 * self.settings.copy_seconds,
        )
        out["up, afi-provider"] = timeline(run, "CopiedAfi")
        for name, key, resource_type in (
            ("refresh, afi-provider", f"product-{REFRESH_SIZE}", "CopiedAfi"),
            ("refresh, speed-ups off", f"speedups_off-{REFRESH_SIZE}", "CopiedAfi"),
            ("refresh, trivial", "trivial", "Echo"),
        ):
            self.log(f"diagnostic: pulumi refresh -v=9, {name}")
            run = projects[key].run(
                [
                    "refresh",
                    "--yes",
                    "--skip-preview",
                    "--parallel",
                    str(ENGINE_PARALLEL),
                    *VERBOSE,
                ],
                timeout=300,
            )
            out[name] = timeline(run, resource_type)
        return out


def timeline(run: CommandRun, resource_type: str) -> dict[str, Any]:
    """The engine's timeline of one verbose command, read from its log file."""
    output = run.log_path.read_text(errors="replace")
    return {"wall_seconds": run.wall, **engine_timeline(output, run.started, resource_type)}


def exported(project: Project, type_suffix: str) -> list[dict[str, Any]]:
    """The resources of one type in a stack's state, with what a Read request carries."""
    state = project.export()
    return [
        {k: rpc_form(r.get(k)) for k in ("id", "urn", "type", "inputs", "outputs")}
        for r in state["deployment"].get("resources") or []
        if r["type"].endswith(type_suffix)
    ]


SECRET_SIG = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")


def rpc_form(value: Any) -> Any:
    """A state value as the engine sends it to a provider: secrets as `{sig, value}`."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG[0]) == SECRET_SIG[1] and "plaintext" in value:
            return {SECRET_SIG[0]: SECRET_SIG[1], "value": json.loads(value["plaintext"])}
        return {k: rpc_form(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rpc_form(v) for v in value]
    return value


def analyse_up(
    run: CommandRun,
    images: list[dict[str, Any]],
    times: dict[str, list[float]],
    count: int,
    copy_seconds: float,
) -> dict[str, Any]:
    """Wall time, per-copy return latency and describe rates of one `pulumi up`."""
    if len(images) != count or any(image["state"] != "available" for image in images):
        states = sorted(image["state"] for image in images)
        raise RuntimeError(f"expected {count} available copies, found {states}")
    returned: dict[str, float] = {}  # by image id
    registered: dict[str, float] = {}  # by URN
    for arrived, event in run.events:
        done = event.get("resOutputsEvent")
        if done and done["metadata"]["type"].endswith("CopiedAfi"):
            returned.setdefault(done["metadata"]["new"]["id"], arrived)
        pre = event.get("resourcePreEvent")
        if pre and pre["metadata"]["type"].endswith("CopiedAfi"):
            registered.setdefault(pre["metadata"]["urn"], arrived)
    copies = []
    for image in images:
        ready = parse_time(image["ready_time"])
        created = parse_time(image["create_time"])
        back = returned.get(image["image_id"])
        if back is None:
            raise RuntimeError(f"no resOutputsEvent for {image['image_id']} in the event log")
        copies.append(
            {
                "image_id": image["image_id"],
                "region": image["region"],
                "created": created,
                "available": ready,
                "returned": back,
                "return_latency": back - ready,
            }
        )
    latencies = [c["return_latency"] for c in copies]
    last_started = max(c["created"] for c in copies)
    window_end = min(c["available"] for c in copies)
    rates = {
        region: call_rate(times.get(region, []), last_started + WAIT_WINDOW_SKIP, window_end)
        for region in REGIONS
    }
    known = [rate["per_second"] for rate in rates.values() if rate is not None]
    return {
        "count": count,
        "wall_seconds": run.wall,
        "wall_over_latency": run.wall / copy_seconds,
        "return_latency_p95": percentile(latencies, 0.95),
        "return_latency_max": max(latencies),
        "return_latencies": sorted(latencies),
        # When the copies were started and came back, from the start of `pulumi up`.
        "phases": {
            "first_copy_step": min(registered.values()) - run.started if registered else None,
            "first_copy_started": min(c["created"] for c in copies) - run.started,
            "last_copy_started": last_started - run.started,
            "last_copy_available": max(c["available"] for c in copies) - run.started,
            "last_create_returned": max(c["returned"] for c in copies) - run.started,
            "engine_exited": run.wall,
        },
        # While every copy of the run is pending; None when they never all were at once.
        "all_pending_window": {"from": last_started + WAIT_WINDOW_SKIP, "to": window_end},
        "describe_rates": rates,
        "describe_per_region_per_second_max": max(known) if known else None,
        "copies": copies,
    }


class LoopBaseline:
    """The plain boto3 loop (bench/sequential.py) as a background process with its own emulator."""

    def __init__(self, emulator: Emulator, settings: Settings, count: int) -> None:
        self.emulator = emulator
        self.settings = settings
        self.count = count
        self.out = settings.workdir / "loop.jsonl"
        self.process: subprocess.Popen[bytes] | None = None
        self.launched = 0.0

    def start(self) -> None:
        """Seed the loop's source AFI and launch the loop."""
        source = self.emulator.seed_source(SOURCE_REGION)
        env = {**os.environ, **self.emulator.env()}
        self.launched = time.time()
        with open(self.settings.workdir / "loop.err", "wb") as err:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "bench" / "sequential.py"),
                    "--source",
                    source,
                    "--source-region",
                    SOURCE_REGION,
                    "--regions",
                    ",".join(REGIONS),
                    "--count",
                    str(self.count),
                    "--poll",
                    str(LOOP_POLL_SECONDS),
                    "--timeout",
                    str(self.settings.copy_seconds * 3 + 30),
                    "--out",
                    str(self.out),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
            )
        self.settings.log(f"plain boto3 loop started in the background ({self.count} copies)")

    def lines(self) -> list[dict[str, Any]]:
        """The copies the loop has finished so far."""
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text().splitlines() if line.strip()]

    def progress(self) -> str:
        """How far the loop has got, for the progress lines."""
        return f"{len(self.lines())}/{self.count} copies"

    def finish(self) -> dict[str, Any]:
        """Wait for the loop to end (bounded) and analyse what it did."""
        assert self.process is not None
        remaining = self.count - len(self.lines())
        self.process.wait(remaining * (self.settings.copy_seconds * 3 + 40) + 60)
        if self.process.returncode != 0:
            err = (self.settings.workdir / "loop.err").read_text(errors="replace")
            raise RuntimeError(f"the boto3 loop failed:\n{err[-3000:]}")
        return analyse_loop(
            self.lines(),
            self.emulator.images(),
            self.emulator.request_times(DESCRIBE),
            self.launched,
            self.settings.copy_seconds,
        )

    def stop(self) -> None:
        """Stop the loop if it still runs (after a failure elsewhere)."""
        if self.process is not None and self.process.poll() is None:
            stop_group(self.process)


def analyse_loop(
    lines: list[dict[str, Any]],
    images: list[dict[str, Any]],
    times: dict[str, list[float]],
    launched: float,
    copy_seconds: float,
) -> dict[str, Any]:
    """Wall time of the first k copies for each N, return latency and describe rates."""
    by_id = {image["image_id"]: image for image in images}
    copies = []
    rates = []
    for line in lines:
        image = by_id[line["image_id"]]
        ready, created = parse_time(image["ready_time"]), parse_time(image["create_time"])
        # One copy waits at a time: its own region, while it is pending.
        rate = call_rate(times.get(line["region"], []), created + WAIT_WINDOW_SKIP, ready)
        if rate is not None:
            rates.append(rate["per_second"])
        copies.append({**line, "available": ready, "return_latency": line["done"] - ready})
    if any(c["state"] != "available" for c in copies):
        raise RuntimeError("a copy of the boto3 loop did not become available")
    walls = {str(n): copies[n - 1]["done"] - launched for n in SIZES if n <= len(copies)}
    calls = [s for c in copies for s in c["describe_seconds"]]
    latencies = [c["return_latency"] for c in copies]
    return {
        "walls": walls,
        "wall_over_latency": {n: wall / copy_seconds for n, wall in walls.items()},
        "return_latency_p95": percentile(latencies, 0.95),
        "return_latencies": sorted(latencies),
        "describe_per_region_per_second_max": max(rates) if rates else None,
        "describe_call": {
            "first_ms": calls[0] * 1000,
            "median_ms": sorted(calls[1:])[len(calls[1:]) // 2] * 1000,
        },
        "copies": copies,
    }


def new_workdir() -> Path:
    """A fresh folder for the projects, backends and logs of one benchmark run."""
    return Path(tempfile.mkdtemp(prefix="afi-bench-"))
