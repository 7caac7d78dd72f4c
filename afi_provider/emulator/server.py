"""The HTTP front of the emulator: EC2 query requests and the control API.

:class:`Application` turns one HTTP request into one reply and knows nothing of sockets;
:class:`EmulatorServer` is a threaded ``http.server`` that feeds it.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import errors
from .auth import SignedRequest, identify, parse_authorization, verify
from .backend import EmulatorState
from .config import EmulatorConfig
from .control import CONTROL_PREFIX, ControlApi, FaultInjector, FaultSettings, RequestStats
from .responses import MUTATING_ACTIONS, Ec2Responses, QueryParams, render_error

LOG = logging.getLogger("afi_provider.emulator")


@dataclass(frozen=True)
class HttpReply:
    """Status, content type and body of one HTTP answer."""

    status: int
    content_type: str
    body: bytes


class Application:
    """Everything one emulator serves, independent of the HTTP machinery.

    :param config: the emulator's settings.
    """

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.state = EmulatorState(config)
        self.stats = RequestStats()
        self.faults = FaultInjector(
            FaultSettings(config.throttle_rate, config.error_rate, config.latency_ms),
            config.seed,
        )
        self.responses = Ec2Responses()
        self.control = ControlApi(self.state, self.stats, self.faults)

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> HttpReply:
        """Answer one HTTP request (``target`` is the request line's path and query)."""
        path, _, query = target.partition("?")
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            status, document = self.control.handle(method, path, body)
            LOG.debug("control %s %s -> %d", method, path, status)
            return HttpReply(status, "application/json", json.dumps(document).encode())
        return self.handle_ec2(SignedRequest(method, path, query, headers, body))

    def handle_ec2(self, request: SignedRequest) -> HttpReply:
        """Answer one EC2 query-protocol request."""
        started = time.monotonic()
        values = dict(urllib.parse.parse_qsl(request.query, keep_blank_values=True))
        if request.method == "POST":
            form = request.body.decode("utf-8", errors="replace")
            values.update(urllib.parse.parse_qsl(form, keep_blank_values=True))
        action = values.get("Action", "")
        params = QueryParams(values)
        signature = parse_authorization(_header(request.headers, "Authorization"))
        caller = identify(signature, self.config.default_account, self.config.default_region)
        mutating = action in MUTATING_ACTIONS and not _is_dry_run(values)
        error_code: str | None = None

        try:
            latency = self.faults.settings.latency_ms
            if latency > 0:
                time.sleep(latency / 1000.0)
            if self.config.credentials:
                verify(request, signature, self.config.credentials)
            if not action:
                raise errors.MissingAction()
            if not self.responses.knows(action):
                raise errors.InvalidAction(action)
            fault = self.faults.draw()
            if fault == "throttle":
                raise errors.RequestLimitExceeded()
            if fault == "error":
                raise errors.InternalError()
            with self.state.lock:
                backend = self.state.backend(caller.account_id, caller.region)
                reply = self.responses.dispatch(action, params, backend)
        except errors.EmulatorError as error:
            error_code = error.code
            reply = render_error(error)
        except Exception:
            LOG.exception("unexpected failure in %s", action or "request")
            error_code = errors.InternalError.code
            reply = render_error(errors.InternalError())

        self.stats.record(action or "-", caller.region, mutating, error_code)
        level = logging.ERROR if reply.status >= 500 and error_code == "InternalError" else None
        LOG.log(
            level or logging.INFO,
            "%s %s %s %s -> %d%s (%.1f ms)",
            request.method,
            caller.region,
            caller.account_id,
            action or "-",
            reply.status,
            f" {error_code}" if error_code else "",
            (time.monotonic() - started) * 1000.0,
        )
        return HttpReply(reply.status, "text/xml;charset=UTF-8", reply.body.encode("utf-8"))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _is_dry_run(values: Mapping[str, str]) -> bool:
    return values.get("DryRun", "").lower() == "true"


class _RequestHandler(BaseHTTPRequestHandler):
    """Hands each HTTP request to the server's :class:`Application`."""

    server: EmulatorServer
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one buffered write with Nagle off: written separately on a
    # keep-alive connection they stall on the client's delayed ACK for tens of milliseconds.
    wbufsize = -1
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.send_error(400, "Content-Length is not a number")
            return
        body = self.rfile.read(length) if length > 0 else b""
        headers = {key: value for key, value in self.headers.items()}
        reply = self.server.application.handle(self.command, self.path, headers, body)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        # The application logs one line per request itself; http.server's own line would
        # duplicate it on stderr regardless of the configured level.
        return


class EmulatorServer(ThreadingHTTPServer):
    """A threaded HTTP server bound to ``config.host:config.port`` serving one application.

    :param config: the emulator's settings.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, config: EmulatorConfig) -> None:
        self.application = Application(config)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in config.host:
            self.address_family = socket.AF_INET6
        super().__init__((config.host, config.port), _RequestHandler)

    def process_request(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        """Remember the connection so that closing the server can end it."""
        if isinstance(request, socket.socket):
            with self._connections_lock:
                self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket | tuple[bytes, socket.socket]) -> None:
        """Forget a connection its handler has finished with, then close it."""
        if isinstance(request, socket.socket):
            with self._connections_lock:
                self._connections.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        """Stop listening and end open keep-alive connections.

        Without this a client's pooled connection would still reach the handler thread of a
        stopped emulator.
        """
        super().server_close()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @property
    def url(self) -> str:
        """The base URL clients pass as ``endpoint_url``."""
        host, port = self.server_address[0], self.server_address[1]
        shown = f"[{host}]" if isinstance(host, str) and ":" in host else host
        return f"http://{shown!s}:{port}"
