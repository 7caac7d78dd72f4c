"""Running the emulator inside a Python process, on a thread."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from .config import EmulatorConfig
from .server import Application, EmulatorServer


class Emulator:
    """An emulator served from a background thread of the calling process.

    ``start()`` binds (port 0 by default, so a free port) and returns the URL to pass to
    boto3 as ``endpoint_url``; ``stop()`` closes it. As a context manager it starts on entry
    and stops on exit::

        with Emulator(EmulatorConfig(copy_seconds=0.5)) as emulator:
            ec2 = boto3.client("ec2", region_name="us-west-2", endpoint_url=emulator.url,
                               aws_access_key_id="test", aws_secret_access_key="test")

    :param config: settings; ``EmulatorConfig()`` when omitted.
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Bind and serve in a daemon thread; return the URL. Starting twice is an error."""
        if self._server is not None:
            raise RuntimeError("emulator already started")
        server = EmulatorServer(self.config)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()
        self._server, self._thread = server, thread
        return server.url

    def stop(self) -> None:
        """Stop serving and release the port; does nothing when not started."""
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join()

    @property
    def url(self) -> str:
        """The base URL of the running emulator."""
        return self._running().url

    @property
    def application(self) -> Application:
        """The running emulator's state, counters and control API."""
        return self._running().application

    def images(self) -> list[dict[str, Any]]:
        """Return every image of every account and region, as the control API lists them."""
        return self.application.control.images()

    def set_image_state(self, image_id: str, state: str, message: str | None = None) -> None:
        """Force an image ``available``, ``unavailable`` or ``failed`` (with a message)."""
        self.application.control.set_image_state(image_id, {"state": state, "message": message})

    def add_image(self, **fields: Any) -> dict[str, Any]:
        """Seed an image; the fields are those of ``POST /_emulator/images``."""
        return self.application.control.add_image(fields)

    def request_counts(self) -> dict[str, Any]:
        """Return the request counters, as ``GET /_emulator/requests`` does."""
        return self.application.stats.snapshot()

    def reset(self) -> None:
        """Forget every image, client token and request count."""
        self.application.control.reset()

    def _running(self) -> EmulatorServer:
        if self._server is None:
            raise RuntimeError("emulator not started")
        return self._server

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
