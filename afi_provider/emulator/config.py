"""Settings of one emulator instance, shared by the CLI and the in-process API."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"


@dataclass
class EmulatorConfig:
    """Everything that shapes an emulator's behaviour.

    Durations are in seconds unless the name says otherwise. A change takes effect only for an
    emulator started after it, except the fault settings, which the control API can change
    while the emulator runs.
    """

    host: str = "127.0.0.1"
    """Address to bind. Loopback by default so nothing outside the machine can reach it."""

    port: int = 0
    """TCP port; 0 picks a free one (read the chosen one from the URL)."""

    create_seconds: float = 2.0
    """How long a created AFI stays ``pending`` before it is ``available``."""

    copy_seconds: float = 2.0
    """How long a copy stays ``pending`` unless ``copy_seconds_pairs`` names its regions."""

    copy_seconds_pairs: dict[tuple[str, str], float] = field(default_factory=dict)
    """Copy delay per ``(source region, destination region)``, overriding ``copy_seconds``."""

    max_images: int = 100
    """Quota of AFIs one account may own in one region."""

    data_dir: str | None = None
    """Directory for ``state.json``; ``None`` keeps the state in memory only."""

    throttle_rate: float = 0.0
    """Fraction (0..1) of EC2 requests answered with ``RequestLimitExceeded``."""

    error_rate: float = 0.0
    """Fraction (0..1) of EC2 requests answered with ``InternalError``."""

    latency_ms: float = 0.0
    """Delay added before every EC2 request is handled, in milliseconds."""

    seed: int | None = None
    """Seed for fault injection and id generation, so that a run can be repeated."""

    log_level: str = "warning"
    """Level of the per-request log lines (``debug``, ``info``, ``warning``, ``error``)."""

    credentials: dict[str, str] = field(default_factory=dict)
    """Access key id to secret. When not empty, every request's SigV4 signature is checked."""

    default_account: str = DEFAULT_ACCOUNT_ID
    """Account of a request whose access key id is not itself a 12-digit account id."""

    default_region: str = DEFAULT_REGION
    """Region of a request that carries no SigV4 credential scope."""

    def copy_delay(self, source_region: str, destination_region: str) -> float:
        """Return the copy delay for one pair of regions, in seconds."""
        return self.copy_seconds_pairs.get((source_region, destination_region), self.copy_seconds)
