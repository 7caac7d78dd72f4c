"""``data_dir``: the state survives a restart, including copies still in flight."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from .support import OTHER_ACCOUNT, Running, available_image, control, wait_for_state


def test_everything_survives_a_restart(
    make_emulator: Callable[..., Running], tmp_path: Path
) -> None:
    first = make_emulator(data_dir=str(tmp_path))
    east = first.client("us-east-1")
    image_id = available_image(east, "cl-hello", Description="kept", ClientToken="build")
    east.create_tags(Resources=[image_id], Tags=[{"Key": "team", "Value": "fpga"}])
    east.modify_fpga_image_attribute(
        FpgaImageId=image_id, OperationType="add", UserIds=[OTHER_ACCOUNT]
    )
    before = east.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"]
    first.emulator.stop()

    second = make_emulator(data_dir=str(tmp_path))
    east = second.client("us-east-1")

    assert east.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"] == before
    shared = second.client(account=OTHER_ACCOUNT).describe_fpga_images()["FpgaImages"]
    assert [image["FpgaImageId"] for image in shared] == [image_id]
    again = east.create_fpga_image(
        InputStorageLocation={"Bucket": "dcp-bucket", "Key": "cl-hello.tar"},
        Name="cl-hello",
        Description="kept",
        ClientToken="build",
    )
    assert again["FpgaImageId"] == image_id


def test_copy_in_flight_becomes_available_on_time_after_a_restart(
    make_emulator: Callable[..., Running], tmp_path: Path
) -> None:
    first = make_emulator(data_dir=str(tmp_path), copy_seconds=1.5)
    source_id = available_image(first.client("us-east-1"))
    copy_id = first.client("us-west-2").copy_fpga_image(
        SourceFpgaImageId=source_id, SourceRegion="us-east-1"
    )["FpgaImageId"]
    ready_before = _control_view(first, copy_id)["ready_time"]
    first.emulator.stop()

    second = make_emulator(data_dir=str(tmp_path), copy_seconds=1.5)
    west = second.client("us-west-2")

    assert _control_view(second, copy_id)["ready_time"] == ready_before
    assert west.describe_fpga_images(FpgaImageIds=[copy_id])["FpgaImages"][0]["State"] == {
        "Code": "pending"
    }
    copy = wait_for_state(west, copy_id, "available")
    ready = datetime.strptime(ready_before, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert copy["UpdateTime"] == ready


def test_state_file_is_plain_json_and_no_temporary_file_is_left(
    make_emulator: Callable[..., Running], tmp_path: Path
) -> None:
    emu = make_emulator(data_dir=str(tmp_path))
    available_image(emu.client())

    assert [path.name for path in tmp_path.iterdir()] == ["state.json"]
    document = json.loads((tmp_path / "state.json").read_text())
    assert len(document["backends"][0]["images"]) == 1


def test_deleted_ids_are_never_issued_again_after_a_restart_with_the_same_seed(
    make_emulator: Callable[..., Running], tmp_path: Path
) -> None:
    first = make_emulator(data_dir=str(tmp_path), seed=11)
    deleted = available_image(first.client())
    first.client().delete_fpga_image(FpgaImageId=deleted)
    first.emulator.stop()

    second = make_emulator(data_dir=str(tmp_path), seed=11)

    assert available_image(second.client()) != deleted


def test_reset_through_the_control_api_is_persisted(
    make_emulator: Callable[..., Running], tmp_path: Path
) -> None:
    first = make_emulator(data_dir=str(tmp_path))
    available_image(first.client())
    control(first.url, "POST", "/reset")
    first.emulator.stop()

    second = make_emulator(data_dir=str(tmp_path))

    assert control(second.url, "GET", "/images")["images"] == []


def _control_view(emu: Running, image_id: str) -> dict[str, str]:
    images = control(emu.url, "GET", "/images")["images"]
    return dict(next(image for image in images if image["image_id"] == image_id))
