"""From scanned repositories and the metadata at their tag commits to an `Index`. Pure: no I/O.

Every decision DESIGN.md §3 makes about tags lives here: which tags are releases, which repository owns
a name, which of two tags for one version is published. Whatever publishes nothing becomes a `Skip`
with its reason, never an exception and never silence.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from packaging.utils import canonicalize_name
from packaging.version import Version

from .metadata import NO_METADATA_FILES
from .models import (
    Index,
    MetadataProblem,
    MetadataResult,
    MovedTag,
    Project,
    ProjectMetadata,
    Release,
    RepoSnapshot,
    Skip,
    TagRef,
)
from .monorepo import SubProject, is_single_root, metadata_key, tag_project
from .rules import RepoFilter, Rules, TagRules, repository_exclusion, tag_exclusion
from .versions import DEFAULT_TAG_PATTERN, build_link, release_version, tag_version_and_text


@dataclass(frozen=True)
class BuildOptions:
    tag_pattern: str = DEFAULT_TAG_PATTERN
    include_forks: bool = False
    link_style: str = "https"  # or "ssh": git+ssh://git@host/owner/repo.git
    accept_moved: frozenset[str] = frozenset()  # "owner/repo@tag", lower-cased: take the tag's new commit
    # The configuration's repository filters and per-repository tag rules; None: just the two above.
    rules: Rules | None = None
    yanked: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # project → version → reason
    names: Mapping[str, str] = field(default_factory=dict)  # canonical project → owner/name that owns it
    min_version: Mapping[str, str] = field(default_factory=dict)  # canonical project → lowest listed
    # Lower-cased owner/name → the repository's projects (discovered or configured); absent: one
    # project at the root, today's tag rules. Metadata of a project below the root is keyed by
    # `monorepo.metadata_key(commit, path)`.
    layouts: Mapping[str, tuple[SubProject, ...]] = field(default_factory=dict)

    @property
    def effective_rules(self) -> Rules:
        if self.rules is not None:
            return self.rules
        return Rules(RepoFilter(forks=self.include_forks), self.tag_pattern)


Published = Mapping[str, Mapping[str, str]]
"""What earlier builds published: canonical project name → version → commit SHA."""


class _Candidate(NamedTuple):
    """A tag that makes a release, before name conflicts and duplicate versions are settled. A tuple:
    an organisation's build makes one per tag, and a frozen dataclass's `__init__` costs several
    times a tuple's."""

    repo: RepoSnapshot
    tag: TagRef
    metadata: ProjectMetadata
    version: Version
    name: str  # canonical
    version_text: str  # str(version), kept: an org's tens of thousands of releases make it costly
    url: str  # the link to the tag's commit
    subdirectory: str = ""  # the project's directory in the repository, "" for the root


def _clone_url(repo: RepoSnapshot, style: str) -> str:
    if style == "ssh" and repo.ssh_url:
        # GitHub's ssh_url is scp-like (git@host:owner/repo.git); pip needs a URL.
        user_host, _, path = repo.ssh_url.partition(":")
        return f"ssh://{user_host}/{path}" if not repo.ssh_url.startswith("ssh://") else repo.ssh_url
    return repo.clone_url


def _repo_skip(repo: RepoSnapshot, rules: Rules) -> Skip | None:
    if reason := repository_exclusion(repo, rules.repo_filter):
        return Skip(repo.full_name, None, reason)
    if repo.empty:
        return Skip(repo.full_name, None, "empty repository")
    return None


def _candidates(
    repo: RepoSnapshot, metadata: Mapping[str, MetadataResult], options: BuildOptions
) -> tuple[list[_Candidate], list[Skip]]:
    found: list[_Candidate] = []
    skipped: list[Skip] = []
    rules = options.effective_rules.for_repository(repo.full_name)
    layout = options.layouts.get(repo.full_name.lower(), ())
    monorepo = bool(layout) and not is_single_root(layout)
    if not monorepo and (no_project := _no_project_anywhere(repo, metadata)):
        return found, [no_project]
    for tag in sorted(repo.tags, key=lambda t: t.name):
        if excluded := tag_exclusion(tag.name, rules):
            skipped.append(Skip(repo.full_name, tag.name, excluded))
            continue
        if monorepo:
            subdirectory, parsed = _monorepo_tag(tag, layout)
        else:
            subdirectory, parsed = "", _tag_version(tag, rules)
        if isinstance(parsed, str):
            skipped.append(Skip(repo.full_name, tag.name, parsed))
            continue
        tag_version, tag_text = parsed
        if tag_version.is_prerelease and not rules.prereleases:
            key = f"{rules.source}.prereleases" if rules.source else "prereleases"
            skipped.append(Skip(repo.full_name, tag.name, f"pre-release ({key} = false)"))
            continue
        key = metadata_key(tag.commit, subdirectory)
        meta = metadata.get(key, MetadataProblem("metadata at this commit was not read"))
        if isinstance(meta, MetadataProblem):
            skipped.append(Skip(repo.full_name, tag.name, meta.reason))
            continue
        version = release_version(tag_version, meta)
        if isinstance(version, str):
            skipped.append(Skip(repo.full_name, tag.name, version))
            continue
        try:
            clone_url = _clone_url(repo, options.link_style)
            # `release_version` gives the tag's own Version back (a static version equal to it is not used)
            text = tag_text if version is tag_version else str(version)
            url = build_link(clone_url, tag.commit, meta.name, version, subdirectory, text=text)
        except ValueError as exc:  # a clone URL or commit that no link pip can parse can carry
            skipped.append(Skip(repo.full_name, tag.name, f"cannot make a pip link: {exc}"))
            continue
        name = _canonical(meta.name)
        found.append(_Candidate(repo, tag, meta, version, name, text, url, subdirectory))
    return found, skipped


NO_PROJECT_AT_ANY_TAG = "no Python project at any of its {n} tags (no pyproject.toml, setup.cfg or setup.py)"
NO_PROJECT_AT_ITS_TAG = "no Python project at its only tag (no pyproject.toml, setup.cfg or setup.py)"


def _no_project_anywhere(repo: RepoSnapshot, metadata: Mapping[str, MetadataResult]) -> Skip | None:
    """One skip for a repository in another language: every tag's commit was read and holds no
    packaging file. Its tags, often thousands across an organisation, would otherwise each be a skip
    saying the same. A repository with one unread or Python commit keeps its reasons per tag."""
    if not repo.tags:
        return None
    for tag in repo.tags:
        meta = metadata.get(tag.commit)
        if not isinstance(meta, MetadataProblem) or meta.reason != NO_METADATA_FILES:
            return None
    n = len(repo.tags)
    return Skip(repo.full_name, None, NO_PROJECT_AT_ANY_TAG.format(n=n) if n > 1 else NO_PROJECT_AT_ITS_TAG)


# Every release of a project repeats its name, and the same tag names recur across repositories.
_canonical = functools.lru_cache(maxsize=1 << 16)(canonicalize_name)


def _tag_version(tag: TagRef, rules: TagRules) -> tuple[Version, str] | str:
    """The tag's version and its text, or a skip reason."""
    tag_version = tag_version_and_text(tag.name, rules.tag_pattern)
    if isinstance(tag_version, str) and rules.own_pattern:
        tag_version += f" (tag pattern of {rules.source})"
    return tag_version


_WHOLE = r"^(?P<version>.+)$"


def _monorepo_tag(tag: TagRef, layout: tuple[SubProject, ...]) -> tuple[str, tuple[Version, str] | str]:
    """The project directory a monorepo's tag releases and its version, or ("", skip reason)."""
    found = tag_project(tag.name, layout)
    if isinstance(found, str):
        return "", found
    project, text = found
    return project.path, tag_version_and_text(text, _WHOLE)


def _owners_of_names(candidates: Iterable[_Candidate], assigned: Mapping[str, str]) -> dict[str, str]:
    """The owning repository's full name for each name: the one `[names]` assigns, regardless of
    creation dates, else the repository created first (ties: full name), so a new repository can
    never take a name that existing installs depend on (DESIGN.md §3)."""
    claims: dict[str, dict[str, RepoSnapshot]] = defaultdict(dict)
    for c in candidates:
        claims[c.name][c.repo.full_name] = c.repo
    owners = {}
    for name, repos in claims.items():
        if name in assigned:
            wanted = assigned[name].lower()
            owners[name] = next((r for r in repos if r.lower() == wanted), assigned[name])
        else:
            owners[name] = min(repos.values(), key=lambda r: (r.created_at, r.full_name.lower())).full_name
    return owners


def _version_ranks(candidates: Iterable[_Candidate]) -> dict[str, int]:
    """Each version text's place in PEP 440 order, equal versions (`1.0`, `1.0.0`) equal: sorting and
    grouping 100,000s of releases by these ints costs a fraction of comparing `Version`s, and an
    organisation's projects share most of their version texts, so few `Version`s are compared."""
    versions = {c.version_text: c.version for c in candidates}
    ranks: dict[str, int] = {}
    previous: Version | None = None
    rank = -1
    for text, version in sorted(versions.items(), key=lambda item: item[1]):
        if previous is None or version != previous:
            rank, previous = rank + 1, version
        ranks[text] = rank
    return ranks


def _dedupe_versions(
    candidates: list[_Candidate], published: Mapping[str, str], ranks: Mapping[str, int]
) -> tuple[list[_Candidate], list[Skip]]:
    """One link per version: `v1.0` and `1.0` are one release. A tag on the commit already published
    for that version is kept, else the tag sorted first."""
    kept: dict[int, _Candidate] = {}
    skipped: list[Skip] = []
    for c in sorted(candidates, key=lambda c: (published.get(c.version_text) != c.tag.commit, c.tag.name)):
        first = kept.setdefault(ranks[c.version_text], c)
        if first is not c:
            same = "same commit" if first.tag.commit == c.tag.commit else f"commit {first.tag.commit[:12]}"
            skipped.append(
                Skip(
                    c.repo.full_name,
                    c.tag.name,
                    f"version {c.version} is published from tag {first.tag.name} ({same})",
                )
            )
    return list(kept.values()), skipped


def _pinned(
    c: _Candidate, published: Mapping[str, str], metadata: Mapping[str, MetadataResult], options: BuildOptions
) -> tuple[str, ProjectMetadata, MovedTag | None]:
    """The commit and metadata to publish for a candidate: a version published before keeps its
    commit when its tag has moved, unless the move is accepted."""
    before = published.get(c.version_text)
    if before is None or before == c.tag.commit:
        return c.tag.commit, c.metadata, None
    accepted = f"{c.repo.full_name}@{c.tag.name}".lower() in options.accept_moved
    moved = MovedTag(c.name, c.version_text, c.repo.full_name, c.tag.name, before, c.tag.commit, accepted)
    if accepted:
        return c.tag.commit, c.metadata, moved
    old = metadata.get(metadata_key(before, c.subdirectory))
    return before, old if isinstance(old, ProjectMetadata) else c.metadata, moved


def _link(c: _Candidate, commit: str, options: BuildOptions) -> str:
    clone_url = _clone_url(c.repo, options.link_style)
    return build_link(clone_url, commit, c.name, c.version, c.subdirectory, text=c.version_text)


def _project(
    name: str,
    repo: RepoSnapshot,
    candidates: list[_Candidate],
    published: Mapping[str, str],
    metadata: Mapping[str, MetadataResult],
    options: BuildOptions,
    ranks: Mapping[str, int],
) -> tuple[Project | None, list[MovedTag], list[Release]]:
    """The project's page; releases below its `min_version` are returned apart (None for the
    project when that leaves nothing to list)."""
    ordered = sorted(candidates, key=lambda c: ranks[c.version_text])
    releases: list[Release] = []
    hidden: list[Release] = []
    moved = []
    # Keyed by Version: `1.0` in the configuration yanks the release tagged `v1.0.0` (PEP 440).
    yanked = {Version(v): reason for v, reason in options.yanked.get(name, {}).items()}
    floor = Version(options.min_version[name]) if name in options.min_version else None
    for c in ordered:
        commit, meta, move = _pinned(c, published, metadata, options)
        if move:
            moved.append(move)
        url = c.url if commit == c.tag.commit else _link(c, commit, options)
        release = Release(
            c.name,
            c.version_text,
            c.tag.name,
            commit,
            c.repo.full_name,
            url,
            meta.requires_python,
            # The tag's date belongs to the tag's commit: unknown when an older commit stays published.
            date=c.tag.date if commit == c.tag.commit else "",
            dependencies=meta.dependencies,
            yanked=yanked.get(c.version) if yanked else None,
        )
        (hidden if floor is not None and c.version < floor else releases).append(release)
    listed = [c for c in ordered if floor is None or c.version >= floor]
    if not listed:
        return None, moved, hidden
    latest = next((c for c in reversed(listed) if not c.version.is_prerelease), listed[-1])
    project = Project(
        name=name,
        display_name=latest.metadata.name,
        repository=repo.full_name,
        html_url=repo.html_url,
        description=repo.description,
        releases=tuple(releases),
        summary=latest.metadata.summary or "",
        topics=repo.topics,
        archived=repo.archived,
    )
    return project, moved, hidden


def build_index(
    repos: Iterable[RepoSnapshot],
    metadata: Mapping[str, MetadataResult],
    options: BuildOptions = BuildOptions(),
    published: Published | None = None,
) -> Index:
    """The index for these repositories, given the metadata result at each tagged commit SHA and
    what earlier builds published (whose commits never change without consent)."""
    published = published or {}
    candidates: list[_Candidate] = []
    skipped: list[Skip] = []
    rules = options.effective_rules
    seen = sorted(repos, key=lambda r: r.full_name.lower())
    for repo in seen:
        repo_skip = _repo_skip(repo, rules)
        if repo_skip:
            skipped.append(repo_skip)
            continue
        found, tag_skips = _candidates(repo, metadata, options)
        candidates += found
        skipped += tag_skips

    owners = _owners_of_names(candidates, options.names)
    warnings: list[str] = []
    by_name: dict[str, list[_Candidate]] = defaultdict(list)
    lost: dict[tuple[str, str], list[_Candidate]] = defaultdict(list)
    for c in candidates:
        if owners[c.name] == c.repo.full_name:
            by_name[c.name].append(c)
        else:
            lost[(c.name, c.repo.full_name)].append(c)
    for (name, repo_name), losers in sorted(lost.items()):
        winner = owners[name]
        if name in options.names:
            # A canonical name is a bare TOML key (letters, digits, `-`): the key path needs no quotes.
            reason = f"project name {name!r} belongs to {winner} by names.{name} in the configuration"
        else:
            reason = f"project name {name!r} belongs to {winner}, created first"
        skipped += [Skip(repo_name, c.tag.name, reason) for c in losers]
        warnings.append(f"{repo_name} also publishes {name!r}; {winner} keeps the name")

    ranks = _version_ranks(candidates)
    projects = []
    hidden: list[Release] = []
    moved: list[MovedTag] = []
    for name in sorted(by_name):
        pinned = published.get(name, {})
        kept, duplicates = _dedupe_versions(by_name[name], pinned, ranks)
        skipped += duplicates
        repo = by_name[name][0].repo
        project, project_moved, project_hidden = _project(name, repo, kept, pinned, metadata, options, ranks)
        projects += [project] if project else []
        hidden += project_hidden
        moved += project_moved
    skipped.sort(key=lambda s: (s.repository.lower(), s.tag or "", s.reason))
    warnings += _unused_rules(options, {r.full_name.lower() for r in seen}, [*projects], hidden)
    return Index(tuple(projects), tuple(skipped), tuple(warnings), tuple(moved), tuple(hidden))


def _unused_rules(
    options: BuildOptions, repositories: set[str], projects: list[Project], hidden: list[Release]
) -> list[str]:
    """A configuration entry that matches nothing is most often a typo: say so, naming its key."""
    # Only the projects the configuration names: parsing every release of an organisation costs seconds.
    named = {*options.yanked, *options.names, *options.min_version}
    versions: dict[str, set[Version]] = defaultdict(set)
    for release in (*(r for p in projects if p.name in named for r in p.releases), *hidden):
        if release.project in named:
            versions[release.project].add(Version(release.version))
    warnings = []
    if options.rules is not None:
        warnings += [
            f'repos."{name}" in the configuration names no scanned repository'
            for name in sorted(options.rules.repos)
            if name not in repositories
        ]
    for name, yanked in sorted(options.yanked.items()):
        if name not in versions:
            warnings.append(f"yanked.{name} in the configuration names no published project")
            continue
        warnings += [
            f'yanked.{name}."{v}" in the configuration names no release of {name}'
            for v in sorted(yanked)
            if Version(v) not in versions[name]
        ]
    for key, table in (("names", options.names), ("min_version", options.min_version)):
        warnings += [
            f"{key}.{name} in the configuration names no published project"
            for name in sorted(table)
            if name not in versions
        ]
    return warnings


def with_skips(index: Index, skips: Iterable[Skip]) -> Index:
    """`index` with the tags the scan itself could not offer (no commit behind them) among its skips."""
    extra = tuple(skips)
    if not extra:
        return index
    skipped = sorted((*index.skipped, *extra), key=lambda s: (s.repository.lower(), s.tag or "", s.reason))
    return dataclasses.replace(index, skipped=tuple(skipped))
