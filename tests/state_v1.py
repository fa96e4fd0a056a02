"""The format-1 build state as indexgen wrote it before format 2 (`indexgen-state.json`, plain JSON):
kept to test the migration and to compare sizes in `benchmarks/state.py`. Never used by indexgen."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

from indexgen.models import MetadataProblem, MetadataResult, ProjectMetadata, RepoSnapshot
from indexgen.monorepo import KnownTree

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
