"""Tests of the fake GitHub server (tests/fakegithub): it must answer like GitHub for PyGithub and raw HTTP.

The GitHub behaviours asserted here, and where they were verified, are listed in tests/fakegithub/README.md.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import github
import pytest
import requests
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    parse,
    validate,
)

from tests.fakegithub import (
    FakeGitHub,
    FakeGitHubServer,
    FakeRepo,
    FakeTag,
    fake_sha,
    git_blob_sha,
    load_git_repo,
    synthetic_org,
)
from tests.fakegithub.graphql_api import SCHEMA_PATH, analyze, get_schema

TOKEN = "ghp_fake_token"
ORG = "acme"

C1, C2, C3 = fake_sha("c1"), fake_sha("c2"), fake_sha("c3")
PYPROJECT = b'[project]\nname = "widgets"\nversion = "1.0.0"\nrequires-python = ">=3.8"\n'


def make_model(n_repos: int = 3) -> FakeGitHub:
    gh = FakeGitHub()
    gh.add_owner("alice", "User")
    gh.add_token(TOKEN, "alice", orgs=[ORG])
    gh.add_token("ghp_lost_access", "bob", sees_private=False)
    gh.add_repo(
        FakeRepo(
            ORG,
            "widgets",
            description="Widgets",
            tags=[FakeTag("v1.0.0", C1), FakeTag("v1.1.0", C2, annotated=True, message="One point one\n")],
            files={
                C1: {"pyproject.toml": PYPROJECT, "sub/pkg/setup.cfg": b"[metadata]\nname = sub\n"},
                C2: {
                    "pyproject.toml": PYPROJECT.replace(b"1.0.0", b"1.1.0"),
                    "logo.png": b"\x89PNG\0\0binary",
                },
            },
            commit_dates={C1: "2021-01-01T00:00:00Z", C2: "2022-01-01T00:00:00Z"},
        )
    )
    gh.add_repo(
        FakeRepo(ORG, "secret", private=True, tags=[FakeTag("v0.1", C3)], files={C3: {"setup.py": b"x"}})
    )
    gh.add_repo(FakeRepo(ORG, "void", empty=True))
    for i in range(n_repos - 3):
        gh.add_repo(FakeRepo(ORG, f"extra-{i:03d}", created_at=f"2021-01-01T00:{i // 60:02d}:{i % 60:02d}Z"))
    return gh


@pytest.fixture
def gh() -> FakeGitHub:
    return make_model()


@pytest.fixture
def server(gh: FakeGitHub) -> Iterator[FakeGitHubServer]:
    with FakeGitHubServer(gh) as srv:
        yield srv


def client(server: FakeGitHubServer, token: str = TOKEN) -> github.Github:
    # PyGithub sleeps 0.25 s between requests by default (seconds_between_requests): not needed locally.
    return github.Github(
        auth=github.Auth.Token(token),
        base_url=server.base_url,
        per_page=100,
        retry=None,
        seconds_between_requests=0,
    )


def gql(
    server: FakeGitHubServer, query: str, variables: dict[str, Any] | None = None, token: str | None = TOKEN
) -> requests.Response:
    headers = {"Authorization": f"bearer {token}"} if token else {}
    return requests.post(
        server.graphql_url, json={"query": query, "variables": variables or {}}, headers=headers
    )


def rest_get(server: FakeGitHubServer, path: str, token: str | None = TOKEN, **kw: Any) -> requests.Response:
    headers = {"Authorization": f"token {token}"} if token else {}
    headers.update(kw.pop("headers", {}))
    return requests.get(server.base_url + path, headers=headers, timeout=10, **kw)


# ------------------------------------------------------------------------------------------------ server
def test_server_urls_and_lifecycle() -> None:
    with FakeGitHubServer(FakeGitHub()) as srv:
        assert srv.base_url == f"http://127.0.0.1:{srv.port}/api/v3"
        assert srv.graphql_url == f"http://127.0.0.1:{srv.port}/api/graphql"
        # PyGithub derives the GraphQL URL from base_url the same way
        assert client(srv).requester.graphql_url == srv.graphql_url
    with FakeGitHubServer(FakeGitHub(), prefix="", serve_root=True) as srv:
        assert srv.graphql_url.endswith(f":{srv.port}/graphql")


def test_unknown_path_is_json_404(server: FakeGitHubServer) -> None:
    resp = rest_get(server, "/no/such/thing")
    assert resp.status_code == 404
    assert resp.json()["message"] == "Not Found"
    assert resp.json()["status"] == "404"


# ------------------------------------------------------------------------------------------------ PyGithub
def test_pygithub_lists_org_repos_across_pages() -> None:
    gh = make_model(n_repos=250)
    with FakeGitHubServer(gh) as srv:
        org = client(srv).get_organization(ORG)
        gh.reset_counters()
        names = [r.name for r in org.get_repos()]
        assert len(names) == 250 == len(set(names))
        assert gh.rest_requests == 3  # 100 + 100 + 50, following GitHub's Link headers
        assert [entry.resource for entry in gh.log] == ["core"] * 3
        assert gh.log[1].path.startswith(f"/api/v3/organizations/{gh.owners[ORG].id}/repos")
        repo = next(r for r in org.get_repos() if r.name == "widgets")
        assert repo.full_name == f"{ORG}/widgets"
        assert repo.clone_url == f"https://github.example.test/{ORG}/widgets.git"
        assert repo.owner.login == ORG and repo.owner.type == "Organization"
        assert repo.private is False and repo.archived is False and repo.fork is False


def test_link_header_parses(server: FakeGitHubServer) -> None:
    gh = server.gh
    for i in range(7):
        gh.add_repo(FakeRepo(ORG, f"more-{i}"))
    resp = rest_get(server, f"/orgs/{ORG}/repos", params={"per_page": 3, "page": 2, "type": "all"})
    links = resp.links
    assert set(links) == {"prev", "next", "last", "first"}
    host = f"http://127.0.0.1:{server.port}"
    assert links["next"]["url"].startswith(host + "/api/v3/organizations/")
    assert (
        "page=3" in links["next"]["url"]
        and "per_page=3" in links["next"]["url"]
        and "type=all" in links["next"]["url"]
    )
    assert "page=4" in links["last"]["url"]  # 10 repositories / 3 per page
    assert "page=1" in links["first"]["url"] and "page=1" in links["prev"]["url"]
    last = rest_get(server, f"/orgs/{ORG}/repos", params={"per_page": 3, "page": 4})
    assert set(last.links) == {"prev", "first"} and len(last.json()) == 1
    assert "Link" not in rest_get(server, f"/orgs/{ORG}/repos").headers  # 10 repos fit in 30


def test_repository_object_fields(server: FakeGitHubServer) -> None:
    data = rest_get(server, f"/repos/{ORG}/widgets").json()
    for key in (
        "id",
        "node_id",
        "name",
        "full_name",
        "private",
        "owner",
        "html_url",
        "description",
        "fork",
        "url",
        "clone_url",
        "ssh_url",
        "git_url",
        "created_at",
        "updated_at",
        "pushed_at",
        "size",
        "archived",
        "disabled",
        "visibility",
        "default_branch",
        "topics",
        "permissions",
        "organization",
    ):
        assert key in data, key
    assert base64.b64decode(data["node_id"]) == f"010:Repository{data['id']}".encode()
    assert data["ssh_url"] == f"git@github.example.test:{ORG}/widgets.git"
    assert data["url"] == f"{server.base_url}/repos/{ORG}/widgets"
    assert rest_get(server, f"/repos/{ORG}/void").json()["size"] == 0


def test_pygithub_tags_are_peeled(server: FakeGitHubServer) -> None:
    tags = {t.name: t.commit.sha for t in client(server).get_repo(f"{ORG}/widgets").get_tags()}
    assert tags == {"v1.0.0": C1, "v1.1.0": C2}  # the annotated tag's commit, not its tag object
    raw = rest_get(server, f"/repos/{ORG}/widgets/tags").json()
    assert [t["name"] for t in raw] == ["v1.1.0", "v1.0.0"]
    assert set(raw[0]) == {"name", "zipball_url", "tarball_url", "commit", "node_id"}
    assert raw[0]["zipball_url"].endswith(f"/repos/{ORG}/widgets/zipball/refs/tags/v1.1.0")


def test_pygithub_reads_contents_at_ref(server: FakeGitHubServer) -> None:
    repo = client(server).get_repo(f"{ORG}/widgets")
    content = repo.get_contents("pyproject.toml", ref="v1.0.0")
    assert not isinstance(content, list)
    assert content.decoded_content == PYPROJECT
    assert content.sha == git_blob_sha(PYPROJECT) and content.size == len(PYPROJECT)
    assert content.encoding == "base64" and content.type == "file"
    nested = repo.get_contents("sub/pkg/setup.cfg", ref=C1)
    assert not isinstance(nested, list) and nested.decoded_content.startswith(b"[metadata]")
    with pytest.raises(github.UnknownObjectException):
        repo.get_contents("setup.py", ref="v1.0.0")
    listing = repo.get_contents("", ref="v1.0.0")
    assert isinstance(listing, list) and {c.name: c.type for c in listing} == {
        "pyproject.toml": "file",
        "sub": "dir",
    }


def test_contents_wire_format(server: FakeGitHubServer) -> None:
    data = (b"x = 1\n" * 40)[:230]
    server.gh.get_repo(ORG, "widgets").files[C1]["big.py"] = data  # type: ignore[union-attr]
    body = rest_get(server, f"/repos/{ORG}/widgets/contents/big.py", params={"ref": C1}).json()
    lines = body["content"].split("\n")
    assert lines[-1] == "" and all(len(line) == 60 for line in lines[:-2]) and 0 < len(lines[-2]) <= 60
    assert base64.b64decode(body["content"]) == data
    assert body["_links"]["self"] == body["url"] and body["url"].endswith(f"/contents/big.py?ref={C1}")
    assert set(body) >= {"name", "path", "sha", "size", "url", "html_url", "git_url", "download_url", "type"}
    raw = rest_get(
        server,
        f"/repos/{ORG}/widgets/contents/big.py",
        params={"ref": C1},
        headers={"Accept": "application/vnd.github.raw+json"},
    )
    assert raw.content == data


def test_contents_over_one_megabyte(server: FakeGitHubServer) -> None:
    big = b"a" * (1024 * 1024 + 1)
    server.gh.get_repo(ORG, "widgets").files[C1]["huge.txt"] = big  # type: ignore[union-attr]
    body = rest_get(server, f"/repos/{ORG}/widgets/contents/huge.txt", params={"ref": C1}).json()
    assert body["content"] == "" and body["encoding"] == "none" and body["size"] == len(big)


def test_contents_errors(server: FakeGitHubServer) -> None:
    empty = rest_get(server, f"/repos/{ORG}/void/contents/pyproject.toml")
    assert empty.status_code == 404 and empty.json()["message"] == "This repository is empty."
    missing_ref = rest_get(server, f"/repos/{ORG}/widgets/contents/pyproject.toml", params={"ref": "nope"})
    assert (
        missing_ref.status_code == 404 and missing_ref.json()["message"] == "No commit found for the ref nope"
    )


def test_empty_repository(server: FakeGitHubServer) -> None:
    assert rest_get(server, f"/repos/{ORG}/void/tags").json() == []
    refs = rest_get(server, f"/repos/{ORG}/void/git/matching-refs/tags")
    assert refs.status_code == 409 and refs.json()["message"] == "Git Repository is empty."
    assert client(server).get_repo(f"{ORG}/void").get_tags().totalCount == 0


def test_matching_refs_and_peeling(server: FakeGitHubServer) -> None:
    refs = rest_get(server, f"/repos/{ORG}/widgets/git/matching-refs/tags").json()
    by_ref = {r["ref"]: r["object"] for r in refs}
    assert by_ref["refs/tags/v1.0.0"] == {
        "sha": C1,
        "type": "commit",
        "url": f"{server.base_url}/repos/{ORG}/widgets/git/commits/{C1}",
    }
    annotated = by_ref["refs/tags/v1.1.0"]
    assert annotated["type"] == "tag" and annotated["sha"] != C2
    tag = rest_get(server, f"/repos/{ORG}/widgets/git/tags/{annotated['sha']}").json()
    assert tag["object"] == {
        "sha": C2,
        "type": "commit",
        "url": f"{server.base_url}/repos/{ORG}/widgets/git/commits/{C2}",
    }
    assert tag["tag"] == "v1.1.0" and tag["message"] == "One point one\n"
    assert rest_get(server, f"/repos/{ORG}/widgets/git/refs/tags").json() == refs
    assert rest_get(server, f"/repos/{ORG}/widgets/git/matching-refs/tags/v9").json() == []
    pygithub_refs = client(server).get_repo(f"{ORG}/widgets").get_git_matching_refs("tags")
    assert {r.ref for r in pygithub_refs} == {"refs/tags/v1.0.0", "refs/tags/v1.1.0"}


def test_bad_credentials(server: FakeGitHubServer) -> None:
    with pytest.raises(github.BadCredentialsException) as excinfo:
        client(server, token="ghp_wrong").get_organization(ORG)
    assert excinfo.value.status == 401
    assert excinfo.value.data == {
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }


def test_unknown_org_and_user_as_org(server: FakeGitHubServer) -> None:
    g = client(server)
    with pytest.raises(github.UnknownObjectException):
        g.get_organization("nobody")
    with pytest.raises(github.UnknownObjectException):
        g.get_organization("alice")  # a user, not an organization
    assert g.get_user("acme").type == "Organization"  # /users/{login} answers for organizations too
    assert g.get_user().login == "alice"  # GET /user
    assert rest_get(server, "/user", token=None).status_code == 401


def test_visibility_of_private_repositories(server: FakeGitHubServer) -> None:
    def names(token: str | None) -> set[str]:
        return {r["name"] for r in rest_get(server, f"/orgs/{ORG}/repos", token=token).json()}

    assert names(TOKEN) == {"widgets", "secret", "void"}
    assert names("ghp_lost_access") == {"widgets", "void"}
    assert names(None) == {"widgets", "void"}
    assert rest_get(server, f"/repos/{ORG}/secret", token="ghp_lost_access").status_code == 404
    private = rest_get(server, f"/orgs/{ORG}/repos", params={"type": "private"}).json()
    assert [r["name"] for r in private] == ["secret"] and private[0]["visibility"] == "private"
    mine = rest_get(server, "/user/repos", params={"affiliation": "organization_member"}).json()
    assert {r["name"] for r in mine} == {"widgets", "secret", "void"}
    assert {r["name"] for r in rest_get(server, f"/users/{ORG}/repos").json()} == {"widgets", "void"}


def test_rate_limit_headers_and_exhaustion(server: FakeGitHubServer) -> None:
    gh = server.gh
    resp = rest_get(server, f"/orgs/{ORG}")
    assert resp.headers["X-RateLimit-Limit"] == "5000"
    assert resp.headers["X-RateLimit-Remaining"] == "4999"
    assert resp.headers["X-RateLimit-Used"] == "1"
    assert resp.headers["X-RateLimit-Resource"] == "core"
    assert int(resp.headers["X-RateLimit-Reset"]) > time.time()
    limits = rest_get(server, "/rate_limit")
    assert limits.json()["resources"]["core"]["remaining"] == 4999  # GET /rate_limit is free
    assert limits.json()["rate"] == limits.json()["resources"]["core"]
    assert limits.json()["resources"]["graphql"]["limit"] == 5000
    gh.exhaust_after(2)
    g = client(server)
    g.get_organization(ORG)
    g.get_repo(f"{ORG}/widgets")
    with pytest.raises(github.RateLimitExceededException) as excinfo:
        g.get_repo(f"{ORG}/widgets")
    assert excinfo.value.status == 403
    assert excinfo.value.headers is not None and excinfo.value.headers["x-ratelimit-remaining"] == "0"
    message = excinfo.value.data["message"]
    assert message.startswith(f"API rate limit exceeded for user ID {gh.owners['alice'].id}. ")
    anon = rest_get(server, f"/orgs/{ORG}", token=None)
    assert anon.headers["X-RateLimit-Limit"] == "60"
    gh.set_rate_limit("core", remaining=0, login="")
    anon = rest_get(server, f"/orgs/{ORG}", token=None)
    assert (
        anon.status_code == 403
        and "(But here's the good news: Authenticated requests" in anon.json()["message"]
    )


def test_secondary_rate_limit(server: FakeGitHubServer) -> None:
    server.gh.inject_secondary_limit(1, retry_after=7)
    with pytest.raises(github.RateLimitExceededException) as excinfo:
        client(server).get_organization(ORG)
    assert excinfo.value.headers is not None and excinfo.value.headers["retry-after"] == "7"
    assert excinfo.value.data["message"].startswith("You have exceeded a secondary rate limit.")
    assert client(server).get_organization(ORG).login == ORG
    server.gh.inject_secondary_limit(1, status=429, resource="graphql")
    assert gql(server, "{ viewer { login } }").status_code == 429


def test_conditional_requests_are_free(server: FakeGitHubServer) -> None:
    first = rest_get(server, f"/repos/{ORG}/widgets")
    again = rest_get(server, f"/repos/{ORG}/widgets", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["X-RateLimit-Used"] == "1"


def test_latency(gh: FakeGitHub) -> None:
    gh.latency_ms = 60
    with FakeGitHubServer(gh) as srv:
        start = time.perf_counter()
        rest_get(srv, "/rate_limit")
        assert time.perf_counter() - start >= 0.06


# ------------------------------------------------------------------------------------------------ faults
def test_faults_are_seeded_and_do_not_corrupt_the_model() -> None:
    def run(seed: int) -> list[str]:
        gh = make_model()
        gh.set_faults(0.5, kinds=["500", "502", "503", "reset", "truncated"], seed=seed)
        outcomes = []
        with FakeGitHubServer(gh) as srv:
            for _ in range(30):
                try:
                    resp = rest_get(srv, f"/repos/{ORG}/widgets/tags")
                except requests.ConnectionError:
                    outcomes.append("reset")
                    continue
                try:
                    resp.json()
                    outcomes.append(str(resp.status_code))
                except ValueError:
                    outcomes.append(f"{resp.status_code}-bad-json")
            gh.set_faults(0.0)
            clean = rest_get(srv, f"/repos/{ORG}/widgets/tags").json()
            assert [t["name"] for t in clean] == ["v1.1.0", "v1.0.0"]
            assert len(gh.fault_log) == sum(o != "200" for o in outcomes)
        return outcomes

    first = run(7)
    assert first == run(7)  # same seed, same faults
    possible = {"200", "reset", "200-bad-json", "500", "502-bad-json", "503-bad-json"}
    assert set(first) <= possible and len(set(first)) >= 4
    assert run(8) != first


def test_forced_faults(server: FakeGitHubServer) -> None:
    gh = server.gh
    gh.fail_next("502")
    resp = rest_get(server, f"/orgs/{ORG}")
    assert resp.status_code == 502 and "text/html" in resp.headers["Content-Type"]
    gh.fail_next("500")
    assert rest_get(server, f"/orgs/{ORG}").json() == {"message": "Server Error"}
    gh.fail_next("reset")
    with pytest.raises(requests.ConnectionError):
        rest_get(server, f"/orgs/{ORG}")
    gh.fail_next("truncated")
    truncated = rest_get(server, f"/orgs/{ORG}")
    assert truncated.status_code == 200
    with pytest.raises(ValueError):
        truncated.json()
    gh.fault_delay_s = 0.5
    gh.fail_next("timeout")
    with pytest.raises(requests.Timeout):
        requests.get(server.base_url + f"/orgs/{ORG}", timeout=0.2)
    assert rest_get(server, f"/orgs/{ORG}").json()["login"] == ORG


def test_graphql_partial_data_fault(server: FakeGitHubServer) -> None:
    query = """query { organization(login: "acme") { repositories(first: 10) { nodes { name
        refs(refPrefix: "refs/tags/", first: 10) { nodes { name target { oid } } } } } } }"""
    server.gh.fail_next("partial")
    body = gql(server, query).json()
    assert "data" in body and body["errors"]
    assert body["errors"][0]["message"].startswith("Something went wrong while executing your query.")
    assert body["errors"][0]["path"][0] == "organization"
    assert gql(server, query).json().get("errors") is None


# ------------------------------------------------------------------------------------------------ GraphQL
REPOS_QUERY = """
query Repos($login: String!, $after: String) {
  organization(login: $login) {
    repositories(first: 100, after: $after, orderBy: {field: NAME, direction: ASC}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { name nameWithOwner isPrivate isEmpty url sshUrl }
    }
  }
  rateLimit { cost remaining used limit nodeCount resetAt }
}
"""

REFS_QUERY = """
query Refs($owner: String!, $name: String!, $after: String) {
  repository(owner: $owner, name: $name) {
    refs(
      refPrefix: "refs/tags/", first: 1, after: $after, orderBy: {field: TAG_COMMIT_DATE, direction: DESC}
    ) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          name
          target {
            __typename
            oid
            ... on Tag { name message target { oid ... on Commit { ...Files } } }
            ... on Commit { ...Files }
          }
        }
      }
    }
  }
}
fragment Files on Commit {
  committedDate
  pyproject: file(path: "pyproject.toml") {
    oid
    object { ... on Blob { text byteSize isBinary isTruncated } }
  }
  setupPy: file(path: "setup.py") { oid }
}
"""

OBJECT_QUERY = """
query Obj($expr: String!) {
  repository(owner: "acme", name: "widgets") {
    object(expression: $expr) {
      __typename
      ... on Blob { text isBinary byteSize }
      ... on Tree { entries { name path type } }
    }
  }
}
"""


NODES_QUERY = """
query Nodes($ids: [ID!]!) {
  nodes(ids: $ids) {
    __typename
    id
    ... on Commit { oid file(path: "pyproject.toml") { object { ... on Blob { text } } } }
    ... on Repository { nameWithOwner }
  }
}
"""


def test_graphql_nodes_by_id(server: FakeGitHubServer) -> None:
    ids_query = """{ repository(owner: "acme", name: "widgets") { id
        refs(refPrefix: "refs/tags/", first: 10) { nodes { target { ... on Commit { id } } } } } }"""
    repo = gql(server, ids_query).json()["data"]["repository"]
    commit_id = next(n["target"]["id"] for n in repo["refs"]["nodes"] if n["target"])
    body = gql(server, NODES_QUERY, {"ids": [commit_id, "bm9wZQ==", repo["id"]]}).json()
    commit, missing, repository = body["data"]["nodes"]
    assert commit["oid"] == C1 and commit["file"]["object"]["text"] == PYPROJECT.decode()
    assert missing is None and repository == {
        "__typename": "Repository",
        "id": repo["id"],
        "nameWithOwner": "acme/widgets",
    }
    assert body["errors"] == [
        {
            "type": "NOT_FOUND",
            "path": ["nodes", 1],
            "locations": [{"line": 3, "column": 3}],
            "message": "Could not resolve to a node with the global id of 'bm9wZQ=='",
        }
    ]


def test_graphql_paginates_repositories() -> None:
    gh = make_model(n_repos=250)
    with FakeGitHubServer(gh) as srv:
        seen: list[str] = []
        after = None
        pages = 0
        while True:
            body = gql(srv, REPOS_QUERY, {"login": ORG, "after": after}).json()
            conn = body["data"]["organization"]["repositories"]
            assert conn["totalCount"] == 250
            seen += [n["name"] for n in conn["nodes"]]
            pages += 1
            if not conn["pageInfo"]["hasNextPage"]:
                break
            after = conn["pageInfo"]["endCursor"]
        assert pages == 3 and len(seen) == 250 and seen == sorted(seen)
        assert gh.graphql_requests == 3 and gh.graphql_points == 3
        assert [e.resource for e in gh.log] == ["graphql"] * 3 and all(e.cost == 1 for e in gh.log)


def test_graphql_refs_peeling_and_files(server: FakeGitHubServer) -> None:
    after = None
    refs = []
    while True:
        body = gql(server, REFS_QUERY, {"owner": ORG, "name": "widgets", "after": after}).json()
        assert "errors" not in body
        conn = body["data"]["repository"]["refs"]
        refs += [edge["node"] for edge in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert [r["name"] for r in refs] == ["v1.1.0", "v1.0.0"]  # TAG_COMMIT_DATE DESC
    annotated, light = refs
    assert annotated["target"]["__typename"] == "Tag" and annotated["target"]["target"]["oid"] == C2
    assert annotated["target"]["message"] == "One point one\n"
    assert light["target"]["__typename"] == "Commit" and light["target"]["oid"] == C1
    blob = light["target"]["pyproject"]
    assert blob["oid"] == git_blob_sha(PYPROJECT)
    assert blob["object"] == {
        "text": PYPROJECT.decode(),
        "byteSize": len(PYPROJECT),
        "isBinary": False,
        "isTruncated": False,
    }
    assert light["target"]["setupPy"] is None  # a missing path is null, not an error
    assert light["target"]["committedDate"] == "2021-01-01T00:00:00Z"


def test_graphql_object_expression(server: FakeGitHubServer) -> None:
    def obj(expr: str) -> Any:
        return gql(server, OBJECT_QUERY, {"expr": expr}).json()["data"]["repository"]["object"]

    assert obj(f"{C1}:pyproject.toml")["text"] == PYPROJECT.decode()
    assert obj("v1.1.0:logo.png") == {"__typename": "Blob", "text": None, "isBinary": True, "byteSize": 12}
    assert obj(f"{C1}:missing.toml") is None
    assert obj(f"{C1}:sub") == {
        "__typename": "Tree",
        "entries": [{"name": "pkg", "path": "sub/pkg", "type": "tree"}],
    }
    assert obj("v1.1.0")["__typename"] == "Tag"


def test_graphql_blob_truncation(server: FakeGitHubServer) -> None:
    server.gh.get_repo(ORG, "widgets").files[C1]["big.txt"] = b"b" * 600_000  # type: ignore[union-attr]
    query = """{ repository(owner: "acme", name: "widgets") {
        object(expression: "v1.0.0:big.txt") { ... on Blob { text isTruncated byteSize } } } }"""
    blob = gql(server, query).json()["data"]["repository"]["object"]
    assert blob["isTruncated"] is True and blob["byteSize"] == 600_000 and len(blob["text"]) == 512_000


def test_graphql_pagination_limits(server: FakeGitHubServer) -> None:
    too_many = gql(
        server, '{ organization(login: "acme") { repositories(first: 101) { nodes { name } } } }'
    ).json()
    assert too_many["data"] == {"organization": None}
    assert too_many["errors"] == [
        {
            "type": "EXCESSIVE_PAGINATION",
            "path": ["organization", "repositories"],
            "locations": [{"line": 1, "column": 33}],
            "message": "Requesting 101 records on the `repositories` connection exceeds the `first` limit "
            "of 100 records.",
        }
    ]
    last = gql(
        server,
        """query($n: Int) { repository(owner: "acme", name: "widgets") {
            refs(refPrefix: "refs/tags/", last: $n) { nodes { name } } } }""",
        {"n": 500},
    ).json()
    assert last["errors"][0]["message"].endswith("exceeds the `last` limit of 100 records.")
    assert last["data"] == {"repository": {"refs": None}}  # refs is nullable
    missing = gql(server, '{ organization(login: "acme") { repositories { nodes { name } } } }').json()
    assert missing["errors"][0]["type"] == "MISSING_PAGINATION_BOUNDARIES"
    count_only = gql(server, '{ organization(login: "acme") { repositories { totalCount } } }').json()
    assert count_only == {"data": {"organization": {"repositories": {"totalCount": 3}}}}


def test_graphql_node_limit(server: FakeGitHubServer) -> None:
    alias = (
        'r{i}: repositories(first: 100) { nodes { refs(refPrefix: "refs/tags/", first: 100) '
        "{ nodes { name } } } }"
    )
    query = (
        '{ organization(login: "acme") { '
        + " ".join(alias.replace("{i}", str(i)) for i in range(50))
        + " } }"
    )
    body = gql(server, query).json()
    assert "data" not in body
    assert body["errors"][0]["type"] == "MAX_NODE_LIMIT_EXCEEDED"
    assert body["errors"][0]["message"] == (
        "By the time this query traverses to the refs connection, it is requesting up to 505,000 possible "
        "nodes which exceeds the maximum limit of 500,000."
    )
    assert server.gh.graphql_points == 0


@pytest.mark.parametrize("shape", ["504", "502", "502-html", "200"])
def test_graphql_a_query_over_the_time_limit_is_stopped_as_github_stops_it(
    server: FakeGitHubServer, shape: str
) -> None:
    query = '{ rateLimit { cost } organization(login: "acme") { repositories(first: 3) { nodes { name } } } }'
    objects = 1 + 1 + 1 + 1 + 3  # rateLimit, organization, repositories, nodes: the three repositories
    server.gh.graphql_time_limit, server.gh.graphql_timeout_shape = objects, shape
    assert gql(server, query).status_code == 200  # at the limit: in time
    server.gh.graphql_time_limit = objects - 1
    points = server.gh.graphql_points
    resp = gql(server, query)
    assert server.gh.graphql_points == points + 1  # a stopped query counts against the limit
    if shape == "502-html":
        assert resp.status_code == 502 and resp.headers["Content-Type"] == "text/html"
        assert "<title>502 Bad Gateway</title>" in resp.text and "nginx" in resp.text
        return
    assert resp.status_code == int(shape) and resp.headers["X-RateLimit-Resource"] == "graphql"
    if shape == "504":
        assert resp.json() == {
            "message": "We couldn't respond to your request in time. Sorry about that. Please try "
            "resubmitting your request and contact us if the problem persists."
        }
    else:
        body = resp.json()
        assert body["data"] is None and len(body["errors"]) == 1
        message = body["errors"][0]["message"]
        assert message.startswith("Something went wrong while executing your query. This may be the result")
        assert resp.headers["X-GitHub-Request-Id"] in message


def test_graphql_not_found_and_visibility(server: FakeGitHubServer) -> None:
    body = gql(server, 'query { organization(login: "ghost") { login } }').json()
    assert body == {
        "data": {"organization": None},
        "errors": [
            {
                "type": "NOT_FOUND",
                "path": ["organization"],
                "locations": [{"line": 1, "column": 9}],
                "message": "Could not resolve to an Organization with the login of 'ghost'.",
            }
        ],
    }
    hidden = gql(
        server, '{ repository(owner: "acme", name: "secret") { name } }', token="ghp_lost_access"
    ).json()
    assert hidden["errors"][0]["type"] == "NOT_FOUND"
    assert (
        gql(server, '{ repository(owner: "acme", name: "secret") { name } }').json()["data"]["repository"][
            "name"
        ]
        == "secret"
    )
    names = gql(
        server,
        '{ organization(login: "acme") { repositories(first: 10) { nodes { name } } } }',
        token="ghp_lost_access",
    ).json()
    assert {n["name"] for n in names["data"]["organization"]["repositories"]["nodes"]} == {"widgets", "void"}
    assert gql(server, '{ repositoryOwner(login: "ghost") { login } }').json() == {
        "data": {"repositoryOwner": None}
    }
    owner = gql(server, '{ repositoryOwner(login: "acme") { __typename login } }').json()["data"][
        "repositoryOwner"
    ]
    assert owner == {"__typename": "Organization", "login": "acme"}


def test_graphql_authentication(server: FakeGitHubServer) -> None:
    anonymous = gql(server, "{ viewer { login } }", token=None)
    assert anonymous.status_code == 401
    assert anonymous.json()["message"] == "This endpoint requires you to be authenticated."
    bad = gql(server, "{ viewer { login } }", token="ghp_wrong")
    assert bad.status_code == 401 and bad.json()["message"] == "Bad credentials"
    assert gql(server, "{ viewer { login } }").json() == {"data": {"viewer": {"login": "alice"}}}


def test_graphql_rate_limited(server: FakeGitHubServer) -> None:
    gh = server.gh
    gh.exhaust_after(1, "graphql")
    ok = gql(server, "{ viewer { login } }")
    assert ok.headers["X-RateLimit-Resource"] == "graphql" and ok.headers["X-RateLimit-Used"] == "1"
    limited = gql(server, "{ viewer { login } }")
    assert limited.status_code == 200
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.json() == {
        "errors": [
            {
                "type": "RATE_LIMITED",
                "message": f"API rate limit exceeded for user ID {gh.owners['alice'].id}.",
            }
        ]
    }
    assert rest_get(server, f"/orgs/{ORG}").status_code == 200  # separate budgets
    with pytest.raises(github.GithubException):
        client(server).requester.graphql_query("{ viewer { login } }", {})


def test_graphql_validation_errors(server: FakeGitHubServer) -> None:
    body = gql(server, '{ organization(login: "acme") { fooBar } }').json()
    assert body == {
        "errors": [
            {
                "extensions": {"code": "undefinedField", "typeName": "Organization", "fieldName": "fooBar"},
                "locations": [{"line": 1, "column": 33}],
                "message": "Field 'fooBar' doesn't exist on type 'Organization'",
            }
        ]
    }
    assert "errors" in gql(server, "{ organization(login: ").json()
    bad_var = gql(
        server,
        """query($n: Int!) { repository(owner: "acme", name: "widgets") {
            refs(refPrefix: "refs/", first: $n) { totalCount } } }""",
        {"n": "x"},
    ).json()
    assert bad_var["errors"][0]["message"] == "Variable $n of type Int! was provided invalid value"
    assert server.gh.graphql_points == 0


def test_graphql_cost_matches_githubs_formula(server: FakeGitHubServer) -> None:
    # 60 x (1 request for repositories + 100 requests for refs) = 6,060 requests -> 60.6 -> 61 points
    alias = (
        'r{i}: repositories(first: 100) { nodes { refs(refPrefix: "refs/tags/", first: 10) { totalCount } } }'
    )
    query = (
        '{ organization(login: "acme") { '
        + " ".join(alias.replace("{i}", str(i)) for i in range(60))
        + " } rateLimit { cost nodeCount } }"
    )
    gh = server.gh
    body = gql(server, query).json()
    assert body["data"]["rateLimit"] == {"cost": 61, "nodeCount": 60 * (100 + 100 * 10)}
    assert gh.graphql_points == 61 and gh.log[-1].cost == 61
    dry = gql(server, "{ viewer { login } rateLimit(dryRun: true) { cost remaining } }").json()
    assert dry["data"] == {"viewer": {"login": "alice"}, "rateLimit": {"cost": 1, "remaining": 5000 - 61}}
    assert gh.graphql_points == 61


def test_cost_analysis_on_githubs_documented_example(github_schema: GraphQLSchema) -> None:
    query = """query { viewer { login repositories(first: 100) { edges { node { id
        issues(first: 50) { edges { node { id
          labels(first: 60) { edges { node { id name } } } } } } } } } } }"""
    analysis = analyze(github_schema, parse(query), None, {})
    assert analysis.requests == 5101 and analysis.cost == 51  # the docs' worked example
    simple = """query { viewer { repositories(first: 50) { edges { repository:node { name
        issues(first: 10) { totalCount edges { node { title bodyHTML } } } } } } } }"""
    assert analyze(github_schema, parse(simple), None, {}).nodes == 550


def test_reset_counters(server: FakeGitHubServer) -> None:
    gql(server, "{ viewer { login } }")
    rest_get(server, f"/orgs/{ORG}")
    gh = server.gh
    assert (gh.rest_requests, gh.graphql_requests, gh.graphql_points) == (1, 1, 1)
    gh.reset_counters()
    assert (gh.rest_requests, gh.graphql_requests, gh.graphql_points, gh.log) == (0, 0, 0, [])


# ------------------------------------------------------------------------------------------------ schema


def test_subset_schema_matches_githubs(github_schema: GraphQLSchema) -> None:
    real = github_schema
    subset = get_schema()
    problems: list[str] = []
    for name, sub_type in subset.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Boolean", "ID", "Float"):
            continue
        real_type = real.type_map.get(name)
        if real_type is None or type(real_type) is not type(sub_type):
            problems.append(f"{name}: missing or of another kind")
            continue
        if isinstance(sub_type, (GraphQLObjectType, GraphQLInterfaceType)):
            assert isinstance(real_type, (GraphQLObjectType, GraphQLInterfaceType))
            real_ifaces = {i.name for i in real_type.interfaces}
            problems += [
                f"{name} implements {i.name}?" for i in sub_type.interfaces if i.name not in real_ifaces
            ]
            for field_name, sub_field in sub_type.fields.items():
                real_field = real_type.fields.get(field_name)
                if real_field is None or str(real_field.type) != str(sub_field.type):
                    problems.append(f"{name}.{field_name}: {sub_field.type}")
                    continue
                for arg_name, real_arg in real_field.args.items():
                    sub_arg = sub_field.args.get(arg_name)
                    if sub_arg is None:
                        problems.append(f"{name}.{field_name}({arg_name}) missing")
                    elif (
                        str(sub_arg.type) != str(real_arg.type)
                        or sub_arg.default_value != real_arg.default_value
                    ):
                        problems.append(f"{name}.{field_name}({arg_name}: {sub_arg.type})")
                problems += [
                    f"{name}.{field_name}({a}) unknown" for a in sub_field.args if a not in real_field.args
                ]
        elif isinstance(sub_type, GraphQLEnumType):
            assert isinstance(real_type, GraphQLEnumType)
            problems += [f"{name}.{v}" for v in sub_type.values if v not in real_type.values]
        elif isinstance(sub_type, GraphQLInputObjectType):
            assert isinstance(real_type, GraphQLInputObjectType)
            if {k: str(f.type) for k, f in sub_type.fields.items()} != {
                k: str(f.type) for k, f in real_type.fields.items()
            }:
                problems.append(f"input {name}")
    assert problems == []
    assert "Query" in subset.type_map and SCHEMA_PATH.read_text().count("type ") < 40  # a subset, not a copy


@pytest.mark.parametrize(
    "query", [REPOS_QUERY, REFS_QUERY, OBJECT_QUERY, NODES_QUERY], ids=["repos", "refs", "object", "nodes"]
)
def test_test_queries_are_valid_for_github(github_schema: GraphQLSchema, query: str) -> None:
    assert validate(github_schema, parse(query)) == []


# ------------------------------------------------------------------------------------------------ loading
def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "T",
        "GIT_AUTHOR_EMAIL": "t@example.test",
        "GIT_COMMITTER_NAME": "T",
        "GIT_COMMITTER_EMAIL": "t@example.test",
        "GIT_AUTHOR_DATE": "2023-05-01T12:00:00Z",
        "GIT_COMMITTER_DATE": "2023-05-01T12:00:00Z",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs the git CLI")
def test_load_git_repo(tmp_path: Path) -> None:
    work = tmp_path / "repo"
    work.mkdir()
    _git(work, "init", "-q")
    _git(work, "symbolic-ref", "HEAD", "refs/heads/main")
    (work / "pyproject.toml").write_text('[project]\nname = "real"\nversion = "0.1"\n')
    (work / "pkgs" / "a").mkdir(parents=True)
    (work / "pkgs" / "a" / "setup.cfg").write_text("[metadata]\nname = a\n")
    (work / "x" / "y" / "z").mkdir(parents=True)
    (work / "x" / "y" / "z" / "setup.py").write_text("too deep\n")
    (work / "README.md").write_text("hello\n")
    _git(work, "add", "-A")
    _git(work, "commit", "-q", "-m", "first")
    first = _git(work, "rev-parse", "HEAD")
    _git(work, "tag", "v0.1")
    (work / "pyproject.toml").write_text('[project]\nname = "real"\nversion = "0.2"\n')
    _git(work, "commit", "-q", "-am", "second")
    second = _git(work, "rev-parse", "HEAD")
    _git(work, "tag", "-a", "v0.2", "-m", "release 0.2")
    repo = load_git_repo(work, "acme", "real", private=True)
    tags = {t.name: t for t in repo.tags}
    assert tags["v0.1"].commit == first and not tags["v0.1"].annotated
    assert tags["v0.2"].commit == second and tags["v0.2"].annotated
    assert tags["v0.2"].object_sha == _git(work, "rev-parse", "v0.2") != second
    assert tags["v0.2"].message == "release 0.2\n"
    assert set(repo.files[first]) == {"pyproject.toml", "pkgs/a/setup.cfg"}
    assert repo.files[second]["pyproject.toml"].endswith(b'version = "0.2"\n')
    assert repo.private and repo.head == second and repo.default_branch == "main"
    assert repo.commit_dates[first] == "2023-05-01T12:00:00Z"
    gh = FakeGitHub()
    gh.add_token(TOKEN, "alice")
    gh.add_repo(repo)
    with FakeGitHubServer(gh) as srv:
        remote = client(srv).get_repo("acme/real")
        blob = remote.get_contents("pyproject.toml", ref="v0.2")
        assert not isinstance(blob, list) and blob.sha == _git(work, "rev-parse", "v0.2:pyproject.toml")
        assert {t.name: t.commit.sha for t in remote.get_tags()} == {"v0.1": first, "v0.2": second}
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(tmp_path / "bare.git")], check=True)
    bare = load_git_repo(tmp_path / "bare.git", "acme", "real")
    assert [(t.name, t.commit, t.object_sha) for t in bare.tags] == [
        (t.name, t.commit, t.object_sha) for t in repo.tags
    ]
    assert bare.files[first] == repo.files[first] and bare.head == second
    empty = tmp_path / "empty"
    empty.mkdir()
    _git(empty, "init", "-q")
    assert load_git_repo(empty, "acme", "empty").empty


def test_synthetic_org_is_correct() -> None:
    gh = FakeGitHub()
    org = synthetic_org("big", 1000, 50, gh=gh, private_every=10, annotated_every=4)
    assert len(org.repos) == 1000 and sum(len(r.tags) for r in org.repos.values()) == 50_000
    repo = org.repos["pkg-0007"]
    tag = repo.tags[12]
    assert tag.name == "v1.12.0" and tag.commit == fake_sha("commit", "big", "pkg-0007", "v1.12.0")
    assert repo.files[tag.commit]["pyproject.toml"] == (
        b'[project]\nname = "pkg-0007"\nversion = "1.12.0"\nrequires-python = ">=3.8"\n\n'
        b'[build-system]\nrequires = ["setuptools>=69"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    assert org.repos["pkg-0009"].private and not repo.private and org.repos["pkg-0003"].tags[0].annotated
    repo.files[tag.commit] = {"setup.py": b"changed"}
    assert dict(repo.files[tag.commit]) == {"setup.py": b"changed"}
    gh.add_token(TOKEN, "alice")
    with FakeGitHubServer(gh) as srv:
        body = gql(
            srv,
            """query { repository(owner: "big", name: "pkg-0001") {
                refs(refPrefix: "refs/tags/", first: 2, orderBy: {field: TAG_COMMIT_DATE, direction: DESC}) {
                  nodes { name target { ... on Commit {
                    file(path: "pyproject.toml") { object { ... on Blob { text } } } } } } } } }""",
        ).json()
        nodes = body["data"]["repository"]["refs"]["nodes"]
        assert [n["name"] for n in nodes] == ["v1.49.0", "v1.48.0"]
        assert 'version = "1.49.0"' in nodes[0]["target"]["file"]["object"]["text"]


def test_command_line_entry_point() -> None:
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakegithub",
            "--synthetic",
            "3",
            "2",
            "--token",
            "cli-token",
            "--org",
            "bench",
        ],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        graphql_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/api/v3")
        assert graphql_url == base_url[: -len("/v3")] + "/graphql"
        repos = requests.get(
            f"{base_url}/orgs/bench/repos", headers={"Authorization": "token cli-token"}, timeout=10
        )
        assert sorted(r["name"] for r in repos.json()) == ["pkg-0000", "pkg-0001", "pkg-0002"]
        answer = requests.post(
            graphql_url,
            data=json.dumps({"query": "{ viewer { login } }"}),
            headers={"Authorization": "bearer cli-token"},
            timeout=10,
        )
        assert answer.json() == {"data": {"viewer": {"login": "bench"}}}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_graphql_scan_reads_topics_and_release_dates_from_the_fake(
    gh: FakeGitHub, server: FakeGitHubServer
) -> None:
    """The fake answers indexgen's own queries with GitHub's field names: Repository.repositoryTopics,
    Tag.tagger.date, Commit.committedDate."""
    from indexgen.github.auth import Token
    from indexgen.github.bulk import GraphQLScanner
    from indexgen.github.graphql import GraphQLClient
    from indexgen.github.http import ApiUsage
    from indexgen.github.scanner import NoProgress
    from indexgen.models import Owner, OwnerKind

    repo = gh.get_repo(ORG, "widgets")
    assert repo is not None
    repo.topics = ["widgets", "ui"]
    scanner = GraphQLScanner(GraphQLClient(server.graphql_url, Token(TOKEN, "GITHUB_TOKEN"), ApiUsage()))
    result = scanner.scan_owners([Owner(ORG, OwnerKind.ORG)], lambda tag: False, NoProgress())
    widgets = next(r for r in result.repos if r.full_name == f"{ORG}/widgets")
    assert widgets.topics == ("widgets", "ui")
    # v1.0.0 is lightweight: its commit's date; v1.1.0 is annotated: its tagger's date.
    assert {t.name: t.date for t in widgets.tags} == {
        "v1.0.0": "2021-01-01T00:00:00Z",
        "v1.1.0": "2022-01-01T00:00:00Z",
    }


def test_tag_commit_date_orders_annotated_tags_by_their_taggers_date(gh: FakeGitHub) -> None:
    """`TAG_COMMIT_DATE` is git's `creatordate`: an annotated tag made late on an old commit counts
    from its tagger's date (zone included), a lightweight one from its commit's committed date."""
    old, mid, new = "1" * 40, "2" * 40, "3" * 40
    dates = {old: "2021-01-01T00:00:00Z", mid: "2022-01-01T00:00:00Z", new: "2023-01-01T00:00:00Z"}
    gh.add_repo(
        FakeRepo(
            ORG,
            "dated",
            tags=[
                FakeTag("a-light-old", old),
                FakeTag("b-late", old, annotated=True, tagged_at="2024-01-01T01:00:00+02:00"),
                FakeTag("c-light-new", new),
                FakeTag("d-annotated-mid", mid, annotated=True),
                FakeTag("e-zone", mid, annotated=True, tagged_at="2023-12-31T23:30:00-01:00"),
            ],
            commit_dates=dates,
        )
    )
    query = """query($d: OrderDirection!) { repository(owner: "acme", name: "dated") {
        refs(refPrefix: "refs/tags/", first: 10, orderBy: {field: TAG_COMMIT_DATE, direction: $d}) {
          nodes { name target { __typename ... on Tag { tagger { date } } } } } } }"""
    with FakeGitHubServer(gh) as srv:
        desc = gql(srv, query, {"d": "DESC"}).json()["data"]["repository"]["refs"]["nodes"]
        asc = gql(srv, query, {"d": "ASC"}).json()["data"]["repository"]["refs"]["nodes"]
    # b-late: 2023-12-31T23:00Z; e-zone: 2024-01-01T00:30Z (later, though its text sorts first).
    assert [n["name"] for n in desc] == ["e-zone", "b-late", "c-light-new", "d-annotated-mid", "a-light-old"]
    assert [n["name"] for n in asc] == [n["name"] for n in reversed(desc)]
    assert desc[1]["target"]["tagger"]["date"] == "2024-01-01T01:00:00+02:00"
    assert desc[3]["target"]["tagger"]["date"] == dates[mid]  # tagged when committed
