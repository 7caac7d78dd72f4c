"""The package as its users get it: a wheel built from this checkout, installed (not editable) into
a fresh virtualenv, and stacks whose program and dynamic provider both run from that virtualenv.

`AFI_PACKAGING_PYTHON` names the interpreter for the wheel's virtualenv (default: the one running
the tests), so the same tests can be run under every Python the package claims to support.

This folder has no `__init__.py` on purpose: as a package it would be importable as `packaging`,
ahead of the library of that name, which pulumi imports.
"""

from __future__ import annotations

import email.message
import email.parser
import glob
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from tests.conftest import ROOT, Stack, new_stack

# Parts of a checkout that are never part of a build; copying the rest lets the build run in its
# own folder, so that builds of concurrent test runs never share `build/` or `*.egg-info`.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", ".demo", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"
)

# Variables that would let a child interpreter import from somewhere other than its virtualenv.
LEAKY_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PULUMI_PYTHON_CMD")

INSTALL_TIMEOUT = 900


@dataclass(frozen=True)
class Wheel:
    """A built wheel of afi-provider and what its metadata declares."""

    path: Path

    def names(self) -> list[str]:
        with zipfile.ZipFile(self.path) as archive:
            return archive.namelist()

    def read(self, suffix: str) -> str:
        """The text of the one member whose name ends with `suffix` (e.g. `dist-info/METADATA`)."""
        with zipfile.ZipFile(self.path) as archive:
            (name,) = [n for n in archive.namelist() if n.endswith(suffix)]
            return archive.read(name).decode()

    def metadata(self) -> email.message.Message:
        return email.parser.Parser().parsestr(self.read(".dist-info/METADATA"))

    def requirements(self) -> list[Requirement]:
        """The dependencies of a default install (no extras)."""
        found = [Requirement(r) for r in self.metadata().get_all("Requires-Dist") or []]
        return [r for r in found if r.marker is None or r.marker.evaluate({"extra": ""})]

    def lowest(self, project: str) -> str:
        """The lower bound (`>=`) that the wheel declares for `project`."""
        (requirement,) = [r for r in self.requirements() if r.name == project]
        (bound,) = [s.version for s in requirement.specifier if s.operator == ">="]
        return bound

    def requires_python(self) -> SpecifierSet:
        return SpecifierSet(self.metadata()["Requires-Python"])


def build_wheel(folder: Path) -> Wheel:
    """Build the sdist of this checkout, then the wheel from the sdist, as `python -m build` does.

    Building the wheel from the sdist proves the sdist is complete as well.
    """
    source = folder / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    out = folder / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
    )
    assert done.returncode == 0, f"python -m build failed:\n{done.stdout}\n{done.stderr}"
    (path,) = out.glob("afi_provider-*.whl")
    return Wheel(path)


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without what would leak the test's own interpreter."""
    env = {k: v for k, v in os.environ.items() if k not in LEAKY_VARIABLES}
    env.update(extra)
    return env


@dataclass(frozen=True)
class Venv:
    """A virtualenv made with `python -m venv`, as a user makes one for a Pulumi project."""

    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def bin(self, name: str) -> Path:
        return self.root / "bin" / name

    def run_python(self, code: str, cwd: Path | None = None) -> str:
        """Run `code` with the virtualenv's interpreter and return what it printed."""
        done = subprocess.run(
            [str(self.python), "-c", code],
            cwd=cwd or self.root,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def purelib(self) -> Path:
        """The virtualenv's site-packages, where pip puts pure-Python wheels."""
        return Path(self.run_python("import sysconfig; print(sysconfig.get_paths()['purelib'])"))

    def version_of(self, project: str) -> str:
        return self.run_python(f"import importlib.metadata as m; print(m.version({project!r}))")

    def projects(self) -> set[str]:
        """The names of every distribution installed in the virtualenv, lower-cased."""
        code = (
            "import importlib.metadata as m\nfor d in m.distributions(): print(d.metadata['Name'])"
        )
        return {line.strip().lower() for line in self.run_python(code).splitlines()}


def make_venv(folder: Path, python: str, wheel: Wheel, requirements: Iterable[str] = ()) -> Venv:
    """A fresh virtualenv with the wheel installed from its file and its dependencies from the
    package index (pip's cache makes a second run quick)."""
    venv = Venv(folder)
    subprocess.run([python, "-m", "venv", str(folder)], check=True, timeout=120, env=clean_env())
    done = subprocess.run(
        [str(venv.python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
        + [str(wheel.path), *requirements],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        env=clean_env(),
    )
    assert done.returncode == 0, f"pip install failed:\n{done.stdout}\n{done.stderr}"
    return venv


def find_python(version: Version) -> str | None:
    """An interpreter of the `major.minor` release `version`, if this machine has one.

    Looks on PATH, then where pyenv keeps its builds; a candidate counts only if it runs.
    """
    name = f"python{version.major}.{version.minor}"
    candidates = [shutil.which(name) or ""]
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    candidates += sorted(
        glob.glob(f"{pyenv_root}/versions/{version.major}.{version.minor}.*/bin/{name}")
    )
    for candidate in filter(None, candidates):
        done = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if done.returncode == 0 and done.stdout.strip() == f"{version.major}.{version.minor}":
            return candidate
    return None


def venv_stack(folder: Path, venv: Venv, engine_bin: Path, endpoint_url: str) -> Stack:
    """An empty stack whose program and dynamic provider run from `venv`, against the emulator.

    Pulumi.yaml is what docs/installing.md tells pip users to write, with the virtualenv's path.
    """
    # As an activated virtualenv would have it: its `python` comes first.
    base = clean_env(PATH=f"{venv.root / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    return new_stack(
        folder,
        engine_bin,
        endpoint_url,
        venv=venv.root,
        python=str(venv.python),
        runtime_options="    toolchain: pip\n",
        base_env=base,
    )


def installed_location(venv: Venv, cwd: Path) -> Path:
    """Where `import afi_provider` finds the package when the virtualenv's Python runs in `cwd`."""
    return Path(venv.run_python("import afi_provider; print(afi_provider.__file__)", cwd=cwd))


def assert_inside(path: Path, folder: Path) -> None:
    assert path.resolve().is_relative_to(folder.resolve()), f"{path} is not inside {folder}"


def wheel_python() -> str:
    return os.environ.get("AFI_PACKAGING_PYTHON") or sys.executable


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Wheel:
    """The wheel of this checkout, built once per test session."""
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory, wheel: Wheel) -> Venv:
    """A fresh virtualenv with the wheel and its default dependencies, as `pip install` gives."""
    return make_venv(tmp_path_factory.mktemp("installed") / "venv", wheel_python(), wheel)


def pins(wheel: Wheel, projects: Sequence[str]) -> list[str]:
    """`name==lowest` for each of `projects`, from the wheel's own lower bounds."""
    return [f"{name}=={wheel.lowest(name)}" for name in projects]
