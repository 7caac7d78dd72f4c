"""Who sent a request and where: the SigV4 credential scope, and optional verification.

The region of an EC2 request is the region of its endpoint; an emulator has one endpoint for
every region, so the region is read from the credential scope the client signed with. The
account is derived from the access key id as moto does: a 12-digit key id is an account id,
any other key belongs to the default account.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from . import errors
from .models import ACCOUNT_ID_RE

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_CLOCK_SKEW_SECONDS = 15 * 60

_AUTH_FIELD_RE = re.compile(r"(Credential|SignedHeaders|Signature)=([^,\s]+)")


@dataclass(frozen=True)
class SignedRequest:
    """The parts of an HTTP request that a SigV4 signature covers."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Signature:
    """A parsed ``Authorization: AWS4-HMAC-SHA256 ...`` header."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


@dataclass(frozen=True)
class Caller:
    """The account and region a request acts in."""

    account_id: str
    region: str
    access_key_id: str | None


def parse_authorization(header: str | None) -> Signature | None:
    """Parse a SigV4 ``Authorization`` header; ``None`` when absent or of another scheme."""
    if not header or not header.startswith(ALGORITHM):
        return None
    fields = dict(_AUTH_FIELD_RE.findall(header))
    scope = fields.get("Credential", "").split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or "SignedHeaders" not in fields:
        return None
    access_key_id, date, region, service, _ = scope
    return Signature(
        access_key_id=access_key_id,
        date=date,
        region=region,
        service=service,
        signed_headers=tuple(fields["SignedHeaders"].split(";")),
        signature=fields.get("Signature", ""),
    )


def identify(signature: Signature | None, default_account: str, default_region: str) -> Caller:
    """Return the caller of a request from its (possibly absent) signature."""
    if signature is None:
        return Caller(default_account, default_region, None)
    key = signature.access_key_id
    account = key if ACCOUNT_ID_RE.match(key) else default_account
    return Caller(account, signature.region or default_region, key)


def verify(
    request: SignedRequest,
    signature: Signature | None,
    secrets: Mapping[str, str],
    now: float | None = None,
) -> None:
    """Check a request's SigV4 signature against the known secrets.

    :raises AuthFailure: unsigned request or unknown access key.
    :raises RequestExpired: ``X-Amz-Date`` more than 15 minutes off.
    :raises SignatureDoesNotMatch: the signature was not made with the key's secret.
    """
    if signature is None:
        raise errors.AuthFailure()
    secret = secrets.get(signature.access_key_id)
    if secret is None:
        raise errors.AuthFailure()
    headers = {name.lower(): value for name, value in request.headers.items()}
    amz_date = headers.get("x-amz-date", "")
    try:
        signed_at = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    except ValueError as exc:
        raise errors.AuthFailure("The request must carry a valid X-Amz-Date header.") from exc
    current = time.time() if now is None else now
    if abs(current - signed_at) > MAX_CLOCK_SKEW_SECONDS:
        raise errors.RequestExpired(amz_date)

    expected = compute_signature(request, signature, secret, amz_date)
    if not hmac.compare_digest(expected, signature.signature):
        raise errors.SignatureDoesNotMatch()


def compute_signature(
    request: SignedRequest, signature: Signature, secret: str, amz_date: str
) -> str:
    """Return the hex SigV4 signature of ``request`` under the scope of ``signature``."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    canonical_headers = "".join(
        f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signature.signed_headers
    )
    payload_hash = headers.get("x-amz-content-sha256") or hashlib.sha256(request.body).hexdigest()
    canonical_request = "\n".join(
        [
            request.method,
            _canonical_path(request.path),
            _canonical_query(request.query),
            canonical_headers,
            ";".join(signature.signed_headers),
            payload_hash,
        ]
    )
    scope = f"{signature.date}/{signature.region}/{signature.service}/aws4_request"
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = f"AWS4{secret}".encode()
    for part in (signature.date, signature.region, signature.service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def _canonical_path(path: str) -> str:
    decoded = urllib.parse.unquote(path or "/")
    return urllib.parse.quote(decoded, safe="/-_.~")


def _canonical_query(query: str) -> str:
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    encoded = sorted(
        (urllib.parse.quote(key, safe="-_.~"), urllib.parse.quote(value, safe="-_.~"))
        for key, value in pairs
    )
    return "&".join(f"{key}={value}" for key, value in encoded)


def load_credentials_file(path: str) -> dict[str, str]:
    """Read access keys and secrets from a file.

    Two forms are accepted: lines of ``ACCESS_KEY_ID:SECRET`` (blank lines and ``#``
    comments ignored), or an AWS shared-credentials INI file whose sections set
    ``aws_access_key_id`` and ``aws_secret_access_key``.
    """
    import configparser

    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if re.search(r"^\s*\[", text, flags=re.MULTILINE):
        parser = configparser.ConfigParser()
        parser.read_string(text)
        found: dict[str, str] = {}
        for section in parser.sections():
            key = parser.get(section, "aws_access_key_id", fallback=None)
            secret = parser.get(section, "aws_secret_access_key", fallback=None)
            if key and secret:
                found[key.strip()] = secret.strip()
        return found
    return parse_credential_lines(text.splitlines())


def parse_credential_lines(lines: list[str]) -> dict[str, str]:
    """Parse ``ACCESS_KEY_ID:SECRET`` entries; raise ``ValueError`` on a malformed one."""
    found: dict[str, str] = {}
    for line in lines:
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        key, separator, secret = entry.partition(":")
        if not separator or not key or not secret:
            raise ValueError(f"expected ACCESS_KEY_ID:SECRET, got {entry!r}")
        found[key] = secret
    return found
