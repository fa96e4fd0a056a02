"""GitHub running out of time on a query. GitHub stops a GraphQL query after its time limit (ten
seconds, its docs say) and answers 504, or 502 from its gateway, or the error in a 200; its staff's
advice is to ask for fewer resources a query. The client hands such an answer straight back to a
caller that can ask for less (`query(shrink=...)`); the bulk scanner then halves its page of
repositories or its batch of commits and finds the same; a build on which GitHub runs out of time even
for one repository fails cleanly. Against the fake GitHub, which answers a query whose answer holds more
than `graphql_time_limit` objects in each of the shapes GitHub uses."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexgen.errors import ApiError
from indexgen.github.auth import Token
from indexgen.github.bulk import GraphQLScanner, Shrinking
from indexgen.github.graphql import TIMEOUT_ATTEMPTS, GraphQLClient, QueryTimedOut
from indexgen.github.http import ApiUsage
from indexgen.github.scanner import NoProgress, ScanResult
from indexgen.layouts import Discovery
from indexgen.models import Owner, OwnerKind
from tests.e2e.cli import snapshot
from tests.fakegithub import FakeGitHub, FakeGitHubServer, FakeTag, synthetic_org
from tests.test_referenced_files_scan import graphql_scan, version_files
from tests.test_reliability import ORG, TOKEN, assert_clean_failure, indexgen_against, new_fake_github

SHAPES = ["504", "502", "502-html", "200"]
LISTING = {"login": ORG, "cursor": None, "pageSize": 100, "tagPageSize": 100}
# The fake's answers for the world below: the listing of its 40 repositories holds 613 objects, 15 or
# so a repository; the files of its 120 commits 362, 3 a commit. 200 lets 12 repositories or 62
# commits through.
TIME_LIMIT = 200


def world(gh: FakeGitHub) -> None:
    synthetic_org(ORG, 40, 3, gh=gh, annotated_every=5)


@pytest.fixture
def server() -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer(new_fake_github(world)) as server:
        yield server


def client_of(server: FakeGitHubServer, sleeps: list[float]) -> GraphQLClient:
    return GraphQLClient(
        server.graphql_url, Token(TOKEN, "GITHUB_TOKEN"), ApiUsage(), backoff=0.01, sleep=sleeps.append
    )


def scan(server: FakeGitHubServer) -> ScanResult:
    scanner = GraphQLScanner(client_of(server, []))
    return scanner.scan_owners([Owner(ORG, OwnerKind.ORG)], lambda tag: True, NoProgress())


# -- the client ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_a_query_github_ran_out_of_time_on_goes_back_at_once_to_a_caller_that_can_ask_for_less(
    server: FakeGitHubServer, shape: str
) -> None:
    server.gh.graphql_time_limit, server.gh.graphql_timeout_shape = 0, shape
    asked: list[str] = []
    sleeps: list[float] = []
    client = client_of(server, sleeps)
    with pytest.raises(QueryTimedOut) as caught:
        client.query("owner_repositories", LISTING, shrink=lambda: asked.append("less") or True)
    assert asked == ["less"]
    # One request: neither the transport nor the client repeated the query before asking for less.
    assert client.usage.graphql_requests == server.gh.graphql_requests == 1 and sleeps == []
    assert caught.value.status == (200 if shape == "200" else int(shape[:3]))
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize("can_shrink", [False, None], ids=["as-small-as-it-gets", "no-shrink"])
@pytest.mark.parametrize("shape", SHAPES)
def test_a_query_that_cannot_ask_for_less_is_retried_like_any_transient_failure(
    server: FakeGitHubServer, shape: str, can_shrink: bool | None
) -> None:
    server.gh.graphql_time_limit, server.gh.graphql_timeout_shape = 0, shape
    asked: list[str] = []
    sleeps: list[float] = []
    client = client_of(server, sleeps)
    shrink = None if can_shrink is None else (lambda: asked.append("less") or False)
    with pytest.raises(ApiError) as caught:
        client.query("owner_repositories", LISTING, shrink=shrink)
    assert not isinstance(caught.value, QueryTimedOut)
    # Six attempts, as the transport makes for other 5xx answers, the waits doubling from the backoff
    # (0.01 s here, plus up to 0.01 s of jitter).
    assert server.gh.graphql_requests == TIMEOUT_ATTEMPTS == 6 and len(sleeps) == TIMEOUT_ATTEMPTS - 1
    assert all(0.01 * 2**i <= wait <= 0.01 * 2**i + 0.01 for i, wait in enumerate(sleeps)), sleeps
    assert asked == (["less"] * TIMEOUT_ATTEMPTS if can_shrink is False else [])
    status = 200 if shape == "200" else int(shape[:3])
    assert f"GraphQL query owner_repositories: HTTP {status}" in str(caught.value)
    # The next answer in time is taken.
    server.gh.graphql_time_limit = None
    assert client.query("owner_repositories", LISTING, shrink=shrink)["repositoryOwner"]["login"] == ORG


# Not "partial": GitHub's error there (one field failed) says "This may be the result of a timeout"
# too, and is taken at its word.
@pytest.mark.parametrize("fault", ["500", "503", "reset", "truncated"])
def test_other_failures_never_ask_for_less(server: FakeGitHubServer, fault: str) -> None:
    server.gh.fail_next(fault, 1, "graphql")  # type: ignore[arg-type]
    asked: list[str] = []
    client = client_of(server, [])
    data = client.query("owner_repositories", LISTING, shrink=lambda: asked.append("less") or True)
    assert data["repositoryOwner"]["login"] == ORG and asked == []


def test_a_size_halves_down_to_one_saying_so_each_time(caplog: pytest.LogCaptureFixture) -> None:
    size = Shrinking(100, "repositories")
    with caplog.at_level(logging.WARNING):
        halved = [size.size for _ in range(8) if size.shrink()]
    assert halved == [50, 25, 12, 6, 3, 1] and size.size == 1 and not size.shrink()
    assert (
        caplog.messages[0]
        == "GitHub ran out of time on a query for 100 repositories; asking for 50 at a time"
    )
    assert len(caplog.messages) == 6


def test_batches_are_asked_again_smaller_and_every_item_once() -> None:
    size = Shrinking(8, "commits")
    asked: list[list[int]] = []

    def ask(batch: list[int]) -> int:
        asked.append(list(batch))
        if len(batch) > 3:
            assert size.shrink()
            raise QueryTimedOut(504, "GraphQL query commit_files", "in time")
        return sum(batch)

    answers = list(size.batches(list(range(10)), ask))  # type: ignore[arg-type]
    assert [list(batch) for batch, _ in answers] == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]
    assert [answer for _, answer in answers] == [1, 5, 9, 13, 17]
    assert [len(batch) for batch in asked] == [8, 4, 2, 2, 2, 2, 2]


def test_a_batch_smaller_than_the_size_is_halved_itself(caplog: pytest.LogCaptureFixture) -> None:
    """The last batch (or an organisation's only one) may hold fewer items than the size: halving the
    size would ask for that same batch again and have GitHub run out of time on it once more."""
    size = Shrinking(500, "commits' files")
    asked: list[int] = []
    shrunk: list[bool] = []

    def ask(batch: list[int]) -> int:
        asked.append(len(batch))
        if len(batch) > 2:
            assert size.shrink()
            raise QueryTimedOut(504, "GraphQL query commit_files", "in time")
        if len(batch) == 1:
            shrunk.append(size.shrink())  # one item: nothing smaller to ask for, the client retries it
        return sum(batch)

    with caplog.at_level(logging.WARNING):
        answers = list(size.batches(list(range(7)), ask))  # type: ignore[arg-type]
    assert [answer for _, answer in answers] == list(range(7))
    assert asked == [7, 3, 1, 1, 1, 1, 1, 1, 1] and shrunk == [False] * 7
    assert caplog.messages == [
        "GitHub ran out of time on a query for 7 commits' files; asking for 3 at a time",
        "GitHub ran out of time on a query for 3 commits' files; asking for 1 at a time",
    ]


# -- the scanner --------------------------------------------------------------------------------------


def test_the_scanner_halves_its_pages_and_batches_and_finds_the_same(
    server: FakeGitHubServer, caplog: pytest.LogCaptureFixture
) -> None:
    reference = scan(server)
    assert len(reference.repos) == 40 and len(reference.files) == 120
    assert server.gh.graphql_requests == 2  # one page of repositories, one batch of files
    server.gh.reset_counters()
    server.gh.graphql_time_limit = TIME_LIMIT
    with caplog.at_level(logging.WARNING, logger="indexgen.github.bulk"):
        found = scan(server)
    assert found == reference
    assert caplog.messages == [
        "GitHub ran out of time on a query for 100 repositories; asking for 50 at a time",
        "GitHub ran out of time on a query for 50 repositories; asking for 25 at a time",
        "GitHub ran out of time on a query for 25 repositories; asking for 12 at a time",
        # The batch held 120 commits, not 500: halving 500 would ask for the same 120 twice more.
        "GitHub ran out of time on a query for 120 commits' files; asking for 60 at a time",
    ]
    # Three pages GitHub gave up on, then 40 repositories 12 at a time; one batch, then 120 commits
    # 60 at a time. Each stopped query counted against the rate limit, as on GitHub.
    assert server.gh.graphql_requests == (3 + 4) + (1 + 2)
    assert len([entry for entry in server.gh.log if entry.cost == 0]) == 0


def monorepos(gh: FakeGitHub) -> None:
    """30 repositories, each with three projects in `libs/` and 20 pages in `docs/` (no project at the
    root), tagged `p0/v1.0.0`, `p1/v1.1.0`: every default-branch tree is read. The fake's answer for 20
    trees holds 1,162 objects, for 10 of them 582; the listing 395, the other reads fewer."""
    owner = synthetic_org(ORG, 30, 2, gh=gh)
    for repo in owner.repos.values():
        versions = dict(repo.files.versions)  # type: ignore[attr-defined]
        tags = []
        for t, tag in enumerate(repo.tags):
            version = versions[tag.commit]
            files = {
                f"libs/p{p}/pyproject.toml": f'[project]\nname = "{repo.name}-p{p}"\nversion = "{version}"\n'.encode()
                for p in range(3)
            }
            repo.files[tag.commit] = {**files, **{f"docs/page{i}.md": b"..." for i in range(20)}}
            tags.append(FakeTag(f"p{t % 3}/v{version}", tag.commit))
        repo.tags[:] = tags


def test_the_scanner_reads_default_branch_trees_in_smaller_batches_and_finds_the_same(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with FakeGitHubServer(new_fake_github(monorepos)) as server:

        def scan_all() -> ScanResult:
            scanner = GraphQLScanner(client_of(server, []))
            discovery = Discovery(need=lambda tag, directory: True, fresh=lambda tag: True)
            return scanner.scan_owners(
                [Owner(ORG, OwnerKind.ORG)], lambda tag: True, NoProgress(), discovery=discovery
            )

        reference = scan_all()
        assert len(reference.trees) == 30 and len(reference.files) == 120
        assert server.gh.graphql_requests == 5  # the listing, 2 × 20 trees, the directories, the roots
        server.gh.reset_counters()
        server.gh.graphql_time_limit = 600
        with caplog.at_level(logging.WARNING, logger="indexgen.github.bulk"):
            found = scan_all()
    assert found == reference
    assert caplog.messages == [
        "GitHub ran out of time on a query for 20 default-branch trees; asking for 10 at a time"
    ]
    assert server.gh.graphql_requests == 1 + (1 + 3) + 1 + 1


def test_the_scanner_reads_referenced_files_in_smaller_batches_and_finds_the_same(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """250 releases whose setup.py reads a VERSION file: one (commit, path) lookup each, 200 a query.
    The fake's answers for 200 and for 100 lookups hold more than 300 objects, for 50 fewer."""
    gh = FakeGitHub()
    version_files(gh, 250)
    with FakeGitHubServer(gh) as server:
        reference, names = graphql_scan(server)
        assert len(reference.files) == 250 and names.count("commit_referenced_files") == 2
        gh.graphql_time_limit = 300
        with caplog.at_level(logging.WARNING, logger="indexgen.github.bulk"):
            found, names = graphql_scan(server)
    assert found == reference
    assert [m for m in caplog.messages if re.search(r"\d files;", m)] == [
        "GitHub ran out of time on a query for 200 files; asking for 100 at a time",
        "GitHub ran out of time on a query for 100 files; asking for 50 at a time",
    ]
    assert names.count("commit_referenced_files") == 2 + 5  # stopped twice, then 250 lookups 50 at a time


def test_the_scanner_reads_projects_below_the_root_in_smaller_batches_and_finds_the_same(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The metadata files of projects below the root are (commit, path) lookups too: 180 of them for
    the 60 tagged projects of `monorepos`, more than 300 objects in the fake's answer, 90 fewer."""

    def scan_all() -> ScanResult:
        scanner = GraphQLScanner(client_of(server, []))
        discovery = Discovery(need=lambda tag, directory: True, fresh=lambda tag: True)
        return scanner.scan_owners(
            [Owner(ORG, OwnerKind.ORG)], lambda tag: True, NoProgress(), discovery=discovery
        )

    with FakeGitHubServer(new_fake_github(monorepos)) as server:
        reference = scan_all()
        server.gh.graphql_time_limit = 300
        with caplog.at_level(logging.WARNING, logger="indexgen.github.bulk"):
            found = scan_all()
    assert found == reference and len(found.files) == 120
    assert [m for m in caplog.messages if re.search(r"\d files;", m)] == [
        "GitHub ran out of time on a query for 180 files; asking for 90 at a time"
    ]


# -- the command --------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_a_build_github_runs_out_of_time_on_publishes_the_site_it_would_have(tmp_path: Path) -> None:
    with indexgen_against(world, tmp_path / "home", ("--no-pypi-check",)) as indexgen:
        reference = tmp_path / "reference"
        assert indexgen.build(reference).returncode == 0
        indexgen.gh.graphql_time_limit = TIME_LIMIT
        site = tmp_path / "site"
        run = indexgen.build(site)
    assert run.returncode == 0, run.describe()
    assert snapshot(site) == snapshot(reference)
    assert (
        "warning: GitHub ran out of time on a query for 100 repositories; asking for 50 at a time"
        in run.stderr
    )
    assert "query for 120 commits' files; asking for 60 at a time" in run.stderr


@pytest.mark.e2e
def test_a_build_github_runs_out_of_time_on_even_for_one_repository_fails_and_keeps_the_site(
    tmp_path: Path,
) -> None:
    with indexgen_against(world, tmp_path / "home", ("--no-pypi-check",)) as indexgen:
        site = tmp_path / "site"
        assert indexgen.build(site).returncode == 0
        before = snapshot(site)
        indexgen.gh.graphql_time_limit = 1
        run = indexgen.build(site)
    error = assert_clean_failure(run)
    assert error.startswith("error: GitHub API failed for GraphQL query owner_repositories: HTTP 504: ")
    assert "We couldn't respond to your request in time" in error
    assert "asking for 1 at a time" in run.stderr and TOKEN not in run.stderr
    assert snapshot(site) == before
