"""Two AFIs, each made available in the same three regions.

pulumi config set sourceRegion us-east-1
pulumi config set --path 'afis.shell' afi-0123456789abcdef0
pulumi config set --path 'afis.dram-dma' afi-0fedcba9876543210
"""

import pulumi

from afi_provider import AfiReplicas

config = pulumi.Config()
source_region = config.get("sourceRegion") or "us-east-1"
regions = config.get_object("regions") or ["us-east-1", "us-west-2", "eu-west-1"]

for name, source in config.require_object("afis").items():
    replicas = AfiReplicas(
        name,
        source_fpga_image_id=source,
        source_region=source_region,
        regions=regions,
        tags={"afi": name},
    )
    pulumi.export(name, {"agfi": replicas.fpga_image_global_id, "afis": replicas.fpga_image_ids})
