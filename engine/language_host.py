"""A Pulumi language host for Python programs, built on the Python SDK's own `LanguageServer`.

The Pulumi CLI starts a language host to run a program: it executes the plugin
`pulumi-language-python` with the engine's address as its last argument and reads the port of the
host's gRPC server from the first line of its output. The SDK ships the server side of that
protocol (`pulumi.automation._server.LanguageServer`, what Automation API's inline programs use);
this module serves it for a program on disk (`__main__.py` or the `main` of Pulumi.yaml).
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import time
from concurrent import futures
from typing import Any

import grpc
from pulumi.automation._server import LanguageServer
from pulumi.runtime.proto import language_pb2_grpc

MAX_MESSAGE = 400 * 1024 * 1024


class ProgramLanguageServer(LanguageServer):
    """Runs the program named by each RunRequest, in this process, as `__main__`."""

    def __init__(self) -> None:
        super().__init__(program=lambda: None)

    def Run(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC method name)
        program_dir = request.info.program_directory or request.pwd or os.getcwd()
        entry = request.info.entry_point or request.program or "."
        path = os.path.join(program_dir, entry)
        if os.path.isdir(path):
            path = os.path.join(path, "__main__.py")
        os.chdir(request.pwd or program_dir)
        if program_dir not in sys.path:
            sys.path.insert(0, program_dir)

        def program() -> None:
            runpy.run_path(path, run_name="__main__")

        self.program = program
        return super().Run(request, context)


def main() -> None:
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE),
            ("grpc.max_send_message_length", MAX_MESSAGE),
        ],
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(ProgramLanguageServer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    # The engine ends the host with a signal once the program has run.
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # The engine is this host's parent; if it is killed outright, end too instead of idling.
    engine = os.getppid()
    while os.getppid() == engine:
        time.sleep(2)


if __name__ == "__main__":
    main()
