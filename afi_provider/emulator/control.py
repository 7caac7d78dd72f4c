"""The control API: JSON endpoints under ``/_emulator/`` for tests and demos.

EC2 never serves this path, so the endpoints cannot collide with an EC2 action. They see
every account and region at once and may break rules on purpose (force a state, seed a public
image) that no EC2 request can.
"""

from __future__ import annotations

import json
import random
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from .backend import EmulatorState
from .models import FpgaImage, format_timestamp

CONTROL_PREFIX = "/_emulator"


class RequestStats:
    """Counts of EC2 requests by action and region, of mutating ones and of error codes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = 0
        self._mutating = 0
        self._by_action: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._mutating_by_action: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._errors: dict[str, int] = defaultdict(int)

    def record(self, action: str, region: str, mutating: bool, error_code: str | None) -> None:
        """Count one request (``mutating``: a mutating action sent without ``DryRun``)."""
        with self._lock:
            self._total += 1
            self._by_action[action][region] += 1
            if mutating:
                self._mutating += 1
                self._mutating_by_action[action][region] += 1
            if error_code is not None:
                self._errors[error_code] += 1

    def snapshot(self) -> dict[str, Any]:
        """Return the counts as a JSON-ready dict."""
        with self._lock:
            return {
                "total": self._total,
                "mutating": self._mutating,
                "by_action": {action: dict(r) for action, r in self._by_action.items()},
                "mutating_by_action": {
                    action: dict(r) for action, r in self._mutating_by_action.items()
                },
                "errors": dict(self._errors),
            }

    def reset(self) -> None:
        """Set every count back to zero."""
        with self._lock:
            self._total = 0
            self._mutating = 0
            self._by_action.clear()
            self._mutating_by_action.clear()
            self._errors.clear()


@dataclass
class FaultSettings:
    """Injected faults; changeable at run time through the control API."""

    throttle_rate: float = 0.0
    error_rate: float = 0.0
    latency_ms: float = 0.0

    def to_json(self) -> dict[str, float]:
        """Return the settings as a JSON-ready dict."""
        return {
            "throttle_rate": self.throttle_rate,
            "error_rate": self.error_rate,
            "latency_ms": self.latency_ms,
        }


class FaultInjector:
    """Decides, with a seeded generator, which requests are throttled or failed.

    :param settings: the rates and latency to apply.
    :param seed: seed of the generator; the same seed gives the same sequence of decisions.
    """

    def __init__(self, settings: FaultSettings, seed: int | None) -> None:
        self.settings = settings
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self) -> str | None:
        """Return ``"throttle"``, ``"error"`` or ``None`` for the next request."""
        with self._lock:
            roll = self._rng.random()
        if roll < self.settings.throttle_rate:
            return "throttle"
        if roll < self.settings.throttle_rate + self.settings.error_rate:
            return "error"
        return None

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update of the settings; raise ``ValueError`` on a bad one."""
        for name in ("throttle_rate", "error_rate"):
            if name in changes:
                rate = float(changes[name])
                if not 0.0 <= rate <= 1.0:
                    raise ValueError(f"{name} must be between 0 and 1")
                setattr(self.settings, name, rate)
        if "latency_ms" in changes:
            latency = float(changes["latency_ms"])
            if latency < 0:
                raise ValueError("latency_ms must not be negative")
            self.settings.latency_ms = latency
        unknown = set(changes) - {"throttle_rate", "error_rate", "latency_ms"}
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")


class ControlError(Exception):
    """A control request that cannot be served; carries the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def image_to_json(image: FpgaImage, now: float) -> dict[str, Any]:
    """Describe an image with everything the control API shows, including hidden fields."""
    return {
        "image_id": image.image_id,
        "global_id": image.global_id,
        "account_id": image.owner_id,
        "region": image.region,
        "name": image.name,
        "description": image.description,
        "state": image.state(now),
        "state_message": image.state_message(now),
        "create_time": format_timestamp(image.created_at),
        "update_time": format_timestamp(image.update_time(now)),
        "ready_time": format_timestamp(image.ready_at) if image.ready_at < 1e13 else None,
        "source_region": image.source_region,
        "source_image_id": image.source_image_id,
        "owner_alias": image.owner_alias,
        "public": image.public,
        "load_user_ids": list(image.load_user_ids),
        "product_codes": list(image.product_codes),
        "tags": dict(image.tags),
        "input_location": None if image.input_location is None else image.input_location.__dict__,
        "logs_location": None if image.logs_location is None else image.logs_location.__dict__,
    }


class ControlApi:
    """Serves the ``/_emulator/`` endpoints.

    :param state: the emulator's images.
    :param stats: the request counters.
    :param faults: the fault injector whose settings can be changed.
    """

    def __init__(self, state: EmulatorState, stats: RequestStats, faults: FaultInjector) -> None:
        self.state = state
        self.stats = stats
        self.faults = faults

    def handle(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """Serve one control request; return the HTTP status and JSON document."""
        try:
            payload = self._payload(body)
            return self._route(method, path[len(CONTROL_PREFIX) :].rstrip("/"), payload)
        except ControlError as error:
            return error.status, {"error": error.message}

    def _route(self, method: str, path: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        parts = [part for part in path.split("/") if part]
        if parts == ["health"] and method == "GET":
            return 200, {"status": "ok"}
        if parts == ["images"] and method == "GET":
            return 200, {"images": self.images()}
        if parts == ["images"] and method == "POST":
            return 201, self.add_image(payload)
        if len(parts) == 3 and parts[0] == "images" and parts[2] == "state" and method == "POST":
            return 200, self.set_image_state(parts[1], payload)
        if parts == ["requests"] and method == "GET":
            return 200, self.stats.snapshot()
        if parts == ["requests"] and method == "DELETE":
            self.stats.reset()
            return 200, self.stats.snapshot()
        if parts == ["faults"] and method == "GET":
            return 200, self.faults.settings.to_json()
        if parts == ["faults"] and method == "POST":
            try:
                self.faults.update(payload)
            except (TypeError, ValueError) as exc:
                raise ControlError(400, str(exc)) from exc
            return 200, self.faults.settings.to_json()
        if parts == ["reset"] and method == "POST":
            self.reset()
            return 200, {"status": "reset"}
        raise ControlError(404, f"no control endpoint {method} {CONTROL_PREFIX}{path}")

    def images(self) -> list[dict[str, Any]]:
        """Return every image of every account and region."""
        with self.state.lock:
            now = self.state.now()
            return [image_to_json(image, now) for image in self.state.all_images()]

    def add_image(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Seed an image from a JSON description (see ``docs/emulator.md``)."""
        allowed = {
            "account_id",
            "region",
            "name",
            "description",
            "state",
            "message",
            "public",
            "owner_alias",
            "load_user_ids",
            "tags",
        }
        unknown = set(payload) - allowed
        if unknown:
            raise ControlError(400, f"unknown image fields: {', '.join(sorted(unknown))}")
        if "region" not in payload:
            raise ControlError(400, "region is required")
        with self.state.lock:
            try:
                image = self.state.add_image(
                    account_id=str(payload.get("account_id", self.state.config.default_account)),
                    region=str(payload["region"]),
                    name=payload.get("name"),
                    description=payload.get("description"),
                    state=str(payload.get("state", "available")),
                    message=payload.get("message"),
                    public=bool(payload.get("public", False)),
                    owner_alias=payload.get("owner_alias"),
                    load_user_ids=[str(user) for user in payload.get("load_user_ids", [])],
                    tags={str(k): str(v) for k, v in payload.get("tags", {}).items()},
                )
            except (TypeError, ValueError, AttributeError) as exc:
                raise ControlError(400, str(exc)) from exc
            return image_to_json(image, self.state.now())

    def set_image_state(self, image_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Force an image's state: ``{"state": "unavailable", "message": "..."}``."""
        state = payload.get("state")
        if not isinstance(state, str):
            raise ControlError(400, "state is required")
        message = payload.get("message")
        with self.state.lock:
            try:
                self.state.set_image_state(image_id, state, message)
            except KeyError as exc:
                raise ControlError(404, f"no image {image_id}") from exc
            except ValueError as exc:
                raise ControlError(400, str(exc)) from exc
            image = self.state.find_image(image_id)
            assert image is not None
            return image_to_json(image, self.state.now())

    def reset(self) -> None:
        """Forget every image, client token and request count."""
        with self.state.lock:
            self.state.reset()
        self.stats.reset()

    @staticmethod
    def _payload(body: bytes) -> dict[str, Any]:
        if not body.strip():
            return {}
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise ControlError(400, f"body is not JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise ControlError(400, "body must be a JSON object")
        return document
