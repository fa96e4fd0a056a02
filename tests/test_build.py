"""The pure build: which tags become releases, who owns a name, one link per version."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from indexgen.build import BuildOptions, build_index
from indexgen.models import MetadataProblem, ProjectMetadata, RepoSnapshot, Skip, TagRef

A, B, C, D = ("a" * 40, "b" * 40, "c" * 40, "d" * 40)


def repo(
    name: str, *tags: tuple[str, str], created: str = "2020-01-01T00:00:00Z", **fields: object
) -> RepoSnapshot:
    return RepoSnapshot(
        full_name=f"acme/{name}",
        clone_url=f"https://github.com/acme/{name}.git",
        html_url=f"https://github.com/acme/{name}",
        created_at=created,
        tags=tuple(TagRef(t, c) for t, c in tags),
        **fields,  # type: ignore[arg-type]
    )


def meta(
    name: str = "acme-utils", version: str | None = None, requires: str | None = None
) -> ProjectMetadata:
    return ProjectMetadata(name, version, requires)


def test_releases_are_commit_pinned_sorted_and_carry_requires_python() -> None:
    index = build_index(
        [repo("utils", ("v1.10.0", A), ("v1.9.0", B))],
        {A: meta(requires=">=3.9"), B: meta()},
    )
    (project,) = index.projects
    assert project.name == "acme-utils"
    assert [r.version for r in project.releases] == ["1.9.0", "1.10.0"]
    latest = project.releases[-1]
    assert latest.url == f"git+https://github.com/acme/utils.git@{A}#egg=acme-utils-1.10.0"
    assert latest.requires_python == ">=3.9"
    assert latest.tag == "v1.10.0" and latest.commit == A
    assert index.skipped == ()


@pytest.mark.parametrize(
    ("tag", "metadata", "reason"),
    [
        ("latest", meta(), "not a version"),
        ("v1.0+local", meta(), "local version"),
        ("1!1.0", meta(), "epoch"),
        ("v1.0", meta(version="1.1"), "differs from tag version"),
        ("v1.0", MetadataProblem("setup.cfg without pyproject.toml or setup.py"), "setup.cfg without"),
    ],
    ids=["not-a-version", "local", "epoch", "static-version-disagrees", "metadata-problem"],
)
def test_unusable_tags_are_skipped_with_a_reason(tag: str, metadata: object, reason: str) -> None:
    index = build_index([repo("utils", (tag, A))], {A: metadata})  # type: ignore[dict-item]
    assert index.projects == ()
    (skip,) = index.skipped
    assert (skip.repository, skip.tag) == ("acme/utils", tag)
    assert reason in skip.reason


def test_static_version_equal_to_tag_version_is_accepted() -> None:
    index = build_index([repo("utils", ("v1.0", A))], {A: meta(version="1.0.0")})
    assert [r.version for r in index.projects[0].releases] == ["1.0"]


def test_project_name_comes_from_metadata_not_repository() -> None:
    index = build_index([repo("Zeta_Utils", ("v1.0", A))], {A: meta("zeta.utils")})
    (project,) = index.projects
    assert (project.name, project.display_name, project.repository) == (
        "zeta-utils",
        "zeta.utils",
        "acme/Zeta_Utils",
    )
    assert project.releases[0].url.endswith("#egg=zeta-utils-1.0")


def test_two_tags_for_one_version_give_one_link() -> None:
    index = build_index([repo("utils", ("1.0", A), ("v1.0", A))], {A: meta()})
    assert len(index.projects[0].releases) == 1
    assert index.projects[0].releases[0].tag == "1.0"
    assert index.skipped == (
        Skip("acme/utils", "v1.0", "version 1.0 is published from tag 1.0 (same commit)"),
    )


def test_name_conflict_goes_to_the_repository_created_first() -> None:
    old = repo("utils", ("v1.0", A), created="2019-05-01T00:00:00Z")
    new = repo("utils-ng", ("v2.0", B), created="2024-01-01T00:00:00Z")
    index = build_index([new, old], {A: meta(), B: meta()})
    (project,) = index.projects
    assert project.repository == "acme/utils"
    assert [r.version for r in project.releases] == ["1.0"]
    assert index.skipped == (
        Skip("acme/utils-ng", "v2.0", "project name 'acme-utils' belongs to acme/utils, created first"),
    )
    assert index.warnings == ("acme/utils-ng also publishes 'acme-utils'; acme/utils keeps the name",)


def test_name_conflict_tie_is_broken_by_full_name() -> None:
    same = "2020-01-01T00:00:00Z"
    index = build_index(
        [repo("zz", ("v1.0", A), created=same), repo("aa", ("v2.0", B), created=same)], {A: meta(), B: meta()}
    )
    assert index.projects[0].repository == "acme/aa"


def test_forks_and_empty_repositories_are_skipped_archived_are_kept() -> None:
    index = build_index(
        [
            repo("fork", ("v1.0", A), fork=True),
            repo("empty", empty=True),
            repo("old", ("v1.0", B), archived=True),
        ],
        {A: meta("forked"), B: meta("old-lib")},
    )
    assert [p.name for p in index.projects] == ["old-lib"]
    assert {(s.repository, s.reason.split(" ")[0]) for s in index.skipped} == {
        ("acme/fork", "fork"),
        ("acme/empty", "empty"),
    }
    assert [
        p.name
        for p in build_index(
            [repo("fork", ("v1.0", A), fork=True)], {A: meta("forked")}, BuildOptions(include_forks=True)
        ).projects
    ] == ["forked"]


def test_latest_prefers_final_releases() -> None:
    index = build_index([repo("utils", ("v1.0", A), ("v2.0rc1", B))], {A: meta(), B: meta()})
    assert index.projects[0].latest.version == "1.0"
    only_pre = build_index([repo("utils", ("v2.0rc1", B))], {B: meta()})
    assert only_pre.projects[0].latest.version == "2.0rc1"


def test_ssh_link_style_uses_a_url_pip_understands() -> None:
    r = repo("utils", ("v1.0", A), ssh_url="git@github.com:acme/utils.git")
    index = build_index([r], {A: meta()}, BuildOptions(link_style="ssh"))
    assert (
        index.projects[0].releases[0].url == f"git+ssh://git@github.com/acme/utils.git@{A}#egg=acme-utils-1.0"
    )


def test_output_does_not_depend_on_input_order() -> None:
    repos = [repo("b", ("v1", A), ("v2", B)), repo("a", ("v1", C), ("x", D))]
    metadata = {A: meta("b"), B: meta("b"), C: meta("a"), D: meta("a")}
    assert build_index(repos, metadata) == build_index(
        list(reversed(repos)), dict(reversed(metadata.items()))
    )


# Releases (no pre-releases: they are skipped by default), with trailing zeros and post-releases, so
# that equal versions are written differently (`1.0`, `1.0.0`) and orders interleave.
VERSION_TEXTS = st.builds(
    lambda release, post: f"{'.'.join(map(str, release))}{post}",
    st.lists(st.integers(0, 2), min_size=1, max_size=4),
    st.sampled_from(["", ".post1", ".post0"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(VERSION_TEXTS, min_size=1, max_size=12))
def test_releases_come_in_pep440_order_one_per_equal_version(texts: list[str]) -> None:
    """The build orders and groups releases by ranks of version texts rather than by `Version`s:
    the same order, and one release per version, as sorting the `Version`s themselves."""
    commits = [f"{i:040x}" for i in range(len(texts))]
    tags = [(f"v{text}", commit) for text, commit in zip(texts, commits, strict=True)]
    index = build_index([repo("utils", *tags)], {commit: meta() for commit in commits})
    (project,) = index.projects
    assert [Version(r.version) for r in project.releases] == sorted({Version(t) for t in texts})
