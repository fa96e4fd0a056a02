"""What a build changed against the previous one: pure, so every reader of two builds shares it.

The publish workflow deploys only when the pages changed; the job summary lists the versions added and
removed and the projects that appeared or vanished. Both read the same `Changes`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

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
    digest = hashlib.sha256()
    for path in sorted(set(files) - exclude):
        data = files[path]
        digest.update(f"{path}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def compare_builds(
    previous: Published,
    current: Published,
    *,
    previous_digest: str = "",
    current_digest: str = "",
    first_build: bool = False,
) -> Changes:
    """The changes from `previous` to `current`. Without both digests the pages count as changed."""
    before = {(p, v): c for p, versions in previous.items() for v, c in versions.items()}
    after = {(p, v): c for p, versions in current.items() for v, c in versions.items()}
    # The releases new or with another commit, by set arithmetic: nearly none on most builds.
    differing = {release for release, _ in after.items() - before.items()}
    return Changes(
        added=tuple(sorted(after.keys() - before.keys())),
        removed=tuple(sorted(before.keys() - after.keys())),
        recommitted=tuple(sorted(differing & before.keys())),
        new_projects=tuple(sorted(current.keys() - previous.keys())),
        gone_projects=tuple(sorted(previous.keys() - current.keys())),
        pages_changed=not (previous_digest and previous_digest == current_digest),
        first_build=first_build,
    )
