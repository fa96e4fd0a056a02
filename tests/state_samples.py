"""Build states for tests and `benchmarks/state.py`: the format-1 writer as indexgen had it before
format 2 (`indexgen-state.json`, plain JSON; never used by indexgen itself, only to test the migration
and compare sizes), and synthetic organisations of any size."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from indexgen.models import MetadataProblem, MetadataResult, ProjectMetadata, RepoSnapshot, TagRef
from indexgen.monorepo import KnownTree
from indexgen.state import BuildState

FILE = "indexgen-state.json"


def _metadata_to_json(result: MetadataResult) -> dict[str, Any]:
    if isinstance(result, MetadataProblem):
        return {"skip": result.reason}
    data: dict[str, Any] = {
        "name": result.name,
        "version": result.version,
        "requires_python": result.requires_python,
    }
    if result.summary is not None:
        data["summary"] = result.summary
    if result.dependencies:
        data["dependencies"] = list(result.dependencies)
    return data


def _repo_to_json(repo: RepoSnapshot) -> dict[str, Any]:
    data = {f.name: getattr(repo, f.name) for f in dataclasses.fields(RepoSnapshot)}
    data["tags"] = {t.name: t.commit for t in repo.tags}
    dates = {t.name: t.date for t in repo.tags if t.date}
    if dates:
        data["tag_dates"] = dates
    data["topics"] = list(repo.topics)
    return data


def dump_state_v1(
    repos: Sequence[RepoSnapshot],
    commits: Mapping[str, MetadataResult],
    published: Mapping[str, Mapping[str, str]],
    *,
    generation: int = 0,
    digest: str = "",
    trees: Mapping[str, KnownTree] | None = None,
    reader: int = 2,
) -> bytes:
    repo_list = sorted(
        (r for r in repos if any(isinstance(commits.get(t.commit), ProjectMetadata) for t in r.tags)),
        key=lambda r: r.full_name,
    )
    used = {t.commit for r in repos for t in r.tags} | {c for v in published.values() for c in v.values()}
    data: dict[str, Any] = {
        "format": 1,
        "reader": reader,
        "repos": {r.full_name: _repo_to_json(r) for r in repo_list},
        "commits": {
            key: _metadata_to_json(commits[key]) for key in sorted(commits) if key.split(":", 1)[0] in used
        },
        "published": {name: dict(sorted(versions.items())) for name, versions in sorted(published.items())},
        "generation": generation,
        "digest": digest,
    }
    listed = {r.full_name for r in repo_list}
    kept_trees = {name: t for name, t in (trees or {}).items() if name in listed}
    if kept_trees:
        data["trees"] = {
            name: {"oid": t.oid, "projects": list(t.projects)} for name, t in sorted(kept_trees.items())
        }
    return (json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


def v1_from_state(state: BuildState) -> bytes:
    """What a format-1 build would have written for the same knowledge: every commit in `commits`,
    the unnamed repositories' ones as loose skips."""
    data: dict[str, Any] = {
        "format": 1,
        "reader": 2,
        "repos": {name: _repo_to_json(r) for name, r in sorted(state.repos.items())},
        "commits": {key: _metadata_to_json(state.commits[key]) for key in sorted(state.commits)},
        "published": {n: dict(sorted(v.items())) for n, v in sorted(state.published.items())},
        "generation": state.generation,
        "digest": state.digest,
    }
    if state.trees:
        data["trees"] = {
            name: {"oid": t.oid, "projects": list(t.projects)} for name, t in sorted(state.trees.items())
        }
    return (json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


NO_METADATA = "no pyproject.toml, setup.cfg or setup.py"


def sha(*parts: object) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class SyntheticState:
    repos: list[RepoSnapshot]
    commits: dict[str, MetadataResult]
    published: dict[str, dict[str, str]]


def synthetic_state(python: int, python_tags: int, other: int, other_tags: int) -> SyntheticState:
    """An organisation's scan as a build sees it: `python` repositories with a project at each of
    `python_tags` tags (all published), and `other` repositories without one at `other_tags` tags."""
    repos: list[RepoSnapshot] = []
    commits: dict[str, MetadataResult] = {}
    published: dict[str, dict[str, str]] = {}
    for i in range(python + other):
        is_python = i < python
        name = f"pkg-{i:05d}" if is_python else f"internal-{i:05d}"
        full = f"acme/{name}"
        tags = []
        for t in range(python_tags if is_python else other_tags):
            commit = sha(full, t)
            version = f"1.{t}.0"
            tags.append(TagRef(f"v{version}", commit, f"2024-{1 + t % 12:02d}-{1 + t % 28:02d}T10:00:00Z"))
            if is_python:
                commits[commit] = ProjectMetadata(
                    name, version, ">=3.9", f"The {name} library", ("requests>=2",)
                )
                published.setdefault(name, {})[version] = commit
            else:
                commits[commit] = MetadataProblem(NO_METADATA)
        repos.append(
            RepoSnapshot(
                full,
                f"https://github.com/{full}.git",
                f"https://github.com/{full}",
                f"2020-01-{1 + i % 28:02d}T00:00:00Z",
                private=True,
                description=f"Synthetic repository {i}",
                ssh_url=f"git@github.com:{full}.git",
                tags=tuple(tags),
                topics=("python",) if is_python else (),
            )
        )
    return SyntheticState(repos, commits, published)
