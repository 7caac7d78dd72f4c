"""The rules of the emulated FPGA-image service, one backend per (account, region).

Nothing here knows about HTTP or XML. :class:`EmulatorState` owns every account's images in
every region, the lock that guards them and their persistence; :class:`FpgaImageBackend` is the
view of one (account, region) pair and carries out the EC2 operations for it, raising the
:mod:`~afi_provider.emulator.errors` AWS would answer with.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from . import errors
from .config import EmulatorConfig
from .filters import IMAGE_FILTERS, TAG_FILTERS, Filter, check_filters, image_matches, tag_matches
from .models import (
    ACCOUNT_ID_RE,
    AVAILABLE,
    FAILED,
    FPGA_IMAGE_RESOURCE_TYPE,
    IMAGE_ID_RE,
    PENDING,
    STATES,
    UNAVAILABLE,
    AttributeChange,
    ClientTokenRecord,
    FpgaImage,
    FpgaImageAttributeView,
    FpgaImageView,
    LoadPermission,
    StorageLocation,
    TagDescription,
)
from .pagination import check_page_size, paginate
from .store import StateStore

STATE_FORMAT_VERSION = 1

REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
PRODUCT_CODE_RE = re.compile(r"^[A-Za-z0-9]+$")
OWNER_ALIASES = ("amazon", "aws-marketplace")
MAX_TAGS_PER_RESOURCE = 50
MAX_CLIENT_TOKEN_LENGTH = 64

COPY_NOT_FOUND = (
    "NOT_FOUND: Source image is not found or the user ID is not authorized to copy source image."
)
COPY_INVALID_STATE = "INVALID_STATE: Source image is not in a suitable state to allow copying."


def check_image_id(image_id: str) -> None:
    """Raise ``InvalidFpgaImageID.Malformed`` unless ``image_id`` has the AFI id form."""
    if not IMAGE_ID_RE.match(image_id):
        raise errors.InvalidFpgaImageIDMalformed(image_id)


class FpgaImageBackend:
    """The FPGA-image service of one account in one region.

    Call its methods with :attr:`EmulatorState.lock` held; every method that changes state
    persists it before returning.

    :param world: the state that holds every backend (for cross-region copies and sharing).
    :param account_id: the 12-digit account this backend belongs to.
    :param region: the region name, e.g. ``us-west-2``.
    """

    def __init__(self, world: EmulatorState, account_id: str, region: str) -> None:
        self.world = world
        self.account_id = account_id
        self.region = region
        self.images: dict[str, FpgaImage] = {}
        self.client_tokens: dict[str, ClientTokenRecord] = {}

    # -- CreateFpgaImage ------------------------------------------------------------------

    def create_fpga_image(
        self,
        input_location: StorageLocation,
        logs_location: StorageLocation | None = None,
        name: str | None = None,
        description: str | None = None,
        client_token: str | None = None,
        tags: Sequence[tuple[str, str]] = (),
    ) -> FpgaImage | ClientTokenRecord:
        """Start building an AFI; it is ``pending`` for the configured create delay.

        Returns the new image, or the record of the earlier request that used the same
        ``client_token`` with the same parameters (both carry ``image_id`` and ``global_id``).
        """
        check_tags(tags)
        fingerprint = _fingerprint(
            input=input_location.__dict__,
            logs=None if logs_location is None else logs_location.__dict__,
            name=name,
            description=description,
            tags=sorted(tags),
        )
        replay = self._replay("CreateFpgaImage", client_token, fingerprint)
        if replay is not None:
            return replay
        self._check_quota()

        now = self.world.now()
        image = FpgaImage(
            image_id=self.world.new_id("afi"),
            global_id=self.world.new_id("agfi"),
            owner_id=self.account_id,
            region=self.region,
            name=name,
            description=description,
            created_at=now,
            ready_at=now + self.world.config.create_seconds,
            outcome=AVAILABLE,
            input_location=input_location,
            logs_location=logs_location,
            tags=dict(tags),
        )
        self.images[image.image_id] = image
        self._remember("CreateFpgaImage", client_token, fingerprint, image)
        self.world.save()
        return image

    # -- CopyFpgaImage --------------------------------------------------------------------

    def copy_fpga_image(
        self,
        source_image_id: str,
        source_region: str,
        name: str | None = None,
        description: str | None = None,
        client_token: str | None = None,
    ) -> str:
        """Copy an AFI of this account from ``source_region`` into this region.

        The answer is always a new AFI id. A source that this account does not own, or that
        is not ``available`` at the time of the request, makes the copy end ``failed`` with
        AWS's message once the copy delay has passed, as AWS reports it asynchronously.
        """
        check_image_id(source_image_id)
        if not REGION_RE.match(source_region):
            raise errors.InvalidParameterValue(
                f"Value ({source_region}) for parameter sourceRegion is invalid."
            )
        fingerprint = _fingerprint(
            source=source_image_id, region=source_region, name=name, description=description
        )
        replay = self._replay("CopyFpgaImage", client_token, fingerprint)
        if replay is not None:
            return replay.image_id
        self._check_quota()

        now = self.world.now()
        source = self.world.backend(self.account_id, source_region).images.get(source_image_id)
        outcome, message, global_id = AVAILABLE, None, None
        if source is None:
            outcome, message = FAILED, COPY_NOT_FOUND
        elif source.state(now) != AVAILABLE:
            outcome, message = FAILED, COPY_INVALID_STATE
        else:
            global_id = source.global_id
        image = FpgaImage(
            image_id=self.world.new_id("afi"),
            global_id=global_id,
            owner_id=self.account_id,
            region=self.region,
            name=name if name is not None else (source.name if source else None),
            description=description,
            created_at=now,
            ready_at=now + self.world.config.copy_delay(source_region, self.region),
            outcome=outcome,
            outcome_message=message,
            source_region=source_region,
            source_image_id=source_image_id,
        )
        self.images[image.image_id] = image
        self._remember("CopyFpgaImage", client_token, fingerprint, image)
        self.world.save()
        return image.image_id

    # -- DescribeFpgaImages ---------------------------------------------------------------

    def describe_fpga_images(
        self,
        image_ids: Sequence[str] = (),
        owners: Sequence[str] = (),
        filters: Sequence[Filter] = (),
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> tuple[list[FpgaImageView], str | None]:
        """Return the AFIs this account may see here, narrowed by ids, owners and filters.

        An id that is malformed or not visible is an error; owners and filters only narrow.
        """
        for image_id in image_ids:
            check_image_id(image_id)
        for owner in owners:
            if owner != "self" and owner not in OWNER_ALIASES and not ACCOUNT_ID_RE.match(owner):
                raise errors.InvalidUserIDMalformed(owner)
        check_filters(filters, IMAGE_FILTERS)
        check_page_size(max_results)

        now = self.world.now()
        visible = {
            image.image_id: image
            for image in self.world.images_in_region(self.region)
            if image.visible_to(self.account_id)
        }
        if image_ids:
            missing = [image_id for image_id in image_ids if image_id not in visible]
            if missing:
                raise errors.InvalidFpgaImageIDNotFound(", ".join(missing))
            wanted = set(image_ids)
            candidates = [image for image in visible.values() if image.image_id in wanted]
        else:
            candidates = list(visible.values())
        if owners:
            candidates = [image for image in candidates if self._owned_by_any(image, owners)]

        views = [image.view(self.account_id, now) for image in candidates]
        views = [view for view in views if all(image_matches(view, f) for f in filters)]
        views.sort(key=lambda view: (view.create_time, view.image_id))
        return paginate(views, max_results, next_token)

    def _owned_by_any(self, image: FpgaImage, owners: Iterable[str]) -> bool:
        for owner in owners:
            if owner == "self" and image.owner_id == self.account_id:
                return True
            if owner == image.owner_id or (owner in OWNER_ALIASES and owner == image.owner_alias):
                return True
        return False

    # -- DeleteFpgaImage ------------------------------------------------------------------

    def delete_fpga_image(self, image_id: str) -> None:
        """Delete an AFI this account owns; AWS refuses while it is shared or public."""
        image = self._owned_image(image_id)
        if image.public:
            raise errors.OperationNotPermitted("Operation not permitted for public AFI")
        if image.is_shared():
            raise errors.OperationNotPermitted("Operation not permitted for shared AFI")
        del self.images[image_id]
        self.world.save()

    # -- Attributes -----------------------------------------------------------------------

    def describe_fpga_image_attribute(
        self, image_id: str, attribute: str
    ) -> FpgaImageAttributeView:
        """Return one attribute; load permissions only to the owner."""
        check_attribute_name(attribute)
        image = self._visible_image(image_id)
        if attribute == "loadPermission" and image.owner_id != self.account_id:
            raise errors.OperationNotPermitted(
                f"Only the owner of '{image_id}' can describe its load permissions."
            )
        return _attribute_view(image, attribute)

    def modify_fpga_image_attribute(
        self, image_id: str, change: AttributeChange
    ) -> FpgaImageAttributeView:
        """Change name, description, load permissions or product codes of an owned AFI."""
        attribute = _attribute_of(change)
        image = self._owned_image(image_id)
        self._require_available(image)

        if attribute == "name":
            if change.name is None:
                raise errors.MissingParameter("Name")
            image.name = change.name
        elif attribute == "description":
            if change.description is None:
                raise errors.MissingParameter("Description")
            image.description = change.description
        elif attribute == "productCodes":
            _add_product_codes(image, change)
        else:
            _change_load_permissions(image, change)
        image.modified_at = self.world.now()
        self.world.save()
        return _attribute_view(image, attribute)

    def reset_fpga_image_attribute(self, image_id: str, attribute: str | None) -> None:
        """Reset load permissions of an owned AFI to none (private, unshared)."""
        if attribute is not None and attribute != "loadPermission":
            raise errors.InvalidParameterValue(
                f"Value ({attribute}) for parameter attribute is invalid. "
                "Only loadPermission can be reset."
            )
        image = self._owned_image(image_id)
        self._require_available(image)
        image.load_user_ids = []
        image.public = False
        image.modified_at = self.world.now()
        self.world.save()

    # -- Tags -----------------------------------------------------------------------------

    def create_tags(self, resource_ids: Sequence[str], tags: Sequence[tuple[str, str]]) -> None:
        """Add or overwrite tags on owned AFIs; all resources are checked before any change."""
        check_tags(tags)
        images = [self._taggable_image(resource_id) for resource_id in resource_ids]
        for image in images:
            merged = dict(image.tags)
            merged.update(tags)
            if len(merged) > MAX_TAGS_PER_RESOURCE:
                raise errors.TagLimitExceeded(image.image_id, MAX_TAGS_PER_RESOURCE)
        for image in images:
            image.tags.update(tags)
        self.world.save()

    def delete_tags(
        self, resource_ids: Sequence[str], tags: Sequence[tuple[str, str | None]] = ()
    ) -> None:
        """Remove tags by key (any value) or by key and value; no tags named removes all."""
        images = [self._taggable_image(resource_id) for resource_id in resource_ids]
        for image in images:
            if not tags:
                image.tags.clear()
            for key, value in tags:
                if key in image.tags and (value is None or image.tags[key] == value):
                    del image.tags[key]
        self.world.save()

    def describe_tags(
        self,
        filters: Sequence[Filter] = (),
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> tuple[list[TagDescription], str | None]:
        """Return the tags of this account's AFIs in this region, narrowed by filters."""
        check_filters(filters, TAG_FILTERS)
        check_page_size(max_results)

        found: list[TagDescription] = []
        for image in sorted(self.images.values(), key=lambda image: image.image_id):
            for key, value in sorted(image.tags.items()):
                tag = TagDescription(image.image_id, FPGA_IMAGE_RESOURCE_TYPE, key, value)
                if all(tag_matches(tag, image.tags, f) for f in filters):
                    found.append(tag)
        return paginate(found, max_results, next_token)

    # -- Helpers --------------------------------------------------------------------------

    def _visible_image(self, image_id: str) -> FpgaImage:
        check_image_id(image_id)
        for image in self.world.images_in_region(self.region):
            if image.image_id == image_id and image.visible_to(self.account_id):
                return image
        raise errors.InvalidFpgaImageIDNotFound(image_id)

    def _owned_image(self, image_id: str) -> FpgaImage:
        image = self._visible_image(image_id)
        if image.owner_id != self.account_id:
            raise errors.OperationNotPermitted(
                f"Image '{image_id}' is owned by another account; only its owner can change it."
            )
        return image

    def _taggable_image(self, resource_id: str) -> FpgaImage:
        if not resource_id.startswith("afi-"):
            raise errors.InvalidID(resource_id)
        return self._owned_image(resource_id)

    def _require_available(self, image: FpgaImage) -> None:
        state = image.state(self.world.now())
        if state != AVAILABLE:
            raise errors.IncorrectState(image.image_id, state)

    def _check_quota(self) -> None:
        if len(self.images) >= self.world.config.max_images:
            raise errors.ResourceLimitExceeded(self.world.config.max_images)

    def _replay(
        self, operation: str, client_token: str | None, fingerprint: str
    ) -> ClientTokenRecord | None:
        if client_token is None:
            return None
        if len(client_token) > MAX_CLIENT_TOKEN_LENGTH:
            raise errors.InvalidParameterValue(
                f"Value ({client_token}) for parameter clientToken is invalid. "
                f"It must be at most {MAX_CLIENT_TOKEN_LENGTH} characters long."
            )
        record = self.client_tokens.get(f"{operation}:{client_token}")
        if record is None:
            return None
        if record.fingerprint != fingerprint:
            raise errors.IdempotentParameterMismatch()
        return record

    def _remember(
        self, operation: str, client_token: str | None, fingerprint: str, image: FpgaImage
    ) -> None:
        if client_token is not None:
            self.client_tokens[f"{operation}:{client_token}"] = ClientTokenRecord(
                fingerprint, image.image_id, image.global_id
            )

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict of this backend's images and client tokens."""
        return {
            "account_id": self.account_id,
            "region": self.region,
            "images": [image.to_json() for image in self.images.values()],
            "client_tokens": {key: rec.__dict__ for key, rec in self.client_tokens.items()},
        }

    def load_json(self, document: dict[str, Any]) -> None:
        """Replace this backend's content with what :meth:`to_json` produced."""
        self.images = {}
        for image_document in document.get("images", []):
            image = FpgaImage.from_json(image_document)
            self.images[image.image_id] = image
        self.client_tokens = {
            key: ClientTokenRecord(**record)
            for key, record in document.get("client_tokens", {}).items()
        }


class EmulatorState:
    """Every backend of one emulator, the lock around them, ids and persistence.

    :param config: the emulator's settings (delays, quota, data directory, seed).
    :param clock: source of the current time in seconds since the epoch.
    """

    def __init__(self, config: EmulatorConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self._rng = random.Random(config.seed)
        self._backends: dict[tuple[str, str], FpgaImageBackend] = {}
        self._issued_ids: set[str] = set()
        self._store = StateStore(config.data_dir) if config.data_dir else None
        if self._store is not None:
            document = self._store.load()
            if document is not None:
                self._load(document)

    def now(self) -> float:
        """Return the current time in seconds since the epoch."""
        return self.clock()

    def backend(self, account_id: str, region: str) -> FpgaImageBackend:
        """Return the backend of one (account, region), creating it on first use."""
        key = (account_id, region)
        backend = self._backends.get(key)
        if backend is None:
            backend = FpgaImageBackend(self, account_id, region)
            self._backends[key] = backend
        return backend

    def backends(self) -> list[FpgaImageBackend]:
        """Return every backend that exists, sorted by account then region."""
        return [self._backends[key] for key in sorted(self._backends)]

    def images_in_region(self, region: str) -> Iterator[FpgaImage]:
        """Yield every account's images in ``region``."""
        for (_, backend_region), backend in sorted(self._backends.items()):
            if backend_region == region:
                yield from backend.images.values()

    def all_images(self) -> Iterator[FpgaImage]:
        """Yield every image of every account in every region."""
        for backend in self.backends():
            yield from backend.images.values()

    def find_image(self, image_id: str) -> FpgaImage | None:
        """Return the image with ``image_id`` wherever it lives, or ``None``."""
        for image in self.all_images():
            if image.image_id == image_id:
                return image
        return None

    def new_id(self, prefix: str) -> str:
        """Return an id never issued before: ``prefix-`` and 17 lowercase hex digits."""
        while True:
            candidate = f"{prefix}-{self._rng.getrandbits(68):017x}"
            if candidate not in self._issued_ids:
                self._issued_ids.add(candidate)
                return candidate

    def set_image_state(self, image_id: str, state: str, message: str | None = None) -> None:
        """Force an image into ``available``, ``unavailable`` or ``failed`` at once.

        A pending image is finished now; an image that never got an agfi (a failed copy)
        gets one when forced ``available``.
        """
        if state not in (AVAILABLE, UNAVAILABLE, FAILED):
            raise ValueError(f"state must be available, unavailable or failed, not {state!r}")
        image = self.find_image(image_id)
        if image is None:
            raise KeyError(image_id)
        now = self.now()
        image.ready_at = min(image.ready_at, now)
        image.outcome = state
        image.outcome_message = message
        image.modified_at = now
        if state == AVAILABLE and image.global_id is None:
            image.global_id = self.new_id("agfi")
        self.save()

    def add_image(
        self,
        account_id: str,
        region: str,
        name: str | None = None,
        description: str | None = None,
        state: str = AVAILABLE,
        message: str | None = None,
        public: bool = False,
        owner_alias: str | None = None,
        load_user_ids: Sequence[str] = (),
        tags: dict[str, str] | None = None,
    ) -> FpgaImage:
        """Place a ready image in any account, e.g. a public ``amazon`` AFI, bypassing rules."""
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}")
        if not ACCOUNT_ID_RE.match(account_id):
            raise ValueError(f"account id must be 12 digits, not {account_id!r}")
        now = self.now()
        image = FpgaImage(
            image_id=self.new_id("afi"),
            global_id=self.new_id("agfi"),
            owner_id=account_id,
            region=region,
            name=name,
            description=description,
            created_at=now,
            ready_at=float("inf") if state == PENDING else now,
            outcome=AVAILABLE if state == PENDING else state,
            outcome_message=message,
            owner_alias=owner_alias,
            load_user_ids=list(load_user_ids),
            public=public,
            tags=dict(tags or {}),
        )
        self.backend(account_id, region).images[image.image_id] = image
        self.save()
        return image

    def reset(self) -> None:
        """Forget every image and client token (ids already issued stay unused)."""
        self._backends.clear()
        self.save()

    def save(self) -> None:
        """Persist the whole state when a data directory is configured."""
        if self._store is not None:
            self._store.save(self.to_json())

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict of the whole state."""
        return {
            "version": STATE_FORMAT_VERSION,
            "issued_ids": sorted(self._issued_ids),
            "backends": [backend.to_json() for backend in self.backends()],
        }

    def _load(self, document: dict[str, Any]) -> None:
        if document.get("version") != STATE_FORMAT_VERSION:
            raise ValueError(f"unsupported state format version {document.get('version')!r}")
        self._issued_ids = set(document.get("issued_ids", []))
        for backend_document in document.get("backends", []):
            backend = self.backend(backend_document["account_id"], backend_document["region"])
            backend.load_json(backend_document)


# -- Rules shared by several operations ---------------------------------------------------


def check_tags(tags: Iterable[tuple[str, str | None]]) -> None:
    """Raise ``InvalidParameterValue`` for a tag AWS would refuse."""
    for key, value in tags:
        if not key:
            raise errors.InvalidParameterValue("Tag keys must not be empty.")
        if key.lower().startswith("aws:"):
            raise errors.InvalidParameterValue(
                "Tag keys starting with 'aws:' are reserved for internal use"
            )
        if len(key) > 128:
            raise errors.InvalidParameterValue(f"Tag key '{key}' exceeds 128 characters.")
        if value is not None and len(value) > 256:
            raise errors.InvalidParameterValue(f"Value of tag '{key}' exceeds 256 characters.")


def check_attribute_name(attribute: str) -> None:
    """Raise ``InvalidParameterValue`` for an attribute name outside the model's enum."""
    if attribute not in ("name", "description", "loadPermission", "productCodes"):
        raise errors.InvalidParameterValue(
            f"Value ({attribute}) for parameter attribute is invalid. Valid values are: "
            "name, description, loadPermission, productCodes."
        )


def _fingerprint(**parameters: Any) -> str:
    return json.dumps(parameters, sort_keys=True)


def _attribute_view(image: FpgaImage, attribute: str) -> FpgaImageAttributeView:
    if attribute == "name":
        return FpgaImageAttributeView(image.image_id, attribute, name=image.name)
    if attribute == "description":
        return FpgaImageAttributeView(image.image_id, attribute, description=image.description)
    if attribute == "productCodes":
        return FpgaImageAttributeView(
            image.image_id, attribute, product_codes=tuple(image.product_codes)
        )
    return FpgaImageAttributeView(
        image.image_id, attribute, load_permissions=image.load_permissions()
    )


def _attribute_of(change: AttributeChange) -> str:
    """Return the attribute a modification targets: named, or implied by the members sent."""
    if change.attribute is not None:
        check_attribute_name(change.attribute)
        return change.attribute
    implied = []
    if change.name is not None:
        implied.append("name")
    if change.description is not None:
        implied.append("description")
    if change.user_ids or change.user_groups or change.load_permission_sent:
        implied.append("loadPermission")
    if change.product_codes:
        implied.append("productCodes")
    if not implied:
        raise errors.MissingParameter("Attribute")
    if len(implied) > 1:
        raise errors.InvalidParameterCombination(
            "Only one attribute can be modified at a time; the request changes "
            + ", ".join(implied)
            + "."
        )
    return implied[0]


def _add_product_codes(image: FpgaImage, change: AttributeChange) -> None:
    if not change.product_codes:
        raise errors.MissingParameter("ProductCode")
    if change.operation_type not in (None, "add"):
        raise errors.InvalidParameterValue("Product codes can only be added to an FPGA image.")
    for code in change.product_codes:
        if not PRODUCT_CODE_RE.match(code):
            raise errors.InvalidParameterValue(f"Product code '{code}' is invalid.")
    for code in change.product_codes:
        if code not in image.product_codes:
            image.product_codes.append(code)


def _change_load_permissions(image: FpgaImage, change: AttributeChange) -> None:
    add: list[LoadPermission] = list(change.add)
    remove: list[LoadPermission] = list(change.remove)
    listed = [LoadPermission(user_id=user_id) for user_id in change.user_ids]
    listed += [LoadPermission(group=group) for group in change.user_groups]
    if listed:
        if change.operation_type is None:
            raise errors.MissingParameter("OperationType")
        if change.operation_type not in ("add", "remove"):
            raise errors.InvalidParameterValue(
                f"Value ({change.operation_type}) for parameter operationType is invalid. "
                "Valid values are: add, remove."
            )
        (add if change.operation_type == "add" else remove).extend(listed)
    if not add and not remove:
        raise errors.MissingParameter("LoadPermission")
    for permission in add + remove:
        if permission.group is not None and permission.group != "all":
            raise errors.InvalidParameterValue(
                f"Value ({permission.group}) for parameter group is invalid. "
                "The only valid group is 'all'."
            )
        if permission.user_id is not None and not ACCOUNT_ID_RE.match(permission.user_id):
            raise errors.InvalidUserIDMalformed(permission.user_id)
        if permission.user_id is None and permission.group is None:
            raise errors.MissingParameter("LoadPermission.UserId")

    for permission in add:
        if permission.group == "all":
            image.public = True
        elif permission.user_id not in image.load_user_ids and permission.user_id is not None:
            image.load_user_ids.append(permission.user_id)
    for permission in remove:
        if permission.group == "all":
            image.public = False
        elif permission.user_id in image.load_user_ids:
            image.load_user_ids.remove(permission.user_id)
