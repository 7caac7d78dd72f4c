"""Concurrent requests: one lock keeps the state consistent under parallel clients."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .support import Running, control, create_image


def test_parallel_creates_from_many_clients_all_land_with_distinct_ids(emu: Running) -> None:
    regions = ["us-east-1", "us-west-2"]
    accounts = ["111111111111", "222222222222"]
    clients = [emu.client(region, account) for region in regions for account in accounts]

    def create_many(index: int) -> list[str]:
        client = clients[index % len(clients)]
        return [create_image(client, f"worker-{index}-{n}") for n in range(10)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = [image_id for batch in pool.map(create_many, range(8)) for image_id in batch]

    assert len(set(created)) == 80
    assert len(control(emu.url, "GET", "/images")["images"]) == 80
    counts = control(emu.url, "GET", "/requests")
    assert counts["mutating"] == 80
    assert sum(counts["by_action"]["CreateFpgaImage"].values()) == 80


def test_parallel_copies_with_one_client_token_make_one_copy(emu: Running) -> None:
    east = emu.client("us-east-1")
    source_id = create_image(east)
    control(emu.url, "POST", f"/images/{source_id}/state", {"state": "available"})
    clients = [emu.client("us-west-2") for _ in range(6)]

    def copy(index: int) -> str:
        return str(
            clients[index].copy_fpga_image(
                SourceFpgaImageId=source_id, SourceRegion="us-east-1", ClientToken="once"
            )["FpgaImageId"]
        )

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = set(pool.map(copy, range(6)))

    assert len(answers) == 1
    west = [i for i in control(emu.url, "GET", "/images")["images"] if i["region"] == "us-west-2"]
    assert [image["image_id"] for image in west] == list(answers)
