"""Command line of the emulator: ``python -m afi_provider.emulator`` / ``afi-emulator``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .auth import load_credentials_file, parse_credential_lines
from .config import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, EmulatorConfig
from .server import EmulatorServer

LOG_LEVELS = ("debug", "info", "warning", "error")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``afi-emulator`` command."""
    parser = argparse.ArgumentParser(
        prog="afi-emulator",
        description="Serve the EC2 FPGA-image API (AFIs) locally for boto3 and the AWS CLI.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one (0)")
    parser.add_argument(
        "--create-seconds",
        type=_non_negative,
        default=2.0,
        metavar="S",
        help="seconds a created AFI stays pending (2)",
    )
    parser.add_argument(
        "--copy-seconds",
        type=_non_negative,
        default=2.0,
        metavar="S",
        help="seconds a copied AFI stays pending (2)",
    )
    parser.add_argument(
        "--copy-seconds-pair",
        action="append",
        default=[],
        type=_region_pair,
        metavar="SRC:DST=S",
        help="copy delay for one pair of regions, e.g. us-east-1:us-west-2=5 (repeatable)",
    )
    parser.add_argument(
        "--max-images",
        type=int,
        default=100,
        metavar="N",
        help="AFIs one account may own per region (100)",
    )
    parser.add_argument(
        "--data-dir", metavar="DIR", help="keep state in DIR/state.json across restarts"
    )
    parser.add_argument(
        "--throttle-rate",
        type=_rate,
        default=0.0,
        metavar="F",
        help="fraction of requests answered RequestLimitExceeded (0)",
    )
    parser.add_argument(
        "--error-rate",
        type=_rate,
        default=0.0,
        metavar="F",
        help="fraction of requests answered InternalError (0)",
    )
    parser.add_argument(
        "--latency-ms",
        type=_non_negative,
        default=0.0,
        metavar="MS",
        help="delay added to every EC2 request (0)",
    )
    parser.add_argument("--seed", type=int, help="seed for fault injection and ids")
    parser.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        default="warning",
        help="'info' logs one line per request to stderr (warning)",
    )
    parser.add_argument(
        "--credentials",
        metavar="FILE",
        help="verify SigV4 signatures with the keys in FILE (AKID:SECRET lines or INI)",
    )
    parser.add_argument(
        "--credential",
        action="append",
        default=[],
        metavar="AKID:SECRET",
        help="verify SigV4 signatures, accepting this key (repeatable)",
    )
    parser.add_argument(
        "--default-account",
        default=DEFAULT_ACCOUNT_ID,
        help=f"account of access keys that are not 12 digits ({DEFAULT_ACCOUNT_ID})",
    )
    parser.add_argument(
        "--default-region",
        default=DEFAULT_REGION,
        help=f"region of unsigned requests ({DEFAULT_REGION})",
    )
    return parser


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """Turn parsed arguments into an :class:`EmulatorConfig`."""
    credentials: dict[str, str] = {}
    if args.credentials:
        credentials.update(load_credentials_file(args.credentials))
    credentials.update(parse_credential_lines(list(args.credential)))
    return EmulatorConfig(
        host=args.host,
        port=args.port,
        create_seconds=args.create_seconds,
        copy_seconds=args.copy_seconds,
        copy_seconds_pairs=dict(args.copy_seconds_pair),
        max_images=args.max_images,
        data_dir=args.data_dir,
        throttle_rate=args.throttle_rate,
        error_rate=args.error_rate,
        latency_ms=args.latency_ms,
        seed=args.seed,
        log_level=args.log_level,
        credentials=credentials,
        default_account=args.default_account,
        default_region=args.default_region,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until SIGTERM or SIGINT; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except (OSError, ValueError) as exc:
        parser.error(str(exc))
    logging.basicConfig(
        level=config.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    server = EmulatorServer(config)
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    serving = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    serving.start()
    # Scripts read the URL from this exact line, so it is the only thing on stdout.
    print(f"afi-emulator listening on {server.url}", flush=True)
    while not stopping.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    serving.join()
    return 0


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1: {text}")
    return value


def _region_pair(text: str) -> tuple[tuple[str, str], float]:
    regions, separator, seconds = text.partition("=")
    source, colon, destination = regions.partition(":")
    if not separator or not colon or not source or not destination:
        raise argparse.ArgumentTypeError(f"expected SRC:DST=SECONDS, got {text}")
    return (source, destination), _non_negative(seconds)


if __name__ == "__main__":
    sys.exit(main())
