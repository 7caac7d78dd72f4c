"""Running stacks offline: the emulator as a child process, and the environment the Pulumi CLI
needs to use it with a local file backend and no login.

The demo uses this module, and so can a team's own CI to run its stacks without AWS.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

LISTENING = "afi-emulator listening on "


class EmulatorProcess:
    """`python -m afi_provider.emulator` on a loopback port (free by default), stopped at exit.

    `url` is the endpoint to give boto3 (`AWS_ENDPOINT_URL_EC2`). The emulator's log goes to
    `log_path` when given, else it is discarded.
    """

    def __init__(
        self,
        args: Sequence[str] = (),
        *,
        python: str = sys.executable,
        port: int = 0,
        log_path: Path | None = None,
        start_timeout: float = 30.0,
    ) -> None:
        self.args = list(args)
        self.port = port
        self.python = python
        self.log_path = log_path
        self.start_timeout = start_timeout
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> str:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(
            [self.python, "-m", "afi_provider.emulator", "--port", str(self.port), *self.args],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        if log is not subprocess.DEVNULL:
            log.close()  # type: ignore[union-attr]
        line = self._read_first_line()
        if not line.startswith(LISTENING):
            self.stop()
            raise RuntimeError(f"the emulator did not start (it printed {line!r})")
        self.url = line[len(LISTENING) :].strip()
        return self.url

    def _read_first_line(self) -> str:
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.start_timeout)
        return result[0] if result else ""

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None

    def __enter__(self) -> EmulatorProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def aws_env(endpoint_url: str, *, region: str = "us-east-1", account: str = "") -> dict[str, str]:
    """Variables that point boto3 (in any process) at the emulator with test credentials.

    `account` is a 12-digit account id to act as; the emulator takes it from the access key.
    """
    return {
        "AWS_ENDPOINT_URL_EC2": endpoint_url,
        "AWS_ACCESS_KEY_ID": account or "AKIAAFIPROVIDERTEST",
        "AWS_SECRET_ACCESS_KEY": "afi-provider-test-secret",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def pulumi_env(
    backend_dir: Path,
    *,
    engine_bin: Path | None = None,
    pulumi_home: Path | None = None,
    passphrase: str = "afi-provider-local",
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment for the Pulumi CLI with a local file backend and no login or downloads."""
    env = dict(os.environ if base is None else base)
    backend_dir.mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "PULUMI_BACKEND_URL": backend_dir.resolve().as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": passphrase,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_SKIP_CONFIRMATIONS": "true",
        }
    )
    env.pop("PULUMI_ACCESS_TOKEN", None)
    if pulumi_home is not None:
        env["PULUMI_HOME"] = str(pulumi_home)
    if engine_bin is not None:
        env["PATH"] = f"{engine_bin}{os.pathsep}{env.get('PATH', '')}"
    return env
