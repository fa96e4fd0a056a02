"""The one small interface every scanner offers, and what a scan returns.

A scanner lists repositories with their tags and reads the metadata files at the tag commits that the
caller does not already know (`need_files`), so a commit cache slots in without the scanner caring
where the knowledge comes from.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..models import Owner, RepoSnapshot, SourceFiles, TagRef
from .http import ApiUsage

NeedFiles = Callable[[TagRef], bool]
"""Called with a tag: True when the scan must read the metadata files at its commit (the tag looks
like a release and its commit's metadata is not known yet)."""

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class ScanResult:
    repos: tuple[RepoSnapshot, ...]
    files: Mapping[str, SourceFiles] = field(default_factory=dict)  # commit SHA → files at its root


class Progress(Protocol):
    def start(self, owner: str, total: int | None) -> None: ...

    def advance(self, repos: int = 0, tags: int = 0, files: int = 0) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    def start(self, owner: str, total: int | None) -> None:
        pass

    def advance(self, repos: int = 0, tags: int = 0, files: int = 0) -> None:
        pass

    def finish(self) -> None:
        pass


class Scanner(Protocol):
    usage: ApiUsage

    def scan_owners(self, owners: Sequence[Owner], need_files: NeedFiles, progress: Progress) -> ScanResult:
        """Every repository of each owner the token can see, with tags and the files needed."""
        ...

    def scan_repos(self, full_names: Sequence[str], need_files: NeedFiles, progress: Progress) -> ScanResult:
        """Just these repositories (`owner/name`), for a targeted rescan."""
        ...


def pyproject_names_project(text: str) -> bool:
    """True when a pyproject.toml's `[project]` table names the project (PEP 621), so setup.cfg and
    setup.py need not be read. Anything unclear answers False and the other files are read."""
    try:
        project = tomllib.loads(text).get("project")
    except (tomllib.TOMLDecodeError, ValueError):
        return True  # malformed: the other files cannot repair it, parsing will report it
    return isinstance(project, dict) and isinstance(project.get("name"), str)
