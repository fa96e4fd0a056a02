"""An index with everything the browse site shows: dates, topics, summaries, private dependencies two
levels deep, a pre-release-only archived project, a PyPI twin, a yanked release and skipped tags."""

from __future__ import annotations

import dataclasses

from indexgen.build import build_index
from indexgen.models import Index, ProjectMetadata, RepoSnapshot, TagRef

SHAS = {key: key * 40 for key in "abcdef0123456789"}
A, B, C, D, E, F, G, H, J = (SHAS[k] for k in "abcdef012")
PUBLIC = {"acme-core": "9.0"}
SITE_URL = "https://acme.github.io/index"


def _repo(name: str, tags: tuple[TagRef, ...], **fields: object) -> RepoSnapshot:
    return RepoSnapshot(
        full_name=f"acme/{name}",
        clone_url=f"https://github.com/acme/{name}.git",
        html_url=f"https://github.com/acme/{name}",
        created_at=str(fields.pop("created_at", "2020-01-01T00:00:00Z")),
        tags=tags,
        **fields,  # type: ignore[arg-type]
    )


def browse_index() -> Index:
    repos = [
        _repo(
            "utils",
            (
                TagRef("v1.0.0", A, "2024-03-01T10:00:00Z"),
                TagRef("v2.0.0", B, "2025-06-10T09:30:00Z"),
                TagRef("v2.1.0rc1", C, "2025-09-01T12:00:00Z"),
                TagRef("notes", A, "2024-03-01T10:00:00Z"),
            ),
            description='Utilities & <helpers> "quoted"',
            topics=("utilities", "http"),
        ),
        _repo(
            "Zeta_Utils",
            (TagRef("v0.1", D, "2025-01-05T08:00:00Z"), TagRef("v0.2", E, "2025-08-20T16:45:00Z")),
            created_at="2021-01-01T00:00:00Z",
            description="Zeta transforms for <data>",
            topics=("data",),
        ),
        _repo(
            "core",
            (
                TagRef("1.1.0", F, "2023-11-11T11:00:00Z"),
                TagRef("1.2.0", G, "2024-12-24T18:00:00Z"),
                TagRef("1.3.0", H, "2025-07-07T07:00:00Z"),
            ),
            description="",
            topics=("core", "types"),
        ),
        _repo("beta-tool", (TagRef("0.1.0a1", J, "2022-05-05T05:00:00Z"),), archived=True),
        _repo("website", (TagRef("v1", SHAS["3"], "2024-01-01T00:00:00Z"),), description="Not Python"),
        _repo("forked", (), fork=True),
    ]
    metadata = {
        A: ProjectMetadata("acme-utils", "1.0.0", ">=3.8", summary="Shared helpers for Acme services"),
        B: ProjectMetadata(
            "acme-utils",
            None,
            ">=3.9,<4",
            summary="Shared helpers for Acme services",
            dependencies=("zeta.utils>=0.2", "requests>=2.31", 'tomli>=2; python_version < "3.11"'),
        ),
        C: ProjectMetadata(
            "acme-utils",
            None,
            ">=3.10",
            summary="Shared helpers for Acme services",
            dependencies=("zeta.utils>=0.2",),
        ),
        D: ProjectMetadata("zeta.utils", None, None),
        E: ProjectMetadata("Zeta_Utils", None, ">=3.9", dependencies=("acme-core>=1.2,<2", "numpy")),
        F: ProjectMetadata("acme-core", "1.1.0", ">=3.8", summary="Core data types"),
        G: ProjectMetadata("acme-core", "1.2.0", ">=3.8", summary="Core data types"),
        H: ProjectMetadata("acme-core", "1.3.0", ">=3.9", summary="Core data types & <schemas>"),
        J: ProjectMetadata("beta-tool", None, None, summary="An experiment, archived"),
    }
    index = build_index(repos, metadata)
    # `yanked` comes from configuration; the renderer shows whatever a release carries.
    core = next(p for p in index.projects if p.name == "acme-core")
    releases = tuple(
        dataclasses.replace(r, yanked="wrong schema version") if r.version == "1.2.0" else r
        for r in core.releases
    )
    projects = tuple(dataclasses.replace(p, releases=releases) if p is core else p for p in index.projects)
    return dataclasses.replace(index, projects=projects, warnings=(*index.warnings, "a sample warning"))
