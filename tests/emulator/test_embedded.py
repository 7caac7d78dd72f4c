"""The in-process API: ``Emulator`` serves from a thread of the calling process."""

from __future__ import annotations

import pytest
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError

from afi_provider.emulator import Emulator, EmulatorConfig

from .support import available_image, ec2_client


def test_start_returns_a_loopback_url_on_a_free_port_and_stop_releases_it() -> None:
    first, second = Emulator(), Emulator()

    first_url, second_url = first.start(), second.start()
    try:
        assert first_url.startswith("http://127.0.0.1:")
        assert first_url != second_url
        assert ec2_client(first_url).describe_fpga_images()["FpgaImages"] == []
    finally:
        first.stop()
        second.stop()


def test_context_manager_starts_and_stops() -> None:
    with Emulator(EmulatorConfig(create_seconds=0.1)) as emulator:
        ec2 = ec2_client(emulator.url, "us-west-2")
        available_image(ec2)
        assert len(emulator.images()) == 1

    with pytest.raises(RuntimeError):
        emulator.url  # noqa: B018 - reading the property is the behaviour under test


def test_stopped_emulator_ends_pooled_keep_alive_connections() -> None:
    emulator = Emulator()
    ec2 = ec2_client(emulator.start())
    ec2.describe_fpga_images()

    emulator.stop()

    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        ec2.describe_fpga_images()


def test_starting_twice_is_an_error_and_stopping_twice_is_harmless() -> None:
    emulator = Emulator()
    emulator.start()
    try:
        with pytest.raises(RuntimeError):
            emulator.start()
    finally:
        emulator.stop()
    emulator.stop()
