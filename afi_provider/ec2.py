"""The AWS-facing pieces: clients, finders, status and waiters for EC2 FPGA images.

Nothing here knows about Pulumi. The provider composes these into create, read, update and delete.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.config
import botocore.exceptions

# Errors EC2 answers for an FPGA image id that does not exist (or is not visible to the caller).
NOT_FOUND_CODES = frozenset({"InvalidFpgaImageID.NotFound", "InvalidFpgaImageID.Unavailable"})

PENDING_STATES = frozenset({"pending"})
TARGET_STATES = frozenset({"available"})
FAILED_STATES = frozenset({"failed", "unavailable"})

THROTTLING_CODES = frozenset({"RequestLimitExceeded", "Throttling", "ThrottlingException"})

# Operations retry transient failures with botocore's standard mode: long enough to ride out
# throttling and brief outages of the endpoint.
_CLIENT_CONFIG = botocore.config.Config(
    retries={"mode": "standard", "max_attempts": 10},
    connect_timeout=5,
    read_timeout=30,
    user_agent_extra="afi-provider",
)
# Look-ups made while checking inputs retry nothing on their own (see `retry_throttled`), so
# that missing credentials or an unreachable endpoint are reported within seconds.
_QUICK_CONFIG = botocore.config.Config(
    retries={"mode": "standard", "max_attempts": 1},
    connect_timeout=3,
    read_timeout=15,
    user_agent_extra="afi-provider",
)

_clients: dict[tuple[str, bool], Any] = {}
_clients_lock = threading.Lock()
_session: boto3.session.Session | None = None
_session_lock = threading.Lock()


def client(region: str, *, quick: bool = False) -> Any:
    """Return an EC2 client for `region`, shared by every operation in this process.

    Credentials, the endpoint (`AWS_ENDPOINT_URL_EC2` or `AWS_ENDPOINT_URL`) and the profile come
    from boto3's own configuration chain. Clients are created once per region: creating one costs
    hundreds of milliseconds, and botocore clients are safe to share between threads. All come
    from one session, whose loader reads EC2's large service model once per process. A `quick`
    client makes one attempt per call.
    """
    key = (region, quick)
    with _clients_lock:
        found = _clients.get(key)
        if found is None:
            config = _QUICK_CONFIG if quick else _CLIENT_CONFIG
            found = shared_session().client("ec2", region_name=region, config=config)
            _clients[key] = found
        return found


def shared_session() -> boto3.session.Session:
    """The process's one boto3 session: its loader reads each botocore data file once."""
    global _session
    with _session_lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session


def access_key_id() -> str:
    """The access key id that this process's clients sign with ("" without credentials)."""
    with _clients_lock:
        credentials = shared_session().get_credentials()
    return credentials.access_key if credentials is not None else ""


def retry_throttled(
    call: Callable[[], Any], attempts: int = 10, sleep: Callable[[float], None] = time.sleep
) -> Any:
    """Run `call`, again after a short, growing pause each time EC2 throttles it."""
    for attempt in range(attempts):
        try:
            return call()
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) not in THROTTLING_CODES or attempt == attempts - 1:
                raise
            sleep(min(2.0, 0.1 * 2**attempt))
    raise AssertionError("unreachable")


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError, or "" for any other exception."""
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def describe_error(exc: BaseException) -> str:
    """A one-line account of a failed AWS call, without a traceback."""
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code', 'Error')}: {err.get('Message', '')}".rstrip(": ")
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return (
            "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "AWS_PROFILE, or another source of boto3's credential chain"
        )
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        return f"cannot reach the EC2 endpoint: {exc}"
    return f"{type(exc).__name__}: {exc}"


def find_fpga_image(
    region: str, fpga_image_id: str, owners: list[str] | None = None, *, quick: bool = False
) -> dict[str, Any] | None:
    """Describe one FPGA image by id, or return None when EC2 says it does not exist.

    With `owners` (for example ["self"]), an image owned by anyone else counts as not found.
    """
    request: dict[str, Any] = {"FpgaImageIds": [fpga_image_id]}
    if owners:
        request["Owners"] = owners
    try:
        out = client(region, quick=quick).describe_fpga_images(**request)
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) in NOT_FOUND_CODES:
            return None
        raise
    for image in out.get("FpgaImages", []):
        if image.get("FpgaImageId") == fpga_image_id:
            return dict(image)
    return None


def find_fpga_images(region: str, fpga_image_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Describe several FPGA images in one call, by id; ids EC2 does not know are left out.

    EC2 may reject the whole request when one of the ids is unknown; the ids are then asked for
    one by one, so that one deleted image does not hide the others.
    """
    ids = sorted(set(fpga_image_ids))
    if not ids:
        return {}
    try:
        out = client(region).describe_fpga_images(FpgaImageIds=ids)
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) not in NOT_FOUND_CODES:
            raise
        found = (find_fpga_image(region, one) for one in ids)
        return {image["FpgaImageId"]: image for image in found if image is not None}
    return {image["FpgaImageId"]: dict(image) for image in out.get("FpgaImages", [])}


def status(image: Mapping[str, Any] | None) -> str:
    """The state code of an image as returned by Describe, or "not-found"."""
    if image is None:
        return "not-found"
    return str(image.get("State", {}).get("Code", "unknown"))


def state_message(image: Mapping[str, Any] | None) -> str:
    """AWS's message for the image's state, if any."""
    if image is None:
        return ""
    return str(image.get("State", {}).get("Message", "") or "")


@dataclass(frozen=True)
class WaitSchedule:
    """How a waiter polls: quickly at first, then at a calm interval.

    `first_delay` seconds before the first poll, growing by `growth` to at most `max_delay`;
    `report_every` seconds between progress lines; `timeout` seconds in all.
    """

    timeout: float = 3600.0
    first_delay: float = 0.25
    max_delay: float = 5.0
    growth: float = 1.5
    report_every: float = 30.0

    def delays(self) -> Iterable[float]:
        delay = self.first_delay
        while True:
            yield delay
            delay = min(self.max_delay, delay * self.growth)


class WaitTimeout(Exception):
    """Raised when an image is still pending when the waiter's time runs out."""

    def __init__(self, last: dict[str, Any] | None, waited: float) -> None:
        super().__init__(f"still {status(last)} after {waited:.0f} s")
        self.last = last
        self.waited = waited


@dataclass
class Waiter:
    """Polls `fetch` until the image leaves the pending states; returns the last description.

    Returns on a target state, a failed state or "not-found"; the caller decides what each means.
    Raises WaitTimeout when the schedule's timeout passes first.
    """

    fetch: Callable[[], dict[str, Any] | None]
    schedule: WaitSchedule = field(default_factory=WaitSchedule)
    on_start: Callable[[], None] = lambda: None
    on_progress: Callable[[dict[str, Any] | None, float], None] = lambda image, waited: None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def wait(self) -> dict[str, Any] | None:
        started = self.clock()
        next_report = started + self.schedule.report_every
        self.on_start()
        image = self.fetch()
        delays = iter(self.schedule.delays())
        while status(image) in PENDING_STATES:
            now = self.clock()
            if now - started >= self.schedule.timeout:
                raise WaitTimeout(image, now - started)
            if now >= next_report:
                self.on_progress(image, now - started)
                next_report = now + self.schedule.report_every
            remaining = self.schedule.timeout - (now - started)
            self.sleep(max(0.0, min(next(delays), remaining)))
            image = self.fetch()
        return image
