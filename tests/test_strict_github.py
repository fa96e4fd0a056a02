"""The product against a fake GitHub as strict as GitHub where leniency would hide bugs (the fake's
README cites where each behaviour was checked): `nodes(ids:)` refuses more than 100 IDs, `Tag.target`
is any `GitObject` (chains of annotated tags deeper than the query follows, tags on trees and blobs),
a commit can vanish between the listing and the read, repositories have 250+ tags, secondary rate
limits come without `Retry-After` or, on GraphQL, as a 200 answer with an error body.
"""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli import read_report, snapshot
from tests.fakegithub import FakeGitHub, FakeRepo, FakeTag, fake_sha, synthetic_org, synthetic_pyproject
from tests.fakegithub.model import legacy_node_id
from tests.test_reliability import (
    NO_PYPI,
    ORG,
    TOKEN,
    add_many_tags_repo,
    add_release,
    assert_clean_failure,
    indexgen_against,
    leftovers,
    project_names,
)

pytestmark = pytest.mark.e2e


def release_repo(gh: FakeGitHub, name: str, tags: list[FakeTag], index: int = 0) -> FakeRepo:
    files = {t.commit: {"pyproject.toml": synthetic_pyproject(name, t.name.lstrip("v"))} for t in tags}
    created = f"2021-01-01T00:{index:02d}:00Z"
    return gh.add_repo(FakeRepo(ORG, name, tags=tags, files=files, created_at=created))


def odd_tags_world(gh: FakeGitHub) -> None:
    synthetic_org(ORG, 3, 2, gh=gh)
    c = [fake_sha("odd", str(i)) for i in range(6)]
    release_repo(
        gh,
        "odd-tags",
        [
            FakeTag("v1.0.0", c[0]),
            FakeTag("v1.1.0", c[1], annotated=True, depth=2),  # the query follows two levels
            FakeTag("v1.2.0", c[2], annotated=True, depth=3),  # one more than it follows
            FakeTag("v1.3.0", c[3], annotated=True, depth=7),
            FakeTag("v1.4.0", fake_sha("tree"), annotated=True, target_type="tree"),
            FakeTag("v1.5.0", fake_sha("blob"), target_type="blob"),  # lightweight, on a blob
            FakeTag("v1.6.0", c[4]),  # its commit vanishes between listing and reading
            FakeTag("v1.7.0", c[5]),
        ],
        index=10,
    )
    repo = gh.get_repo(ORG, "odd-tags")
    assert repo is not None
    repo.vanished.add(c[4])


def test_tags_without_a_usable_commit_are_skipped_with_a_reason_and_the_rest_published(
    tmp_path: Path,
) -> None:
    """Each tag is a release or a skip with its reason, never silently dropped; a commit that is gone
    by the time its files are read skips its tag instead of failing the build."""
    with indexgen_against(odd_tags_world, tmp_path / "home") as indexgen:
        site, report_path = tmp_path / "site", tmp_path / "report.json"
        run = indexgen.build(site, "--report", str(report_path))
        assert run.returncode == 0, run.describe()
        report = read_report(report_path)
        page = (site / "simple" / "odd-tags" / "index.html").read_text()
        for version in ("1.0.0", "1.1.0", "1.7.0"):
            assert f'#egg=odd-tags-{version}"' in page, page
        skipped = {s["tag"]: s["reason"] for s in report["skipped"] if s["repository"] == f"{ORG}/odd-tags"}
        assert set(skipped) == {"v1.2.0", "v1.3.0", "v1.4.0", "v1.5.0", "v1.6.0"}, skipped
        assert "more than 2 annotated tags" in skipped["v1.2.0"] and skipped["v1.2.0"] == skipped["v1.3.0"]
        assert skipped["v1.4.0"].startswith("the tag points to a tree"), skipped
        assert skipped["v1.5.0"].startswith("the tag points to a blob"), skipped
        assert "is gone" in skipped["v1.6.0"] and fake_sha("odd", "4")[:12] in skipped["v1.6.0"], skipped
        assert "5 skipped tags" in run.stdout, run.stdout

        # The next build reads the vanished commit again (it is not remembered as a problem).
        repo = indexgen.gh.get_repo(ORG, "odd-tags")
        assert repo is not None
        repo.vanished.clear()
        run = indexgen.build(site, "--report", str(report_path))
        assert run.returncode == 0, run.describe()
        assert '#egg=odd-tags-1.6.0"' in (site / "simple" / "odd-tags" / "index.html").read_text()


def many_world(gh: FakeGitHub) -> None:
    """An owner with 260 repositories, one of which has 262 release tags (two follow-up tag pages and
    262 commits to read: three `nodes` lookups of at most 100 IDs)."""
    synthetic_org(ORG, 260, 1, gh=gh)
    add_many_tags_repo(gh, "many", 262, 0, index=300)


@pytest.mark.parametrize("scanner", ["auto", "rest"], ids=["graphql", "rest"])
def test_an_owner_with_260_repositories_and_a_repository_with_262_tags(tmp_path: Path, scanner: str) -> None:
    world = many_world if scanner == "auto" else lambda gh: add_many_tags_repo(gh, "many", 3, 259, index=1)
    with indexgen_against(world, tmp_path / "home", NO_PYPI) as indexgen:
        site, report_path = tmp_path / "site", tmp_path / "report.json"
        run = indexgen.build(site, "--report", str(report_path), scanner=scanner)
        assert run.returncode == 0, run.describe()
        report = read_report(report_path)
        releases = report["projects"]["many"]["releases"]
        if scanner == "auto":
            assert len(project_names(site)) == 261
            assert len(releases) == 262
            tag_queries = [r for r in indexgen.gh.log if r.resource == "graphql"]
            assert len(tag_queries) >= 3 + 2 + 1, "3 repository pages, 2 tag pages, 1 files query"
        else:
            assert [r["version"] for r in releases] == ["2.0.0", "2.1.0", "2.2.0"]
            tag_pages = [r for r in indexgen.gh.log if "/tags" in r.path]
            assert len(tag_pages) == 3, tag_pages


def post_graphql(url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Authorization": f"bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        body = json.loads(answer.read())
    assert isinstance(body, dict)
    return body


def test_the_fake_refuses_more_than_100_node_ids_as_github_does(tmp_path: Path) -> None:
    with indexgen_against(lambda gh: synthetic_org(ORG, 1, 1, gh=gh), tmp_path / "home") as indexgen:
        repo = next(indexgen.gh.iter_repos())
        ids = [legacy_node_id("Commit", f"{repo.id}:{repo.tags[0].commit}")] * 101
        query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
        body = post_graphql(indexgen.server.graphql_url, query, {"ids": ids})
        assert "data" not in body, body
        assert body["errors"][0]["type"] == "ARGUMENT_LIMIT"
        assert body["errors"][0]["message"] == "You may not provide more than 100 node ids; you provided 101."
        body = post_graphql(indexgen.server.graphql_url, query, {"ids": ids[:100]})
        assert len(body["data"]["nodes"]) == 100 and "errors" not in body


@pytest.mark.parametrize(
    ("scanner", "status"),
    [("auto", 403), ("auto", 200), ("rest", 403), ("rest", 429)],
    ids=["graphql-403", "graphql-200", "rest-403", "rest-429"],
)
def test_a_secondary_limit_without_retry_after_is_waited_out_within_max_wait(
    tmp_path: Path, scanner: str, status: int
) -> None:
    """Without Retry-After GitHub asks for a wait of at least a minute, bounded here by --max-wait
    (0.02 minutes); GraphQL may answer the limit as 200 with the message in `errors`."""
    resource = "graphql" if scanner == "auto" else "core"
    with indexgen_against(lambda gh: synthetic_org(ORG, 3, 1, gh=gh), tmp_path / "home", NO_PYPI) as indexgen:
        site = tmp_path / "site"
        assert indexgen.build(site, scanner=scanner).returncode == 0
        before = snapshot(site)
        indexgen.gh.inject_secondary_limit(1, status=status, retry_after=None, resource=resource)
        started = time.monotonic()
        run = indexgen.build(site, "--max-wait", "0.02", scanner=scanner)
        assert run.returncode == 0, run.describe()
        assert time.monotonic() - started >= 1.0, "it must have waited before retrying"
        assert snapshot(site) == before

        # A limit that does not lift: a clean failure naming the rate limit, the site untouched.
        indexgen.gh.inject_secondary_limit(20, status=status, retry_after=None, resource=resource)
        run = indexgen.build(site, "--max-wait", "0.005", scanner=scanner)
        error = assert_clean_failure(run, 1)
        assert "rate limit" in error, error
        assert snapshot(site) == before and leftovers(site) == []


@pytest.mark.parametrize("status", [403, 429])
def test_a_primary_rest_limit_answered_with_403_or_429_fails_with_the_reset_time(
    tmp_path: Path, status: int
) -> None:
    world = lambda gh: synthetic_org(ORG, 3, 1, gh=gh)  # noqa: E731
    with indexgen_against(world, tmp_path / "home", NO_PYPI) as indexgen:
        indexgen.gh.rest_rate_limit_status = status
        indexgen.gh.set_rate_limit("core", reset=int(time.time()) + 7200)
        indexgen.gh.exhaust_after(2, "core")
        run = indexgen.build(tmp_path / "site", "--max-wait", "0.01", scanner="rest")
        error = assert_clean_failure(run, 1)
        assert "REST API rate limit exhausted; it resets at" in error, error
        assert not (tmp_path / "site").exists()


def empty_world(gh: FakeGitHub) -> None:
    synthetic_org(ORG, 2, 1, gh=gh)
    gh.add_repo(FakeRepo(ORG, "void", empty=True, created_at="2022-01-01T00:00:00Z"))


@pytest.mark.parametrize("scanner", ["auto", "rest"], ids=["graphql", "rest"])
def test_an_empty_repository_is_skipped_as_empty(tmp_path: Path, scanner: str) -> None:
    with indexgen_against(empty_world, tmp_path / "home", NO_PYPI) as indexgen:
        report_path = tmp_path / "report.json"
        run = indexgen.build(tmp_path / "site", "--report", str(report_path), scanner=scanner)
        assert run.returncode == 0, run.describe()
        skipped = read_report(report_path)["skipped"]
        assert {"repository": f"{ORG}/void", "tag": None, "reason": "empty repository"} in skipped, skipped
        if scanner == "rest":
            assert any(f"/repos/{ORG}/void/contents" in r.path for r in indexgen.gh.log)


def test_the_fake_cannot_build_an_empty_repository_with_tags() -> None:
    with pytest.raises(ValueError, match="empty repository"):
        FakeRepo(ORG, "void", empty=True, tags=[FakeTag("v1", fake_sha("x"))])
    with pytest.raises(ValueError, match="lightweight"):
        FakeTag("v1", fake_sha("x"), depth=2)


def test_repo_rescan_with_the_rest_scanner(tmp_path: Path) -> None:
    """`--repo OWNER/NAME --scanner rest`: the one repository is read again, the others come from the
    previous build's state unchanged."""
    with indexgen_against(lambda gh: synthetic_org(ORG, 4, 2, gh=gh), tmp_path / "home", NO_PYPI) as indexgen:
        site = tmp_path / "site"
        assert indexgen.build(site, scanner="rest").returncode == 0
        before = snapshot(site)
        commit = add_release(indexgen.gh, "pkg-0001", "7.0.0")
        add_release(indexgen.gh, "pkg-0002", "7.0.0")  # not rescanned: must not appear
        indexgen.gh.reset_counters()
        run = indexgen.build(site, "--repo", f"{ORG}/pkg-0001", scanner="rest")
        assert run.returncode == 0, run.describe()
        assert all("/pkg-0001" in r.path for r in indexgen.gh.log if "/repos/" in r.path), indexgen.gh.log
        after = snapshot(site)
        assert f"@{commit}#egg=pkg-0001-7.0.0".encode() in after["simple/pkg-0001/index.html"]
        assert b"7.0.0" not in after["simple/pkg-0002/index.html"]
        for page in (
            "simple/pkg-0000/index.html",
            "simple/pkg-0002/index.html",
            "simple/pkg-0003/index.html",
        ):
            assert after[page] == before[page]
        run = indexgen.build(site, "--repo", f"{ORG}/nope", scanner="rest")
        error = assert_clean_failure(run, 1)
        assert f"{ORG}/nope" in error, error
        assert snapshot(site) == after
