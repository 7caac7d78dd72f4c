"""From raw results to the goals table: `bench/results.json` and `bench/results.md`.

Every number in the table is derived here from the raw results of the same run; nothing is
typed in. A goal is met when the product's value is within its target; the two baselines are
there to show what the value would be without the product (the plain boto3 loop) and without
its speed-ups.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.harness import percentile

NA = "—"


@dataclass
class Goal:
    """One row of the table: a measure, its target, and the values measured."""

    measure: str
    target: str
    limit: float
    product: float | None
    speedups_off: float | None
    loop: float | None
    unit: str
    note: str = ""

    @property
    def met(self) -> bool | None:
        return None if self.product is None else self.product <= self.limit


def goals(results: dict[str, Any]) -> list[Goal]:
    """The goals, evaluated on one run's raw results."""
    ups, loop = results["up"], results["loop"]
    sizes = [str(n) for n in results["meta"]["sizes"]]
    out: list[Goal] = []

    def best(kind: str, n: str) -> float:
        return min(run["wall_over_latency"] for run in ups[kind][n])

    def every(kind: str, n: str) -> str:
        return " / ".join(f"{run['wall_over_latency']:.2f}" for run in ups[kind][n])

    for n in sizes:
        out.append(
            Goal(
                f"`pulumi up` wall time / copy latency, N={n}",
                "≤ 1.25",
                1.25,
                best("product", n),
                best("speedups_off", n),
                loop["wall_over_latency"].get(n),
                "x",
                f"every run: afi-provider {every('product', n)}; "
                f"speed-ups off {every('speedups_off', n)}",
            )
        )
    default = results.get("up_cli_default_parallel")
    if default is not None:
        out.append(
            Goal(
                f"the same, N={default['count']}, at the CLI's default `--parallel` "
                f"({results['meta']['cli_default_parallel']} on this machine)",
                "≤ 1.25",
                1.25,
                default["wall_over_latency"],
                None,
                None,
                "x",
            )
        )

    def pooled_p95(kind: str) -> float:
        latencies = [v for n in sizes for run in ups[kind][n] for v in run["return_latencies"]]
        return percentile(latencies, 0.95)

    out.append(
        Goal(
            "copy `available` → `create` returns, p95 over every copy of every run",
            "≤ 2 s",
            2.0,
            pooled_p95("product"),
            pooled_p95("speedups_off"),
            loop["return_latency_p95"],
            "s",
        )
    )

    def worst_rate(kind: str) -> tuple[float | None, str]:
        per_n: dict[str, float | None] = {}
        for n in sizes:
            rates = [run["describe_per_region_per_second_max"] for run in ups[kind][n]]
            known_n = [rate for rate in rates if rate is not None]
            per_n[n] = max(known_n) if known_n else None
        known = [v for v in per_n.values() if v is not None]
        detail = ", ".join(f"N={n}: {fmt(v, '/s')}" for n, v in per_n.items())
        return (max(known) if known else None), detail

    product_rate, product_detail = worst_rate("product")
    off_rate, off_detail = worst_rate("speedups_off")
    out.append(
        Goal(
            "DescribeFpgaImages per region per second while the copies wait "
            "(max over regions and runs)",
            "≤ 1",
            1.0,
            product_rate,
            off_rate,
            loop["describe_per_region_per_second_max"],
            "/s",
            f"afi-provider {product_detail}; speed-ups off {off_detail}",
        )
    )

    refresh = results["refresh"]["best"]
    out.append(
        Goal(
            f"`pulumi refresh` wall time, N={results['refresh']['size']}, "
            "/ the same for as many trivial dynamic resources",
            "≤ 1.5",
            1.5,
            refresh["product"] / refresh["trivial"],
            refresh["speedups_off"] / refresh["trivial"],
            None,
            "x",
            f"best of {len(results['refresh']['walls']['product'])}: afi-provider "
            f"{refresh['product']:.1f} s, speed-ups off {refresh['speedups_off']:.1f} s, "
            f"trivial {refresh['trivial']:.1f} s",
        )
    )

    cost = results["provider_cost"]
    out.append(
        Goal(
            "provider time per operation after the first (a `Read` over gRPC, median)",
            "≤ 50 ms",
            50.0,
            cost["grpc_read"]["median_ms"],
            None,
            loop["describe_call"]["median_ms"],
            "ms",
            f"first operation {cost['grpc_read']['first_ms']:.0f} ms; trivial provider "
            f"{cost['grpc_read_trivial']['median_ms']:.1f} ms; boto3 loop: one describe call "
            f"(first {loop['describe_call']['first_ms']:.0f} ms)",
        )
    )
    return out


def fmt(value: float | None, unit: str, limit: float | None = None) -> str:
    """A value as the table shows it, "—" when there is none.

    More digits are shown when the usual rounding would make the value look equal to its
    target, so that "met" and "not met" can be told apart by eye.
    """
    if value is None:
        return NA
    digits = 1 if unit == "ms" else 2
    while limit is not None and digits < 4 and f"{value:.{digits}f}" == f"{limit:.{digits}f}":
        digits += 1
    text = f"{value:.{digits}f}"
    return {"x": text, "ms": f"{text} ms", "/s": f"{text}/s"}.get(unit, f"{text} s")


def markdown(results: dict[str, Any], table: list[Goal]) -> str:
    """The whole of `bench/results.md`."""
    meta = results["meta"]
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(meta["started_at"]))
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `make bench` on {when} ({meta['cpus']} CPUs, load average "
        f"{meta['loadavg_start'][0]:.2f} at the start, {meta['loadavg_end'][0]:.2f} at the end); "
        f"{meta['pulumi_version']}, Python {meta['python']}. Copy latency of the emulator: "
        f"{meta['copy_seconds']:g} s. Copies go from {meta['source_region']} to "
        f"{', '.join(meta['regions'])}, round-robin. `pulumi up` and `pulumi refresh` run with "
        f"`--parallel {meta['engine_parallel']}` unless a row says otherwise. The whole run took "
        f"{meta['total_seconds']:.0f} s. See `bench/README.md` for how each value is measured.",
        "",
        "| goal | target | afi-provider | speed-ups off | plain boto3 loop | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for goal in table:
        met = NA if goal.met is None else ("met" if goal.met else "**not met**")
        lines.append(
            f"| {goal.measure} | {goal.target} | {fmt(goal.product, goal.unit, goal.limit)} | "
            f"{fmt(goal.speedups_off, goal.unit)} | {fmt(goal.loop, goal.unit)} | {met} |"
        )
    notes = [g for g in table if g.note]
    if notes:
        lines += ["", "Details:", ""]
        lines += [f"- {g.measure}: {g.note}." for g in notes]
    lines += ["", *phases_table(results), "", *timeline_table(results)]
    lines += ["", *cost_table(results), ""]
    return "\n".join(lines)


def phases_table(results: dict[str, Any]) -> list[str]:
    """Where the wall time of each `pulumi up` went, in seconds from its start."""
    lines = [
        "## Where the time of `pulumi up` goes",
        "",
        "Seconds from the start of `pulumi up`: first `CopiedAfi` step seen by the engine, first "
        "and last CopyFpgaImage, last copy `available`, last `create` returned, engine exited.",
        "",
        "| run | N | pass | first step | first copy | last copy | last available "
        "| last returned | exit |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    runs: list[tuple[str, dict[str, Any]]] = [
        (kind, run)
        for kind in ("product", "speedups_off")
        for every in results["up"][kind].values()
        for run in every
    ]
    if results.get("up_cli_default_parallel"):
        runs.append(("afi-provider, CLI's default --parallel", results["up_cli_default_parallel"]))
    names = {"product": "afi-provider", "speedups_off": "speed-ups off"}
    keys = (
        "first_copy_step",
        "first_copy_started",
        "last_copy_started",
        "last_copy_available",
        "last_create_returned",
        "engine_exited",
    )
    for kind, run in runs:
        phases = run["phases"]
        cells = " | ".join(NA if phases[k] is None else f"{phases[k]:.1f}" for k in keys)
        name = names.get(kind, kind)
        lines.append(f"| {name} | {run['count']} | {run.get('pass', 1)} | {cells} |")
    return lines


def timeline_table(results: dict[str, Any]) -> list[str]:
    """What the engine's own log says about its provider processes, one extra run each."""
    timelines = results.get("engine_timelines")
    if not timelines:
        return []
    lines = [
        "## What the engine does with the provider processes",
        "",
        "One more run of each command with the engine's log on (`-v=9`), not used above. Seconds "
        "from the start of the command: provider processes launched (first → last launch), the "
        "first call each process got (earliest → latest), the last call done, provider "
        "processes told to stop → all gone, engine exited. In `up` the first call is a `Check`.",
        "",
        "| command | processes | launched | first call per process | last call done | "
        "stopped → gone | exit |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, line in timelines.items():
        firsts = line["first_call_per_process"]
        done = [phases["success"][1] for phases in line["calls"].values() if phases.get("success")]
        cells = [
            str(line["provider_launches"]),
            span(line["launched"]),
            span([firsts[0], firsts[-1]] if firsts else None),
            f"{max(done):.2f}" if done else NA,
            span(
                [line["providers_stopping"][0], line["providers_gone"]]
                if line["providers_stopping"] and line["providers_gone"] is not None
                else None
            ),
            f"{line['wall_seconds']:.2f}",
        ]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    return lines


def span(pair: list[float] | None) -> str:
    """Two times as "from → to"."""
    return NA if not pair else f"{pair[0]:.2f} → {pair[1]:.2f}"


def cost_table(results: dict[str, Any]) -> list[str]:
    """The pieces of one provider operation, measured in a fresh interpreter."""
    cost = results["provider_cost"]
    pieces = cost["in_process"]
    rows: list[tuple[str, Callable[[], str]]] = [
        ("`Read` over gRPC to a `pulumi.dynamic` server", lambda: pair(cost["grpc_read"])),
        ("the same, trivial provider", lambda: pair(cost["grpc_read_trivial"])),
        ("`Check` of a new resource over gRPC", lambda: pair(cost["grpc_check"])),
        ("the same, trivial provider", lambda: pair(cost["grpc_check_trivial"])),
        ("`CopiedAfiProvider.read()` called directly", lambda: pair(pieces["read_direct"])),
        ("`dill.loads` of the serialized provider", lambda: pair(pieces["dill_loads"])),
        ("`ec2.client(region)`", lambda: pair(pieces["ec2_client"])),
        ("provider process start, until it listens", lambda: process(cost, "process_start_ms")),
        ("provider process exit after SIGINT", lambda: process(cost, "process_exit_ms")),
        ("`import pulumi.dynamic`", lambda: f"{pieces['import_pulumi_dynamic_ms']:.0f} ms | "),
        ("`import afi_provider` (on top)", lambda: f"{pieces['import_afi_provider_ms']:.0f} ms | "),
    ]
    lines = [
        "## Provider time per operation",
        "",
        "| piece | first call | median of later calls |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {name} | {cells()} |" for name, cells in rows]
    return lines


def process(cost: dict[str, Any], key: str) -> str:
    """A once-per-process cost, afi-provider's and the trivial provider's."""
    ours, trivial = cost["grpc_read"][key], cost["grpc_read_trivial"][key]
    return f"{ours:.0f} ms (trivial provider: {trivial:.0f} ms) | "


def pair(summary: dict[str, Any]) -> str:
    """The first-call and later-median cells of one cost summary."""
    return f"{summary['first_ms']:.1f} ms | {summary['median_ms']:.2f} ms"


def write(results: dict[str, Any], out_dir: Path) -> list[Goal]:
    """Write `results.json` (raw numbers and goals) and `results.md` into `out_dir`."""
    table = goals(results)
    document = {
        "goals": [{**asdict(g), "met": g.met} for g in table],
        **results,
    }
    (out_dir / "results.json").write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    (out_dir / "results.md").write_text(markdown(results, table))
    return table
