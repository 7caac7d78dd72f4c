"""The demo stack: copies of one source AFI into the regions named in stack config.

pulumi config set afi:sourceFpgaImageId afi-0123456789abcdef0
pulumi config set afi:sourceRegion us-east-1
pulumi config set --path 'afi:regions[0]' us-west-2
"""

import pulumi

from afi_provider import AfiReplicas

config = pulumi.Config("afi")
source_region = config.require("sourceRegion")

replicas = AfiReplicas(
    "demo",
    source_fpga_image_id=config.require("sourceFpgaImageId"),
    source_region=source_region,
    regions=config.require_object("regions"),
    tags={"app": "afi-demo"},
)

pulumi.export("fpga_image_ids", replicas.fpga_image_ids)
pulumi.export("fpga_image_global_id", replicas.fpga_image_global_id)
pulumi.export(
    "copies",
    {
        region: {
            "fpga_image_id": copy.fpga_image_id,
            "fpga_image_global_id": copy.fpga_image_global_id,
            "state": copy.state,
            "region": copy.region,
        }
        for region, copy in replicas.copies.items()
    },
)
