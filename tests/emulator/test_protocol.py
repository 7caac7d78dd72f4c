"""The EC2 query protocol on the wire: documents, error shapes, status codes, faults."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from afi_provider.emulator.backend import FpgaImageBackend

from .support import DEFAULT_ACCOUNT, Running, available_image, control, create_image

NAMESPACE = "{http://ec2.amazonaws.com/doc/2016-11-15/}"


def raw_post(url: str, form: dict[str, str]) -> tuple[int, str]:
    """POST an unsigned form as the query protocol does; return status and body."""
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url + "/", data=data, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def error_code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    """The AWS error code of a botocore ClientError."""
    return str(raised.value.response["Error"]["Code"])


def test_answers_are_in_the_2016_11_15_namespace_with_a_request_id(emu: Running) -> None:
    status, body = raw_post(emu.url, {"Action": "DescribeFpgaImages", "Version": "2016-11-15"})

    root = ET.fromstring(body)
    assert status == 200
    assert root.tag == f"{NAMESPACE}DescribeFpgaImagesResponse"
    request_id = root.findtext(f"{NAMESPACE}requestId")
    assert request_id and re.match(r"^[0-9a-f-]{36}$", request_id)


def test_image_document_uses_the_models_location_names(emu: Running, ec2: Any) -> None:
    image_id = available_image(
        ec2,
        TagSpecifications=[
            {"ResourceType": "fpga-image", "Tags": [{"Key": "team", "Value": "fpga"}]}
        ],
    )

    _, body = raw_post(
        emu.url,
        {"Action": "DescribeFpgaImages", "Version": "2016-11-15", "FpgaImageId.1": image_id},
    )

    item = ET.fromstring(body).find(f"{NAMESPACE}fpgaImageSet/{NAMESPACE}item")
    assert item is not None
    pci = item.find(f"{NAMESPACE}pciId")
    assert pci is not None
    assert [child.tag[len(NAMESPACE) :] for child in pci] == [
        "DeviceId",
        "VendorId",
        "SubsystemId",
        "SubsystemVendorId",
    ]
    for time_tag in ("createTime", "updateTime"):
        text = item.findtext(f"{NAMESPACE}{time_tag}") or ""
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", text)
    assert item.findtext(f"{NAMESPACE}state/{NAMESPACE}code") == "available"
    assert item.findtext(f"{NAMESPACE}tags/{NAMESPACE}item/{NAMESPACE}key") == "team"


def test_errors_are_a_response_errors_document_with_a_request_id(emu: Running) -> None:
    status, body = raw_post(
        emu.url,
        {"Action": "DeleteFpgaImage", "Version": "2016-11-15", "FpgaImageId": "afi-1"},
    )

    root = ET.fromstring(body)
    assert status == 400
    assert root.tag == "Response"
    assert root.findtext("Errors/Error/Code") == "InvalidFpgaImageID.Malformed"
    assert root.findtext("Errors/Error/Message")
    assert root.findtext("RequestID")


def test_unknown_action_is_invalid_action(ec2: Any) -> None:
    def rename_action(request: Any, **_: Any) -> None:
        request.data["Action"] = "FrobnicateFpgaImage"

    ec2.meta.events.register("before-sign.ec2.DescribeTags", rename_action)

    with pytest.raises(ClientError) as raised:
        ec2.describe_tags()

    assert error_code(raised) == "InvalidAction"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize(
    ("operation", "members", "missing"),
    [
        ("create_fpga_image", {}, "InputStorageLocation"),
        ("copy_fpga_image", {"SourceRegion": "us-east-1"}, "SourceFpgaImageId"),
        ("copy_fpga_image", {"SourceFpgaImageId": "afi-0123456789abcdef0"}, "SourceRegion"),
        ("delete_fpga_image", {}, "FpgaImageId"),
        ("describe_fpga_image_attribute", {"Attribute": "name"}, "FpgaImageId"),
        (
            "describe_fpga_image_attribute",
            {"FpgaImageId": "afi-0123456789abcdef0"},
            "Attribute",
        ),
        ("modify_fpga_image_attribute", {"Name": "x"}, "FpgaImageId"),
        ("reset_fpga_image_attribute", {}, "FpgaImageId"),
        ("create_tags", {"Tags": [{"Key": "k", "Value": "v"}]}, "ResourceId"),
        ("create_tags", {"Resources": ["afi-0123456789abcdef0"]}, "Tag"),
        ("delete_tags", {}, "ResourceId"),
    ],
)
def test_server_checks_every_required_member(
    emu: Running, operation: str, members: dict[str, Any], missing: str
) -> None:
    unchecked = emu.client(config=Config(parameter_validation=False))

    with pytest.raises(ClientError) as raised:
        getattr(unchecked, operation)(**members)

    assert error_code(raised) == "MissingParameter"
    assert raised.value.response["Error"]["Message"].endswith(f"parameter {missing}.")


def test_request_without_action_is_missing_action(emu: Running) -> None:
    status, body = raw_post(emu.url, {"Version": "2016-11-15"})

    assert status == 400
    assert ET.fromstring(body).findtext("Errors/Error/Code") == "MissingAction"


def test_query_string_requests_are_served_too(emu: Running) -> None:
    query = urllib.parse.urlencode({"Action": "DescribeTags", "Version": "2016-11-15"})

    with urllib.request.urlopen(f"{emu.url}/?{query}", timeout=10) as response:
        assert response.status == 200
        assert b"DescribeTagsResponse" in response.read()


def test_dry_run_false_runs_the_operation(ec2: Any) -> None:
    image_id = create_image(ec2, DryRun=False)

    assert ec2.describe_fpga_images(FpgaImageIds=[image_id], DryRun=False)["FpgaImages"]


# -- accounts and regions -------------------------------------------------------------------


def test_region_comes_from_the_credential_scope(emu: Running) -> None:
    image_id = create_image(emu.client("ap-southeast-2"))

    (image,) = control(emu.url, "GET", "/images")["images"]
    assert (image["image_id"], image["region"]) == (image_id, "ap-southeast-2")


def test_twelve_digit_access_key_selects_that_account(emu: Running) -> None:
    create_image(emu.client(account="444455556666"))
    create_image(emu.client())

    owners = sorted(image["account_id"] for image in control(emu.url, "GET", "/images")["images"])
    assert owners == ["123456789012", "444455556666"]


def test_default_account_is_configurable(make_emulator: Callable[..., Running]) -> None:
    emu = make_emulator(default_account="999988887777")

    image_id = create_image(emu.client())

    image = emu.client().describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0]
    assert image["OwnerId"] == "999988887777"


def test_unsigned_request_acts_in_the_default_account_and_region(emu: Running) -> None:
    unsigned = emu.client("eu-central-1", config=Config(signature_version=UNSIGNED))

    create_image(unsigned)

    (image,) = control(emu.url, "GET", "/images")["images"]
    assert (image["account_id"], image["region"]) == (DEFAULT_ACCOUNT, "us-east-1")


# -- faults ---------------------------------------------------------------------------------


def test_throttled_request_is_request_limit_exceeded_with_503(
    make_emulator: Callable[..., Running],
) -> None:
    emu = make_emulator(throttle_rate=1.0)

    with pytest.raises(ClientError) as raised:
        emu.client().describe_fpga_images()

    assert error_code(raised) == "RequestLimitExceeded"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503


def test_throttling_with_a_seed_repeats_the_same_decisions(
    make_emulator: Callable[..., Running],
) -> None:
    def outcomes(emu: Running) -> list[str]:
        client = emu.client()
        seen = []
        for _ in range(30):
            try:
                client.describe_tags()
                seen.append("ok")
            except ClientError as error:
                seen.append(error.response["Error"]["Code"])
        return seen

    first = outcomes(make_emulator(throttle_rate=0.5, seed=7))
    second = outcomes(make_emulator(throttle_rate=0.5, seed=7))

    assert first == second
    assert set(first) == {"ok", "RequestLimitExceeded"}


def test_throttled_mutation_changes_nothing_and_a_retry_succeeds(
    make_emulator: Callable[..., Running],
) -> None:
    emu = make_emulator(throttle_rate=1.0)
    with pytest.raises(ClientError):
        create_image(emu.client())

    control(emu.url, "POST", "/faults", {"throttle_rate": 0.0})

    assert control(emu.url, "GET", "/images")["images"] == []
    assert create_image(emu.client())


def test_botocore_retries_ride_out_throttling(make_emulator: Callable[..., Running]) -> None:
    # With seed 1 the first request drawn is throttled and the next two are not.
    emu = make_emulator(throttle_rate=0.5, seed=1)
    patient = emu.client(config=Config(retries={"mode": "standard", "total_max_attempts": 5}))

    response = patient.describe_tags()

    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert control(emu.url, "GET", "/requests")["errors"] == {"RequestLimitExceeded": 1}


def test_injected_server_error_is_internal_error_with_500(
    make_emulator: Callable[..., Running],
) -> None:
    emu = make_emulator(error_rate=1.0)

    with pytest.raises(ClientError) as raised:
        emu.client().describe_fpga_images()

    assert error_code(raised) == "InternalError"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_unexpected_failure_is_internal_error_and_the_server_keeps_serving(
    emu: Running, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(FpgaImageBackend, "describe_tags", broken)

    with pytest.raises(ClientError) as raised:
        ec2.describe_tags()

    assert error_code(raised) == "InternalError"
    assert ec2.describe_fpga_images()["FpgaImages"] == []


def test_latency_delays_every_request(make_emulator: Callable[..., Running]) -> None:
    emu = make_emulator(latency_ms=300)
    client = emu.client()

    started = time.monotonic()
    client.describe_tags()

    assert time.monotonic() - started >= 0.3
