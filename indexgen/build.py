"""From scanned repositories and the metadata at their tag commits to an `Index`. Pure: no I/O.

Every decision DESIGN.md §3 makes about tags lives here: which tags are releases, which repository owns
a name, which of two tags for one version is published. Whatever publishes nothing becomes a `Skip`
with its reason, never an exception and never silence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from packaging.utils import canonicalize_name
from packaging.version import Version

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
from .versions import DEFAULT_TAG_PATTERN, build_link, parse_tag_version, release_version


@dataclass(frozen=True)
class BuildOptions:
    tag_pattern: str = DEFAULT_TAG_PATTERN
    include_forks: bool = False
    link_style: str = "https"  # or "ssh": git+ssh://git@host/owner/repo.git
    accept_moved: frozenset[str] = frozenset()  # "owner/repo@tag", lower-cased: take the tag's new commit


Published = Mapping[str, Mapping[str, str]]
"""What earlier builds published: canonical project name → version → commit SHA."""


@dataclass(frozen=True)
class _Candidate:
    """A tag that makes a release, before name conflicts and duplicate versions are settled."""

    repo: RepoSnapshot
    tag: TagRef
    metadata: ProjectMetadata
    version: Version
    name: str  # canonical
    version_text: str  # str(version), kept: an org's tens of thousands of releases make it costly
    url: str  # the link to the tag's commit


def _clone_url(repo: RepoSnapshot, style: str) -> str:
    if style == "ssh" and repo.ssh_url:
        # GitHub's ssh_url is scp-like (git@host:owner/repo.git); pip needs a URL.
        user_host, _, path = repo.ssh_url.partition(":")
        return f"ssh://{user_host}/{path}" if not repo.ssh_url.startswith("ssh://") else repo.ssh_url
    return repo.clone_url


def _repo_skip(repo: RepoSnapshot, options: BuildOptions) -> Skip | None:
    if repo.fork and not options.include_forks:
        return Skip(repo.full_name, None, "fork (forks are not published)")
    if repo.empty:
        return Skip(repo.full_name, None, "empty repository")
    return None


def _candidates(
    repo: RepoSnapshot, metadata: Mapping[str, MetadataResult], options: BuildOptions
) -> tuple[list[_Candidate], list[Skip]]:
    found: list[_Candidate] = []
    skipped: list[Skip] = []
    for tag in sorted(repo.tags, key=lambda t: t.name):
        tag_version = parse_tag_version(tag.name, options.tag_pattern)
        if isinstance(tag_version, str):
            skipped.append(Skip(repo.full_name, tag.name, tag_version))
            continue
        meta = metadata.get(tag.commit, MetadataProblem("metadata at this commit was not read"))
        if isinstance(meta, MetadataProblem):
            skipped.append(Skip(repo.full_name, tag.name, meta.reason))
            continue
        version = release_version(tag_version, meta)
        if isinstance(version, str):
            skipped.append(Skip(repo.full_name, tag.name, version))
            continue
        try:
            url = build_link(_clone_url(repo, options.link_style), tag.commit, meta.name, version)
        except ValueError as exc:  # a clone URL or commit that no link pip can parse can carry
            skipped.append(Skip(repo.full_name, tag.name, f"cannot make a pip link: {exc}"))
            continue
        found.append(_Candidate(repo, tag, meta, version, canonicalize_name(meta.name), str(version), url))
    return found, skipped


def _owners_of_names(candidates: Iterable[_Candidate]) -> dict[str, RepoSnapshot]:
    """Each name goes to the repository created first (ties: full name), so a new repository can
    never take a name that existing installs depend on (DESIGN.md §3)."""
    claims: dict[str, dict[str, RepoSnapshot]] = defaultdict(dict)
    for c in candidates:
        claims[c.name][c.repo.full_name] = c.repo
    return {
        name: min(repos.values(), key=lambda r: (r.created_at, r.full_name.lower()))
        for name, repos in claims.items()
    }


def _dedupe_versions(
    candidates: list[_Candidate], published: Mapping[str, str]
) -> tuple[list[_Candidate], list[Skip]]:
    """One link per version: `v1.0` and `1.0` are one release. A tag on the commit already published
    for that version is kept, else the tag sorted first."""
    kept: dict[Version, _Candidate] = {}
    skipped: list[Skip] = []
    for c in sorted(candidates, key=lambda c: (published.get(c.version_text) != c.tag.commit, c.tag.name)):
        first = kept.setdefault(c.version, c)
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
    old = metadata.get(before)
    return before, old if isinstance(old, ProjectMetadata) else c.metadata, moved


def _link(c: _Candidate, commit: str, options: BuildOptions) -> str:
    return build_link(_clone_url(c.repo, options.link_style), commit, c.name, c.version)


def _project(
    name: str,
    repo: RepoSnapshot,
    candidates: list[_Candidate],
    published: Mapping[str, str],
    metadata: Mapping[str, MetadataResult],
    options: BuildOptions,
) -> tuple[Project, list[MovedTag]]:
    ordered = sorted(candidates, key=lambda c: c.version)
    releases = []
    moved = []
    for c in ordered:
        commit, meta, move = _pinned(c, published, metadata, options)
        moved += [move] if move else []
        url = c.url if commit == c.tag.commit else _link(c, commit, options)
        releases.append(
            Release(
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
            )
        )
    latest = next((c for c in reversed(ordered) if not c.version.is_prerelease), ordered[-1])
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
    return project, moved


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
    for repo in sorted(repos, key=lambda r: r.full_name.lower()):
        repo_skip = _repo_skip(repo, options)
        if repo_skip:
            skipped.append(repo_skip)
            continue
        found, tag_skips = _candidates(repo, metadata, options)
        candidates += found
        skipped += tag_skips

    owners = _owners_of_names(candidates)
    warnings: list[str] = []
    by_name: dict[str, list[_Candidate]] = defaultdict(list)
    lost: dict[tuple[str, str], list[_Candidate]] = defaultdict(list)
    for c in candidates:
        if owners[c.name].full_name == c.repo.full_name:
            by_name[c.name].append(c)
        else:
            lost[(c.name, c.repo.full_name)].append(c)
    for (name, repo_name), losers in sorted(lost.items()):
        winner = owners[name].full_name
        reason = f"project name {name!r} belongs to {winner}, created first"
        skipped += [Skip(repo_name, c.tag.name, reason) for c in losers]
        warnings.append(f"{repo_name} also publishes {name!r}; {winner} keeps the name")

    projects = []
    moved: list[MovedTag] = []
    for name in sorted(by_name):
        pinned = published.get(name, {})
        kept, duplicates = _dedupe_versions(by_name[name], pinned)
        skipped += duplicates
        project, project_moved = _project(name, owners[name], kept, pinned, metadata, options)
        projects.append(project)
        moved += project_moved
    skipped.sort(key=lambda s: (s.repository.lower(), s.tag or "", s.reason))
    return Index(tuple(projects), tuple(skipped), tuple(warnings), tuple(moved))
