"""What the configuration decides about repositories and tags, as frozen records, and the pure
predicates that apply them. No I/O: `config.py` builds these records, `build.py` applies them, and the
command layer hands `wants_repository` to the scanners so that excluded repositories cost no requests.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field

from .models import RepoSnapshot
from .versions import DEFAULT_TAG_PATTERN


@dataclass(frozen=True)
class ProjectLayout:
    """One `[[repos."owner/name".projects]]` entry: a project in a subdirectory of a monorepo.

    The configured projects of a repository replace discovery (`monorepo.layout_for`)."""

    path: str  # relative POSIX path, no `..`, no leading `/`
    tag_pattern: str | None = None


@dataclass(frozen=True)
class RepoRules:
    """`[repos."owner/name"]`: the tag rules of one repository; None/empty means the global rule."""

    tag_pattern: str | None = None
    include: tuple[str, ...] = ()  # tag name globs (fnmatch, case-sensitive like git's refs)
    exclude: tuple[str, ...] = ()
    prereleases: bool | None = None
    projects: tuple[ProjectLayout, ...] = ()


@dataclass(frozen=True)
class RepoFilter:
    """Which repositories are published at all: the top-level keys of the configuration."""

    include: tuple[str, ...] = ("*",)  # repository name globs (fnmatch, case-insensitive)
    exclude: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()  # if set: only repositories carrying one of these topics
    forks: bool = False
    archived: bool = True
    private: bool = True


@dataclass(frozen=True)
class TagRules:
    """The tag rules in force for one repository: its own where given, else the global ones."""

    tag_pattern: str = DEFAULT_TAG_PATTERN
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    prereleases: bool = True
    source: str = ""  # the config key the repository's own rules come from, "" for the global ones
    own_pattern: bool = False  # the tag pattern is the repository's own


@dataclass(frozen=True)
class Rules:
    """Every rule the build applies, keyed by lower-cased `owner/name` where per repository."""

    repo_filter: RepoFilter = RepoFilter()
    tag_pattern: str = DEFAULT_TAG_PATTERN
    prereleases: bool = True
    repos: Mapping[str, RepoRules] = field(default_factory=dict)

    def for_repository(self, full_name: str) -> TagRules:
        own = self.repos.get(full_name.lower())
        if own is None:
            return TagRules(self.tag_pattern, prereleases=self.prereleases)
        return TagRules(
            tag_pattern=own.tag_pattern or self.tag_pattern,
            include=own.include,
            exclude=own.exclude,
            prereleases=self.prereleases if own.prereleases is None else own.prereleases,
            source=f'repos."{full_name.lower()}"',
            own_pattern=own.tag_pattern is not None,
        )

    @property
    def tag_patterns(self) -> frozenset[str]:
        """Every tag pattern in force anywhere (a tag matching none is never a release)."""
        return frozenset({self.tag_pattern, *(r.tag_pattern for r in self.repos.values() if r.tag_pattern)})


def matches_any(name: str, globs: tuple[str, ...], *, case_sensitive: bool) -> bool:
    if case_sensitive:
        return any(fnmatch.fnmatchcase(name, g) for g in globs)
    return any(fnmatch.fnmatchcase(name.lower(), g.lower()) for g in globs)


def repository_exclusion(repo: RepoSnapshot, rules: RepoFilter) -> str | None:
    """Why the configuration leaves this repository out (naming the key), or None. Globs match the
    repository's name and its `owner/name`, case-insensitively (GitHub names are)."""
    name = repo.full_name.split("/", 1)[-1]

    def matches(globs: tuple[str, ...]) -> bool:
        return matches_any(name, globs, case_sensitive=False) or matches_any(
            repo.full_name, globs, case_sensitive=False
        )

    if repo.fork and not rules.forks:
        return "fork (forks are not published)"
    if repo.archived and not rules.archived:
        return "archived (archived = false)"
    if repo.private and not rules.private:
        return "private (private = false)"
    if not matches(rules.include):
        return "not matched by include"
    if matches(rules.exclude):
        return "matched by exclude"
    if rules.topics:
        wanted = {t.lower() for t in rules.topics}
        if not wanted.intersection(t.lower() for t in repo.topics):
            return "carries none of the topics"
    return None


def tag_exclusion(tag: str, rules: TagRules) -> str | None:
    """Why a repository's own `include`/`exclude` tag globs leave this tag out, or None."""
    if rules.include and not matches_any(tag, rules.include, case_sensitive=True):
        return f"not matched by {rules.source}.include"
    if rules.exclude and matches_any(tag, rules.exclude, case_sensitive=True):
        return f"matched by {rules.source}.exclude"
    return None
