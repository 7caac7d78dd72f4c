"""Durable storage of the emulator's state as one JSON document."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

STATE_FILE = "state.json"


class StateStore:
    """Reads and atomically rewrites ``state.json`` in a data directory.

    A write goes to a temporary file in the same directory, is flushed to disk, then renamed
    over the old file, so a crash at any moment leaves either the old state or the new one.

    :param data_dir: directory to keep the file in; created if missing.
    """

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.directory = Path(data_dir)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / STATE_FILE

    def load(self) -> dict[str, Any] | None:
        """Return the stored document, or ``None`` when nothing was stored yet."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        document: dict[str, Any] = json.loads(text)
        return document

    def save(self, document: dict[str, Any]) -> None:
        """Replace the stored document with ``document``."""
        fd, temp_name = tempfile.mkstemp(prefix=".state-", suffix=".json", dir=self.directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, self.path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
