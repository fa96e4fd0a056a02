"""The one small interface every scanner offers, and what a scan returns.

A scanner lists repositories with their tags and reads the metadata files at the tag commits that the
caller does not already know (`need_files`), so a commit cache slots in without the scanner caring
where the knowledge comes from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..layouts import Discovery
from ..metadata import MAX_ROUNDS, files_wanted, pyproject_decides
from ..models import Owner, RepoSnapshot, Skip, SourceFiles, TagRef
from ..monorepo import KnownTree
from .http import ApiUsage

NeedFiles = Callable[[TagRef], bool]
"""Called with a tag: True when the scan must read the metadata files at its commit (the tag looks
like a release and its commit's metadata is not known yet)."""

SelectRepo = Callable[[RepoSnapshot], bool]
"""Called with a repository as listed (no tags yet): True when its tags and files are to be read.
Without one, a scanner reads every repository but forks."""


def wants_tags(repo: RepoSnapshot, select: SelectRepo | None) -> bool:
    return select(repo) if select is not None else not repo.fork


@dataclass(frozen=True)
class ScanResult:
    repos: tuple[RepoSnapshot, ...]
    # metadata key (`monorepo.metadata_key`: the commit SHA for the root, `<sha>:<dir>` below it) →
    # the files of the project in that directory at that commit
    files: Mapping[str, SourceFiles] = field(default_factory=dict)
    # Tags the scan found but cannot offer as a commit (a tag on a tree, a commit that is gone), with
    # their reasons; they are not in `repos`.
    skipped: tuple[Skip, ...] = ()
    # Full name → the default-branch tree's oid and project directories, for every repository whose
    # tree was read or carried over from the previous build (only when the scan discovers projects).
    trees: Mapping[str, KnownTree] = field(default_factory=dict)


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
    @property
    def usage(self) -> ApiUsage: ...

    def scan_owners(
        self,
        owners: Sequence[Owner],
        need_files: NeedFiles,
        progress: Progress,
        *,
        select: SelectRepo | None = None,
        discovery: Discovery | None = None,
        known: Mapping[str, RepoSnapshot] | None = None,
    ) -> ScanResult:
        """Every repository of each owner the token can see, with tags and the files needed. With
        `discovery`, also the projects below repository roots (`indexgen.layouts`): their trees in
        `trees`, their files under `<sha>:<dir>` keys. `known`: the previous build's snapshots by
        lower-cased full name, whose unchanged tags a scanner may return as they are (the result is
        equal either way; it saves memory)."""
        ...

    def scan_repos(
        self,
        full_names: Sequence[str],
        need_files: NeedFiles,
        progress: Progress,
        *,
        select: SelectRepo | None = None,
        discovery: Discovery | None = None,
        known: Mapping[str, RepoSnapshot] | None = None,
    ) -> ScanResult:
        """Just these repositories (`owner/name`), for a targeted rescan. `known`: the previous
        build's snapshots by lower-cased full name, from which a scanner may take the tags it can
        prove unchanged instead of listing them again (the result is the same either way)."""
        ...


def usable_text(
    path: str, text: str | None, *, binary: bool = False, too_large: bool = False
) -> tuple[str | None, str | None]:
    """A metadata file's text as the API gave it, or why it cannot be used: (text, None) or
    (None, reason). A NUL byte counts as binary here, as GraphQL's `isBinary` does, so both scanners
    give the same reason for the same file."""
    if too_large:
        return None, f"{path} is larger than 1 MiB"
    if binary or text is None or "\0" in text:
        return None, f"{path} is binary"
    return text, None


def relevant_files(files: SourceFiles) -> SourceFiles:
    """What parsing may look at: when pyproject.toml alone decides (`pyproject_decides`), setup.cfg
    and setup.py play no part, so every scanner reports the same files whatever it happened to read."""
    if files.pyproject_toml is not None and pyproject_decides(files.pyproject_toml):
        pyproject_problems = tuple(
            p for p in files.problems if p.split(" ", 1)[0].rsplit("/", 1)[-1] == "pyproject.toml"
        )
        return SourceFiles(pyproject_toml=files.pyproject_toml, problems=pyproject_problems)
    return files


FetchReferenced = Callable[[Sequence[tuple[str, str]]], Mapping[tuple[str, str], str | None]]
"""Reads (commit, repository path) pairs in as few requests as the API allows: text, or None where
the file is absent or not usable text."""


def follow_references(
    files: Mapping[str, SourceFiles], fetch: FetchReferenced, project_dir: str = ""
) -> dict[str, SourceFiles]:
    """The files the metadata refers to (a version module, a VERSION file), read in rounds: each round
    asks parsing what it needs next (`files_wanted`) for every commit at once, so a round costs one
    batch, and only commits whose metadata refers to a file cost anything.

    `files` is keyed by metadata key: a `<sha>:<dir>` key is the project in `<dir>` (its metadata's
    paths are relative to it), a plain SHA the project in `project_dir`; `fetch` is asked for
    (commit SHA, repository path) pairs either way."""
    out = dict(files)
    pending = list(out)  # after the first round, only commits that asked for something can ask again
    for _ in range(MAX_ROUNDS):
        wanted = {
            key: paths for key in pending if (paths := files_wanted(out[key], _directory(key, project_dir)))
        }
        if not wanted:
            break
        pending = list(wanted)
        pairs = {(key.partition(":")[0], path) for key, paths in wanted.items() for path in paths}
        got = fetch(sorted(pairs))
        for key, paths in wanted.items():
            sha = key.partition(":")[0]
            new = tuple((path, got.get((sha, path))) for path in sorted(paths))
            out[key] = dataclasses.replace(out[key], referenced=out[key].referenced + new)
    return out


def _directory(key: str, project_dir: str) -> str:
    _, colon, directory = key.partition(":")
    return directory if colon else project_dir
