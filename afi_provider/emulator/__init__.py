"""A local EC2 endpoint for the FPGA-image API (AFIs), spoken to by real boto3 clients.

Run it as ``python -m afi_provider.emulator`` (or ``afi-emulator``), or inside a process::

    from afi_provider.emulator import Emulator, EmulatorConfig

    with Emulator(EmulatorConfig(create_seconds=0.5)) as emulator:
        print(emulator.url)

See ``docs/emulator.md`` for the command line and the control API.
"""

from __future__ import annotations

from .config import EmulatorConfig
from .embedded import Emulator
from .errors import EmulatorError

__all__ = ["Emulator", "EmulatorConfig", "EmulatorError"]
