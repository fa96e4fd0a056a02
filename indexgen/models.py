"""The records that travel between indexgen's layers.

Everything the GitHub layer learns is converted at once into these frozen records; nothing past the
scanner sees a PyGithub object or a GraphQL dict. The build layer turns them into an `Index`, which the
renderer turns into pages. All of them load from and dump to plain JSON-able values (see `state.py`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from enum import Enum


class OwnerKind(str, Enum):
    ORG = "org"
    USER = "user"
    ANY = "owner"  # from the config file's `owners`: an organisation or a user, whichever it is


@dataclass(frozen=True)
class Owner:
    """A GitHub account to scan: an organisation (`--org`) or a user (`--user`)."""

    login: str
    kind: OwnerKind


@dataclass(frozen=True, slots=True)
class TagRef:
    """A git tag and the commit it points to, peeled through annotated tags (40 hex)."""

    name: str
    commit: str
    # When it was released: the annotated tag's tagger date, else the commit's committed date
    # (ISO 8601, as GitHub gives it); "" where the scan did not get it for free (REST).
    date: str = ""


@dataclass(frozen=True, slots=True)
class RepoSnapshot:
    """One repository as the API listed it, with its tags (empty for skipped repositories)."""

    full_name: str  # "owner/name", as GitHub spells it
    clone_url: str  # https clone URL from the API (`clone_url`, GraphQL `url` + ".git")
    html_url: str
    created_at: str  # ISO 8601 UTC, as GitHub gives it; orders name conflicts
    private: bool = False
    fork: bool = False
    archived: bool = False
    empty: bool = False
    description: str = ""
    ssh_url: str = ""
    tags: tuple[TagRef, ...] = ()
    topics: tuple[str, ...] = ()  # GitHub topics, lower-case as GitHub keeps them
    # The oid of the default branch's root tree as the listing gives it (GraphQL), "" where unknown
    # (REST, empty repositories): an unchanged oid means unchanged project directories.
    tree_oid: str = ""


@dataclass(frozen=True)
class SourceFiles:
    """The metadata files at the root of a project at one commit; None where the file is absent.

    A file that exists but cannot be used as text (binary, too large, not UTF-8) is given as None
    with a reason in `problems`, so parsing can report why instead of guessing.
    """

    pyproject_toml: str | None = None
    setup_cfg: str | None = None
    setup_py: str | None = None
    problems: tuple[str, ...] = ()
    # Files the metadata refers to (a version module, a VERSION file), read in later rounds: repository
    # path → text, None where the file is absent or not usable text.
    referenced: tuple[tuple[str, str | None], ...] = ()


METADATA_FILES = ("pyproject.toml", "setup.cfg", "setup.py")


@dataclass(frozen=True, slots=True)
class ProjectMetadata:
    """What a project's metadata says at one commit, read statically (never executed).

    `version` is None when the version is dynamic (setuptools-scm, hatch-vcs, `dynamic = ["version"]`):
    the tag's version is taken then.
    """

    name: str
    version: str | None
    requires_python: str | None = None
    # One-line summary (core metadata `Summary`, `[project] description`); None when not static.
    summary: str | None = None
    # Static `Requires-Dist` entries as `packaging.requirements.Requirement` prints them, in file order.
    dependencies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MetadataProblem:
    """Why the metadata at one commit cannot make a release: the skip reason for its tags."""

    reason: str


MetadataResult = ProjectMetadata | MetadataProblem


@dataclass(frozen=True, slots=True)
class Skip:
    """A repository or tag that publishes nothing, and why. `tag` is None for a whole repository."""

    repository: str
    tag: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Release:
    """One installable version: one anchor on the project's page."""

    project: str  # canonical (PEP 503 normalised) project name
    version: str  # normalised PEP 440 version, no local part, no epoch
    tag: str
    commit: str
    repository: str  # owner/name
    url: str  # the full VCS link pip gets
    requires_python: str | None = None
    date: str = ""  # the tag's date (see TagRef), "" when unknown
    # Static `Requires-Dist` of the metadata at this commit (ProjectMetadata.dependencies).
    dependencies: tuple[str, ...] = ()
    # PEP 592: the reason this release is yanked ("" for no reason given); None when not yanked.
    yanked: str | None = None


@dataclass(frozen=True)
class Project:
    """A published project: its canonical name, the repository that owns the name, its releases."""

    name: str  # canonical name, the directory under simple/
    display_name: str  # the name as the latest release's metadata spells it
    repository: str
    html_url: str
    description: str
    releases: tuple[Release, ...]  # oldest first, by PEP 440 ordering
    summary: str = ""  # the latest release's metadata summary, "" when it states none
    topics: tuple[str, ...] = ()
    archived: bool = False

    @functools.cached_property  # asked for by every page that names the project
    def latest(self) -> Release:
        """The highest final release, or the highest pre-release when there is no final one; a yanked
        release only when every release is yanked (pip passes over yanked ones, PEP 592)."""
        from packaging.version import Version

        listed = [r for r in self.releases if r.yanked is None] or list(self.releases)
        finals = [r for r in listed if not Version(r.version).is_prerelease]
        return (finals or listed)[-1]


@dataclass(frozen=True)
class MovedTag:
    """A published version whose tag now points at another commit. Lock files pin `name==version`,
    so the index keeps the published commit unless the move is accepted (PyPI forbids re-uploads
    for the same reason)."""

    project: str
    version: str
    repository: str
    tag: str
    published_commit: str
    new_commit: str
    accepted: bool

    def __str__(self) -> str:
        kept = (
            "now publishing the new commit (accepted)"
            if self.accepted
            else (
                f"still publishing {self.published_commit[:12]}; accept with "
                f"--accept-moved-tag {self.repository}@{self.tag}"
            )
        )
        return (
            f"tag {self.tag} of {self.repository} ({self.project} {self.version}) moved from "
            f"{self.published_commit[:12]} to {self.new_commit[:12]}: {kept}"
        )


@dataclass(frozen=True)
class Index:
    """Everything the renderer needs: projects sorted by name, and what was skipped."""

    projects: tuple[Project, ...]
    skipped: tuple[Skip, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    moved: tuple[MovedTag, ...] = ()
    # Releases below the project's `min_version`: kept in the state, left off the pages.
    hidden: tuple[Release, ...] = ()

    @property
    def release_count(self) -> int:
        return sum(len(p.releases) for p in self.projects)
