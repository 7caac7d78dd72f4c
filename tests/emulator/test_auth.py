"""Optional SigV4 verification: with credentials configured, only valid signatures pass."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import botocore.auth
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from .support import Running, create_image, ec2_client

KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
ACCOUNT_KEY = "444455556666"


@pytest.fixture
def guarded(make_emulator: Callable[..., Running]) -> Running:
    """An emulator that checks signatures against two known keys."""
    return make_emulator(credentials={KEY: SECRET, ACCOUNT_KEY: "account-secret"})


def error_code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    """The AWS error code of a botocore ClientError."""
    return str(raised.value.response["Error"]["Code"])


def test_request_signed_with_the_right_secret_is_served(guarded: Running) -> None:
    ec2 = ec2_client(guarded.url, "us-west-2", KEY, SECRET)

    image_id = create_image(ec2, "signed name with spaces & symbols/+")

    assert ec2.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"]


def test_twelve_digit_key_still_selects_its_account_when_verified(guarded: Running) -> None:
    ec2 = ec2_client(guarded.url, "us-west-2", ACCOUNT_KEY, "account-secret")

    image_id = create_image(ec2)

    image = ec2.describe_fpga_images(FpgaImageIds=[image_id])["FpgaImages"][0]
    assert image["OwnerId"] == ACCOUNT_KEY


def test_wrong_secret_is_signature_does_not_match(guarded: Running) -> None:
    ec2 = ec2_client(guarded.url, "us-west-2", KEY, "not-the-secret")

    with pytest.raises(ClientError) as raised:
        ec2.describe_fpga_images()

    assert error_code(raised) == "SignatureDoesNotMatch"


def test_body_changed_after_signing_is_signature_does_not_match(guarded: Running) -> None:
    ec2 = ec2_client(guarded.url, "us-west-2", KEY, SECRET)

    def tamper(request: Any, **_: Any) -> None:
        request.body = request.body.replace("Name=honest", "Name=forged")

    ec2.meta.events.register("before-send.ec2.CreateFpgaImage", tamper)

    with pytest.raises(ClientError) as raised:
        create_image(ec2, "honest")

    assert error_code(raised) == "SignatureDoesNotMatch"


def test_unknown_access_key_is_auth_failure(guarded: Running) -> None:
    ec2 = ec2_client(guarded.url, "us-west-2", "AKIDUNKNOWN", SECRET)

    with pytest.raises(ClientError) as raised:
        ec2.describe_fpga_images()

    assert error_code(raised) == "AuthFailure"


def test_unsigned_request_is_auth_failure(guarded: Running) -> None:
    ec2 = guarded.client(config=Config(signature_version=UNSIGNED))

    with pytest.raises(ClientError) as raised:
        ec2.describe_fpga_images()

    assert error_code(raised) == "AuthFailure"


def test_signature_older_than_fifteen_minutes_is_request_expired(
    guarded: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    ec2 = ec2_client(guarded.url, "us-west-2", KEY, SECRET)
    an_hour_ago = datetime.datetime.now(datetime.timezone.utc).replace(
        tzinfo=None
    ) - datetime.timedelta(hours=1)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: an_hour_ago)

    with pytest.raises(ClientError) as raised:
        ec2.describe_fpga_images()

    assert error_code(raised) == "RequestExpired"


def test_without_credentials_configured_any_secret_is_accepted(emu: Running) -> None:
    ec2 = ec2_client(emu.url, "us-west-2", KEY, "anything at all")

    assert ec2.describe_fpga_images()["FpgaImages"] == []
