"""The wheel works outside this checkout: installed into a fresh virtualenv, its `CopiedAfi` runs a
stack under the real engine, and the dynamic-provider process finds the provider class there."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

import afi_provider
from afi_provider.offline import LISTENING, aws_env
from tests.conftest import Emulator, wait_for_state
from tests.packaging.conftest import (
    Venv,
    Wheel,
    assert_inside,
    clean_env,
    installed_location,
    venv_stack,
)

pytestmark = pytest.mark.e2e

PROGRAM = """
import sys

import pulumi

import afi_provider
from afi_provider import CopiedAfi

copy = CopiedAfi("west", source_fpga_image_id=pulumi.Config().require("source"),
                 source_region="us-east-1", region="us-west-2")
pulumi.export("copy", {"id": copy.fpga_image_id, "agfi": copy.fpga_image_global_id,
                       "state": copy.state})
pulumi.export("package", afi_provider.__file__)
pulumi.export("python", sys.executable)
"""


def test_wheel_holds_the_package_its_type_marker_and_nothing_else(wheel: Wheel) -> None:
    names = wheel.names()

    assert "afi_provider/py.typed" in names
    assert "afi_provider/emulator/__main__.py" in names
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"afi_provider", f"afi_provider-{afi_provider.__version__}.dist-info"}


def test_wheel_metadata_names_the_distribution_its_version_and_the_console_script(
    wheel: Wheel,
) -> None:
    metadata = wheel.metadata()

    assert metadata["Name"] == "afi-provider"
    assert metadata["Version"] == afi_provider.__version__
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert "CopiedAfi" in metadata.get_payload()
    assert "Typing :: Typed" in (metadata.get_all("Classifier") or [])
    entry_points = wheel.read(".dist-info/entry_points.txt")
    assert "afi-emulator = afi_provider.emulator.__main__:main" in entry_points


def test_default_install_has_no_pulumi_plugin_package_but_the_examples_extra_does(
    wheel: Wheel,
) -> None:
    # The Python language host treats each installed `pulumi-*` package as a plugin to download.
    default = {r.name for r in wheel.requirements()}
    assert {"pulumi", "boto3", "botocore"} <= default
    assert not [name for name in default if name.startswith("pulumi-")]

    extras = wheel.metadata().get_all("Provides-Extra") or []
    assert "examples" in extras
    examples = [r for r in wheel.metadata().get_all("Requires-Dist") or [] if "examples" in r]
    assert [r.split(";")[0].strip() for r in examples] == ["pulumi-aws<8,>=6"]


def test_installed_wheel_is_a_real_install_in_site_packages(
    installed: Venv, tmp_path: Path
) -> None:
    location = installed_location(installed, cwd=tmp_path)

    assert_inside(location, installed.purelib())
    assert (location.parent / "py.typed").is_file()
    assert installed.version_of("afi-provider") == afi_provider.__version__
    assert installed.run_python("import afi_provider; print(afi_provider.__version__)") == (
        afi_provider.__version__
    )
    assert not [name for name in installed.projects() if name.startswith("pulumi-")]


def test_stack_using_the_installed_wheel_copies_the_afi_and_destroys_the_copy(
    installed: Venv, engine_bin: Path, emulator: Emulator, tmp_path: Path
) -> None:
    stack = venv_stack(tmp_path, installed, engine_bin, emulator.url)
    stack.write_program(PROGRAM)
    source = emulator.seed("us-east-1")
    stack.config("source", source)
    # The provider process starts in the project folder with the same interpreter and
    # environment; there, too, the only afi_provider is the installed one.
    assert_inside(installed_location(installed, cwd=stack.dir), installed.purelib())

    stack.up()

    outputs = stack.outputs()
    assert_inside(Path(outputs["package"]), installed.purelib())
    assert Path(outputs["python"]).parent == installed.python.parent
    agfi = emulator.client("us-east-1").describe_fpga_images(FpgaImageIds=[source])
    copy = outputs["copy"]
    assert copy["state"] == "available"
    assert copy["agfi"] == agfi["FpgaImages"][0]["FpgaImageGlobalId"]
    assert [i["FpgaImageId"] for i in emulator.images("us-west-2")] == [copy["id"]]
    # The state names the provider class by module path; the provider process imported it.
    (resource,) = stack.resources()
    pickled = base64.b64decode(resource["inputs"]["__provider"])
    assert b"afi_provider.provider" in pickled and b"CopiedAfiProvider" in pickled

    stack.pulumi("destroy", "--yes")

    assert emulator.images("us-west-2") == []
    assert stack.resources() == []


TYPED_PROGRAM = """
from afi_provider import AfiReplicas, CopiedAfi, LoadPermissions
from afi_provider.emulator.__main__ import main

shared: LoadPermissions = {"user_ids": ["123456789012"], "public": False}
copy = CopiedAfi("west", source_fpga_image_id="afi-0123456789abcdef0",
                 source_region="us-east-1", region="us-west-2", load_permissions=shared)
replicas = AfiReplicas("all", source_fpga_image_id="afi-0123456789abcdef0",
                       source_region="us-east-1", regions=["us-west-2"])
reveal_type(copy.fpga_image_id)
reveal_type(replicas.fpga_image_ids)
reveal_type(main)
"""


def test_user_program_type_checks_against_the_installed_wheel(
    installed: Venv, tmp_path: Path
) -> None:
    program = tmp_path / "__main__.py"
    program.write_text(TYPED_PROGRAM)
    wrong = tmp_path / "wrong.py"
    wrong.write_text(
        "from afi_provider import CopiedAfi\n"
        'CopiedAfi("west", source_fpga_image_id=1, source_region="us-east-1")\n'
    )

    def mypy(path: Path) -> subprocess.CompletedProcess[str]:
        # mypy of this checkout, looking up imports in the fresh virtualenv only (PEP 561).
        return subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--no-incremental"]
            + ["--python-executable", str(installed.python), path.name],
            cwd=tmp_path,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )

    checked = mypy(program)
    assert checked.returncode == 0, checked.stdout
    assert 'Revealed type is "pulumi.output.Output[str]"' in checked.stdout
    assert 'Revealed type is "pulumi.output.Output[dict[str, str]]"' in checked.stdout
    assert 'Revealed type is "def (argv: typing.Sequence[str] | None =) -> int"' in (checked.stdout)
    rejected = mypy(wrong)
    assert rejected.returncode == 1
    assert 'Argument "source_fpga_image_id" to "CopiedAfi" has incompatible type "int"' in (
        rejected.stdout
    )


@pytest.mark.parametrize(
    "command",
    [["afi-emulator"], ["python", "-m", "afi_provider.emulator"]],
    ids=["console-script", "python-m"],
)
def test_installed_emulator_entry_points_serve_the_fpga_image_api(
    installed: Venv, command: list[str], tmp_path: Path
) -> None:
    argv = [str(installed.bin(command[0])), *command[1:], "--port", "0", "--create-seconds", "0"]
    process = subprocess.Popen(
        argv, cwd=tmp_path, env=clean_env(), stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith(LISTENING), line
        url = line[len(LISTENING) :].strip()
        env = aws_env(url)
        ec2 = boto3.client(
            "ec2",
            region_name="us-east-1",
            endpoint_url=url,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )

        created = ec2.create_fpga_image(
            InputStorageLocation={"Bucket": "dcp", "Key": "cl.tar"}, Name="cl"
        )

        image = wait_for_state(ec2, created["FpgaImageId"], "available")
        assert image["FpgaImageGlobalId"].startswith("agfi-")
    finally:
        process.terminate()
        assert process.wait(10) == 0
        if process.stdout is not None:
            process.stdout.close()
