"""`make bench`: measure `CopiedAfi` against its goals and write bench/results.{md,json}.

Usage: `AFI_PULUMI_BIN=DIR python bench/run.py [--copy-seconds S] [--keep]`; without
`AFI_PULUMI_BIN`, `scripts/ensure-pulumi` is asked for the engine. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    """Run every measurement, write the results, print the table."""
    parser = argparse.ArgumentParser(description="Benchmark afi-provider against the emulator.")
    parser.add_argument(
        "--copy-seconds", type=float, default=20.0, help="copy latency of the emulator (20)"
    )
    parser.add_argument("--out-dir", type=Path, default=HERE, help="where results go (bench/)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    parser.add_argument(
        "--skip-cli-default-parallel",
        action="store_true",
        help="leave out the run at the CLI's default --parallel",
    )
    parser.add_argument(
        "--skip-diagnostics",
        action="store_true",
        help="leave out the extra runs with the engine's log on",
    )
    args = parser.parse_args()

    # The package's modules are imported as `bench.*`, also by the Pulumi programs it runs.
    sys.path.insert(0, str(HERE.parent))
    from bench import report, suite

    began = time.time()

    def log(message: str) -> None:
        elapsed = time.time() - began
        print(f"[{int(elapsed) // 60:2d}:{int(elapsed) % 60:02d}] {message}", flush=True)

    settings = suite.Settings(
        copy_seconds=args.copy_seconds,
        engine_bin=engine_bin(),
        workdir=suite.new_workdir(),
        log=log,
        cli_default_parallel=not args.skip_cli_default_parallel,
        diagnostics=not args.skip_diagnostics,
    )
    log(f"copy latency {args.copy_seconds:g} s; work folder {settings.workdir}")
    ok = False
    try:
        results = suite.run_all(settings)
        results["meta"]["total_seconds"] = time.time() - began
        table = report.write(results, args.out_dir)
        ok = True
    finally:
        if ok and not args.keep:
            shutil.rmtree(settings.workdir, ignore_errors=True)
        else:
            log(f"work folder kept: {settings.workdir}")
    print((args.out_dir / "results.md").read_text(), flush=True)
    missed = [goal.measure for goal in table if goal.met is False]
    log(f"done in {time.time() - began:.0f} s; {len(table) - len(missed)}/{len(table)} goals met")
    return 0


def engine_bin() -> Path:
    """The folder of the pinned Pulumi CLI."""
    given = os.environ.get("AFI_PULUMI_BIN")
    if given:
        return Path(given)
    found = subprocess.run(
        [str(HERE.parent / "scripts" / "ensure-pulumi")],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return Path(found.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    raise SystemExit(main())
