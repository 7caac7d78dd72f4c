"""The control API under ``/_emulator/``: force states, count requests, list, faults, reset."""

from __future__ import annotations

import urllib.error
from collections.abc import Callable
from typing import Any

import pytest

from .support import OTHER_ACCOUNT, Running, available_image, control, create_image


def control_error(url: str, method: str, path: str, body: dict[str, Any] | None = None) -> int:
    """Call the control API expecting an HTTP error; return its status."""
    with pytest.raises(urllib.error.HTTPError) as raised:
        control(url, method, path, body)
    return raised.value.code


def test_health(emu: Running) -> None:
    assert control(emu.url, "GET", "/health") == {"status": "ok"}


def test_images_lists_every_account_and_region(make_emulator: Callable[..., Running]) -> None:
    emu = make_emulator(create_seconds=60)
    east = create_image(emu.client("us-east-1"))
    west = create_image(emu.client("us-west-2", account=OTHER_ACCOUNT))

    listed = {
        (image["image_id"], image["account_id"], image["region"], image["state"])
        for image in control(emu.url, "GET", "/images")["images"]
    }

    assert listed == {
        (east, "123456789012", "us-east-1", "pending"),
        (west, OTHER_ACCOUNT, "us-west-2", "pending"),
    }


def test_forcing_an_image_unavailable_shows_in_describe(emu: Running, ec2: Any) -> None:
    image_id = available_image(ec2)

    control(
        emu.url,
        "POST",
        f"/images/{image_id}/state",
        {"state": "unavailable", "message": "retired"},
    )

    image = ec2.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0]
    assert image["State"] == {"Code": "unavailable", "Message": "retired"}


def test_forcing_a_pending_image_failed_ends_it_now_with_the_message(
    emu: Running, ec2: Any
) -> None:
    image_id = create_image(ec2)

    view = control(
        emu.url,
        "POST",
        f"/images/{image_id}/state",
        {"state": "failed", "message": "UNKNOWN_BITSTREAM_GENERATE_ERROR"},
    )

    assert view["state"] == "failed"
    image = ec2.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0]
    assert image["State"] == {"Code": "failed", "Message": "UNKNOWN_BITSTREAM_GENERATE_ERROR"}
    assert "FpgaImageGlobalId" not in image


def test_forcing_an_unknown_image_or_state_is_refused(emu: Running, ec2: Any) -> None:
    image_id = create_image(ec2)

    assert (
        control_error(emu.url, "POST", "/images/afi-0123456789abcdef0/state", {"state": "failed"})
        == 404
    )
    assert control_error(emu.url, "POST", f"/images/{image_id}/state", {"state": "gone"}) == 400
    assert control_error(emu.url, "POST", f"/images/{image_id}/state", {}) == 400


def test_requests_are_counted_per_action_and_region_with_mutations_apart(
    emu: Running,
) -> None:
    east, west = emu.client("us-east-1"), emu.client("us-west-2")
    image_id = create_image(east)
    east.describe_fpga_images()
    west.describe_fpga_images()
    west.copy_fpga_image(SourceFpgaImageId=image_id, SourceRegion="us-east-1")
    try:
        east.delete_fpga_image(FpgaImageId=image_id, DryRun=True)
    except Exception:  # noqa: BLE001 - DryRunOperation is the expected answer
        pass

    counts = control(emu.url, "GET", "/requests")

    assert counts["total"] == 5
    assert counts["by_action"]["DescribeFpgaImages"] == {"us-east-1": 1, "us-west-2": 1}
    assert counts["by_action"]["DeleteFpgaImage"] == {"us-east-1": 1}
    assert counts["mutating"] == 2
    assert counts["mutating_by_action"] == {
        "CreateFpgaImage": {"us-east-1": 1},
        "CopyFpgaImage": {"us-west-2": 1},
    }
    assert counts["errors"] == {"DryRunOperation": 1}


def test_request_counts_can_be_cleared(emu: Running, ec2: Any) -> None:
    ec2.describe_tags()

    cleared = control(emu.url, "DELETE", "/requests")

    assert cleared["total"] == 0
    assert control(emu.url, "GET", "/requests")["by_action"] == {}


def test_control_requests_are_not_counted(emu: Running) -> None:
    control(emu.url, "GET", "/images")

    assert control(emu.url, "GET", "/requests")["total"] == 0


def test_faults_can_be_read_and_changed_while_running(emu: Running) -> None:
    assert control(emu.url, "GET", "/faults") == {
        "throttle_rate": 0.0,
        "error_rate": 0.0,
        "latency_ms": 0.0,
    }

    changed = control(emu.url, "POST", "/faults", {"error_rate": 0.25, "latency_ms": 5})

    assert changed == {"throttle_rate": 0.0, "error_rate": 0.25, "latency_ms": 5.0}
    assert control_error(emu.url, "POST", "/faults", {"throttle_rate": 2}) == 400
    assert control_error(emu.url, "POST", "/faults", {"colour": "red"}) == 400


def test_seeded_image_is_available_in_the_named_account_and_region(emu: Running) -> None:
    seeded = control(
        emu.url,
        "POST",
        "/images",
        {"account_id": OTHER_ACCOUNT, "region": "eu-west-1", "name": "seeded", "tags": {"a": "b"}},
    )

    other = emu.client("eu-west-1", account=OTHER_ACCOUNT)
    image = other.describe_fpga_images(FpgaImageIds=[seeded["image_id"]])["FpgaImages"][0]
    assert (image["Name"], image["State"]["Code"]) == ("seeded", "available")
    assert image["Tags"] == [{"Key": "a", "Value": "b"}]


def test_seeding_with_bad_fields_is_refused(emu: Running) -> None:
    assert control_error(emu.url, "POST", "/images", {"name": "no region"}) == 400
    assert control_error(emu.url, "POST", "/images", {"region": "us-east-1", "x": 1}) == 400
    assert (
        control_error(emu.url, "POST", "/images", {"region": "us-east-1", "account_id": "12"})
        == 400
    )


def test_reset_forgets_images_client_tokens_and_counts(emu: Running, ec2: Any) -> None:
    first = create_image(ec2, ClientToken="token")

    assert control(emu.url, "POST", "/reset") == {"status": "reset"}

    assert control(emu.url, "GET", "/images")["images"] == []
    assert control(emu.url, "GET", "/requests")["total"] == 0
    assert create_image(ec2, ClientToken="token") != first


def test_unknown_endpoint_or_body_is_refused(emu: Running) -> None:
    assert control_error(emu.url, "GET", "/nothing-here") == 404
    assert control_error(emu.url, "DELETE", "/images") == 404


def test_in_process_api_offers_the_same_controls(emu: Running, ec2: Any) -> None:
    image_id = available_image(ec2)

    emu.emulator.set_image_state(image_id, "unavailable", "retired")
    seeded = emu.emulator.add_image(region="us-east-1", name="seeded", public=True)

    assert {image["image_id"] for image in emu.emulator.images()} == {
        image_id,
        seeded["image_id"],
    }
    assert emu.emulator.request_counts()["by_action"]["DescribeFpgaImages"]["us-east-1"] >= 1
    emu.emulator.reset()
    assert emu.emulator.images() == []
