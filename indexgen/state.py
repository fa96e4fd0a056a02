"""The build state stored inside the site: what the last build saw, so the next one reads less.

`indexgen-state.json` holds, per repository, its snapshot and tags → commit, and per commit SHA the
parsed metadata or the reason it made no release. A commit's content never changes, so its entry
never goes stale. A missing, unreadable or foreign state is simply no state: a cold build.

It also holds the digest of the pages the build published and a generation number that grows by one
each time those pages change: of several copies of the state (the Actions cache, a Pages copy that the
CDN still serves from before the last deployment), the one with the highest generation is the newest.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .models import MetadataProblem, MetadataResult, ProjectMetadata, RepoSnapshot, TagRef
from .monorepo import KnownTree

STATE_FORMAT = 1
METADATA_READER = 2
"""Which generation of the metadata readers made the cached per-commit results. A state from an older
generation keeps its repositories and published versions, but its commits are read again once: the
readers now resolve what the older ones skipped or took unchecked (computed and file-read versions)."""
_COMMIT = re.compile(r"[0-9a-f]{40}")
_DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class BuildState:
    repos: Mapping[str, RepoSnapshot] = field(default_factory=dict)  # full name → snapshot with tags
    commits: Mapping[str, MetadataResult] = field(default_factory=dict)  # commit SHA → metadata result
    published: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # project → version → commit
    generation: int = 0  # grows by one whenever the published pages change
    digest: str = ""  # sha256 of the published pages (everything but the state), "" when unknown
    # Full name → the default-branch tree the last build read and the projects found in it; absent
    # from states written before monorepo discovery (those repositories' trees are read once).
    trees: Mapping[str, KnownTree] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.repos and not self.commits


def _metadata_to_json(result: MetadataResult) -> dict[str, Any]:
    if isinstance(result, MetadataProblem):
        return {"skip": result.reason}
    data: dict[str, Any] = {
        "name": result.name,
        "version": result.version,
        "requires_python": result.requires_python,
    }
    # Absent rather than empty: most commits have neither, and the state is read on every build.
    if result.summary is not None:
        data["summary"] = result.summary
    if result.dependencies:
        data["dependencies"] = list(result.dependencies)
    return data


def _metadata_from_json(data: Mapping[str, Any]) -> MetadataResult:
    if "skip" in data:
        return MetadataProblem(str(data["skip"]))
    version, requires, summary = data.get("version"), data.get("requires_python"), data.get("summary")
    return ProjectMetadata(
        name=str(data["name"]),
        version=None if version is None else str(version),
        requires_python=None if requires is None else str(requires),
        summary=None if summary is None else str(summary),
        dependencies=tuple(str(d) for d in data.get("dependencies", ())),
    )


def _repo_to_json(repo: RepoSnapshot) -> dict[str, Any]:
    data = {f.name: getattr(repo, f.name) for f in dataclasses.fields(RepoSnapshot)}
    data["tags"] = {t.name: t.commit for t in repo.tags}
    # Beside `tags`, not inside it, so a state written before dates existed still loads as it is.
    dates = {t.name: t.date for t in repo.tags if t.date}
    if dates:
        data["tag_dates"] = dates
    data["topics"] = list(repo.topics)
    del data["tree_oid"]  # kept in the `trees` block, only for repositories whose tree was read
    return data


def _repo_from_json(data: Mapping[str, Any]) -> RepoSnapshot:
    fields = {f.name for f in dataclasses.fields(RepoSnapshot)} - {"tags"}
    values = {k: v for k, v in data.items() if k in fields}
    values["topics"] = tuple(str(t) for t in data.get("topics", ()))
    dates = dict(data.get("tag_dates", {}))
    tags = tuple(
        TagRef(str(name), str(commit), str(dates.get(name, "")))
        for name, commit in sorted(dict(data.get("tags", {})).items())
    )
    values["topics"] = tuple(str(t) for t in values.get("topics", ()))
    return RepoSnapshot(**values, tags=tags)


def dump_state(
    repos: Sequence[RepoSnapshot],
    commits: Mapping[str, MetadataResult],
    published: Mapping[str, Mapping[str, str]],
    *,
    generation: int = 0,
    digest: str = "",
    trees: Mapping[str, KnownTree] | None = None,
) -> bytes:
    """The state as deterministic JSON bytes (sorted keys, no timestamps).

    The state is published with the site, so it names only repositories that hold a Python project
    at some tag (whose names the index shows anyway): the organisation's other private repositories
    stay unnamed, known only by the commit SHAs of their tags.
    """
    # A project below the root has its metadata under `<sha>:<directory>` (monorepo.metadata_key).
    python = {k.split(":", 1)[0] for k, m in commits.items() if isinstance(m, ProjectMetadata)}
    repo_list = sorted(
        (r for r in repos if any(t.commit in python for t in r.tags)),
        key=lambda r: r.full_name,
    )
    # Commits a tag points to, and commits still published for a version whose tag has moved.
    used = {t.commit for r in repos for t in r.tags} | {c for v in published.values() for c in v.values()}
    data = {
        "format": STATE_FORMAT,
        "reader": METADATA_READER,
        "repos": {r.full_name: _repo_to_json(r) for r in repo_list},
        # Only commits that some current tag points to: the state never grows without bound.
        # A project below the root is kept under `<sha>:<directory>` (monorepo.metadata_key).
        "commits": {
            key: _metadata_to_json(commits[key]) for key in sorted(commits) if key.split(":", 1)[0] in used
        },
        "published": {name: dict(sorted(versions.items())) for name, versions in sorted(published.items())},
        "generation": generation,
        "digest": digest,
    }
    listed = {r.full_name for r in repo_list}
    kept_trees = {name: t for name, t in (trees or {}).items() if name in listed}
    if kept_trees:  # absent rather than empty: a state without monorepos reads as before
        data["trees"] = {
            name: {"oid": t.oid, "projects": list(t.projects)} for name, t in sorted(kept_trees.items())
        }
    return (json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


def parse_state(raw: bytes | str) -> BuildState | None:
    """The state in `raw`, or None when it is not a state this version understands."""
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            return None
        repos = {name: _repo_from_json(r) for name, r in data.get("repos", {}).items()}
        commits = {sha: _metadata_from_json(m) for sha, m in data.get("commits", {}).items()}
        if data.get("reader") != METADATA_READER:
            commits = {}
        published = {
            str(name): {str(v): str(c) for v, c in versions.items() if _COMMIT.fullmatch(str(c))}
            for name, versions in data.get("published", {}).items()
        }
        generation = data.get("generation", 0)
        digest = data.get("digest", "")
        if type(generation) is not int or generation < 0 or not isinstance(digest, str):
            return None
        trees = {
            str(name): KnownTree(str(t["oid"]), tuple(str(p) for p in t["projects"]))
            for name, t in data.get("trees", {}).items()
        }
        digest = digest if _DIGEST.fullmatch(digest) else ""
        return BuildState(repos, commits, published, generation, digest, trees)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
