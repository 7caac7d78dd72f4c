"""The provider's module path and class name are stored in every user's stack state.

The engine keeps a pickled reference to the provider in each resource's `__provider` input; a
stack created with one version must still refresh, update and destroy with the next one.
"""

from __future__ import annotations

import base64

import dill
from pulumi.dynamic.dynamic import serialize_provider

from afi_provider.provider import CopiedAfiProvider
from afi_provider.resource import CopiedAfi


def test_provider_class_keeps_its_module_and_name() -> None:
    assert CopiedAfiProvider.__module__ == "afi_provider.provider"
    assert CopiedAfiProvider.__qualname__ == "CopiedAfiProvider"


def test_provider_is_pickled_by_reference_not_by_value() -> None:
    blob = base64.b64decode(serialize_provider(CopiedAfiProvider()))

    assert b"afi_provider.provider" in blob and b"CopiedAfiProvider" in blob
    assert len(blob) < 200  # a by-value pickle of the class and its module runs to kilobytes
    assert type(dill.loads(blob)) is CopiedAfiProvider


def test_resource_type_token_is_stable() -> None:
    assert CopiedAfi._resource_type_name == "dynamic/fpga:CopiedAfi"
