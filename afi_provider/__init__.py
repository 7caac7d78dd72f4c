"""Declare AWS FPGA images (AFIs) per region in a Pulumi stack."""

from afi_provider.replicas import AfiReplicas
from afi_provider.resource import CopiedAfi, LoadPermissions

__all__ = ["AfiReplicas", "CopiedAfi", "LoadPermissions"]
__version__ = "0.1.0"
