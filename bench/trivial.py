"""A dynamic resource that does nothing: the yardstick for the engine's own cost of a refresh.

Its provider answers create with its inputs and read with its stored outputs, without any I/O,
so `pulumi refresh` of N of them costs what the engine and one dynamic-provider process cost.
It lives in an importable module so that the provider process unpickles it by reference.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, ResourceProvider


class EchoProvider(ResourceProvider):
    """Creates nothing anywhere; reads back what it was given."""

    # Stored in plain text, as `CopiedAfiProvider` is: the yardstick pays no secret handling.
    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=f"echo-{props['index']}", outs=dict(props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_=id_, outs=dict(props))


class Echo(Resource, module="bench", name="Echo"):
    """One trivial resource; `index` only makes each one distinct."""

    def __init__(
        self, resource_name: str, index: int, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(EchoProvider(), resource_name, {"index": index}, opts)
