"""Monorepo discovery during a scan and the layouts a build uses. Pure: the scanners do the reading.

A scanner asks three questions of each repository it lists (`monorepo` answers what a tree and a tag
say; this module decides when asking costs a request):
- must its default-branch tree be read? Only when no `[[repos."o/r".projects]]` replaces discovery,
  the tree's oid is not the one the previous build read, and a tag whose commit was never read is
  shaped like `<name>-v<version>`: a warm rebuild reads no tree.
- which project directories are read at which tag (`file_reads`): the directory a tag names, every
  directory when the tag may name a distribution (`core-v1.0` where no directory is `core`), none for a
  tag that cannot name a project;
- what the build then maps tags to (`build_layouts`): the directories, the configured projects, and
  the distribution names the metadata read at those directories gives.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from packaging.utils import canonicalize_name

from .models import MetadataResult, ProjectMetadata, RepoSnapshot, TagRef
from .monorepo import (
    KnownTree,
    SubProject,
    TreeRead,
    discover_projects,
    is_single_root,
    layout_for,
    metadata_key,
    names_a_project,
    tag_project,
)
from .rules import ProjectLayout

log = logging.getLogger("indexgen")


def _never(tag: TagRef, directory: str) -> bool:
    return False


def _stale(tag: TagRef) -> bool:
    return False


@dataclass(frozen=True)
class Discovery:
    """What a scanner needs to discover projects below repository roots without wasting requests."""

    known_trees: Mapping[str, KnownTree] = field(default_factory=dict)  # full name → previous build's
    configured: Mapping[str, tuple[ProjectLayout, ...]] = field(default_factory=dict)  # lower full name
    # True when the metadata at `metadata_key(tag.commit, directory)` must be read (not known yet).
    need: Callable[[TagRef, str], bool] = _never
    # True when the tag's commit was never read under any directory (a new tag, or a moved one).
    fresh: Callable[[TagRef], bool] = _stale
    # True when an earlier build found a project at the root of the tag's commit: what a scanner
    # without the listing's top-level names (REST) knows of a single-project repository on a rebuild.
    rooted: Callable[[TagRef], bool] = _stale

    def known(self, full_name: str) -> KnownTree | None:
        found = self.known_trees.get(full_name)
        if found is None:
            lower = full_name.lower()
            found = next((t for n, t in self.known_trees.items() if n.lower() == lower), None)
        return found

    def configured_for(self, full_name: str) -> tuple[ProjectLayout, ...]:
        return self.configured.get(full_name.lower(), ())


def needs_tree_read(repo: RepoSnapshot, discovery: Discovery) -> bool:
    """True when the repository's default-branch tree must be read now (see the module's docstring).
    `repo.tree_oid` is "" where the listing does not give it (REST): then only freshness decides."""
    if discovery.configured_for(repo.full_name):
        return False
    known = discovery.known(repo.full_name)
    if known is not None and repo.tree_oid and known.oid == repo.tree_oid:
        return False
    # Only a tag shaped like `<name>-v<version>` can release a project below the root: a repository
    # tagged `v1.0` alone is a single project whatever its tree holds.
    return any(discovery.fresh(t) and names_a_project(t.name) for t in repo.tags)


def tree_of(full_name: str, read: TreeRead) -> KnownTree:
    """The projects a tree read shows; a truncated tree cannot be trusted to show every project, so
    only the root is looked at (and the read is not repeated while the tree's oid stays)."""
    if read.truncated:
        log.warning(
            "%s: its default-branch tree is too large for one answer (GitHub truncated it): only a "
            "project at the repository root is looked for; list the others under "
            '[[repos."%s".projects]]',
            full_name,
            full_name.lower(),
        )
        return KnownTree(read.oid, ())
    return KnownTree(read.oid, discover_projects(read.paths))


def scan_layout(tree: KnownTree | None, configured: Sequence[ProjectLayout]) -> tuple[SubProject, ...]:
    """The layout a scan reads files by: distribution names are not known yet."""
    return layout_for(tree.projects if tree else (), configured)


def file_reads(
    repo: RepoSnapshot,
    layout: Sequence[SubProject],
    discovery: Discovery,
    need_root: Callable[[TagRef], bool],
    *,
    tree_read: bool = False,
) -> list[tuple[TagRef, str]]:
    """The (tag, project directory) pairs whose metadata files are still to be read, beyond the root
    reads `need_root` asks for already.

    In a repository with projects below its root: the directory a tag names; every directory without
    its own tag pattern when the tag may name a project by its distribution (`<name>-v<version>`…); no
    directory for any other tag. Elsewhere, when this scan read the tree (`tree_read`) and found no
    project below the root: the root, for a never-read tag that may name a project, so that its commit
    counts as read and does not cause a tree read again."""
    reads: list[tuple[TagRef, str]] = []
    seen: set[str] = set()
    monorepo = bool(layout) and not is_single_root(layout)
    for tag in repo.tags:
        if monorepo:
            found = tag_project(tag.name, layout)
            if not isinstance(found, str):
                directories = [found[0].path]
            elif names_a_project(tag.name):
                directories = [p.path for p in layout if p.tag_pattern is None]
            else:
                directories = []
        elif tree_read and discovery.fresh(tag) and names_a_project(tag.name) and not need_root(tag):
            directories = [""]
        else:
            directories = []
        for directory in directories:
            key = metadata_key(tag.commit, directory)
            if key not in seen and discovery.need(tag, directory):
                seen.add(key)
                reads.append((tag, directory))
    return reads


def distributions(
    repo: RepoSnapshot, directories: Sequence[str], metadata: Mapping[str, MetadataResult]
) -> dict[str, str]:
    """The distribution name each directory's metadata gives at the repository's tags: the most
    frequent one (ties: the first in sorted order), so a rename late in a project's life does not
    unmap its older tags."""
    names: dict[str, str] = {}
    for directory in directories:
        counted: Counter[str] = Counter()
        for tag in repo.tags:
            found = metadata.get(metadata_key(tag.commit, directory))
            if isinstance(found, ProjectMetadata):
                counted[canonicalize_name(found.name)] += 1
        if counted:
            names[directory] = min(counted, key=lambda n: (-counted[n], n))
    return names


def build_layouts(
    repos: Sequence[RepoSnapshot],
    trees: Mapping[str, KnownTree],
    configured: Mapping[str, tuple[ProjectLayout, ...]],
    metadata: Mapping[str, MetadataResult],
) -> dict[str, tuple[SubProject, ...]]:
    """`BuildOptions.layouts`: lower-cased full name → projects, for repositories with a project
    below the root; the others keep the repository-wide tag rules."""
    lowered = {name.lower(): tree for name, tree in trees.items()}
    layouts: dict[str, tuple[SubProject, ...]] = {}
    for repo in repos:
        lower = repo.full_name.lower()
        tree = lowered.get(lower)
        own = configured.get(lower, ())
        directories = [p.path for p in own] if own else list(tree.projects if tree else ())
        layout = layout_for(tree.projects if tree else (), own, distributions(repo, directories, metadata))
        if layout and not is_single_root(layout):
            layouts[lower] = layout
    return layouts


def project_dir(key: str) -> str:
    """The project directory of a metadata key (`monorepo.metadata_key`): "" for the root."""
    return key.partition(":")[2]


def key_commit(key: str) -> str:
    return key.partition(":")[0]
