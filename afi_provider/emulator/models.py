"""The objects the emulated service keeps: AFIs and what the operations answer about them.

Plain data with no rules beyond what an object can tell about itself (its state at a moment,
who may see it); the rules of the operations live in :mod:`~afi_provider.emulator.backend`.

An image's state is computed from timestamps rather than driven by timers: an image is
``pending`` until ``ready_at`` and then takes its ``outcome``. This makes transitions
deterministic and lets them happen on time across a restart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

IMAGE_ID_RE = re.compile(r"^afi-[0-9a-f]{17}$")
ACCOUNT_ID_RE = re.compile(r"^[0-9]{12}$")

# What every AFI built by the emulator reports once it is available: the F1 shell and the
# PCI ids of the HDK examples, so that tools which check them see familiar values.
SHELL_VERSION = "0x04261818"
INSTANCE_TYPES = ("f1.2xlarge", "f1.4xlarge", "f1.16xlarge")

PENDING = "pending"
AVAILABLE = "available"
FAILED = "failed"
UNAVAILABLE = "unavailable"
STATES = (PENDING, AVAILABLE, FAILED, UNAVAILABLE)

FPGA_IMAGE_RESOURCE_TYPE = "fpga-image"


def format_timestamp(epoch: float) -> str:
    """Render seconds since the epoch the way EC2 does: ``2026-01-01T00:00:00.000Z``."""
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class StorageLocation:
    """An S3 location named by a request; the emulator records it and never reads it."""

    bucket: str
    key: str


@dataclass(frozen=True)
class PciId:
    """PCI ids an available AFI presents to the instance."""

    device_id: str = "0xf000"
    vendor_id: str = "0x1d0f"
    subsystem_id: str = "0x1d51"
    subsystem_vendor_id: str = "0xfedd"


@dataclass(frozen=True)
class LoadPermission:
    """One load-permission entry: either an account id or the group ``all``."""

    user_id: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class TagDescription:
    """One tag as DescribeTags reports it."""

    resource_id: str
    resource_type: str
    key: str
    value: str


@dataclass(frozen=True)
class FpgaImageView:
    """An AFI as one caller sees it at one moment (what DescribeFpgaImages returns)."""

    image_id: str
    global_id: str | None
    name: str | None
    description: str | None
    shell_version: str | None
    pci_id: PciId | None
    state: str
    state_message: str | None
    create_time: float
    update_time: float
    owner_id: str
    owner_alias: str | None
    product_codes: tuple[str, ...]
    tags: tuple[tuple[str, str], ...]
    public: bool
    data_retention_support: bool
    instance_types: tuple[str, ...]


@dataclass(frozen=True)
class FpgaImageAttributeView:
    """The answer of Describe/ModifyFpgaImageAttribute: the id and one attribute."""

    image_id: str
    attribute: str
    name: str | None = None
    description: str | None = None
    load_permissions: tuple[LoadPermission, ...] = ()
    product_codes: tuple[str, ...] = ()


@dataclass
class AttributeChange:
    """The members of one ModifyFpgaImageAttribute request."""

    attribute: str | None = None
    operation_type: str | None = None
    user_ids: list[str] = field(default_factory=list)
    user_groups: list[str] = field(default_factory=list)
    product_codes: list[str] = field(default_factory=list)
    add: list[LoadPermission] = field(default_factory=list)
    remove: list[LoadPermission] = field(default_factory=list)
    name: str | None = None
    description: str | None = None
    load_permission_sent: bool = False


@dataclass
class FpgaImage:
    """One AFI owned by one account in one region, with its whole history in timestamps."""

    image_id: str
    global_id: str | None
    owner_id: str
    region: str
    name: str | None
    description: str | None
    created_at: float
    ready_at: float
    outcome: str
    outcome_message: str | None = None
    modified_at: float = 0.0
    input_location: StorageLocation | None = None
    logs_location: StorageLocation | None = None
    source_region: str | None = None
    source_image_id: str | None = None
    owner_alias: str | None = None
    load_user_ids: list[str] = field(default_factory=list)
    public: bool = False
    product_codes: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    def state(self, now: float) -> str:
        """Return the state code at ``now``."""
        return PENDING if now < self.ready_at else self.outcome

    def state_message(self, now: float) -> str | None:
        """Return the state message at ``now`` (only set once the outcome is reached)."""
        return None if now < self.ready_at else self.outcome_message

    def update_time(self, now: float) -> float:
        """Return the time of the latest change visible at ``now``."""
        latest = max(self.created_at, self.modified_at)
        if now >= self.ready_at:
            latest = max(latest, self.ready_at)
        return latest

    def is_shared(self) -> bool:
        """Tell whether another account holds a load permission."""
        return bool(self.load_user_ids)

    def visible_to(self, account_id: str) -> bool:
        """Tell whether ``account_id`` may see this AFI in Describe."""
        return self.owner_id == account_id or self.public or account_id in self.load_user_ids

    def load_permissions(self) -> tuple[LoadPermission, ...]:
        """Return the load permissions, accounts first and the group ``all`` last."""
        entries = [LoadPermission(user_id=user_id) for user_id in self.load_user_ids]
        if self.public:
            entries.append(LoadPermission(group="all"))
        return tuple(entries)

    def view(self, caller: str, now: float) -> FpgaImageView:
        """Return the AFI as ``caller`` sees it at ``now``.

        Build results (agfi, PCI ids, shell) exist only once the AFI has been built, and tags
        belong to the owner's account, so other accounts do not see them.
        """
        state = self.state(now)
        built = state in (AVAILABLE, UNAVAILABLE)
        tags = tuple(sorted(self.tags.items())) if caller == self.owner_id else ()
        return FpgaImageView(
            image_id=self.image_id,
            global_id=self.global_id if built else None,
            name=self.name,
            description=self.description,
            shell_version=SHELL_VERSION if built else None,
            pci_id=PciId() if built else None,
            state=state,
            state_message=self.state_message(now),
            create_time=self.created_at,
            update_time=self.update_time(now),
            owner_id=self.owner_id,
            owner_alias=self.owner_alias,
            product_codes=tuple(self.product_codes),
            tags=tags,
            public=self.public,
            data_retention_support=False,
            instance_types=INSTANCE_TYPES if built else (),
        )

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict of every field."""
        document: dict[str, Any] = dict(self.__dict__)
        for key in ("input_location", "logs_location"):
            location = getattr(self, key)
            document[key] = None if location is None else location.__dict__.copy()
        document["tags"] = dict(self.tags)
        return document

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> FpgaImage:
        """Rebuild an image from :meth:`to_json` output."""
        fields = dict(document)
        for key in ("input_location", "logs_location"):
            if fields.get(key) is not None:
                fields[key] = StorageLocation(**fields[key])
        return cls(**fields)


@dataclass(frozen=True)
class ClientTokenRecord:
    """What an idempotent request was asked and answered, kept after its image is deleted."""

    fingerprint: str
    image_id: str
    global_id: str | None = None
