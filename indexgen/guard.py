"""Checks that stop a build before it publishes an index that would break installs. Pure.

The shrink guard compares the new index with what the previous build published: a token that lost
access to private repositories must never empty the published index, since every install in the
organisation depends on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .errors import IndexgenError
from .models import Index

DEFAULT_SHRINK_THRESHOLD = 0.10  # share of the previous releases that may vanish in one build


@dataclass(frozen=True)
class Shrink:
    lost_projects: tuple[str, ...]
    lost_releases: tuple[str, ...]  # "name==version"
    previous_releases: int

    @property
    def release_share(self) -> float:
        return len(self.lost_releases) / self.previous_releases if self.previous_releases else 0.0


@dataclass
class ShrinkRefused(IndexgenError):
    shrink: Shrink
    exit_code = 3

    def __str__(self) -> str:
        s = self.shrink
        parts = []
        if s.lost_projects:
            parts.append(f"{len(s.lost_projects)} projects ({_sample(s.lost_projects)})")
        parts.append(
            f"{len(s.lost_releases)} of {s.previous_releases} releases ({_sample(s.lost_releases)})"
            if s.lost_releases
            else "no releases"
        )
        return (
            "refusing to publish: the new index would drop " + " and ".join(parts) + "; a token that lost "
            "access looks like this. Nothing was written; pass --allow-shrink if the removal is intended"
        )


def _sample(names: tuple[str, ...], shown: int = 5) -> str:
    head = ", ".join(names[:shown])
    return head + (f", … {len(names) - shown} more" if len(names) > shown else "")


def find_shrink(previous: Mapping[str, Mapping[str, str]], index: Index) -> Shrink:
    """What the previous build published (project → version → commit) that the new index lacks.
    A yanked release is still listed, and one hidden below a `min_version` was left off on purpose:
    neither has vanished."""
    now: dict[str, set[str]] = {}
    for release in (*(r for p in index.projects for r in p.releases), *index.hidden):
        now.setdefault(release.project, set()).add(release.version)
    lost_projects = tuple(sorted(name for name in previous if name not in now))
    lost_releases = tuple(
        f"{name}=={version}"
        for name, versions in sorted(previous.items())
        for version in sorted(versions)
        if version not in now.get(name, set())
    )
    total = sum(len(v) for v in previous.values())
    return Shrink(lost_projects, lost_releases, total)


def check_shrink(
    previous: Mapping[str, Mapping[str, str]], index: Index, threshold: float = DEFAULT_SHRINK_THRESHOLD
) -> Shrink:
    """Raise `ShrinkRefused` when any project or more than `threshold` of the releases would vanish."""
    shrink = find_shrink(previous, index)
    if shrink_refused(shrink, threshold):
        raise ShrinkRefused(shrink)
    return shrink


def shrink_refused(shrink: Shrink, threshold: float = DEFAULT_SHRINK_THRESHOLD) -> bool:
    """Whether the guard refuses `shrink`: any project, or more than `threshold` of the releases, lost."""
    return bool(shrink.lost_projects) or shrink.release_share > threshold
