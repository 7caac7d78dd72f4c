"""The EC2 query protocol: form parameters in, XML out.

This layer reads members under the names botocore's EC2 serializer gives them (a list member
``Foo`` arrives as ``Foo.1``, ``Foo.2``; a structure member as ``Foo.Bar``), calls the backend,
and renders the result under the ``locationName`` of each member in the 2016-11-15 model. It
holds no state and decides no rule beyond "this required member is missing".
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from . import errors
from .backend import FpgaImageBackend
from .filters import Filter
from .models import (
    FPGA_IMAGE_RESOURCE_TYPE,
    AttributeChange,
    FpgaImageAttributeView,
    FpgaImageView,
    LoadPermission,
    StorageLocation,
    TagDescription,
    format_timestamp,
)

XML_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

MUTATING_ACTIONS = frozenset(
    {
        "CreateFpgaImage",
        "CopyFpgaImage",
        "DeleteFpgaImage",
        "ModifyFpgaImageAttribute",
        "ResetFpgaImageAttribute",
        "CreateTags",
        "DeleteTags",
    }
)

_INDEX_RE = re.compile(r"^(\d+)(?:\.(.+))?$")


class QueryParams:
    """Typed access to the flat ``name=value`` pairs of one query request.

    :param values: the decoded form parameters; only the first value of a repeated name counts.
    """

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = dict(values)

    def string(self, name: str) -> str | None:
        """Return a member's value, or ``None`` when it was not sent."""
        return self.values.get(name)

    def required(self, name: str) -> str:
        """Return a member's value; raise ``MissingParameter`` when it was not sent."""
        value = self.values.get(name)
        if value is None:
            raise errors.MissingParameter(name)
        return value

    def boolean(self, name: str) -> bool:
        """Return a boolean member (``true``/``false``); absent is false."""
        value = self.values.get(name)
        if value is None:
            return False
        if value.lower() not in ("true", "false"):
            raise errors.InvalidParameterValue(
                f"Value ({value}) for parameter {name} is invalid. Expected: 'true' or 'false'."
            )
        return value.lower() == "true"

    def integer(self, name: str) -> int | None:
        """Return an integer member, or ``None`` when it was not sent."""
        value = self.values.get(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError as exc:
            raise errors.InvalidParameterValue(
                f"Value ({value}) for parameter {name} is invalid. Expected an integer."
            ) from exc

    def indexed(self, prefix: str) -> list[str]:
        """Return the values of a flattened list ``prefix.1``, ``prefix.2``, ... in order."""
        found: dict[int, str] = {}
        for key, value in self.values.items():
            if key.startswith(prefix + "."):
                match = _INDEX_RE.match(key[len(prefix) + 1 :])
                if match and match.group(2) is None:
                    found[int(match.group(1))] = value
        return [found[index] for index in sorted(found)]

    def structures(self, prefix: str) -> list[QueryParams]:
        """Return the members of a list of structures ``prefix.N.Member`` as one per N."""
        found: dict[int, dict[str, str]] = {}
        for key, value in self.values.items():
            if key.startswith(prefix + "."):
                match = _INDEX_RE.match(key[len(prefix) + 1 :])
                if match and match.group(2) is not None:
                    found.setdefault(int(match.group(1)), {})[match.group(2)] = value
        return [QueryParams(found[index]) for index in sorted(found)]

    def has_prefix(self, prefix: str) -> bool:
        """Tell whether any member under ``prefix.`` was sent."""
        return any(key.startswith(prefix + ".") for key in self.values)


@dataclass(frozen=True)
class Reply:
    """A rendered answer: HTTP status and XML body."""

    status: int
    body: str


Handler = Callable[[QueryParams, FpgaImageBackend, ET.Element], None]


class Ec2Responses:
    """Dispatches one EC2 action to the backend and renders its result."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {
            "CreateFpgaImage": self.create_fpga_image,
            "CopyFpgaImage": self.copy_fpga_image,
            "DescribeFpgaImages": self.describe_fpga_images,
            "DeleteFpgaImage": self.delete_fpga_image,
            "DescribeFpgaImageAttribute": self.describe_fpga_image_attribute,
            "ModifyFpgaImageAttribute": self.modify_fpga_image_attribute,
            "ResetFpgaImageAttribute": self.reset_fpga_image_attribute,
            "CreateTags": self.create_tags,
            "DeleteTags": self.delete_tags,
            "DescribeTags": self.describe_tags,
        }

    def knows(self, action: str) -> bool:
        """Tell whether ``action`` is an operation the emulator serves."""
        return action in self._handlers

    def dispatch(self, action: str, params: QueryParams, backend: FpgaImageBackend) -> Reply:
        """Run ``action`` against ``backend`` and return its XML document.

        :raises EmulatorError: whatever the operation answers with, including
            ``DryRunOperation`` once the required members have been checked.
        """
        handler = self._handlers.get(action)
        if handler is None:
            raise errors.InvalidAction(action)
        root = ET.Element(f"{action}Response", xmlns=XML_NAMESPACE)
        _text(root, "requestId", new_request_id())
        handler(params, backend, root)
        return Reply(200, XML_DECLARATION + ET.tostring(root, encoding="unicode"))

    # -- operations -----------------------------------------------------------------------

    def create_fpga_image(
        self, params: QueryParams, backend: FpgaImageBackend, root: ET.Element
    ) -> None:
        """CreateFpgaImage."""
        input_location = _storage_location(params, "InputStorageLocation")
        if input_location is None:
            raise errors.MissingParameter("InputStorageLocation")
        logs_location = _storage_location(params, "LogsStorageLocation")
        tags: list[tuple[str, str]] = []
        for spec in params.structures("TagSpecification"):
            resource_type = spec.string("ResourceType")
            if resource_type != FPGA_IMAGE_RESOURCE_TYPE:
                raise errors.InvalidParameterValue(
                    f"'{resource_type}' is not a valid taggable resource type for this operation."
                )
            tags.extend(_tags(spec))
        _dry_run(params)
        result = backend.create_fpga_image(
            input_location=input_location,
            logs_location=logs_location,
            name=params.string("Name"),
            description=params.string("Description"),
            client_token=params.string("ClientToken"),
            tags=tags,
        )
        _text(root, "fpgaImageId", result.image_id)
        _text(root, "fpgaImageGlobalId", result.global_id)

    def copy_fpga_image(
        self, params: QueryParams, backend: FpgaImageBackend, root: ET.Element
    ) -> None:
        """CopyFpgaImage."""
        source_image_id = params.required("SourceFpgaImageId")
        source_region = params.required("SourceRegion")
        _dry_run(params)
        image_id = backend.copy_fpga_image(
            source_image_id=source_image_id,
            source_region=source_region,
            name=params.string("Name"),
            description=params.string("Description"),
            client_token=params.string("ClientToken"),
        )
        _text(root, "fpgaImageId", image_id)

    def describe_fpga_images(
        self, params: QueryParams, backend: FpgaImageBackend, root: ET.Element
    ) -> None:
        """DescribeFpgaImages."""
        image_ids = params.indexed("FpgaImageId")
        owners = params.indexed("Owner")
        filters = _filters(params)
        max_results = params.integer("MaxResults")
        next_token = params.string("NextToken")
        _dry_run(params)
        views, token = backend.describe_fpga_images(
            image_ids=image_ids,
            owners=owners,
            filters=filters,
            max_results=max_results,
            next_token=next_token,
        )
        image_set = ET.SubElement(root, "fpgaImageSet")
        for view in views:
            _render_image(ET.SubElement(image_set, "item"), view)
        _text(root, "nextToken", token)

    def delete_fpga_image(
        self, params: QueryParams, backend: FpgaImageBackend, root: ET.Element
    ) -> None:
        """DeleteFpgaImage."""
        image_id = params.required("FpgaImageId")
        _dry_run(params)
        backend.delete_fpga_image(image_id)
        _text(root, "return", True)

    def describe_fpga_image_attribute(
        self, params: QueryParams, backend: FpgaImageBackend, root: ET.Element
    ) -> None:
        """DescribeFpgaImageAttribute."""
        image_id = params.required("FpgaImageId")
        attribute = params.required("Attribute")
        _dry_run(params)
        view = backend.describe_fpga_image_attribute(image_id, attribute)
        _render_attribute(ET.SubElement(root, "fpgaImageAttribute"), view)

    def modify_fpga_image_attribute(
        self, params: QueryParams, backend: FpgaImageBackend, root: ET.Element
    ) -> None:
        """ModifyFpgaImageAttribute."""
        image_id = params.required("FpgaImageId")
        change = AttributeChange(
            attribute=params.string("Attribute"),
            operation_type=params.string("OperationType"),
            user_ids=params.indexed("UserId"),
            user_groups=params.indexed("UserGroup"),
            product_codes=params.indexed("ProductCode"),
            add=_load_permissions(params, "LoadPermission.Add"),
            remove=_load_permissions(params, "LoadPermission.Remove"),
            name=params.string("Name"),
            description=params.string("Description"),
            load_permission_sent=params.has_prefix("LoadPermission"),
        )
        _dry_run(params)
        view = backend.modify_fpga_image_attribute(image_id, change)
        _render_attribute(ET.SubElement(root, "fpgaImageAttribute"), view)

    def reset_fpga_image_attribute(
        self, params: QueryParams, backend: FpgaImageBackend, root: ET.Element
    ) -> None:
        """ResetFpgaImageAttribute."""
        image_id = params.required("FpgaImageId")
        attribute = params.string("Attribute")
        _dry_run(params)
        backend.reset_fpga_image_attribute(image_id, attribute)
        _text(root, "return", True)

    def create_tags(self, params: QueryParams, backend: FpgaImageBackend, root: ET.Element) -> None:
        """CreateTags."""
        resource_ids = params.indexed("ResourceId")
        if not resource_ids:
            raise errors.MissingParameter("ResourceId")
        tags = _tags(params)
        if not tags:
            raise errors.MissingParameter("Tag")
        _dry_run(params)
        backend.create_tags(resource_ids, tags)
        _text(root, "return", True)

    def delete_tags(self, params: QueryParams, backend: FpgaImageBackend, root: ET.Element) -> None:
        """DeleteTags."""
        resource_ids = params.indexed("ResourceId")
        if not resource_ids:
            raise errors.MissingParameter("ResourceId")
        tags: list[tuple[str, str | None]] = []
        for tag in params.structures("Tag"):
            tags.append((tag.required("Key"), tag.string("Value")))
        _dry_run(params)
        backend.delete_tags(resource_ids, tags)
        _text(root, "return", True)

    def describe_tags(
        self, params: QueryParams, backend: FpgaImageBackend, root: ET.Element
    ) -> None:
        """DescribeTags."""
        filters = _filters(params)
        max_results = params.integer("MaxResults")
        next_token = params.string("NextToken")
        _dry_run(params)
        tags, token = backend.describe_tags(filters, max_results, next_token)
        tag_set = ET.SubElement(root, "tagSet")
        for tag in tags:
            _render_tag_description(ET.SubElement(tag_set, "item"), tag)
        _text(root, "nextToken", token)


def new_request_id() -> str:
    """Return a fresh request id in the UUID form EC2 uses."""
    return str(uuid.uuid4())


def render_error(error: errors.EmulatorError, request_id: str | None = None) -> Reply:
    """Render an error as EC2 does: ``<Response><Errors><Error>`` with a ``RequestID``."""
    root = ET.Element("Response")
    error_element = ET.SubElement(ET.SubElement(root, "Errors"), "Error")
    _text(error_element, "Code", error.code)
    _text(error_element, "Message", error.message)
    _text(root, "RequestID", request_id or new_request_id())
    return Reply(error.status, XML_DECLARATION + ET.tostring(root, encoding="unicode"))


# -- request parsing ----------------------------------------------------------------------


def _dry_run(params: QueryParams) -> None:
    if params.boolean("DryRun"):
        raise errors.DryRunOperation()


def _storage_location(params: QueryParams, prefix: str) -> StorageLocation | None:
    """Return the location under ``prefix``, ``None`` when absent; both halves are needed."""
    bucket = params.string(f"{prefix}.Bucket")
    key = params.string(f"{prefix}.Key")
    if bucket is None and key is None:
        return None
    if bucket is None:
        raise errors.MissingParameter(f"{prefix}.Bucket")
    if key is None:
        raise errors.MissingParameter(f"{prefix}.Key")
    return StorageLocation(bucket=bucket, key=key)


def _tags(params: QueryParams) -> list[tuple[str, str]]:
    return [(tag.required("Key"), tag.string("Value") or "") for tag in params.structures("Tag")]


def _filters(params: QueryParams) -> list[Filter]:
    return [
        Filter(name=entry.required("Name"), values=tuple(entry.indexed("Value")))
        for entry in params.structures("Filter")
    ]


def _load_permissions(params: QueryParams, prefix: str) -> list[LoadPermission]:
    return [
        LoadPermission(user_id=entry.string("UserId"), group=entry.string("Group"))
        for entry in params.structures(prefix)
    ]


# -- response rendering -------------------------------------------------------------------


def _text(parent: ET.Element, tag: str, value: str | bool | None) -> None:
    """Append ``<tag>value</tag>``; nothing at all when the value is ``None``."""
    if value is None:
        return
    element = ET.SubElement(parent, tag)
    element.text = ("true" if value else "false") if isinstance(value, bool) else value


def _items(parent: ET.Element, tag: str, values: Iterable[str]) -> None:
    container = ET.SubElement(parent, tag)
    for value in values:
        _text(container, "item", value)


def _render_image(item: ET.Element, view: FpgaImageView) -> None:
    _text(item, "fpgaImageId", view.image_id)
    _text(item, "fpgaImageGlobalId", view.global_id)
    _text(item, "name", view.name)
    _text(item, "description", view.description)
    _text(item, "shellVersion", view.shell_version)
    if view.pci_id is not None:
        pci = ET.SubElement(item, "pciId")
        _text(pci, "DeviceId", view.pci_id.device_id)
        _text(pci, "VendorId", view.pci_id.vendor_id)
        _text(pci, "SubsystemId", view.pci_id.subsystem_id)
        _text(pci, "SubsystemVendorId", view.pci_id.subsystem_vendor_id)
    state = ET.SubElement(item, "state")
    _text(state, "code", view.state)
    _text(state, "message", view.state_message)
    _text(item, "createTime", format_timestamp(view.create_time))
    _text(item, "updateTime", format_timestamp(view.update_time))
    _text(item, "ownerId", view.owner_id)
    _text(item, "ownerAlias", view.owner_alias)
    _render_product_codes(item, view.product_codes)
    tags = ET.SubElement(item, "tags")
    for key, value in view.tags:
        tag = ET.SubElement(tags, "item")
        _text(tag, "key", key)
        _text(tag, "value", value)
    _text(item, "public", view.public)
    _text(item, "dataRetentionSupport", view.data_retention_support)
    _items(item, "instanceTypes", view.instance_types)


def _render_product_codes(parent: ET.Element, codes: Iterable[str]) -> None:
    container = ET.SubElement(parent, "productCodes")
    for code in codes:
        entry = ET.SubElement(container, "item")
        _text(entry, "productCode", code)
        _text(entry, "type", "marketplace")


def _render_attribute(element: ET.Element, view: FpgaImageAttributeView) -> None:
    _text(element, "fpgaImageId", view.image_id)
    if view.attribute == "name":
        _text(element, "name", view.name)
    elif view.attribute == "description":
        _text(element, "description", view.description)
    elif view.attribute == "productCodes":
        _render_product_codes(element, view.product_codes)
    else:
        container = ET.SubElement(element, "loadPermissions")
        for permission in view.load_permissions:
            entry = ET.SubElement(container, "item")
            _text(entry, "userId", permission.user_id)
            _text(entry, "group", permission.group)


def _render_tag_description(item: ET.Element, tag: TagDescription) -> None:
    _text(item, "resourceId", tag.resource_id)
    _text(item, "resourceType", tag.resource_type)
    _text(item, "key", tag.key)
    _text(item, "value", tag.value)
