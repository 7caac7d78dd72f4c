"""Ending a provider process whose Pulumi engine is gone.

The engine ends its plugins when it exits normally. When it is killed outright (`kill -9`, a lost
CI runner), the dynamic-provider processes it started would otherwise live on, idle, forever:
the engine starts them in process groups of their own, so killing its group does not reach them.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

_started = False
_lock = threading.Lock()


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses; the fields after its last ")"
    # are plain: state, then the parent's pid.
    return int(stat.rsplit(")", 1)[1].split()[1])


def _command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def engine_pid(max_depth: int = 4) -> int | None:
    """The nearest ancestor of this process that is the `pulumi` CLI, if any."""
    pid: int | None = os.getppid()
    for _ in range(max_depth):
        if pid is None or pid <= 1:
            return None
        if _command_of(pid) == "pulumi":
            return pid
        pid = _parent_of(pid)
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A killed engine whose own parent has not reaped it yet is a zombie: gone all the same.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def exit_with_engine(interval: float = 2.0) -> None:
    """In a process the Pulumi engine started, exit soon after the engine is gone.

    Does nothing outside such a process (no `pulumi` ancestor) and when called again.
    """
    global _started
    with _lock:
        if _started:
            return
        _started = True
    engine = engine_pid()
    if engine is None:
        return

    def watch() -> None:
        while _alive(engine):
            time.sleep(interval)
        try:
            sys.stderr.write(f"afi-provider: the Pulumi engine (pid {engine}) is gone; exiting\n")
            sys.stderr.flush()
        except OSError:
            pass  # the engine held the other end of stderr
        os._exit(1)

    threading.Thread(target=watch, name="afi-provider-lifeline", daemon=True).start()


def in_dynamic_provider_server() -> bool:
    """Whether this is Pulumi's Python dynamic-provider server (`python -m pulumi.dynamic`)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    return getattr(spec, "name", "") == "pulumi.dynamic.__main__"
