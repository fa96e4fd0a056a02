"""The REST scanner at the HTTP boundary, with `responses` answering like GitHub."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from requests import PreparedRequest
from responses import matchers

from indexgen.errors import OwnerNotFound, RateLimited, TokenRejected
from indexgen.github.auth import Token
from indexgen.github.rest import RestScanner
from indexgen.github.scanner import NoProgress
from indexgen.models import Owner, OwnerKind, SourceFiles, TagRef
from tests.payloads import (
    API,
    BAD_CREDENTIALS,
    EMPTY_REPOSITORY,
    NOT_FOUND,
    RATE_LIMITED,
    content_json,
    link_header,
    org_json,
    rate_headers,
    repo_json,
    tag_json,
)

A, B = "a" * 40, "b" * 40
ACME = Owner("acme", OwnerKind.ORG)
PYPROJECT = '[project]\nname = "acme-utils"\nversion = "1.0"\n'


# PyGithub sends requests to https://HOST:443/…; `responses` matches the port literally.
URL = API.replace("github.com", "github.com:443")


def scanner() -> RestScanner:
    return RestScanner(API, Token("ghp_secret", "GITHUB_TOKEN"), max_wait=0, spacing=0)


def scan_all(s: RestScanner):  # type: ignore[no-untyped-def]
    return s.scan_owners([ACME], lambda tag: True, NoProgress())


def add_org(repos: list[dict[str, object]]) -> None:
    responses.get(f"{URL}/orgs/acme", json=org_json("acme"), headers=rate_headers())
    responses.get(f"{URL}/orgs/acme/repos", json=repos, headers=rate_headers())


@responses.activate
def test_repositories_are_paginated_through_link_headers() -> None:
    responses.get(f"{URL}/orgs/acme", json=org_json("acme"), headers=rate_headers())
    forks = [repo_json("acme", f"fork{i:03}", fork=True) for i in range(150)]
    base = f"{API}/organizations/9/repos?type=all&per_page=100"
    responses.get(
        f"{URL}/orgs/acme/repos",
        json=forks[:100],
        headers={**rate_headers(), "Link": link_header(base, 1, 2)},
        match=[matchers.query_param_matcher({"type": "all", "per_page": "100"})],
    )
    responses.get(
        f"{URL}/organizations/9/repos",
        json=forks[100:],
        headers={**rate_headers(), "Link": link_header(base, 2, 2)},
        match=[matchers.query_param_matcher({"page": "2"}, strict_match=False)],
    )
    result = scan_all(scanner())
    assert len(result.repos) == 150
    assert all(r.fork and r.tags == () for r in result.repos)  # forks: no tag requests
    assert len(responses.calls) == 3


@responses.activate
def test_tags_are_paginated_and_files_read_at_each_tag_commit() -> None:
    add_org([repo_json("acme", "utils")])
    shas = [f"{i:040x}" for i in range(120)]
    tags = [tag_json("acme/utils", f"v0.{i}", sha) for i, sha in enumerate(shas)]
    base = f"{API}/repositories/1/tags?per_page=100"
    responses.get(
        f"{URL}/repos/acme/utils/tags",
        json=tags[:100],
        headers={**rate_headers(), "Link": link_header(base, 1, 2)},
    )
    responses.get(f"{URL}/repositories/1/tags", json=tags[100:], headers=rate_headers())

    def contents(request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        ref = parse_qs(urlsplit(request.url or "").query)["ref"][0]
        text = f'[project]\nname = "acme-utils"\nversion = "0.{shas.index(ref)}"\n'
        return 200, rate_headers(), json.dumps(content_json("acme/utils", "pyproject.toml", text, ref))

    responses.add_callback(
        responses.GET, f"{URL}/repos/acme/utils/contents/pyproject.toml", callback=contents
    )
    result = scan_all(scanner())
    (repo,) = result.repos
    assert len(repo.tags) == 120 and TagRef("v0.7", shas[7]) in repo.tags
    assert result.files[shas[7]] == SourceFiles(
        pyproject_toml='[project]\nname = "acme-utils"\nversion = "0.7"\n'
    )
    # [project] names the project: setup.cfg and setup.py were not asked for.
    assert not any("setup." in c.request.url for c in responses.calls)


@responses.activate
def test_setup_files_are_read_when_pyproject_is_absent_and_missing_files_are_none() -> None:
    add_org([repo_json("acme", "legacy")])
    responses.get(f"{URL}/repos/acme/legacy/tags", json=[tag_json("acme/legacy", "v1.0", A)])
    responses.get(f"{URL}/repos/acme/legacy/contents/pyproject.toml", status=404, json=NOT_FOUND)
    responses.get(f"{URL}/repos/acme/legacy/contents/setup.cfg", status=404, json=NOT_FOUND)
    setup_py = 'from setuptools import setup\nsetup(name="legacy", version="1.0")\n'
    responses.get(
        f"{URL}/repos/acme/legacy/contents/setup.py",
        json=content_json("acme/legacy", "setup.py", setup_py, A),
        match=[matchers.query_param_matcher({"ref": A})],
    )
    result = scan_all(scanner())
    assert result.files[A] == SourceFiles(setup_py=setup_py)


@responses.activate
def test_only_wanted_commits_are_read() -> None:
    add_org([repo_json("acme", "utils")])
    responses.get(
        f"{URL}/repos/acme/utils/tags",
        json=[tag_json("acme/utils", "v1.0", A), tag_json("acme/utils", "v2.0", B)],
    )
    responses.get(
        f"{URL}/repos/acme/utils/contents/pyproject.toml",
        json=content_json("acme/utils", "pyproject.toml", PYPROJECT, B),
        match=[matchers.query_param_matcher({"ref": B})],
    )
    result = scanner().scan_owners([ACME], lambda tag: tag.commit == B, NoProgress())
    assert set(result.files) == {B}


@responses.activate
def test_empty_repository_answers_409_and_is_marked_empty() -> None:
    add_org([repo_json("acme", "empty", size=0)])
    responses.get(f"{URL}/repos/acme/empty/tags", json=[tag_json("acme/empty", "v1.0", A)])
    responses.get(f"{URL}/repos/acme/empty/contents/pyproject.toml", status=409, json=EMPTY_REPOSITORY)
    (repo,) = scan_all(scanner()).repos
    assert repo.empty and repo.tags == ()


@responses.activate
def test_bad_token_is_reported_as_rejected_without_the_token() -> None:
    responses.get(f"{URL}/orgs/acme", status=401, json=BAD_CREDENTIALS)
    with pytest.raises(TokenRejected) as caught:
        scan_all(scanner())
    assert "GITHUB_TOKEN" in str(caught.value) and "ghp_secret" not in str(caught.value)


@responses.activate
def test_unknown_organisation() -> None:
    responses.get(f"{URL}/orgs/acme", status=404, json=NOT_FOUND)
    with pytest.raises(OwnerNotFound, match="organisation 'acme' not found"):
        scan_all(scanner())


@responses.activate
def test_exhausted_rate_limit_fails_with_the_reset_time() -> None:
    responses.get(
        f"{URL}/orgs/acme", status=403, json=RATE_LIMITED, headers=rate_headers(0, reset=1_900_000_000)
    )
    with pytest.raises(RateLimited) as caught:
        scan_all(scanner())
    assert str(caught.value) == "GitHub REST API rate limit exhausted; it resets at 2030-03-17 17:46:40 UTC"


@responses.activate
def test_user_scan_lists_the_users_public_repositories() -> None:
    responses.get(f"{URL}/users/alice", json={"login": "alice", "id": 5, "type": "User"})
    responses.get(f"{URL}/user", json={"login": "someone-else", "id": 6, "type": "User"})
    responses.get(
        f"{URL}/users/alice/repos",
        json=[repo_json("alice", "tool", fork=True)],
        match=[matchers.query_param_matcher({"type": "owner"}, strict_match=False)],
    )
    result = scanner().scan_owners([Owner("alice", OwnerKind.USER)], lambda tag: True, NoProgress())
    assert [r.full_name for r in result.repos] == ["alice/tool"]


@responses.activate
def test_own_user_scan_includes_private_repositories() -> None:
    responses.get(f"{URL}/users/alice", json={"login": "alice", "id": 5, "type": "User"})
    responses.get(f"{URL}/user", json={"login": "alice", "id": 5, "type": "User"})
    responses.get(
        f"{URL}/user/repos",
        json=[repo_json("alice", "secret", private=True, fork=True)],
        match=[
            matchers.query_param_matcher({"affiliation": "owner", "visibility": "all"}, strict_match=False)
        ],
    )
    result = scanner().scan_owners([Owner("alice", OwnerKind.USER)], lambda tag: True, NoProgress())
    assert [(r.full_name, r.private) for r in result.repos] == [("alice/secret", True)]


@responses.activate
def test_topics_come_from_the_listing_without_a_request_more() -> None:
    add_org([repo_json("acme", "utils", topics=["http", "cli"]), repo_json("acme", "bare")])
    responses.get(f"{URL}/repos/acme/utils/tags", json=[], headers=rate_headers())
    responses.get(f"{URL}/repos/acme/bare/tags", json=[], headers=rate_headers())
    utils, bare = scan_all(scanner()).repos
    assert utils.topics == ("http", "cli") and bare.topics == ()
    assert utils.tags == () and len(responses.calls) == 4  # org, repos, 2 × tags: no repository fetched again
