"""One DescribeFpgaImages per region per interval, however many copies are waited for.

Copies of one stack are waited for by several provider processes at once (see
`afi_provider.resource`, which spreads resources over them), each with several threads. Instead of
a poll loop per copy, every waiter registers its AFI id in a small state file per region and
account; whoever holds the file's lock when a poll is due asks for all registered ids in one
call and writes the answers back for everyone. The file lives in a private per-user folder, and
an id that nobody has asked about for a while is dropped from it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afi_provider import ec2


@dataclass(frozen=True)
class PollPolicy:
    """How often the shared poll runs.

    `fast_interval` seconds between polls while any waiter has waited less than `calm_after`
    seconds, `calm_interval` after that; a waiter looks at the shared answers every `check_every`
    seconds; an id not asked about for `forget_after` seconds is dropped.
    """

    fast_interval: float = 1.0
    calm_interval: float = 5.0
    calm_after: float = 120.0
    check_every: float = 0.2
    forget_after: float = 30.0


def _state_dir() -> Path:
    base = Path(os.environ.get("AFI_PROVIDER_RUNTIME_DIR") or tempfile.gettempdir())
    folder = base / f"afi-provider-{os.getuid()}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _scope(region: str) -> str:
    """A name for the (endpoint, account, region) whose images one state file tracks."""
    key = f"{ec2.client(region).meta.endpoint_url}\0{ec2.access_key_id()}\0{region}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@contextmanager
def _locked(path: Path) -> Iterator[dict[str, Any]]:
    """The state in `path`, read and written back under an exclusive lock."""
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            try:
                state = json.loads(path.read_text())
            except (FileNotFoundError, ValueError):
                state = {}
            state.setdefault("waiters", {})
            state.setdefault("answers", {})
            state.setdefault("polled_at", 0.0)
            yield state
            scratch = path.with_suffix(f".{os.getpid()}.tmp")
            scratch.write_text(json.dumps(state, default=str))
            scratch.replace(path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


_pollers: dict[str, SharedPoller] = {}
_pollers_lock = threading.Lock()


def shared_poller(region: str) -> SharedPoller:
    """The process's poller for `region` (made once: it resolves credentials)."""
    with _pollers_lock:
        poller = _pollers.get(region)
        if poller is None:
            poller = _pollers[region] = SharedPoller(region)
        return poller


class SharedPoller:
    """Waits for FPGA images in one region through the shared poll."""

    def __init__(
        self,
        region: str,
        policy: PollPolicy | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.region = region
        self.policy = policy or PollPolicy()
        self.clock = clock
        self.sleep = sleep
        self.path = _state_dir() / f"{_scope(region)}.json"

    def fetch(self, image_id: str, since: float) -> tuple[bool, dict[str, Any] | None]:
        """The answer about `image_id` from a poll after `since`, polling first if one is due.

        Returns (answered, image): `answered` is False while no such answer exists yet.
        """
        now = self.clock()
        with _locked(self.path) as state:
            waiters: dict[str, list[float]] = state["waiters"]
            answers: dict[str, Any] = state["answers"]
            first_asked = waiters.get(image_id, [now, now])[0]
            waiters[image_id] = [first_asked, now]
            for stale in [
                k for k, (_, last) in waiters.items() if now - last > self.policy.forget_after
            ]:
                waiters.pop(stale)
                answers.pop(stale, None)

            newest_wait = min(now - first for first, _ in waiters.values())
            calm = newest_wait >= self.policy.calm_after
            interval = self.policy.calm_interval if calm else self.policy.fast_interval
            if now - state["polled_at"] >= interval:
                found = ec2.find_fpga_images(self.region, list(waiters))
                state["polled_at"] = now
                for waited in waiters:
                    answers[waited] = {"at": now, "image": found.get(waited)}

            answer = answers.get(image_id)
            if answer is None or answer["at"] <= since:
                return False, None
            if ec2.status(answer["image"]) not in ec2.PENDING_STATES:
                waiters.pop(image_id, None)
                answers.pop(image_id, None)
            return True, answer["image"]

    def waiter_fetch(self, image_id: str) -> Callable[[], dict[str, Any] | None]:
        """A fetch function for `ec2.Waiter` that returns each new answer of the shared poll.

        Every call blocks until a poll newer than the previous answer has run, so the waiter
        itself need not sleep between calls.
        """
        since = 0.0

        def fetch() -> dict[str, Any] | None:
            nonlocal since
            while True:
                answered, image = self.fetch(image_id, since)
                if answered:
                    since = self.clock()
                    return image
                self.sleep(self.policy.check_every)

        return fetch
