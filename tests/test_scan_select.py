"""Both scanners against the local fake GitHub: repository topics, the `select` callback that leaves
excluded repositories' tags and files unread, forks read when selected, and `owners` entries that may
be an organisation or a user."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from indexgen.github.auth import Token
from indexgen.github.bulk import GraphQLScanner
from indexgen.github.graphql import GraphQLClient
from indexgen.github.http import ApiUsage
from indexgen.github.rest import RestScanner
from indexgen.github.scanner import NoProgress, Scanner
from indexgen.models import Owner, OwnerKind, RepoSnapshot
from tests.fakegithub import FakeGitHub, FakeGitHubServer, FakeRepo, FakeTag

TOKEN = "ghp_selectTestToken000000000000000000000"
A, B, C = "a" * 40, "b" * 40, "c" * 40
PYPROJECT = b'[project]\nname = "x"\nversion = "1.0"\n'


@pytest.fixture(scope="module")
def server() -> Iterator[FakeGitHubServer]:
    gh = FakeGitHub()
    gh.add_owner("acme", "Organization")
    gh.add_owner("alice", "User")
    gh.add_token(TOKEN, "alice", sees_private=True, orgs=["acme"])
    gh.add_repo(
        FakeRepo(
            "acme",
            "lib",
            tags=[FakeTag("v1.0", A)],
            files={A: {"pyproject.toml": PYPROJECT}},
            topics=["python"],
        )
    )
    gh.add_repo(
        FakeRepo("acme", "sandbox-x", tags=[FakeTag("v1.0", B)], files={B: {"pyproject.toml": PYPROJECT}})
    )
    gh.add_repo(
        FakeRepo(
            "acme", "forked", fork=True, tags=[FakeTag("v1.0", C)], files={C: {"pyproject.toml": PYPROJECT}}
        )
    )
    gh.add_repo(
        FakeRepo("alice", "tool", tags=[FakeTag("v1.0", A)], files={A: {"pyproject.toml": PYPROJECT}})
    )
    with FakeGitHubServer(gh) as srv:
        yield srv


def scanner(server: FakeGitHubServer, kind: str) -> Scanner:
    token = Token(TOKEN, "GITHUB_TOKEN")
    if kind == "rest":
        return RestScanner(server.base_url, token, max_wait=0, spacing=0)
    client = GraphQLClient(server.graphql_url, token, ApiUsage(), max_wait=0, backoff=0)
    return GraphQLScanner(client)


def not_sandbox(repo: RepoSnapshot) -> bool:
    return not repo.full_name.endswith("/sandbox-x")


@pytest.mark.parametrize("kind", ["rest", "graphql"])
def test_unselected_repositories_are_listed_without_tags_or_files(
    server: FakeGitHubServer, kind: str
) -> None:
    server.gh.reset_counters()
    result = scanner(server, kind).scan_owners(
        [Owner("acme", OwnerKind.ORG)], lambda tag: True, NoProgress(), select=not_sandbox
    )
    repos = {r.full_name: r for r in result.repos}
    assert set(repos) == {"acme/lib", "acme/sandbox-x", "acme/forked"}
    assert repos["acme/sandbox-x"].tags == ()
    assert [t.name for t in repos["acme/lib"].tags] == ["v1.0"]
    # select, not the default, decides: a selected fork's tags and files are read.
    assert [t.name for t in repos["acme/forked"].tags] == ["v1.0"]
    assert set(result.files) == {A, C}
    assert not [e.path for e in server.gh.log if "sandbox-x" in e.path]


@pytest.mark.parametrize("kind", ["rest", "graphql"])
def test_without_select_forks_are_not_read(server: FakeGitHubServer, kind: str) -> None:
    result = scanner(server, kind).scan_owners([Owner("acme", OwnerKind.ORG)], lambda tag: True, NoProgress())
    repos = {r.full_name: r for r in result.repos}
    assert repos["acme/forked"].tags == () and repos["acme/sandbox-x"].tags != ()


@pytest.mark.parametrize("kind", ["rest", "graphql"])
def test_topics_are_read_from_the_listing(server: FakeGitHubServer, kind: str) -> None:
    owners = [Owner("acme", OwnerKind.ORG)]
    scan = scanner(server, kind)
    result = scan.scan_owners(owners, lambda tag: False, NoProgress())
    assert {r.full_name: r.topics for r in result.repos} == {
        "acme/lib": ("python",),
        "acme/sandbox-x": (),
        "acme/forked": (),
    }
    # Topics are a connection per repository: a listing page costs 2 points instead of 1 (REST: free).
    assert scan.usage.graphql_points == (2 if kind == "graphql" else 0)


@pytest.mark.parametrize("kind", ["rest", "graphql"])
@pytest.mark.parametrize(("login", "expected"), [("acme", "acme/lib"), ("alice", "alice/tool")])
def test_an_owner_of_either_kind(server: FakeGitHubServer, kind: str, login: str, expected: str) -> None:
    result = scanner(server, kind).scan_owners([Owner(login, OwnerKind.ANY)], lambda tag: False, NoProgress())
    assert expected in {r.full_name for r in result.repos}


@pytest.mark.parametrize("kind", ["rest", "graphql"])
def test_an_owner_of_either_kind_that_does_not_exist(server: FakeGitHubServer, kind: str) -> None:
    from indexgen.errors import OwnerNotFound

    with pytest.raises(OwnerNotFound, match="organisation or user 'nobody-here'"):
        scanner(server, kind).scan_owners(
            [Owner("nobody-here", OwnerKind.ANY)], lambda tag: False, NoProgress()
        )
