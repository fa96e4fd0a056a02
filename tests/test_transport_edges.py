"""Paths of the two scanners that only misbehaving servers take, at the HTTP boundary with `responses`:
metadata files over 1 MB or not UTF-8, statuses GitHub rarely sends, connections that keep failing
after the retries, a GraphQL body that is not an object, a rate limit still there on the last attempt,
and the REST scanner's `--repo` rescan."""

from __future__ import annotations

import pytest
import requests
import responses
from responses import matchers

from indexgen.errors import ApiError, OwnerNotFound, RateLimited
from indexgen.github.auth import Token
from indexgen.github.rest import RestScanner
from indexgen.github.scanner import NoProgress
from indexgen.models import Owner, OwnerKind, SourceFiles, TagRef
from tests.payloads import API, NOT_FOUND, content_json, org_json, rate_headers, repo_json, tag_json
from tests.test_bulk_scanner import RATE_LIMITED, make_scanner, serve

A = "a" * 40
ACME = Owner("acme", OwnerKind.ORG)
URL = API.replace("github.com", "github.com:443")  # PyGithub sends https://HOST:443/…
PYPROJECT = '[project]\nname = "acme-utils"\nversion = "1.0"\n'


def rest_scanner() -> RestScanner:
    return RestScanner(API, Token("ghp_secret", "GITHUB_TOKEN"), max_wait=0, backoff=0, spacing=0)


def one_tagged_repo(name: str = "utils") -> None:
    responses.get(f"{URL}/orgs/acme", json=org_json("acme"), headers=rate_headers())
    responses.get(f"{URL}/orgs/acme/repos", json=[repo_json("acme", name)], headers=rate_headers())
    responses.get(f"{URL}/repos/acme/{name}/tags", json=[tag_json(f"acme/{name}", "v1.0", A)])


def scan(s: RestScanner):  # type: ignore[no-untyped-def]
    return s.scan_owners([ACME], lambda tag: True, NoProgress())


# -- REST ----------------------------------------------------------------------------------------------


@responses.activate
def test_rest_a_file_over_1_mb_is_a_problem_not_a_text() -> None:
    """Over 1 MB the contents API sends `encoding: "none"` and no content."""
    one_tagged_repo()
    big = content_json("acme/utils", "pyproject.toml", "", A) | {"encoding": "none", "size": 2_000_000}
    responses.get(f"{URL}/repos/acme/utils/contents/pyproject.toml", json=big)
    responses.get(f"{URL}/repos/acme/utils/contents/setup.cfg", status=404, json=NOT_FOUND)
    responses.get(f"{URL}/repos/acme/utils/contents/setup.py", status=404, json=NOT_FOUND)
    assert scan(rest_scanner()).files[A] == SourceFiles(problems=("pyproject.toml is larger than 1 MiB",))


@responses.activate
def test_rest_a_file_that_is_not_utf8_is_a_problem() -> None:
    one_tagged_repo()
    latin1 = content_json(
        "acme/utils", "pyproject.toml", PYPROJECT.replace("acme", "acmé").encode("latin-1"), A
    )
    responses.get(f"{URL}/repos/acme/utils/contents/pyproject.toml", json=latin1)
    responses.get(f"{URL}/repos/acme/utils/contents/setup.cfg", status=404, json=NOT_FOUND)
    responses.get(f"{URL}/repos/acme/utils/contents/setup.py", status=404, json=NOT_FOUND)
    assert scan(rest_scanner()).files[A] == SourceFiles(problems=("pyproject.toml is not UTF-8 text",))


@responses.activate
def test_rest_a_directory_named_like_a_metadata_file_is_no_file() -> None:
    one_tagged_repo()
    listing = [content_json("acme/utils", "pyproject.toml/x", "", A) | {"type": "file"}]
    responses.get(f"{URL}/repos/acme/utils/contents/pyproject.toml", json=listing)
    responses.get(
        f"{URL}/repos/acme/utils/contents/setup.py",
        json=content_json("acme/utils", "setup.py", "from setuptools import setup\nsetup()\n", A),
    )
    responses.get(f"{URL}/repos/acme/utils/contents/setup.cfg", status=404, json=NOT_FOUND)
    files = scan(rest_scanner()).files[A]
    assert files.pyproject_toml is None and files.setup_py is not None


@pytest.mark.parametrize(
    ("status", "body"),
    [(451, {"message": "Repository access blocked"}), (422, {"message": "No commit found for SHA"})],
    ids=["451", "422"],
)
@responses.activate
def test_rest_an_unexpected_status_fails_with_where_and_githubs_message(
    status: int, body: dict[str, str]
) -> None:
    one_tagged_repo()
    responses.get(f"{URL}/repos/acme/utils/contents/pyproject.toml", status=status, json=body)
    with pytest.raises(ApiError) as caught:
        scan(rest_scanner())
    assert caught.value.status == status
    assert str(caught.value).endswith(f"acme/utils/pyproject.toml@{A[:12]}: HTTP {status}: {body['message']}")


@responses.activate
def test_rest_a_connection_that_keeps_failing_after_the_retries_is_an_api_error() -> None:
    responses.get(f"{URL}/orgs/acme", json=org_json("acme"), headers=rate_headers())
    responses.get(f"{URL}/orgs/acme/repos", body=requests.exceptions.ConnectionError("refused"))
    with pytest.raises(ApiError) as caught:
        scan(rest_scanner())
    assert (caught.value.status, caught.value.where) == (None, "repositories of acme")
    assert "ConnectionError" in str(caught.value) and "ghp_secret" not in str(caught.value)


@responses.activate
def test_rest_a_body_cut_short_every_time_fails_after_the_extra_attempts() -> None:
    responses.get(f"{URL}/orgs/acme", body='{"login": "ac', headers=rate_headers())
    with pytest.raises(ApiError, match="cut short or was not JSON"):
        scan(rest_scanner())
    assert len(responses.calls) == 3


@responses.activate
def test_rest_rescan_of_named_repositories() -> None:
    """`indexgen build --repo OWNER/NAME --scanner rest`: just those repositories, by name."""
    responses.get(f"{URL}/repos/acme/utils", json=repo_json("acme", "utils"), headers=rate_headers())
    responses.get(f"{URL}/repos/acme/utils/tags", json=[tag_json("acme/utils", "v1.0", A)])
    responses.get(
        f"{URL}/repos/acme/utils/contents/pyproject.toml",
        json=content_json("acme/utils", "pyproject.toml", PYPROJECT, A),
        match=[matchers.query_param_matcher({"ref": A})],
    )
    responses.get(f"{URL}/repos/acme/gone", status=404, json=NOT_FOUND)
    result = rest_scanner().scan_repos(["acme/utils"], lambda tag: True, NoProgress())
    (repo,) = result.repos
    assert repo.full_name == "acme/utils" and repo.tags == (TagRef("v1.0", A),)
    assert result.files[A] == SourceFiles(pyproject_toml=PYPROJECT)
    with pytest.raises(OwnerNotFound, match="acme/gone"):
        rest_scanner().scan_repos(["acme/gone"], lambda tag: True, NoProgress())


# -- GraphQL -------------------------------------------------------------------------------------------


@responses.activate
def test_graphql_a_connection_that_keeps_failing_after_the_retries_is_an_api_error() -> None:
    responses.post("https://api.github.com/graphql", body=requests.exceptions.ConnectionError("refused"))
    with pytest.raises(ApiError) as caught:
        make_scanner().scan_owners([ACME], lambda tag: True, NoProgress())
    # The transport's urllib3 retries (not run under `responses`) are spent when this arrives.
    assert str(caught.value).endswith("GraphQL query owner_repositories: no answer: ConnectionError")
    assert "ghs_secret" not in str(caught.value)


@pytest.mark.parametrize("body", [[1, 2], "a string", None], ids=["list", "string", "null"])
@responses.activate
def test_graphql_a_json_body_that_is_not_an_object_fails_cleanly(body: object) -> None:
    serve(lambda op, v: body)
    with pytest.raises(ApiError, match="unexpected answer"):
        make_scanner().scan_owners([ACME], lambda tag: True, NoProgress())


@responses.activate
def test_graphql_rate_limited_on_the_last_attempt_fails_with_the_reset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each reset is near enough to wait for, but the limit is back every time: after the last attempt
    the build fails naming the reset instead of waiting forever."""
    monkeypatch.setattr("indexgen.github.graphql.time.time", lambda: 1_900_000_000 - 5)
    serve(lambda op, v: (200, rate_headers(0, 1_900_000_000, "graphql"), RATE_LIMITED))
    sleeps: list[float] = []
    with pytest.raises(RateLimited, match="resets at 2030-03-17 17:46:40 UTC"):
        make_scanner(sleeps).scan_owners([ACME], lambda tag: True, NoProgress())
    assert sleeps == [6, 6, 6] and len(responses.calls) == 4


@responses.activate
def test_graphql_secondary_limit_in_a_200_answer_is_waited_for_then_retried() -> None:
    secondary = {
        "errors": [{"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}]
    }
    answers = iter([secondary, {"data": {"rateLimit": None, "repositoryOwner": None}}])
    serve(lambda op, v: next(answers))
    sleeps: list[float] = []
    with pytest.raises(OwnerNotFound):
        make_scanner(sleeps, max_wait=30).scan_owners([ACME], lambda tag: True, NoProgress())
    assert sleeps == [30]


# -- GraphQL: tags without a usable commit -----------------------------------------------------------


def tag(typename: str, oid: str, target: dict[str, object] | None = None) -> dict[str, object]:
    node: dict[str, object] = {"__typename": typename, "oid": oid}
    if typename == "Commit":
        node["id"] = "C_" + oid
    if target is not None:
        node["target"] = target
    return node


@pytest.mark.parametrize(
    ("target", "peeled"),
    [
        (tag("Commit", A), (A, "C_" + A, "")),
        (tag("Tag", "1" * 40, tag("Commit", A)), (A, "C_" + A, "")),
        (tag("Tag", "1" * 40, tag("Tag", "2" * 40, tag("Commit", A))), (A, "C_" + A, "")),
        (
            tag("Tag", "1" * 40, tag("Tag", "2" * 40, tag("Tag", "3" * 40))),  # the query stops here
            "a chain of more than 2 annotated tags: its commit is not followed",
        ),
        (tag("Tree", "4" * 40), "the tag points to a tree 444444444444, not a commit"),
        (tag("Tag", "1" * 40, tag("Blob", "5" * 40)), "the tag points to a blob 555555555555, not a commit"),
        (None, "the tag points to no object"),
        (  # the date: the outermost tagger's, else the commit's
            {
                **tag("Tag", "1" * 40, {**tag("Commit", A), "committedDate": "2024-01-02T00:00:00Z"}),
                "tagger": {"date": "2024-03-04T05:06:07+01:00"},
            },
            (A, "C_" + A, "2024-03-04T05:06:07+01:00"),
        ),
        (
            {**tag("Commit", A), "committedDate": "2024-01-02T00:00:00Z"},
            (A, "C_" + A, "2024-01-02T00:00:00Z"),
        ),
    ],
    ids=[
        "commit",
        "annotated",
        "two-levels",
        "three-levels",
        "tree",
        "blob-behind-tag",
        "null",
        "tagger-date",
        "commit-date",
    ],
)
def test_peel_follows_two_annotated_tags_and_says_why_else(
    target: dict[str, object] | None, peeled: object
) -> None:
    from indexgen.github.bulk import _peel

    assert _peel(target) == peeled


@responses.activate
def test_graphql_gone_commits_skip_their_tags_and_other_errors_do_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.payloads import owner_page, refs_json, repo_node

    refs = refs_json(
        [("v1.0", tag("Commit", A)), ("v2.0", tag("Commit", "b" * 40)), ("v3.0", tag("Tree", "c" * 40))]
    )
    page = owner_page("acme", [repo_node("acme", "utils", refs)])
    gone = {
        "data": {
            "a": [None, {"oid": "b" * 40, "pyproject": None, "setupCfg": None, "setupPy": None}],
            "b": [],
        },
        "errors": [
            {
                "type": "NOT_FOUND",
                "path": ["a", 0],
                "message": f"Could not resolve to a node with the global id of 'C_{A}'",
            }
        ],
    }
    serve(lambda op, v: page if op == "OwnerRepositories" else gone)
    result = make_scanner().scan_owners([ACME], lambda t: True, NoProgress())
    (repo,) = result.repos
    assert repo.tags == (TagRef("v2.0", "b" * 40),)
    assert [(s.tag, s.reason.split(" (")[0]) for s in result.skipped] == [
        ("v3.0", "the tag points to a tree cccccccccccc, not a commit"),
        ("v1.0", f"commit {A[:12]} is gone"),
    ]
    assert set(result.files) == {"b" * 40}

    # Any other error in the answer is not taken for a gone commit: the query fails.
    responses.reset()
    other = {**gone, "errors": [{"type": "FORBIDDEN", "path": ["a", 0], "message": "no"}]}
    serve(lambda op, v: page if op == "OwnerRepositories" else other)
    with pytest.raises(ApiError, match="FORBIDDEN"):
        make_scanner().scan_owners([ACME], lambda t: True, NoProgress())
