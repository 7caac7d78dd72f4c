"""What one operation costs inside a dynamic-provider process: the first, and those after it.

Run in a fresh interpreter, with the emulator's variables in the environment, on a file of
resources exported from a stack (`[{"id", "urn", "type", "inputs", "outputs"}]`). Prints JSON.

Two views:

* over gRPC, as the engine sees it: a real `python -m pulumi.dynamic` server is started and sent
  `Read` requests built from the exported state, one after another; the first one unpickles the
  provider (importing its module) and makes its boto3 client, the later ones find both cached.
  The server's start (until it listens) and its exit after SIGINT are timed too: every provider
  process of a stack pays them once per command. `Check` requests are timed the same way, each
  as for a new resource, in a server of their own: the engine sends every `Check` of a `pulumi
  up` one after another, so what the first one costs in each process adds up;
* in this process, piece by piece: importing the SDK and the provider module, `dill.loads` of
  the serialized provider, `ec2.client(region)` and `read()` when called directly.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any


def timed(call: Callable[[], Any]) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def summary(first: float, later: list[float]) -> dict[str, Any]:
    """First-call time and the distribution of the later ones, in milliseconds."""
    ms = sorted(x * 1000 for x in later)
    return {
        "first_ms": first * 1000,
        "median_ms": statistics.median(ms),
        "p95_ms": ms[min(len(ms) - 1, int(0.95 * len(ms)))],
        "calls": len(ms) + 1,
    }


def in_process(resources: list[dict[str, Any]], repeats: int) -> dict[str, Any]:
    """Imports, unpickling, clients and `read()` timed in this (fresh) interpreter."""
    began = time.perf_counter()
    import dill
    import pulumi.dynamic  # noqa: F401

    sdk_import = time.perf_counter() - began
    began = time.perf_counter()
    from afi_provider import ec2, provider  # noqa: F401

    module_import = time.perf_counter() - began

    serialized = resources[0]["outputs"]["__provider"]
    if isinstance(serialized, dict):  # a secret, as the engine sends it
        serialized = serialized["value"]
    blob = base64.b64decode(serialized)
    loads_first = timed(lambda: dill.loads(blob))
    loads_later = [timed(lambda: dill.loads(blob)) for _ in range(repeats)]
    loaded = dill.loads(blob)

    def read(index: int) -> None:
        resource = resources[index % len(resources)]
        loaded.read(resource["id"], dict(resource["outputs"]))

    read_first = timed(lambda: read(0))
    read_later = [timed(lambda i=i: read(i)) for i in range(1, repeats + 1)]

    fresh_region = "sa-east-1"  # a region no resource uses, so the first call makes a client
    client_first = timed(lambda: ec2.client(fresh_region))
    client_later = [timed(lambda: ec2.client(fresh_region)) for _ in range(repeats)]
    return {
        "import_pulumi_dynamic_ms": sdk_import * 1000,
        "import_afi_provider_ms": module_import * 1000,
        "dill_loads": summary(loads_first, loads_later),
        "ec2_client": summary(client_first, client_later),
        "read_direct": summary(read_first, read_later),
    }


def over_grpc(resources: list[dict[str, Any]], repeats: int, operation: str) -> dict[str, Any]:
    """`Read` or `Check` requests to a real dynamic-provider server, timed at the caller.

    A `Check` is sent as for a new resource (no old inputs), so afi-provider looks the source up.
    """
    import grpc
    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

    def struct(values: dict[str, Any] | None) -> Any:
        message = struct_pb2.Struct()
        message.update(values or {})
        return message

    launched = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.dynamic"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ),
    )
    try:
        port = _first_line(server, timeout=60.0)
        listening = time.perf_counter() - launched
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = provider_pb2_grpc.ResourceProviderStub(channel)
        stub.Configure(provider_pb2.ConfigureRequest(args=struct_pb2.Struct()), timeout=60)

        def call(index: int) -> None:
            resource = resources[index % len(resources)]
            common = {"urn": resource["urn"], "type": resource["type"]}
            if operation == "check":
                stub.Check(
                    provider_pb2.CheckRequest(
                        olds=struct_pb2.Struct(), news=struct(resource["inputs"]), **common
                    ),
                    timeout=60,
                )
                return
            request = provider_pb2.ReadRequest(
                id=resource["id"],
                properties=struct(resource["outputs"]),
                inputs=struct(resource["inputs"]),
                **common,
            )
            stub.Read(request, timeout=60)

        first = timed(lambda: call(0))
        later = [timed(lambda i=i: call(i)) for i in range(1, repeats + 1)]
        channel.close()
        # The engine ends a provider with SIGINT and waits for it to exit.
        interrupted = time.perf_counter()
        server.send_signal(signal.SIGINT)
        server.wait(30)
        exited = time.perf_counter() - interrupted
        return {
            **summary(first, later),
            "process_start_ms": listening * 1000,
            "process_exit_ms": exited * 1000,
        }
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    stdout = process.stdout
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not lines or not lines[0].strip().isdigit():
        raise RuntimeError(f"the dynamic-provider server did not print its port: {lines!r}")
    return lines[0].strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", required=True, help="JSON file of exported resources")
    parser.add_argument("--trivial", help="JSON file of exported trivial resources")
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()

    with open(args.resources) as handle:
        resources = json.load(handle)
    result: dict[str, Any] = {"in_process": in_process(resources, args.repeats)}
    result["grpc_read"] = over_grpc(resources, args.repeats, "read")
    result["grpc_check"] = over_grpc(resources, args.repeats, "check")
    if args.trivial:
        with open(args.trivial) as handle:
            trivial = json.load(handle)
        result["grpc_read_trivial"] = over_grpc(trivial, args.repeats, "read")
        result["grpc_check_trivial"] = over_grpc(trivial, args.repeats, "check")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
