"""What a build changed against the previous one: pure, so every reader of two builds shares it.

The publish workflow deploys only when the pages changed; the job summary lists the versions added and
removed and the projects that appeared or vanished. Both read the same `Changes`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO

Published = Mapping[str, Mapping[str, str]]  # project → version → commit


@dataclass(frozen=True)
class Changes:
    """The difference between the previous build's published releases and this build's."""

    added: tuple[tuple[str, str], ...] = ()  # (project, version), sorted
    removed: tuple[tuple[str, str], ...] = ()
    recommitted: tuple[tuple[str, str], ...] = ()  # same version, another commit (an accepted moved tag)
    new_projects: tuple[str, ...] = ()
    gone_projects: tuple[str, ...] = ()
    pages_changed: bool = True  # the published pages differ from the previous build's
    first_build: bool = False  # there was no previous build to compare with


def site_digest(files: Mapping[str, bytes], exclude: frozenset[str] = frozenset()) -> str:
    """A sha256 over every page's path and bytes, except `exclude`: equal digests, equal sites."""
    digest = SiteDigest()
    for path in sorted(set(files) - exclude):
        digest.add(path, files[path])
    return digest.hexdigest()


class SiteDigest:
    """`site_digest`, given the pages one at a time in path order (as `render.site_pages` makes them)."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self._last: str | None = None

    def add(self, path: str, data: bytes) -> None:
        """A page's bytes."""
        self._start(path, len(data))
        self._sha.update(data)

    def add_file(self, path: str, file: BinaryIO) -> None:
        """`add` of a regular file's bytes, read a megabyte at a time (a catalogue of 100,000s of
        releases is tens of megabytes). ValueError when its size changes while it is read."""
        size = os.fstat(file.fileno()).st_size
        self._start(path, size)
        while chunk := file.read(1 << 20):
            size -= len(chunk)
            self._sha.update(chunk)
        if size:
            raise ValueError(f"{path} changed while it was read")

    def _start(self, path: str, size: int) -> None:
        if self._last is not None and path <= self._last:
            raise ValueError(f"pages out of order: {path!r} after {self._last!r}")
        self._last = path
        self._sha.update(f"{path}\0{size}\0".encode())

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def compare_builds(
    previous: Published,
    current: Published,
    *,
    previous_digest: str = "",
    current_digest: str = "",
    first_build: bool = False,
) -> Changes:
    """The changes from `previous` to `current`. Without both digests the pages count as changed."""
    added: list[tuple[str, str]] = []
    removed: list[tuple[str, str]] = []
    recommitted: list[tuple[str, str]] = []
    for project in previous.keys() | current.keys():
        before, after = previous.get(project, {}), current.get(project, {})
        if before == after:
            continue  # most projects on most builds: one comparison instead of one per release
        added += ((project, v) for v in after.keys() - before.keys())
        removed += ((project, v) for v in before.keys() - after.keys())
        recommitted += ((project, v) for v in after.keys() & before.keys() if after[v] != before[v])
    return Changes(
        added=tuple(sorted(added)),
        removed=tuple(sorted(removed)),
        recommitted=tuple(sorted(recommitted)),
        new_projects=tuple(sorted(current.keys() - previous.keys())),
        gone_projects=tuple(sorted(previous.keys() - current.keys())),
        pages_changed=not (previous_digest and previous_digest == current_digest),
        first_build=first_build,
    )
