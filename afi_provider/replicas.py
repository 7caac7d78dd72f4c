"""`AfiReplicas`: one AFI made available in several regions."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from afi_provider.resource import CopiedAfi, LoadPermissions


class AfiReplicas(pulumi.ComponentResource):
    """Copies of one AFI in each of `regions`, as `CopiedAfi` children named `<name>-<region>`.

    The source region maps to the source AFI itself, as teams do by hand, unless
    `copy_in_source_region` is true, in which case it gets a copy like every other region.
    """

    fpga_image_ids: pulumi.Output[dict[str, str]]
    """Region to AFI id, for every region asked for (the source region included)."""
    fpga_image_global_id: pulumi.Output[str]
    """The global id (agfi-…) every copy shares with the source."""
    copies: dict[str, CopiedAfi]
    """The child resources, by region (the source region has none unless it is copied)."""

    def __init__(
        self,
        name: str,
        *,
        source_fpga_image_id: str,
        source_region: str,
        regions: Sequence[str],
        copy_in_source_region: bool = False,
        tags: pulumi.Input[dict[str, str]] | None = None,
        load_permissions: pulumi.Input[LoadPermissions] | None = None,
        wait_timeout_seconds: pulumi.Input[int] | None = None,
        adopt_existing: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("afi-provider:index:AfiReplicas", name, None, opts)
        if len(set(regions)) != len(regions):
            raise ValueError(f"AfiReplicas {name!r}: regions lists a region twice: {regions}")
        self.copies = {}
        ids: dict[str, pulumi.Output[str]] = {}
        for region in regions:
            if region == source_region and not copy_in_source_region:
                ids[region] = pulumi.Output.from_input(source_fpga_image_id)
                continue
            copy = CopiedAfi(
                f"{name}-{region}",
                source_fpga_image_id=source_fpga_image_id,
                source_region=source_region,
                region=region,
                tags=tags,
                load_permissions=load_permissions,
                wait_timeout_seconds=wait_timeout_seconds,
                adopt_existing=adopt_existing,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.copies[region] = copy
            ids[region] = copy.fpga_image_id
        self.fpga_image_ids = pulumi.Output.all(**ids)
        if self.copies:
            self.fpga_image_global_id = next(iter(self.copies.values())).fpga_image_global_id
        else:
            self.fpga_image_global_id = pulumi.Output.from_input("")
        self.register_outputs(
            {
                "fpga_image_ids": self.fpga_image_ids,
                "fpga_image_global_id": self.fpga_image_global_id,
            }
        )
