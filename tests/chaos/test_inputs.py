"""Bad input, bad credentials, secrets and other accounts' images."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from afi_provider.offline import aws_env
from afi_provider.provider import AfiError, CopiedAfiProvider
from tests.chaos.conftest import Record
from tests.conftest import Emulator, new_stack, wait_for_state

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]

OTHER_ACCOUNT = "210987654321"


def bad_inputs(emulator: Emulator) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each kind of bad input: (the property the error must name, the CopiedAfi arguments)."""
    good = emulator.seed(name="good")
    pending = emulator.control(
        "POST", "images", {"region": "us-east-1", "name": "still-building", "state": "pending"}
    )["image_id"]
    failed = emulator.seed(name="broken")
    emulator.force_state(failed, "failed", "Build failed: bitstream errors")
    foreign = emulator.seed(name="theirs", account=OTHER_ACCOUNT)
    emulator.client(account=OTHER_ACCOUNT).modify_fpga_image_attribute(
        FpgaImageId=foreign, Attribute="loadPermission", LoadPermission={"Add": [{"Group": "all"}]}
    )
    agfi = emulator.client().describe_fpga_images(FpgaImageIds=[good])["FpgaImages"][0][
        "FpgaImageGlobalId"
    ]
    base = {"source_fpga_image_id": good, "source_region": "us-east-1", "region": "us-west-2"}
    src = "source_fpga_image_id"
    return {
        "malformed source id": (src, {**base, src: "afi-123"}),
        "agfi given as the source id": (src, {**base, src: agfi}),
        "upper-case hex in the source id": (src, {**base, src: good.upper().replace("AFI", "afi")}),
        "source that does not exist": (src, {**base, src: "afi-00000000000000000"}),
        "source owned by another account": (src, {**base, src: foreign}),
        "source still pending": (src, {**base, src: pending}),
        "source that failed": (src, {**base, src: failed}),
        "unknown destination region": ("region", {**base, "region": "us-middle-1"}),
        "malformed source region": ("source_region", {**base, "source_region": "virginia"}),
        "tag key with the aws: prefix": ("tags", {**base, "tags": {"aws:team": "x"}}),
        "51 tags": ("tags", {**base, "tags": {f"k{i}": "v" for i in range(51)}}),
        "tag value over 256 characters": ("tags", {**base, "tags": {"k": "v" * 257}}),
        "account id of 11 digits": (
            "load_permissions",
            {**base, "load_permissions": {"user_ids": ["12345678901"], "public": False}},
        ),
        "sharing without `public`": (
            "load_permissions",
            {**base, "load_permissions": {"user_ids": ["111122223333"]}},
        ),
        "timeout of 0 seconds": ("wait_timeout_seconds", {**base, "wait_timeout_seconds": 0}),
        "timeout as text": ("wait_timeout_seconds", {**base, "wait_timeout_seconds": "1h"}),
        "name of 256 characters": ("name", {**base, "name": "n" * 256}),
        "adopt_existing as text": ("adopt_existing", {**base, "adopt_existing": "yes"}),
    }


def test_every_kind_of_bad_input_is_rejected_at_preview_with_nothing_mutated(
    tmp_path: Path, engine_bin: Path, emulator: Emulator, record: Record
) -> None:
    kinds = bad_inputs(emulator)
    record(
        f"{len(kinds)} kinds of bad input (malformed ids, agfi for afi, unknown region, "
        "source not owned / pending / failed, bad tags, account ids, timeouts, …)"
    )
    stack = new_stack(tmp_path, engine_bin, emulator.url)
    emulator.control("DELETE", "requests")

    rejected = []
    for kind, (prop, args) in kinds.items():
        stack.write_program(f"from afi_provider import CopiedAfi\nCopiedAfi('bad', **{args!r})\n")
        preview = stack.pulumi("preview", check=False)
        block = diagnostics_of(preview.output, "bad")
        assert preview.returncode != 0, f"{kind}: {preview.output}"
        assert f"property {prop} " in block, f"{kind}: {block or preview.output}"
        assert "Traceback" not in block, f"{kind}: {block}"
        rejected.append(kind)

    assert rejected == list(kinds)
    assert emulator.requests()["mutating"] == 0
    record.count(
        f"{len(rejected)} of {len(kinds)} rejected at preview naming the property; "
        f"{emulator.requests()['mutating']} mutating requests"
    )


def diagnostics_of(output: str, resource: str) -> str:
    """The engine's diagnostics block for one resource."""
    found = re.search(
        rf"pulumi-python:dynamic/fpga:CopiedAfi \({re.escape(resource)}\):\n(.*?)(?=\n  \S|\Z)",
        output,
        re.S,
    )
    return found.group(1) if found else ""


def preview_without(env_changes: dict[str, str | None], stack: Any) -> tuple[Any, float]:
    env = dict(stack.env)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    started = time.monotonic()
    done = subprocess.run(
        ["pulumi", "preview", "--non-interactive", "--stack", stack.name],
        cwd=stack.dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, time.monotonic() - started


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("no credentials", "no AWS credentials found"),
        ("wrong credentials", "SignatureDoesNotMatch"),
        ("endpoint unreachable", "cannot reach the EC2 endpoint"),
    ],
)
def test_credential_and_endpoint_problems_give_one_clear_line_quickly(
    case: str,
    expected: str,
    tmp_path: Path,
    engine_bin: Path,
    start_emulator: Callable[..., Emulator],
    record: Record,
) -> None:
    record(f"{case} at `pulumi preview`")
    right = aws_env("")["AWS_SECRET_ACCESS_KEY"]
    emulator = start_emulator("--credential", f"AKIAAFIPROVIDERTEST:{right}")
    source = emulator.seed()  # test clients sign with the right secret
    stack = new_stack(tmp_path, engine_bin, emulator.url)
    stack.write_program(
        "from afi_provider import CopiedAfi\n"
        f"CopiedAfi('copy', source_fpga_image_id={source!r}, source_region='us-east-1', "
        "region='us-west-2')\n"
    )
    changes: dict[str, str | None] = {}
    if case == "no credentials":
        changes = {
            "AWS_ACCESS_KEY_ID": None,
            "AWS_SECRET_ACCESS_KEY": None,
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
        }
    elif case == "wrong credentials":
        changes = {"AWS_SECRET_ACCESS_KEY": "a-wrong-secret"}
    else:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed = probe.getsockname()[1]
        changes["AWS_ENDPOINT_URL_EC2"] = f"http://127.0.0.1:{closed}"

    emulator.control("DELETE", "requests")
    done, elapsed = preview_without(changes, stack)

    output = done.stdout + done.stderr
    assert done.returncode != 0
    lines = [line.strip() for line in output.splitlines() if expected in line]
    assert lines, output
    assert "property source_fpga_image_id" in lines[0]
    assert "Traceback" not in output
    assert elapsed < 60  # no hang: each of these fails on its first request
    reason = lines[0].split("has a problem: ")[-1]
    record.count(f"failed in {elapsed:.1f} s with: `{reason}`")
    assert emulator.requests()["mutating"] == 0


def test_the_secret_key_appears_in_no_state_output_or_log(
    tmp_path: Path, engine_bin: Path, start_emulator: Callable[..., Emulator], record: Record
) -> None:
    record("the AWS secret access key used by the run")
    secret = "s3cr3t-" + "9f2c1e7a44b04d1d8e6f"
    emulator = start_emulator(
        "--credential", f"AKIAAFIPROVIDERTEST:{secret}", "--log-level", "info"
    )
    stack = new_stack(tmp_path, engine_bin, emulator.url)
    stack.env["AWS_SECRET_ACCESS_KEY"] = secret
    ec2 = __import__("boto3").client(
        "ec2",
        region_name="us-east-1",
        endpoint_url=emulator.url,
        aws_access_key_id="AKIAAFIPROVIDERTEST",
        aws_secret_access_key=secret,
    )
    source = ec2.create_fpga_image(InputStorageLocation={"Bucket": "b", "Key": "k"})["FpgaImageId"]
    wait_for_state(ec2, source, "available")
    stack.write_program(
        "import pulumi\nfrom afi_provider import CopiedAfi\n"
        f"c = CopiedAfi('copy', source_fpga_image_id={source!r}, source_region='us-east-1', "
        "region='us-west-2')\npulumi.export('copy', c)\n"
    )

    stack.up()
    stack.pulumi("refresh", "--yes")
    export = stack.pulumi("stack", "export", "--show-secrets").stdout
    outputs = stack.pulumi("stack", "output", "--json", "--show-secrets").stdout
    stack.pulumi("destroy", "--yes")

    places = {
        "stack export (secrets shown)": export,
        "stack outputs": outputs,
        "CLI output of up, refresh and destroy": "".join(r.output for r in stack.runs),
        "emulator log": (tmp_path / "emulator.log").read_text(),
        "state files": "".join(
            p.read_text(errors="replace") for p in (tmp_path / "backend").rglob("*") if p.is_file()
        ),
    }
    assert json.loads(outputs)["copy"]["state"] == "available"
    for place, text in places.items():
        assert secret not in text, place
    record.count(f"0 occurrences in {', '.join(places)}")


def test_two_stacks_with_the_same_copy_get_independent_copies(
    tmp_path: Path, engine_bin: Path, emulator: Emulator, record: Record
) -> None:
    record("two stacks declaring the same source and region")
    source = emulator.seed()
    program = (
        "from afi_provider import CopiedAfi\n"
        f"CopiedAfi('copy', source_fpga_image_id={source!r}, source_region='us-east-1', "
        "region='us-west-2')\n"
    )
    first = new_stack(tmp_path / "a", engine_bin, emulator.url, name="a")
    second = new_stack(tmp_path / "b", engine_bin, emulator.url, name="b")
    for stack in (first, second):
        stack.write_program(program)
        stack.up()

    ids = [s.resources()[0]["outputs"]["fpga_image_id"] for s in (first, second)]
    assert ids[0] != ids[1]
    assert sorted(i["FpgaImageId"] for i in emulator.images("us-west-2")) == sorted(ids)
    first.pulumi("destroy", "--yes")

    assert [i["FpgaImageId"] for i in emulator.images("us-west-2")] == [ids[1]]
    record.count("2 copies after both `up`s; 1 left, the other stack's, after one `destroy`")


@pytest.fixture
def provider(aws_in_this_process: Emulator) -> CopiedAfiProvider:
    """The provider in this process, talking to the emulator as the default account."""
    return CopiedAfiProvider()


def props(source: str, region: str = "us-west-2", **more: Any) -> dict[str, Any]:
    return {
        "source_fpga_image_id": source,
        "source_region": "us-east-1",
        "region": region,
        "client_token_seed": "chaos/test/copy",
        "wait_timeout_seconds": 60,
        **more,
    }


@pytest.mark.parametrize(
    ("why", "message"),
    [
        (
            "not owned",
            "NOT_FOUND: Source image is not found or the user ID is not authorized to copy "
            "source image.",
        ),
        (
            "not available",
            "INVALID_STATE: Source image is not in a suitable state to allow copying.",
        ),
    ],
)
def test_a_copy_that_ends_failed_carries_aws_message_and_leaves_no_image(
    why: str, message: str, emulator: Emulator, provider: CopiedAfiProvider, record: Record
) -> None:
    record(f"a copy that ends `failed` (source {why})")
    if why == "not owned":
        source = emulator.seed(account=OTHER_ACCOUNT)
        emulator.client(account=OTHER_ACCOUNT).modify_fpga_image_attribute(
            FpgaImageId=source,
            Attribute="loadPermission",
            LoadPermission={"Add": [{"Group": "all"}]},
        )
    else:
        source = emulator.seed()
        emulator.force_state(source, "unavailable")

    with pytest.raises(AfiError) as failure:
        provider.create(props(source))

    assert f"to us-west-2 failed: {message}" in str(failure.value)
    assert emulator.images("us-west-2") == []
    record.count(f"error ends with AWS's `{message.split(':')[0]}` message; 0 images left")


def test_another_accounts_image_cannot_be_copied_changed_or_deleted(
    emulator: Emulator, provider: CopiedAfiProvider, record: Record
) -> None:
    record("another account's image, through the resource")
    theirs = emulator.seed("us-west-2", name="theirs", account=OTHER_ACCOUNT)
    emulator.client("us-west-2", account=OTHER_ACCOUNT).modify_fpga_image_attribute(
        FpgaImageId=theirs, Attribute="loadPermission", LoadPermission={"Add": [{"Group": "all"}]}
    )
    before = emulator.control("GET", "images")["images"]
    mine = emulator.seed()

    as_source = {**props(theirs, region="us-east-1"), "source_region": "us-west-2"}
    failures = provider.check({}, as_source).failures
    assert failures and "owned by account" in failures[0].reason
    with pytest.raises(AfiError):
        provider.update(theirs, props(mine), props(mine, name="hijacked"))
    with pytest.raises(AfiError):
        provider.delete(theirs, props(mine))

    after = [i for i in emulator.control("GET", "images")["images"] if i["image_id"] == theirs]
    assert after == [i for i in before if i["image_id"] == theirs]
    refused = ", ".join(f"{code} x{n}" for code, n in emulator.requests()["errors"].items())
    record.count(f"check refuses it; update and delete raise (EC2 answered {refused}); unchanged")
