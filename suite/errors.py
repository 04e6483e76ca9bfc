"""The suite's own error type: one line for the user, naming the file and the problem."""
from __future__ import annotations

from pathlib import Path


class SuiteError(Exception):
    """A user-facing error. ``str(err)`` is the one line the CLI prints."""

    def __init__(self, message: str, path: str | Path | None = None):
        self.path = str(path) if path is not None else None
        # one line, whatever the input echoed into the message holds (fuzzing found keys with newlines)
        message = message.replace("\r", "\\r").replace("\n", "\\n")
        self.reason = message
        super().__init__(f"{self.path}: {message}" if self.path else message)


class CorruptSample(SuiteError):
    """A sample that cannot be read; training skips and counts it."""
