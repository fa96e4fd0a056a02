"""The GraphQL bulk scanner at the HTTP boundary, with `responses` answering like GitHub's GraphQL API."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import responses
from requests import PreparedRequest

from indexgen.errors import ApiError, OwnerNotFound, RateLimited, TokenRejected
from indexgen.github.auth import Token
from indexgen.github.bulk import GraphQLScanner
from indexgen.github.graphql import GraphQLClient
from indexgen.github.http import ApiUsage
from indexgen.github.scanner import NoProgress
from indexgen.layouts import Discovery
from indexgen.models import Owner, OwnerKind, RepoSnapshot, SourceFiles, TagRef
from tests.payloads import (
    annotated_target,
    blob,
    commit_target,
    owner_page,
    rate_headers,
    rate_limit_json,
    refs_json,
    repo_node,
)

GQL = "https://api.github.com/graphql"
ACME = Owner("acme", OwnerKind.ORG)
A, B, C, T = "a" * 40, "b" * 40, "c" * 40, "f" * 40
PYPROJECT = '[project]\nname = "acme-utils"\nversion = "1.0"\n'


def make_scanner(sleeps: list[float] | None = None, max_wait: float = 60) -> GraphQLScanner:
    record = sleeps.append if sleeps is not None else (lambda s: None)
    client = GraphQLClient(
        GQL, Token("ghs_secret", "GITHUB_TOKEN"), ApiUsage(), max_wait=max_wait, backoff=0, sleep=record
    )
    return GraphQLScanner(client)


Handler = Callable[[str, dict[str, Any]], Any]


def serve(handler: Handler) -> list[tuple[str, dict[str, Any]]]:
    """Answer every GraphQL POST with handler(operation name, variables); returns the call log."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def callback(request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body or "{}")
        operation = re.search(r"^query (\w+)", body["query"], re.M).group(1)  # type: ignore[union-attr]
        calls.append((operation, body["variables"]))
        answer = handler(operation, body["variables"])
        status, headers, payload = answer if isinstance(answer, tuple) else (200, {}, answer)
        return status, {**rate_headers(resource="graphql"), **headers}, json.dumps(payload)

    responses.add_callback(responses.POST, GQL, callback=callback)
    return calls


def files_answer(files: dict[str, dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def answer(variables: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {"rateLimit": rate_limit_json()}
        for slot in "abcde":
            data[slot] = [{"oid": i[2:], **files[i[2:]]} for i in variables[slot]]
        return {"data": data}

    return answer


@responses.activate
def test_repositories_are_paged_with_cursors_and_annotated_tags_are_peeled() -> None:
    page1 = owner_page(
        "acme",
        [
            repo_node(
                "acme", "utils", refs_json([("v1.0", commit_target(A)), ("v2.0", annotated_target(T, B))])
            )
        ],
        has_next=True,
        cursor="Y3Vyc29yOjE=",
        total=2,
    )
    page2 = owner_page("acme", [repo_node("acme", "other")], total=2)
    read = files_answer(
        {
            A: {"pyproject": blob(PYPROJECT), "setupCfg": None, "setupPy": None},
            B: {"pyproject": blob(PYPROJECT.replace("1.0", "2.0")), "setupCfg": None, "setupPy": None},
        }
    )

    def handler(op: str, v: dict[str, Any]) -> Any:
        if op == "OwnerRepositories":
            return page2 if v["cursor"] == "Y3Vyc29yOjE=" else page1
        return read(v)

    calls = serve(handler)
    result = make_scanner().scan_owners([ACME], lambda tag: True, NoProgress())
    assert [r.full_name for r in result.repos] == ["acme/utils", "acme/other"]
    assert result.repos[0].tags == (TagRef("v1.0", A), TagRef("v2.0", B))
    assert result.repos[0].clone_url == "https://github.com/acme/utils.git"
    assert result.files[B] == SourceFiles(pyproject_toml=PYPROJECT.replace("1.0", "2.0"))
    assert [op for op, _ in calls] == ["OwnerRepositories", "OwnerRepositories", "CommitFiles"]
    assert calls[0][1]["pageSize"] == 100 and calls[0][1]["cursor"] is None


@responses.activate
def test_more_tags_than_a_page_are_completed_with_follow_up_queries() -> None:
    first = [(f"v1.{i}", commit_target(f"{i:040x}")) for i in range(100)]
    rest = [(f"v2.{i}", commit_target(f"{i + 100:040x}")) for i in range(30)]
    page = owner_page(
        "acme", [repo_node("acme", "big", refs_json(first, has_next=True, cursor="dGFnOjEwMA=="))]
    )

    def handler(op: str, v: dict[str, Any]) -> Any:
        if op == "OwnerRepositories":
            return page
        assert op == "RepositoryTags" and v == {
            "owner": "acme",
            "name": "big",
            "cursor": "dGFnOjEwMA==",
            "tagPageSize": 100,
        }
        return {"data": {"rateLimit": rate_limit_json(), "repository": {"refs": refs_json(rest)}}}

    calls = serve(handler)
    result = make_scanner().scan_owners([ACME], lambda tag: False, NoProgress())
    assert len(result.repos[0].tags) == 130
    assert [op for op, _ in calls] == ["OwnerRepositories", "RepositoryTags"]


@responses.activate
def test_files_are_read_only_for_wanted_commits_500_to_a_query() -> None:
    shas = [f"{i:040x}" for i in range(600)]
    page = owner_page(
        "acme",
        [repo_node("acme", f"r{i}", refs_json([("v1.0", commit_target(sha))])) for i, sha in enumerate(shas)],
    )
    read = files_answer(
        {
            sha: {"pyproject": None, "setupCfg": None, "setupPy": blob("x", binary=True, size=10)}
            for sha in shas
        }
    )
    calls = serve(lambda op, v: page if op == "OwnerRepositories" else read(v))
    result = make_scanner().scan_owners([ACME], lambda tag: tag.commit != shas[0], NoProgress())
    assert len(result.files) == 599 and shas[0] not in result.files
    assert result.files[shas[1]] == SourceFiles(problems=("setup.py is binary",))
    batches = [v for op, v in calls if op == "CommitFiles"]
    assert [sum(len(v[s]) for s in "abcde") for v in batches] == [500, 99]
    assert all(len(v[s]) <= 100 for v in batches for s in "abcde")


@responses.activate
def test_truncated_or_huge_files_are_problems_and_irrelevant_files_are_dropped() -> None:
    page = owner_page(
        "acme", [repo_node("acme", "utils", refs_json([("v1", commit_target(A)), ("v2", commit_target(B))]))]
    )
    read = files_answer(
        {
            A: {
                "pyproject": blob("[build-system]\n"),
                "setupCfg": blob(None, truncated=True, size=5_000_000),
                "setupPy": None,
            },
            B: {
                "pyproject": blob(PYPROJECT),
                "setupCfg": blob(None, binary=True),
                "setupPy": blob("setup()"),
            },
        }
    )
    serve(lambda op, v: page if op == "OwnerRepositories" else read(v))
    files = make_scanner().scan_owners([ACME], lambda tag: True, NoProgress()).files
    assert files[A] == SourceFiles(
        pyproject_toml="[build-system]\n", problems=("setup.cfg is larger than 1 MiB",)
    )
    # [project] names the project: what setup.cfg and setup.py hold plays no part (as in the REST scanner).
    assert files[B] == SourceFiles(pyproject_toml=PYPROJECT)


@responses.activate
def test_forks_and_empty_repositories_need_no_tags() -> None:
    page = owner_page(
        "acme",
        [
            repo_node("acme", "fork", refs_json([("v1", commit_target(A))]), isFork=True),
            repo_node("acme", "empty", isEmpty=True),
        ],
    )
    serve(lambda op, v: page)
    result = make_scanner().scan_owners([ACME], lambda tag: True, NoProgress())
    assert [(r.fork, r.empty, r.tags) for r in result.repos] == [(True, False, ()), (False, True, ())]


@responses.activate
def test_unknown_owner_or_wrong_kind_is_not_found() -> None:
    serve(lambda op, v: {"data": {"rateLimit": rate_limit_json(), "repositoryOwner": None}})
    with pytest.raises(OwnerNotFound, match="organisation 'acme'"):
        make_scanner().scan_owners([ACME], lambda tag: True, NoProgress())
    responses.reset()
    serve(lambda op, v: owner_page("acme", [], typename="User"))
    with pytest.raises(OwnerNotFound):
        make_scanner().scan_owners([ACME], lambda tag: True, NoProgress())


@responses.activate
def test_rejected_token() -> None:
    serve(
        lambda op, v: (
            401,
            {},
            {"message": "Bad credentials", "documentation_url": "https://docs.github.com/graphql"},
        )
    )
    with pytest.raises(TokenRejected):
        make_scanner().scan_owners([ACME], lambda tag: True, NoProgress())


RATE_LIMITED = {
    "errors": [
        {
            "type": "RATE_LIMITED",
            "code": "graphql_rate_limit",
            "message": "API rate limit already exceeded for user ID 1.",
        }
    ]
}


@responses.activate
def test_rate_limited_waits_for_a_near_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("indexgen.github.graphql.time.time", lambda: 1_900_000_000 - 30)
    answers = iter([(200, rate_headers(0, 1_900_000_000, "graphql"), RATE_LIMITED), owner_page("acme", [])])
    serve(lambda op, v: next(answers))
    sleeps: list[float] = []
    result = make_scanner(sleeps).scan_owners([ACME], lambda tag: True, NoProgress())
    assert result.repos == () and sleeps == [31]


@responses.activate
def test_rate_limited_fails_with_the_reset_time_when_too_far(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("indexgen.github.graphql.time.time", lambda: 1_900_000_000 - 3600)
    serve(lambda op, v: (200, rate_headers(0, 1_900_000_000, "graphql"), RATE_LIMITED))
    with pytest.raises(RateLimited) as caught:
        make_scanner(max_wait=900).scan_owners([ACME], lambda tag: True, NoProgress())
    assert (
        str(caught.value) == "GitHub GraphQL API rate limit exhausted; it resets at 2030-03-17 17:46:40 UTC"
    )


@responses.activate
def test_errors_with_partial_data_are_retried_and_never_taken_as_complete() -> None:
    partial = owner_page("acme", [repo_node("acme", "utils")])
    partial["errors"] = [
        {
            "message": "Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug.",
            "path": ["repositoryOwner", "repositories"],
        }
    ]
    answers = iter([partial, owner_page("acme", [repo_node("acme", "utils"), repo_node("acme", "more")])])
    calls = serve(lambda op, v: next(answers))
    result = make_scanner().scan_owners([ACME], lambda tag: True, NoProgress())
    assert [r.full_name for r in result.repos] == ["acme/utils", "acme/more"]
    assert len(calls) == 2
    responses.reset()
    serve(lambda op, v: partial)
    with pytest.raises(ApiError, match="Something went wrong"):
        make_scanner().scan_owners([ACME], lambda tag: True, NoProgress())


@responses.activate
def test_points_and_budget_are_counted() -> None:
    serve(lambda op, v: owner_page("acme", []))
    scanner = make_scanner()
    scanner.scan_owners([ACME], lambda tag: True, NoProgress())
    assert scanner.usage.graphql_points == 1 and scanner.usage.graphql_remaining == 4999


@responses.activate
def test_repo_rescan_reads_one_repository() -> None:
    def handler(op: str, v: dict[str, Any]) -> Any:
        if op == "Repository":
            return {
                "data": {
                    "rateLimit": rate_limit_json(),
                    "repository": repo_node("acme", "utils", refs_json([("v1.0", commit_target(A))])),
                }
            }
        return files_answer({A: {"pyproject": blob(PYPROJECT), "setupCfg": None, "setupPy": None}})(v)

    calls = serve(handler)
    result = make_scanner().scan_repos(["acme/utils"], lambda tag: True, NoProgress())
    assert [op for op, _ in calls] == ["Repository", "CommitFiles"]
    assert result.files[A].pyproject_toml == PYPROJECT
    responses.reset()
    serve(
        lambda op, v: {
            "data": {"repository": None},
            "errors": [
                {
                    "type": "NOT_FOUND",
                    "path": ["repository"],
                    "message": "Could not resolve to a Repository with the name 'acme/gone'.",
                }
            ],
        }
    )
    with pytest.raises(OwnerNotFound, match="acme/gone"):
        make_scanner().scan_repos(["acme/gone"], lambda tag: True, NoProgress())


@responses.activate
def test_release_dates_and_topics_come_with_the_listing() -> None:
    """The tagger's date for an annotated tag, else the commit's committed date; topics by name."""
    lightweight = {**commit_target(A), "committedDate": "2024-01-02T03:04:05Z"}
    annotated = {
        "__typename": "Tag",
        "oid": T,
        "tagger": {"date": "2024-05-06T07:08:09+02:00"},
        "target": {**commit_target(B), "committedDate": "2024-05-01T00:00:00Z"},
    }
    untagged = {
        "__typename": "Tag",
        "oid": "e" * 40,
        "tagger": None,
        "target": {**commit_target(C), "committedDate": "2023-12-31T23:59:59Z"},
    }
    topics = {"nodes": [{"topic": {"name": "http"}}, {"topic": {"name": "utilities"}}]}
    page = owner_page(
        "acme",
        [
            repo_node(
                "acme",
                "utils",
                refs_json([("v1", lightweight), ("v2", annotated), ("v3", untagged)]),
                repositoryTopics=topics,
            ),
            repo_node("acme", "bare"),  # no repositoryTopics in the answer: no topics
        ],
    )
    serve(lambda op, v: page if op == "OwnerRepositories" else files_answer({})(v))
    result = make_scanner().scan_owners([ACME], lambda tag: False, NoProgress())
    utils, bare = result.repos
    assert utils.tags == (
        TagRef("v1", A, "2024-01-02T03:04:05Z"),
        TagRef("v2", B, "2024-05-06T07:08:09+02:00"),
        TagRef("v3", C, "2023-12-31T23:59:59Z"),
    )
    assert utils.topics == ("http", "utilities") and bare.topics == ()


def utils_before(*tags: TagRef) -> RepoSnapshot:
    """acme/Utils as the previous build saw it."""
    return RepoSnapshot(
        "acme/Utils",
        "https://github.com/acme/Utils.git",
        "https://github.com/acme/Utils",
        "2020-01-01T00:00:00Z",
        tags=tags,
    )


def rescanned(earlier: RepoSnapshot) -> tuple[TagRef, ...]:
    """acme/Utils's tags as a rebuild on top of `earlier` lists them."""
    result = make_scanner().scan_owners(
        [ACME], lambda tag: False, NoProgress(), known={"acme/utils": earlier}
    )
    return result.repos[0].tags


@responses.activate
def test_a_tag_the_previous_build_has_as_it_is_is_that_very_object() -> None:
    """A rebuild keeps one copy of an organisation's unchanged tags in memory: the previous build's."""
    refs = refs_json([("v1.0", commit_target(A)), ("v2.0", commit_target(B)), ("v3.0", commit_target(C))])
    serve(lambda op, v: owner_page("acme", [repo_node("acme", "Utils", refs)]))
    earlier = utils_before(TagRef("v1.0", A), TagRef("v2.0", C), TagRef("v9.0", A))  # v2.0 has moved since
    tags = rescanned(earlier)
    assert tags == (TagRef("v1.0", A), TagRef("v2.0", B), TagRef("v3.0", C))
    assert tags[0] is earlier.tags[0]
    assert tags[1] is not earlier.tags[1]


@responses.activate
def test_a_tag_on_a_further_page_the_previous_build_has_as_it_is_is_that_very_object() -> None:
    first = refs_json([("v1.0", commit_target(A))], has_next=True, cursor="c1")
    more = {
        "data": {"repository": {"refs": refs_json([("v2.0", commit_target(B)), ("v3.0", commit_target(C))])}}
    }
    calls = serve(
        lambda op, v: (
            owner_page("acme", [repo_node("acme", "Utils", first)]) if op == "OwnerRepositories" else more
        )
    )
    earlier = utils_before(TagRef("v1.0", A), TagRef("v2.0", B), TagRef("v3.0", A))  # v3.0 has moved since
    tags = rescanned(earlier)
    assert [op for op, _ in calls] == ["OwnerRepositories", "RepositoryTags"]
    assert tags == (TagRef("v1.0", A), TagRef("v2.0", B), TagRef("v3.0", C))
    assert tags[0] is earlier.tags[0] and tags[1] is earlier.tags[1]
    assert tags[2] is not earlier.tags[2]


@responses.activate
def test_commit_node_ids_are_kept_only_where_projects_below_the_root_may_be_read() -> None:
    """Node IDs serve to read files: the root's of the commits `need_files` picks (kept apart), and
    below the root only in a repository without a project file at its root, which discovery may
    read trees and directories of."""
    root = {"target": {"__typename": "Commit", "id": "H1", "tree": {"oid": T, "entries": [
        {"name": "pyproject.toml", "type": "blob"}]}}}  # fmt: skip
    bare = {"target": {"__typename": "Commit", "id": "H2", "tree": {"oid": T, "entries": [
        {"name": "libs", "type": "tree"}]}}}  # fmt: skip
    nodes = [
        repo_node("acme", "single", refs_json([("v1.0", commit_target(A))]), defaultBranchRef=root),
        repo_node("acme", "mono", refs_json([("core-v1.0", commit_target(B))]), defaultBranchRef=bare),
    ]
    serve(lambda op, v: owner_page("acme", nodes) if op == "OwnerRepositories" else {"data": {"nodes": []}})
    scanner = make_scanner()
    held: list[dict[str, str]] = []
    read_files = scanner._read_files

    def reading(*args: Any, **kwargs: Any) -> Any:
        held.append(dict(scanner._node_ids))  # what the reads may use
        return read_files(*args, **kwargs)

    scanner._read_files = reading  # type: ignore[method-assign]
    scanner.scan_owners([ACME], lambda tag: False, NoProgress(), discovery=Discovery())
    assert len(held) == 1 and A not in held[0] and held[0][B] == "C_" + B
    # Not kept past the scan: a large organisation lists one per commit.
    assert scanner._node_ids == {} and scanner._heads == {}


@responses.activate
def test_a_tag_name_many_repositories_have_is_one_string() -> None:
    nodes = [
        repo_node("acme", name, refs_json([("v1.0", commit_target(c))])) for name, c in (("a", A), ("b", B))
    ]
    serve(lambda op, v: owner_page("acme", nodes))
    first, second = make_scanner().scan_owners([ACME], lambda tag: False, NoProgress()).repos
    assert first.tags[0].name == "v1.0" and first.tags[0].name is second.tags[0].name
