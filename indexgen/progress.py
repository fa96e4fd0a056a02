"""Progress of a long scan, for the CLI: a live line on a terminal, periodic plain lines elsewhere
(GitHub Actions logs show carriage returns as clutter)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


class StreamProgress:
    def __init__(
        self, stream: TextIO, *, interval: float = 10.0, clock: Callable[[], float] = time.monotonic
    ):
        self._stream = stream
        self._live = bool(getattr(stream, "isatty", lambda: False)())
        self._interval = 0.2 if self._live else interval
        self._clock = clock
        self._last = clock()
        self._owner = ""
        self._total: int | None = None
        self.repos = self.tags = self.files = 0

    def _line(self) -> str:
        total = f"/{self._total}" if self._total else ""
        return (
            f"scanning {self._owner}: {self.repos}{total} repositories, {self.tags} tags, "
            f"{self.files} commits read"
        )

    def _emit(self, force: bool = False) -> None:
        now = self._clock()
        if not force and now - self._last < self._interval:
            return
        self._last = now
        if self._live:
            self._stream.write("\r\x1b[K" + self._line())
        else:
            self._stream.write(self._line() + "\n")
        self._stream.flush()

    def start(self, owner: str, total: int | None) -> None:
        self._owner, self._total, self.repos = owner, total, 0
        self._emit()

    def advance(self, repos: int = 0, tags: int = 0, files: int = 0) -> None:
        self.repos += repos
        self.tags += tags
        self.files += files
        self._emit()

    def finish(self) -> None:
        if self._live:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
