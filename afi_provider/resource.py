"""`CopiedAfi`: an AWS FPGA image (AFI) copied into a region and kept available there."""

from __future__ import annotations

import itertools
import os
import threading
from typing import Any, TypedDict

import boto3
import pulumi
from pulumi.dynamic import Resource

from afi_provider.provider import DECLARED_KEY, CopiedAfiProvider


class LoadPermissions(TypedDict, total=False):
    """Who may load the AFI besides its owner: `user_ids` (12-digit account ids) and `public`."""

    user_ids: list[str]
    public: bool


DEFAULT_PROCESSES = 8
# The Python dynamic-provider server runs four operations at once (its gRPC worker threads).
OPERATIONS_PER_PROCESS = 4

_providers: dict[tuple[str, str, int], pulumi.ProviderResource] = {}
_declared = itertools.count()
_providers_lock = threading.Lock()


def provider_processes() -> int:
    """How many dynamic-provider processes share the stack's `CopiedAfi` resources, at most.

    Each such process runs at most four operations at once (the Python dynamic-provider server
    has four worker threads), so copies that wait in parallel are spread over several processes,
    one explicit `pulumi-python` provider each. `AFI_PROVIDER_PROCESSES=1` keeps them all in the
    default provider's one process. Moving a resource from one of these providers to another does
    not replace it (they have no configuration), so the setting may change between runs.
    """
    try:
        return max(1, int(os.environ.get("AFI_PROVIDER_PROCESSES", DEFAULT_PROCESSES)))
    except ValueError:
        return DEFAULT_PROCESSES


def _spread(opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions | None:
    """Give the resource one of the shared providers unless it names a provider.

    Resources fill one process before the next is used, so that a small stack starts few
    processes; beyond `count` full processes, they go round again.
    """
    count = provider_processes()
    if count == 1 or (opts is not None and (opts.provider is not None or opts.providers)):
        return opts
    with _providers_lock:
        index = next(_declared) // OPERATIONS_PER_PROCESS % count
        key = (pulumi.get_project(), pulumi.get_stack(), index)
        provider = _providers.get(key)
        if provider is None:
            provider = pulumi.ProviderResource("pulumi-python", f"afi-provider-{index}", {})
            _providers[key] = provider
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(provider=provider))


def default_region() -> str | None:
    """The region used when a resource names none: stack config `aws:region`, then boto3's."""
    return pulumi.Config("aws").get("region") or boto3.session.Session().region_name


class CopiedAfi(Resource, module="fpga", name="CopiedAfi"):
    """A copy of an AFI in one region, kept `available` there.

    Creating the resource copies the source AFI with CopyFpgaImage and waits until the copy is
    available; the copy keeps the source's global id (agfi). Refresh reads the copy back and shows
    drift; destroy deletes the copy. Changing the source, the source region or the region makes a
    new copy and deletes the old one; every other input is updated in place.
    """

    fpga_image_id: pulumi.Output[str]
    """The copy's regional id (afi-…); also the resource's id."""
    fpga_image_global_id: pulumi.Output[str]
    """The global id (agfi-…), the same as the source's; what instances load."""
    source_fpga_image_id: pulumi.Output[str]
    """The AFI that was copied. Changing it replaces the copy."""
    source_region: pulumi.Output[str]
    """The region of the source AFI. Changing it replaces the copy."""
    region: pulumi.Output[str]
    """The region the copy lives in. Changing it replaces the copy."""
    name: pulumi.Output[str]
    """The copy's name; the source's name unless set. Updated in place."""
    description: pulumi.Output[str | None]
    """The copy's description. Updated in place."""
    tags: pulumi.Output[dict[str, str]]
    """The copy's tags (CopyFpgaImage copies none of the source's). Updated in place."""
    load_permissions: pulumi.Output[dict[str, Any]]
    """Accounts the copy is shared with (`user_ids`), and whether it is `public`. Updated in
    place."""
    wait_timeout_seconds: pulumi.Output[int]
    """How long create waits for the copy to become available. Never a diff."""
    adopt_existing: pulumi.Output[bool]
    """Whether create adopted an existing copy with the source's global id."""
    state: pulumi.Output[str]
    """The copy's state code as EC2 reports it: pending, available, failed or unavailable."""
    state_message: pulumi.Output[str]
    """EC2's message for the state, if any."""
    owner_id: pulumi.Output[str]
    """The account that owns the copy."""
    pci_id: pulumi.Output[dict[str, str] | None]
    """The AFI's PCI identifiers (`device_id`, `vendor_id`, `subsystem_id`,
    `subsystem_vendor_id`)."""
    shell_version: pulumi.Output[str | None]
    """The version of the AWS shell the AFI was built for."""
    create_time: pulumi.Output[str]
    """When the copy was created (ISO 8601)."""
    update_time: pulumi.Output[str]
    """When the copy last changed (ISO 8601)."""
    public: pulumi.Output[bool]
    """Whether any account may load the copy."""
    data_retention_support: pulumi.Output[bool | None]
    """Whether the AFI supports data retention across reloads."""
    instance_types: pulumi.Output[list[str]]
    """The instance types the AFI can be loaded on."""

    def __init__(
        self,
        resource_name: str,
        *,
        source_fpga_image_id: pulumi.Input[str],
        source_region: pulumi.Input[str],
        region: pulumi.Input[str] | None = None,
        name: pulumi.Input[str] | None = None,
        description: pulumi.Input[str] | None = None,
        tags: pulumi.Input[dict[str, str]] | None = None,
        load_permissions: pulumi.Input[LoadPermissions] | None = None,
        wait_timeout_seconds: pulumi.Input[int] | None = None,
        adopt_existing: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a copy of `source_fpga_image_id` (in `source_region`) in `region`.

        :param region: the destination; defaults to stack config `aws:region`, then boto3's
            default region. The value is resolved once and stored, so a later change of
            environment does not make a diff.
        :param name: defaults to the source's name.
        :param tags: the copy's tags; tags added outside Pulumi are removed by the next `up`.
        :param load_permissions: `{"user_ids": [...], "public": False}`; unset means private.
        :param wait_timeout_seconds: how long create waits for `available` (default 3600).
        :param adopt_existing: when true, create adopts an owned, available AFI in `region` that
            has the source's global id instead of copying.
        """
        if region is None:
            region = default_region()
            if region is None:
                raise ValueError(
                    f"CopiedAfi {resource_name!r}: no region: pass region=..., set "
                    "`pulumi config set aws:region REGION`, or set AWS_DEFAULT_REGION"
                )
        project, stack = pulumi.get_project(), pulumi.get_stack()
        props: dict[str, Any] = {
            "source_fpga_image_id": source_fpga_image_id,
            "source_region": source_region,
            "region": region,
            "name": name,
            "description": description,
            "tags": tags,
            "load_permissions": load_permissions,
            "wait_timeout_seconds": wait_timeout_seconds,
            "adopt_existing": adopt_existing,
            "client_token_seed": f"{project}/{stack}/{resource_name}",
        }
        outputs = (
            "fpga_image_id fpga_image_global_id state state_message owner_id pci_id "
            f"shell_version create_time update_time public data_retention_support instance_types "
            f"{DECLARED_KEY}"
        ).split()
        props.update({key: None for key in outputs})
        super().__init__(CopiedAfiProvider(), resource_name, props, _spread(opts))
