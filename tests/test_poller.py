"""The shared poll: however many copies wait in a region, one DescribeFpgaImages per interval."""

from __future__ import annotations

import threading

from afi_provider import ec2
from afi_provider.poller import PollPolicy, SharedPoller
from tests.conftest import Emulator


def test_waiters_in_several_processes_share_one_describe_per_interval(
    emulator: Emulator, aws_in_this_process: Emulator
) -> None:
    source = emulator.seed()
    west = emulator.client("us-west-2")
    copies = [
        west.copy_fpga_image(SourceFpgaImageId=source, SourceRegion="us-east-1")["FpgaImageId"]
        for _ in range(6)
    ]
    emulator.control("DELETE", "requests")
    # Two pollers over one state file stand for two provider processes.
    policy = PollPolicy(fast_interval=0.5, check_every=0.05)
    pollers = [SharedPoller("us-west-2", policy), SharedPoller("us-west-2", policy)]
    results: dict[str, str] = {}

    def wait(poller: SharedPoller, image_id: str) -> None:
        fetch = poller.waiter_fetch(image_id)
        while ec2.status(image := fetch()) == "pending":
            pass
        results[image_id] = ec2.status(image)

    threads = [
        threading.Thread(target=wait, args=(pollers[i % 2], image_id))
        for i, image_id in enumerate(copies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert results == {image_id: "available" for image_id in copies}
    describes = emulator.requests()["by_action"]["DescribeFpgaImages"]["us-west-2"]
    # The copies take 1 s: about three polls at 0.5 s intervals, where a poll per waiter would
    # make hundreds. The bound leaves room for a slow machine.
    assert describes <= 8, describes
