"""The oldest releases the package claims to support, exercised: the lowest `pulumi`, `boto3` and
`botocore` that the wheel's own metadata allows, on the oldest Python it allows when this machine
has that Python, run a stack up, refresh and down, and pass the tests that need no engine."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.version import Version

from tests.conftest import ROOT, Emulator
from tests.packaging.conftest import (
    Venv,
    Wheel,
    assert_inside,
    clean_env,
    find_python,
    installed_location,
    make_venv,
    pins,
    venv_stack,
)

pytestmark = pytest.mark.e2e

LOWEST = ("pulumi", "boto3", "botocore")

# This one patches the signer's clock through `botocore.auth.get_current_datetime`, which botocore
# has only since 1.41; the emulator itself does not depend on it.
NEEDS_NEWER_BOTOCORE = (
    "tests/emulator/test_auth.py::test_signature_older_than_fifteen_minutes_is_request_expired",
)

# Run elsewhere: the engine tests by test_lowest_versions_run_a_stack_..., the rest need what a
# default install does not bring (pulumi-aws) or are this file's own kind.
NOT_COPIED = ("packaging", "e2e", "chaos", "examples")

PROGRAM = """
import pulumi

from afi_provider import CopiedAfi

copy = CopiedAfi("west", source_fpga_image_id=pulumi.Config().require("source"),
                 source_region="us-east-1", region="us-west-2", tags={"team": "fpga"})
pulumi.export("copy", {"id": copy.fpga_image_id, "agfi": copy.fpga_image_global_id,
                       "state": copy.state, "tags": copy.tags})
"""


def oldest_python(wheel: Wheel) -> Version:
    (bound,) = [s.version for s in wheel.requires_python() if s.operator == ">="]
    return Version(bound)


@pytest.fixture(scope="module")
def lowest(tmp_path_factory: pytest.TempPathFactory, wheel: Wheel) -> Venv:
    """A virtualenv with the wheel and the lowest declared pulumi, boto3 and botocore."""
    python = find_python(oldest_python(wheel)) or sys.executable
    folder = tmp_path_factory.mktemp("lowest") / "venv"
    return make_venv(folder, python, wheel, [*pins(wheel, LOWEST), "pytest"])


def test_lowest_virtualenv_holds_exactly_the_declared_lower_bounds(
    lowest: Venv, wheel: Wheel
) -> None:
    for project in LOWEST:
        assert Version(lowest.version_of(project)) == Version(wheel.lowest(project)), project

    python = Version(lowest.run_python("import platform; print(platform.python_version())"))
    assert python in wheel.requires_python()
    if find_python(oldest_python(wheel)) is not None:
        assert (python.major, python.minor) == oldest_python(wheel).release[:2]


def test_lowest_versions_run_a_stack_up_refresh_and_destroy(
    lowest: Venv, engine_bin: Path, emulator: Emulator, tmp_path: Path
) -> None:
    stack = venv_stack(tmp_path, lowest, engine_bin, emulator.url)
    stack.write_program(PROGRAM)
    source = emulator.seed("us-east-1")
    stack.config("source", source)

    stack.up()

    copy = stack.outputs()["copy"]
    agfi = emulator.client("us-east-1").describe_fpga_images(FpgaImageIds=[source])
    assert copy["state"] == "available"
    assert copy["agfi"] == agfi["FpgaImages"][0]["FpgaImageGlobalId"]
    assert copy["tags"] == {"team": "fpga"}

    # Refresh reads the copy back through the provider's `read`, which returns inputs as well.
    refresh = stack.pulumi("refresh", "--yes", "--expect-no-changes", check=False)
    assert refresh.returncode == 0, refresh.output

    stack.pulumi("destroy", "--yes")

    assert emulator.images("us-west-2") == []
    assert stack.resources() == []


def test_lowest_versions_pass_the_tests_that_need_no_engine(lowest: Venv, tmp_path: Path) -> None:
    # A copy of the suite, away from the checkout, so that `afi_provider` can only come from the
    # virtualenv.
    suite = tmp_path / "suite"
    shutil.copytree(
        ROOT / "tests",
        suite / "tests",
        ignore=lambda folder, names: [
            n for n in names if n == "__pycache__" or (folder.endswith("tests") and n in NOT_COPIED)
        ],
    )
    shutil.copy(ROOT / "pyproject.toml", suite / "pyproject.toml")
    assert_inside(installed_location(lowest, cwd=suite), lowest.purelib())
    deselect = [arg for test in NEEDS_NEWER_BOTOCORE for arg in ("--deselect", test)]

    done = subprocess.run(
        [str(lowest.python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        + ["-m", "not e2e and not slow", *deselect, "tests"],
        cwd=suite,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
