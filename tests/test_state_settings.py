"""The build state file and the settings: round trips, bad input, precedence."""

from __future__ import annotations

import dataclasses
import gzip
import json

import pytest

from indexgen.cli import _parser
from indexgen.errors import ConfigError
from indexgen.github.auth import discover_token, graphql_url_for
from indexgen.models import MetadataProblem, ProjectMetadata, RepoSnapshot, TagRef
from indexgen.settings import settings_from
from indexgen.state import StateUnreadable, dump_state, parse_state

from .state_samples import dump_state_v1

A, B, C = "a" * 40, "b" * 40, "c" * 40


def snapshot(name: str, *tags: tuple[str, str]) -> RepoSnapshot:
    return RepoSnapshot(
        f"acme/{name}",
        f"https://github.com/acme/{name}.git",
        f"https://github.com/acme/{name}",
        "2020-01-01T00:00:00Z",
        private=True,
        tags=tuple(TagRef(t, c) for t, c in tags),
    )


def test_state_round_trips_and_names_only_python_repositories() -> None:
    repos = [snapshot("utils", ("v1.0", A)), snapshot("website", ("v3", B))]
    commits = {
        A: ProjectMetadata(
            "acme-utils", None, ">=3.8", summary="Shared helpers", dependencies=("acme-core>=1.1", "requests")
        ),
        B: MetadataProblem("no pyproject.toml"),
        C: ProjectMetadata("old", "0.1"),
    }
    raw = dump_state(repos, commits, {"acme-utils": {"1.0": A}})
    state = parse_state(raw)
    assert state is not None
    assert list(state.repos) == ["acme/utils"]  # the private non-Python repository stays unnamed
    assert state.repos["acme/utils"] == repos[0]
    assert state.commits == {A: commits[A], B: commits[B]}  # C: no tag, not published: dropped
    assert state.published == {"acme-utils": {"1.0": A}}
    assert b"website" not in gzip.decompress(raw)
    assert dump_state(repos, commits, {"acme-utils": {"1.0": A}}) == raw  # deterministic


def test_state_keeps_metadata_of_commits_still_published_after_a_tag_moved() -> None:
    state = parse_state(
        dump_state(
            [snapshot("utils", ("v1.0", B))],
            {A: ProjectMetadata("u", None), B: ProjectMetadata("u", None)},
            {"u": {"1.0": A}},
        )
    )
    assert state is not None and set(state.commits) == {A, B}


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"", "is corrupt (not gzip-compressed JSON)"),
        (b"not json", "is corrupt (not gzip-compressed JSON)"),
        (b"[]", "is not an indexgen build state"),
        (json.dumps({"format": 99}).encode(), "has format 99, which this indexgen cannot read"),
        (json.dumps({"format": "2"}).encode(), 'has format "2", which this indexgen cannot read'),
        (json.dumps({"format": 1, "repos": {"x": {"bogus": 1}}}).encode(), "is corrupt (TypeError"),
        (b"\xff\xfe", "is corrupt (not gzip-compressed JSON)"),
        (gzip.compress(b"{}")[:-9], "is corrupt (truncated gzip data)"),
        (b"\x1f\x8b\x08garbage", "is corrupt (gzip: "),
    ],
)
def test_a_corrupt_or_foreign_state_is_an_error_that_says_where(raw: bytes, problem: str) -> None:
    with pytest.raises(StateUnreadable) as caught:
        parse_state(raw, "at site/indexgen-state.json.gz")
    assert str(caught.value).startswith(f"the build state at site/indexgen-state.json.gz {problem}")
    assert "\n" not in str(caught.value)


def test_a_corrupt_format_2_state_is_an_error() -> None:
    data = json.loads(
        gzip.decompress(dump_state([snapshot("utils", ("v1.0", A))], {A: ProjectMetadata("u", None)}, {}))
    )
    for broken in (
        {**data, "commits": ["not a sha"]},
        {**data, "commits": []},  # a tag points past the end of the commit list
        {**data, "meta": {"0": {"v": "1"}}},  # no name
        {**data, "unlisted": [{"0": ["xyz"]}]},
        {**data, "published": {"u": {"1.0": "0"}}},
    ):
        with pytest.raises(StateUnreadable, match="is corrupt"):
            parse_state(gzip.compress(json.dumps(broken).encode()))


def args(*argv: str):  # type: ignore[no-untyped-def]
    return _parser().parse_args(["build", *argv])


def test_environment_gives_api_urls_and_flags_override_them() -> None:
    env = {
        "GITHUB_API_URL": "https://ghe.example.com/api/v3",
        "GITHUB_GRAPHQL_URL": "https://ghe.example.com/api/graphql",
    }
    s = settings_from(args("--org", "acme"), env)
    assert (s.api_url, s.graphql_url) == (
        "https://ghe.example.com/api/v3",
        "https://ghe.example.com/api/graphql",
    )
    s = settings_from(args("--org", "acme", "--api-url", "https://other.example.com/api/v3/"), env)
    assert (s.api_url, s.graphql_url) == (
        "https://other.example.com/api/v3",
        "https://other.example.com/api/graphql",
    )
    assert settings_from(args("--org", "acme"), {}).graphql_url == "https://api.github.com/graphql"


@pytest.mark.parametrize(
    ("url", "graphql"),
    [
        ("https://api.github.com", "https://api.github.com/graphql"),
        ("https://ghe.corp/api/v3", "https://ghe.corp/api/graphql"),
        ("https://api.acme.ghe.com", "https://api.acme.ghe.com/graphql"),
        ("http://127.0.0.1:8080/api/v3", "http://127.0.0.1:8080/api/graphql"),
    ],
)
def test_graphql_url_is_derived_from_the_rest_url(url: str, graphql: str) -> None:
    assert graphql_url_for(url) == graphql


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from(
            args(
                "--org=-bad-",
                "--api-url",
                "ftp://x",
                "--tag-pattern",
                "(",
                "--repo",
                "nope",
                "--accept-moved-tag",
                "x",
            ),
            {},
        )
    message = str(caught.value)
    for fragment in (
        "'-bad-' is not a GitHub org name",
        "API URL must be an http(s) URL",
        "--tag-pattern",
        "--repo takes OWNER/NAME",
        "--accept-moved-tag",
    ):
        assert fragment in message
    assert caught.value.exit_code == 2


def test_a_scan_needs_an_owner_or_repositories() -> None:
    with pytest.raises(ConfigError, match="at least one --org or --user"):
        settings_from(args(), {})
    assert settings_from(args("--repo", "acme/utils"), {}).repos == ("acme/utils",)


def test_token_discovery_order() -> None:
    def gh(*a: object, **k: object):  # type: ignore[no-untyped-def]
        import subprocess

        return subprocess.CompletedProcess(a, 0, stdout="gho_fromgh\n", stderr="")

    assert (
        discover_token("https://api.github.com", {"GITHUB_TOKEN": "t1", "GH_TOKEN": "t2"}, gh).source
        == "GITHUB_TOKEN"
    )  # type: ignore[union-attr]
    assert discover_token("https://api.github.com", {"GH_TOKEN": "t2"}, gh).value == "t2"  # type: ignore[union-attr]
    token = discover_token("https://api.github.com", {}, gh)
    assert token is not None and token.value == "gho_fromgh" and "gho_fromgh" not in repr(token)

    def missing(*a: object, **k: object):  # type: ignore[no-untyped-def]
        raise FileNotFoundError("gh")

    assert discover_token("https://api.github.com", {}, missing) is None


def test_state_keeps_release_dates_and_topics_and_loads_a_state_without_them() -> None:
    repo = dataclasses.replace(
        snapshot("utils", ("v1.0", A), ("v2.0", B)),
        tags=(TagRef("v1.0", A, "2024-01-02T03:04:05Z"), TagRef("v2.0", B)),
        topics=("http", "cli"),
    )
    state = parse_state(
        dump_state([repo], {A: ProjectMetadata("u", None), B: ProjectMetadata("u", None)}, {})
    )
    assert state is not None and state.repos["acme/utils"] == repo
    # A state written before dates and topics existed: same repository, no dates, no topics.
    old = json.loads(dump_state_v1([repo], {A: ProjectMetadata("u", None)}, {}))
    for entry in old["repos"].values():
        del entry["tag_dates"], entry["topics"]
    loaded = parse_state(json.dumps(old).encode())
    assert loaded is not None
    assert loaded.repos["acme/utils"].tags == (TagRef("v1.0", A), TagRef("v2.0", B))
    assert loaded.repos["acme/utils"].topics == ()
