"""Shrink guard, immutable published versions, and the PyPI name check (pure parts and HTTP boundary)."""

from __future__ import annotations

import pytest
import responses

from indexgen.build import BuildOptions, build_index
from indexgen.guard import ShrinkRefused, check_shrink, find_shrink
from indexgen.models import ProjectMetadata, RepoSnapshot, TagRef
from indexgen.pypi import PublicNameCollision, PyPIUnreachable, fetch_public_versions, highest_version

A, B, C = "a" * 40, "b" * 40, "c" * 40


def repo(*tags: tuple[str, str]) -> RepoSnapshot:
    return RepoSnapshot(
        "acme/utils",
        "https://github.com/acme/utils.git",
        "https://github.com/acme/utils",
        "2020-01-01T00:00:00Z",
        tags=tuple(TagRef(t, c) for t, c in tags),
    )


META = {
    A: ProjectMetadata("acme-utils", None, ">=3.8"),
    B: ProjectMetadata("acme-utils", None, ">=3.11"),
    C: ProjectMetadata("acme-utils", None, None),
}


# -- published versions are immutable ------------------------------------------------------------------


def test_a_moved_tag_keeps_the_published_commit_and_is_reported() -> None:
    index = build_index([repo(("v1.0", B))], META, published={"acme-utils": {"1.0": A}})
    (release,) = index.projects[0].releases
    assert release.commit == A and f"@{A}#" in release.url
    assert release.requires_python == ">=3.8"  # the metadata of the commit still published
    (moved,) = index.moved
    assert (moved.published_commit, moved.new_commit, moved.accepted) == (A, B, False)
    assert "--accept-moved-tag acme/utils@v1.0" in str(moved)


def test_an_accepted_move_publishes_the_new_commit() -> None:
    options = BuildOptions(accept_moved=frozenset({"acme/utils@v1.0"}))
    index = build_index([repo(("v1.0", B))], META, options, published={"acme-utils": {"1.0": A}})
    assert index.projects[0].releases[0].commit == B
    assert index.moved[0].accepted


def test_a_second_tag_on_the_published_commit_wins_over_a_new_one() -> None:
    index = build_index([repo(("1.0", B), ("v1.0", A))], META, published={"acme-utils": {"1.0": A}})
    assert index.projects[0].releases[0].commit == A and index.moved == ()


def test_unchanged_and_new_versions_are_not_moves() -> None:
    index = build_index([repo(("v1.0", A), ("v2.0", C))], META, published={"acme-utils": {"1.0": A}})
    assert index.moved == () and [r.commit for r in index.projects[0].releases] == [A, C]


# -- shrink guard ------------------------------------------------------------------------------------


def published(**projects: int) -> dict[str, dict[str, str]]:
    return {name.replace("_", "-"): {f"{i}.0": A for i in range(n)} for name, n in projects.items()}


def index_of(**projects: int):  # type: ignore[no-untyped-def]
    repos, meta = [], {}
    for k, (name, n) in enumerate(projects.items()):
        tags = tuple(TagRef(f"v{i}.0", f"{k:02x}{i:038x}") for i in range(n))
        repos.append(
            RepoSnapshot(f"acme/{name}", f"https://h/acme/{name}.git", "https://h", "2020", tags=tags)
        )
        meta.update({t.commit: ProjectMetadata(name, None) for t in tags})
    return build_index(repos, meta)


@pytest.mark.parametrize(
    ("before", "after", "refused"),
    [
        ({"a": 10, "b": 10}, {"a": 10, "b": 10}, False),
        ({"a": 10, "b": 10}, {"a": 10, "b": 10, "c": 1}, False),
        ({"a": 10, "b": 10}, {"a": 10, "b": 8}, False),  # 10 % exactly: allowed
        ({"a": 10, "b": 10}, {"a": 10, "b": 7}, True),  # 15 %
        ({"a": 10, "b": 10}, {"a": 10}, True),  # a project vanished
        ({"a": 20, "b": 1}, {"a": 20}, True),  # a project vanished, with under 10 % of the releases
        ({"a": 10, "b": 10}, {}, True),  # a token that lost access
        ({}, {"a": 1}, False),  # first build
    ],
    ids=[
        "same",
        "grows",
        "ten-percent",
        "fifteen-percent",
        "project-lost",
        "small-project-lost",
        "emptied",
        "first-build",
    ],
)
def test_shrink_guard(before: dict[str, int], after: dict[str, int], refused: bool) -> None:
    if refused:
        with pytest.raises(ShrinkRefused) as caught:
            check_shrink(published(**before), index_of(**after))
        assert caught.value.exit_code == 3 and "--allow-shrink" in str(caught.value)
    else:
        check_shrink(published(**before), index_of(**after))


def test_shrink_message_names_what_would_vanish() -> None:
    shrink = find_shrink(published(a=2, b=1), index_of(a=1))
    assert shrink.lost_projects == ("b",) and shrink.lost_releases == ("a==1.0", "b==0.0")
    message = str(ShrinkRefused(shrink))
    assert message.startswith(
        "refusing to publish: the new index would drop 1 projects (b) and 2 of 3 releases (a==1.0, b==0.0)"
    )


# -- PyPI ---------------------------------------------------------------------------------------------

PYPI = "http://pypi.test"


def test_highest_version_ignores_yanked_and_invalid_releases() -> None:
    payload = {
        "info": {"version": "2.0"},
        "releases": {
            "1.0": [{"yanked": False}],
            "3.0": [{"yanked": True}],
            "2.0": [{"yanked": False}],
            "junk!": [{}],
            "4.0": [],
        },
    }
    assert highest_version(payload) == "4.0"  # a release with no files still claims the version
    assert highest_version({"info": {"version": "0.1"}, "releases": {}}) == "0.1"


@responses.activate
def test_public_names_are_found_and_free_names_are_not() -> None:
    responses.get(
        f"{PYPI}/pypi/requests/json", json={"info": {"version": "2.32.0"}, "releases": {"2.32.0": [{}]}}
    )
    responses.get(f"{PYPI}/pypi/acme-utils/json", status=404, json={"message": "Not Found"})
    assert fetch_public_versions(["requests", "acme-utils"], PYPI) == {"requests": "2.32.0"}


@responses.activate
def test_unreachable_pypi_is_an_error_naming_the_way_out() -> None:
    responses.get(f"{PYPI}/pypi/acme-utils/json", status=503)
    with pytest.raises(PyPIUnreachable, match="--no-pypi-check"):
        fetch_public_versions(["acme-utils"], PYPI)


def test_collision_message_and_exit_code() -> None:
    error = PublicNameCollision({"acme-utils": "9.0"})
    assert error.exit_code == 4
    assert "acme-utils (PyPI has 9.0)" in str(error) and "--allow-public" in str(error)
