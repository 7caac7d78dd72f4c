"""The dynamic provider behind `CopiedAfi`: check, diff, create, read, update and delete.

The Pulumi engine stores a pickled reference to `CopiedAfiProvider` (this module's path and the
class's name) in the state of every stack that uses it. Renaming either breaks every existing
stack, so both are fixed; `tests/test_provider_identity.py` guards them.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Mapping
from typing import Any

import botocore.exceptions
import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from afi_provider import ec2, lifeline, poller
from afi_provider.schema import (
    DEFAULT_WAIT_TIMEOUT_SECONDS,
    INPUT_KEYS,
    REPLACE_KEYS,
    UPDATE_KEYS,
    check_inputs,
    declared,
    known,
    normal_permissions,
)

MAX_TOKEN_ATTEMPTS = 5
# The declared inputs, kept among the outputs so that `read` can return them with drift applied.
DECLARED_KEY = "declared_inputs"


def shared_poll_enabled() -> bool:
    """Whether waits go through the shared poll (`afi_provider.poller`), the default.

    `AFI_PROVIDER_SHARED_POLL=0` gives every wait a poll loop of its own instead; the benchmark
    uses it as a baseline.
    """
    return os.environ.get("AFI_PROVIDER_SHARED_POLL", "1") != "0"


class AfiError(Exception):
    """An error a user reads: it says what was being done, to which AFI, and why it failed."""


def client_token(props: Mapping[str, Any], attempt: str = "") -> str:
    """The CopyFpgaImage ClientToken for this resource: stable across runs of `pulumi up`.

    It is derived from the resource's identity (project, stack and name, passed in as
    `client_token_seed`) and from what is copied where, so a re-run after a crash or a timeout gets
    the copy that the earlier run started instead of making a second one.
    """
    seed = "\0".join(
        str(props.get(k, ""))
        for k in ("client_token_seed", "source_fpga_image_id", "source_region", "region")
    )
    digest = hashlib.sha256((seed + "\0" + attempt).encode()).hexdigest()
    return f"afi-provider-{digest[:48]}"


def _outputs(
    image: Mapping[str, Any], props: Mapping[str, Any], permissions: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The resource's outputs: the declared inputs resolved against the live image."""
    tags = {t["Key"]: t.get("Value", "") for t in image.get("Tags", [])}
    pci = image.get("PciId") or {}
    return {
        "source_fpga_image_id": props.get("source_fpga_image_id"),
        "source_region": props.get("source_region"),
        "region": props.get("region"),
        "name": image.get("Name"),
        "description": image.get("Description"),
        "tags": tags,
        "load_permissions": dict(permissions or normal_permissions(props.get("load_permissions"))),
        "wait_timeout_seconds": props.get("wait_timeout_seconds", DEFAULT_WAIT_TIMEOUT_SECONDS),
        "adopt_existing": bool(props.get("adopt_existing", False)),
        "fpga_image_id": image.get("FpgaImageId"),
        "fpga_image_global_id": image.get("FpgaImageGlobalId"),
        "state": ec2.status(image),
        "state_message": ec2.state_message(image),
        "owner_id": image.get("OwnerId"),
        "pci_id": {
            "device_id": pci.get("DeviceId"),
            "vendor_id": pci.get("VendorId"),
            "subsystem_id": pci.get("SubsystemId"),
            "subsystem_vendor_id": pci.get("SubsystemVendorId"),
        }
        if pci
        else None,
        "shell_version": image.get("ShellVersion"),
        "create_time": _time(image.get("CreateTime")),
        "update_time": _time(image.get("UpdateTime")),
        "public": bool(image.get("Public", False)),
        "data_retention_support": image.get("DataRetentionSupport"),
        "instance_types": list(image.get("InstanceTypes") or []),
        DECLARED_KEY: declared(props),
    }


def _time(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


if lifeline.in_dynamic_provider_server():
    # Unpickling the provider imports this module inside the provider server: from then on, the
    # process ends with its engine.
    lifeline.exit_with_engine()


class CopiedAfiProvider(ResourceProvider):
    """Copies an AFI into a region and keeps it there.

    Holds no state of its own (the engine pickles it by reference): clients are made per
    process and region by `afi_provider.ec2.client`.
    """

    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = {k: news[k] for k in INPUT_KEYS if news.get(k) is not None}
        failures = check_inputs(inputs)
        # The source is looked up whenever a new copy would be made of it.
        replacing = not _olds or any(_olds.get(k) != inputs.get(k) for k in REPLACE_KEYS)
        if not failures and replacing and known(inputs):
            failures.extend(self._check_source(inputs))
        return CheckResult(inputs, failures)

    def _check_source(self, inputs: Mapping[str, Any]) -> list[CheckFailure]:
        """Look the source up before anything is created: it must exist, be ours and available."""
        source, source_region = inputs["source_fpga_image_id"], inputs["source_region"]

        def fail(reason: str) -> list[CheckFailure]:
            return [CheckFailure("source_fpga_image_id", f"{source} in {source_region} {reason}")]

        try:
            owned = ec2.retry_throttled(
                lambda: ec2.find_fpga_image(source_region, source, owners=["self"], quick=True)
            )
            image = owned or ec2.retry_throttled(
                lambda: ec2.find_fpga_image(source_region, source, quick=True)
            )
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            return fail(f"could not be looked up: {ec2.describe_error(exc)}")
        if image is None:
            return fail(
                "does not exist or is not visible to this account; check the id and source_region"
            )
        if owned is None:
            return fail(
                f"is owned by account {image.get('OwnerId')}, not by this account; "
                "AWS copies only AFIs the caller owns"
            )
        state = ec2.status(image)
        if state != "available":
            message = ec2.state_message(image)
            detail = f" ({message})" if message else ""
            return fail(f"is {state}{detail}; only an available AFI can be copied")
        return []

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [k for k in REPLACE_KEYS if news.get(k) != olds.get(k)]
        changes = list(replaces)
        for key in UPDATE_KEYS:
            if _update_needed(key, olds, news):
                changes.append(key)
        if olds.get("state") in ec2.FAILED_STATES and "region" not in replaces:
            # A copy that went unavailable or failed cannot be repaired in place.
            replaces.append("region")
            changes.append("region")
        return DiffResult(
            changes=bool(changes), replaces=replaces, stables=[], delete_before_replace=False
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        region = props["region"]
        source, source_region = props["source_fpga_image_id"], props["source_region"]
        what = f"copying {source} ({source_region}) to {region}"
        try:
            source_image = ec2.find_fpga_image(source_region, source)
            if source_image is None:
                raise AfiError(f"{what}: the source does not exist in {source_region}")
            image_id = self._start_copy(props, source_image)
            image = self._wait(image_id, props, what)
            if image.get("FpgaImageGlobalId") != source_image.get("FpgaImageGlobalId"):
                raise AfiError(
                    f"{what}: copy {image_id} has global id {image.get('FpgaImageGlobalId')}, "
                    f"not the source's {source_image.get('FpgaImageGlobalId')}"
                )
            image = self._apply(image_id, props, image)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise AfiError(f"{what}: {ec2.describe_error(exc)}") from None
        return CreateResult(image_id, _outputs(image, props))

    def _start_copy(self, props: Mapping[str, Any], source_image: Mapping[str, Any]) -> str:
        region = props["region"]
        if props.get("adopt_existing"):
            adopted = _find_adoptable(region, source_image)
            if adopted is not None:
                pulumi.log.info(f"adopting {adopted} in {region} (global id matches the source)")
                return adopted
        request: dict[str, Any] = {
            "SourceFpgaImageId": props["source_fpga_image_id"],
            "SourceRegion": props["source_region"],
        }
        if props.get("name") is not None:
            request["Name"] = props["name"]
        if props.get("description") is not None:
            request["Description"] = props["description"]
        api = ec2.client(region)
        attempt = ""
        for _ in range(MAX_TOKEN_ATTEMPTS):
            token = client_token(props, attempt)
            image_id = str(api.copy_fpga_image(ClientToken=token, **request)["FpgaImageId"])
            if (
                ec2.status(ec2.find_fpga_image(region, image_id))
                in ec2.PENDING_STATES | ec2.TARGET_STATES
            ):
                return image_id
            # AWS answers a used token with the same copy forever, also once that copy is deleted
            # or has become unusable. The next token is derived from the stale copy's id, so a
            # re-run after a crash still finds the copy this run makes.
            attempt = image_id
        raise AfiError(
            f"copying {props['source_fpga_image_id']} to {region}: "
            f"{MAX_TOKEN_ATTEMPTS} copies in a row were gone or unusable at once"
        )

    def _wait(self, image_id: str, props: Mapping[str, Any], what: str) -> dict[str, Any]:
        region = props["region"]
        timeout = float(props.get("wait_timeout_seconds") or DEFAULT_WAIT_TIMEOUT_SECONDS)

        def started() -> None:
            pulumi.log.info(f"{what}: waiting for {image_id} to become available")

        def progress(image: dict[str, Any] | None, waited: float) -> None:
            pulumi.log.info(f"{what}: {image_id} still {ec2.status(image)} after {waited:.0f} s")

        if shared_poll_enabled():
            # Each fetch blocks until the shared poll has a newer answer: no sleeping here.
            fetch = poller.shared_poller(region).waiter_fetch(image_id)
            schedule = ec2.WaitSchedule(timeout=timeout, first_delay=0.0, max_delay=0.0)
        else:
            fetch = functools.partial(ec2.find_fpga_image, region, image_id)
            schedule = ec2.WaitSchedule(timeout=timeout)
        waiter = ec2.Waiter(fetch=fetch, schedule=schedule, on_start=started, on_progress=progress)
        try:
            image = waiter.wait()
        except ec2.WaitTimeout as exc:
            raise AfiError(
                f"{what}: {image_id} is still {ec2.status(exc.last)} after {exc.waited:.0f} s "
                "(wait_timeout_seconds); the copy goes on in AWS and the next `pulumi up` resumes "
                "waiting for the same copy"
            ) from None
        state = ec2.status(image)
        if state == "available" and image is not None:
            pulumi.log.info(f"{what}: {image_id} is available")
            return image
        if image is None:
            raise AfiError(f"{what} failed: the copy {image_id} was deleted while it was pending")
        _delete_quietly(region, image_id)
        raise AfiError(f"{what} failed: {ec2.state_message(image) or state}")

    def _apply(
        self, image_id: str, news: Mapping[str, Any], image: dict[str, Any]
    ) -> dict[str, Any]:
        """Bring name, description, tags and load permissions of the copy to the declared values."""
        region = news["region"]
        api = ec2.client(region)
        changed = False
        # EC2 changes one attribute per ModifyFpgaImageAttribute call.
        for key, attribute, member in (
            ("name", "name", "Name"),
            ("description", "description", "Description"),
        ):
            wanted = news.get(key)
            if wanted is not None and wanted != image.get(member):
                api.modify_fpga_image_attribute(
                    FpgaImageId=image_id, Attribute=attribute, **{member: wanted}
                )
                changed = True

        live_tags = {t["Key"]: t.get("Value", "") for t in image.get("Tags", [])}
        wanted_tags = dict(news.get("tags") or {})
        stale = [k for k in live_tags if k not in wanted_tags]
        if stale:
            api.delete_tags(Resources=[image_id], Tags=[{"Key": k} for k in stale])
            changed = True
        missing = {k: v for k, v in wanted_tags.items() if live_tags.get(k) != v}
        if missing:
            api.create_tags(
                Resources=[image_id], Tags=[{"Key": k, "Value": v} for k, v in missing.items()]
            )
            changed = True

        wanted_permissions = normal_permissions(news.get("load_permissions"))
        live_permissions = _live_permissions(region, image_id)
        if wanted_permissions != live_permissions:
            _set_permissions(region, image_id, live_permissions, wanted_permissions)
            changed = True

        if changed:
            image = ec2.find_fpga_image(region, image_id) or image
        return image

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        region = props["region"]
        try:
            image = ec2.find_fpga_image(region, id_)
            if image is None:
                return ReadResult(id_="", outs={})
            permissions = _live_permissions(region, id_)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise AfiError(f"reading {id_} in {region}: {ec2.describe_error(exc)}") from None
        declared = dict(props.get(DECLARED_KEY) or {})
        outs = _outputs(image, declared, permissions)
        # The inputs as they are now in AWS, so that refresh shows drift and the next `up` puts
        # the declared values back. Only what the program manages is reported.
        inputs = dict(declared)
        for key in ("name", "description"):
            if key in declared:
                inputs[key] = outs[key]
        if "tags" in declared or outs["tags"]:
            inputs["tags"] = outs["tags"]
        if "load_permissions" in declared or permissions != normal_permissions(None):
            inputs["load_permissions"] = permissions
        return ReadResult(id_=id_, outs=outs, inputs=inputs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        region = news["region"]
        try:
            image = ec2.find_fpga_image(region, _id)
            if image is None:
                raise AfiError(
                    f"updating {_id} in {region}: it no longer exists; run `pulumi refresh` "
                    "and `pulumi up` to make a new copy"
                )
            image = self._apply(_id, news, image)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise AfiError(f"updating {_id} in {region}: {ec2.describe_error(exc)}") from None
        return UpdateResult(_outputs(image, news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        region = _props["region"]
        try:
            image = ec2.find_fpga_image(region, _id)
            if image is None:
                return
            if _live_permissions(region, _id) != normal_permissions(None):
                # EC2 refuses to delete an AFI that is shared or public.
                ec2.client(region).reset_fpga_image_attribute(
                    FpgaImageId=_id, Attribute="loadPermission"
                )
            ec2.client(region).delete_fpga_image(FpgaImageId=_id)
        except botocore.exceptions.ClientError as exc:
            if ec2.error_code(exc) in ec2.NOT_FOUND_CODES:
                return
            raise AfiError(f"deleting {_id} in {region}: {ec2.describe_error(exc)}") from None
        except botocore.exceptions.BotoCoreError as exc:
            raise AfiError(f"deleting {_id} in {region}: {ec2.describe_error(exc)}") from None


def _update_needed(key: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    if key == "tags":
        return dict(news.get("tags") or {}) != dict(olds.get("tags") or {})
    if key == "load_permissions":
        return normal_permissions(news.get(key)) != normal_permissions(olds.get(key))
    # name and description: enforced only where declared.
    return news.get(key) is not None and news.get(key) != olds.get(key)


def _find_adoptable(region: str, source_image: Mapping[str, Any]) -> str | None:
    """An owned, available AFI in `region` with the source's global id, other than the source."""
    api = ec2.client(region)
    paginator = api.get_paginator("describe_fpga_images")
    candidates = []
    for page in paginator.paginate(
        Owners=["self"],
        Filters=[
            {"Name": "fpga-image-global-id", "Values": [source_image["FpgaImageGlobalId"]]},
            {"Name": "state", "Values": ["available"]},
        ],
    ):
        for image in page.get("FpgaImages", []):
            if image["FpgaImageId"] != source_image["FpgaImageId"]:
                candidates.append(image)
    if not candidates:
        return None
    candidates.sort(key=lambda image: (str(image.get("CreateTime")), image["FpgaImageId"]))
    return str(candidates[0]["FpgaImageId"])


def _live_permissions(region: str, image_id: str) -> dict[str, Any]:
    out = ec2.client(region).describe_fpga_image_attribute(
        FpgaImageId=image_id, Attribute="loadPermission"
    )
    entries = out.get("FpgaImageAttribute", {}).get("LoadPermissions", [])
    return {
        "user_ids": sorted({e["UserId"] for e in entries if e.get("UserId")}),
        "public": any(e.get("Group") == "all" for e in entries),
    }


def _set_permissions(
    region: str, image_id: str, live: Mapping[str, Any], wanted: Mapping[str, Any]
) -> None:
    api = ec2.client(region)
    add = sorted(set(wanted["user_ids"]) - set(live["user_ids"]))
    remove = sorted(set(live["user_ids"]) - set(wanted["user_ids"]))
    add_groups = ["all"] if wanted["public"] and not live["public"] else []
    remove_groups = ["all"] if live["public"] and not wanted["public"] else []
    if add or add_groups:
        permission: dict[str, Any] = {}
        if add:
            permission["Add"] = [{"UserId": a} for a in add]
        if add_groups:
            permission.setdefault("Add", []).extend({"Group": g} for g in add_groups)
        api.modify_fpga_image_attribute(
            FpgaImageId=image_id, Attribute="loadPermission", LoadPermission=permission
        )
    if remove or remove_groups:
        permission = {"Remove": [{"UserId": r} for r in remove]}
        permission["Remove"].extend({"Group": g} for g in remove_groups)
        api.modify_fpga_image_attribute(
            FpgaImageId=image_id, Attribute="loadPermission", LoadPermission=permission
        )


def _delete_quietly(region: str, image_id: str) -> None:
    """Remove a failed copy so nothing is left behind; failing to do so is reported, not raised."""
    try:
        ec2.client(region).delete_fpga_image(FpgaImageId=image_id)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        if ec2.error_code(exc) not in ec2.NOT_FOUND_CODES:
            pulumi.log.warn(f"could not delete failed copy {image_id} in {region}: {exc}")
