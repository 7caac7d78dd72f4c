"""Bring copies that were made by hand (`aws ec2 copy-fpga-image`) under the stack's management.

With `adopt_existing=True`, creating the resource takes an AFI in the destination region that
this account owns, that is `available` and that has the source's global id, instead of copying
again. From then on the stack owns it: `pulumi destroy` deletes it.

    pulumi config set source afi-0123456789abcdef0
    pulumi config set --path 'regions[0]' us-west-2
"""

import pulumi

from afi_provider import CopiedAfi

config = pulumi.Config()
source = config.require("source")
source_region = config.get("sourceRegion") or "us-east-1"

copies = {
    region: CopiedAfi(
        f"adopted-{region}",
        source_fpga_image_id=source,
        source_region=source_region,
        region=region,
        adopt_existing=True,
    )
    for region in config.require_object("regions")
}
pulumi.export("afis", {region: copy.fpga_image_id for region, copy in copies.items()})
