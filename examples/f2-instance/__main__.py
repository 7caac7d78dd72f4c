"""An F2 instance in us-west-2 that loads a copied AFI by its global id at boot.

pulumi config set source afi-0123456789abcdef0
pulumi config set ami ami-0123456789abcdef0        # optional: else the newest FPGA Developer AMI
"""

import pulumi
import pulumi_aws as aws

from afi_provider import CopiedAfi

REGION = "us-west-2"

config = pulumi.Config()
west = aws.Provider("west", region=REGION)

copy = CopiedAfi(
    "accelerator",
    source_fpga_image_id=config.require("source"),
    source_region=config.get("sourceRegion") or "us-east-1",
    region=REGION,
    tags={"app": "f2-demo"},
)

ami = (
    config.get("ami")
    or aws.ec2.get_ami(
        most_recent=True,
        owners=["amazon"],
        filters=[{"name": "name", "values": ["FPGA Developer AMI*"]}],
        opts=pulumi.InvokeOptions(provider=west),
    ).id
)


def user_data(agfi: str) -> str:
    """Boot script: load the AFI into FPGA slot 0 with the aws-fpga management tools."""
    return "\n".join(
        [
            "#!/bin/bash",
            "set -euo pipefail",
            f"fpga-load-local-image -S 0 -I {agfi}",
            "fpga-describe-local-image -S 0 -H",
        ]
    )


instance = aws.ec2.Instance(
    "f2",
    ami=ami,
    instance_type="f2.6xlarge",
    user_data=copy.fpga_image_global_id.apply(user_data),
    tags={"Name": "f2-demo", "agfi": copy.fpga_image_global_id},
    opts=pulumi.ResourceOptions(provider=west),
)

pulumi.export("instance_id", instance.id)
pulumi.export("agfi", copy.fpga_image_global_id)
