"""End to end at scale: the real `indexgen build` in a subprocess against the fake GitHub serving
synthetic organisations. What a build costs in requests (DESIGN.md §4), what a rebuild changes (§5),
the build state (`indexgen-state.json.gz`, `--previous`, `--repo`), scanner parity, rate limits, progress.

One cold build of the 250-repository organisation is shared by the module (`reference`); a test that
changes the organisation gets a fresh fake GitHub with the same organisation and a copy of that site
(`built`), which is what a cold build would write (the same input gives the same bytes: tested here).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import io
import json
import math
import re
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from indexgen.progress import StreamProgress
from tests.e2e.cli import CliRun, cli_environ, read_report, run_indexgen, snapshot
from tests.e2e.servers import serve_site
from tests.fakegithub import (
    FakeGitHub,
    FakeGitHubServer,
    FakeRepo,
    FakeTag,
    fake_sha,
    synthetic_org,
    synthetic_pyproject,
)

pytestmark = pytest.mark.e2e

TOKEN = "scale-token"
LOGIN = "scale-bot"
ORG = "big"
N_REPOS, N_TAGS = 250, 3  # three pages of repositories, two queries of commit files
STATE = "indexgen-state.json.gz"
SUMMARY = re.compile(
    r"indexgen: (?P<projects>\d+) projects, (?P<releases>\d+) releases, (?P<skipped_tags>\d+) skipped tags, "
    r"(?P<skipped_repos>\d+) skipped repositories; (?P<rest>\d+) REST requests(?: \((?P<rest_left>\d+) left\))?"
    r"(?:, (?P<queries>\d+) GraphQL queries, (?P<points>\d+) points(?: \((?P<points_left>\d+) left\))?)?"
    r"; (?:wrote|nothing changed: kept) (?P<output>.+)"
)
LINK = re.compile(
    r'href="git\+https://[^"@]+@(?P<commit>[0-9a-f]{40})#egg=(?P<name>[a-z0-9.-]+)-(?P<version>[^"-]+)"'
)


def repo_pages(repos: int) -> int:
    return math.ceil(repos / 100)


def file_queries(commits: int) -> int:
    return math.ceil(commits / 500)


WARM = repo_pages(N_REPOS)  # 3
COLD = WARM + file_queries(N_REPOS * N_TAGS)  # 3 + 2


# -- the world: a fake GitHub with a synthetic organisation, and the CLI run against it ---------------


@dataclass
class World:
    gh: FakeGitHub
    server: FakeGitHubServer
    root: Path

    @property
    def site(self) -> Path:
        return self.root / "site"

    def env(self) -> dict[str, str]:
        return cli_environ(self.root / "home", {"GITHUB_TOKEN": TOKEN, "INDEXGEN_RETRY_BACKOFF": "0.01"})

    def build(
        self, *args: str, output: Path | None = None, owner: bool = True, timeout: float = 60
    ) -> CliRun:
        """`indexgen build --org big --output SITE --api-url FAKE --no-pypi-check ARGS`. The fake's
        counters are reset first: afterwards they hold what this build cost."""
        self.gh.reset_counters()
        return run_indexgen(
            "build",
            *(("--org", ORG) if owner else ()),
            "--output",
            str(output or self.site),
            "--api-url",
            self.server.base_url,
            "--no-pypi-check",
            *args,
            env=self.env(),
            cwd=self.root,
            timeout=timeout,
        )

    def repo(self, name: str) -> FakeRepo:
        repo = self.gh.get_repo(ORG, name)
        assert repo is not None
        return repo

    @property
    def cost(self) -> tuple[int, int]:
        """(GraphQL queries, REST requests) the fake GitHub answered since the last build started."""
        return self.gh.graphql_requests, self.gh.rest_requests


def make_github(root: Path, repos: int = N_REPOS, tags: int = N_TAGS) -> FakeGitHub:
    gh = FakeGitHub()
    gh.add_token(TOKEN, LOGIN, orgs=[ORG])
    synthetic_org(ORG, repos, tags, gh=gh)
    (root / "home").mkdir(parents=True, exist_ok=True)
    return gh


def write_files(directory: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(data)


@dataclass(frozen=True)
class Reference:
    """The module's one cold build of the 250-repository organisation."""

    world: World
    run: CliRun
    cost: tuple[int, int]
    files: dict[str, bytes]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    root = tmp_path_factory.mktemp("reference")
    with FakeGitHubServer(make_github(root)) as server:
        world = World(server.gh, server, root)
        run = world.build()
        assert_ok(run)
        yield Reference(world, run, world.cost, snapshot(world.site))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A fresh fake GitHub with the organisation, and nothing built yet."""
    with FakeGitHubServer(make_github(tmp_path)) as server:
        yield World(server.gh, server, tmp_path)


@pytest.fixture
def built(world: World, reference: Reference) -> World:
    """A fresh fake GitHub with the organisation, and its cold build's site in `world.site`."""
    write_files(world.site, reference.files)
    return world


@pytest.fixture(scope="module")
def small_reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    """A small organisation built by the REST scanner (PyGithub spaces requests 70 ms apart)."""
    root = tmp_path_factory.mktemp("small")
    with FakeGitHubServer(make_github(root, repos=4, tags=2)) as server:
        world = World(server.gh, server, root)
        run = world.build("--scanner", "rest")
        assert_ok(run)
        yield Reference(world, run, world.cost, snapshot(world.site))


@pytest.fixture
def small(tmp_path: Path, small_reference: Reference) -> Iterator[World]:
    root = tmp_path / "small"
    with FakeGitHubServer(make_github(root, repos=4, tags=2)) as server:
        world = World(server.gh, server, root)
        write_files(world.site, small_reference.files)
        yield world


# -- assertions ------------------------------------------------------------------------------------


def assert_ok(run: CliRun) -> re.Match[str]:
    assert run.returncode == 0, run.describe()
    assert "Traceback" not in run.stderr, run.describe()
    match = SUMMARY.fullmatch(run.stdout.strip())
    assert match, run.describe()
    return match


def assert_clean_failure(run: CliRun, code: int) -> list[str]:
    assert run.returncode == code, run.describe()
    assert "Traceback" not in run.stderr, run.describe()
    assert run.stdout == "", run.describe()
    return run.stderr.splitlines()


def assert_same_site(actual: dict[str, bytes], expected: dict[str, bytes]) -> None:
    """Byte-identical: the same files with the same bytes (naming the files that differ)."""
    assert sorted(actual) == sorted(expected)
    assert [name for name in expected if actual[name] != expected[name]] == []


def changed_files(after: dict[str, bytes], before: dict[str, bytes]) -> list[str]:
    return sorted(name for name in after.keys() | before.keys() if after.get(name) != before.get(name))


def releases(site: Path, project: str) -> dict[str, str]:
    """version → pinned commit, in page order, on a project's page."""
    page = (site / "simple" / project / "index.html").read_text(encoding="utf-8")
    links = list(LINK.finditer(page))
    assert [m["name"] for m in links] == [project] * len(links)
    return {m["version"]: m["commit"] for m in links}


def add_tag(repo: FakeRepo, tag: str, version: str) -> str:
    """A new release tag on a new commit of a synthetic repository; its commit."""
    commit = fake_sha("new commit", repo.full_name, tag, version)
    repo.tags.append(FakeTag(tag, commit))
    repo.files[commit] = {"pyproject.toml": synthetic_pyproject(repo.name, version)}
    return commit


def rate_limit_error(resource: str, reset: int) -> str:
    stamp = dt.datetime.fromtimestamp(reset, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"error: GitHub {resource} API rate limit exhausted; it resets at {stamp}"


# -- 1. what a build costs ------------------------------------------------------------------------


def test_cold_build_costs_a_query_per_100_repositories_and_per_500_commits(reference: Reference) -> None:
    summary = assert_ok(reference.run)
    assert reference.cost == (COLD, 0)  # (3 + 2 GraphQL queries, no REST request)
    assert summary["projects"] == str(N_REPOS) and summary["releases"] == str(N_REPOS * N_TAGS)
    assert (summary["rest"], summary["rest_left"]) == ("0", None)
    # A listing query costs 2 points: tags and topics are each a connection per repository.
    assert (summary["queries"], summary["points"], summary["points_left"]) == ("5", "8", "4992")
    assert "\r" not in reference.run.stderr  # stderr is no terminal: no live progress line
    # The PEP 503 pages and their root, a browse page per project, home, problems, 404, robots.txt,
    # packages.json, the stylesheet, the script, uv/overrides.txt, the state.
    assert len(reference.files) == 2 * N_REPOS + 10


def test_warm_rebuild_with_nothing_new_costs_the_listing_only_and_changes_nothing(
    built: World, reference: Reference
) -> None:
    summary = assert_ok(built.build())
    assert built.cost == (WARM, 0)  # one query per 100 repositories, no files query, no REST
    assert (summary["rest"], summary["queries"], summary["points"]) == ("0", "3", "6")
    assert_same_site(snapshot(built.site), reference.files)


# -- 2. what a rebuild changes -------------------------------------------------------------------


def test_a_new_tag_costs_one_more_query_and_is_published(built: World, reference: Reference) -> None:
    commit = add_tag(built.repo("pkg-0007"), "v1.3.0", "1.3.0")
    assert_ok(built.build())
    assert built.cost == (WARM + 1, 0)
    assert list(releases(built.site, "pkg-0007")) == ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]
    assert releases(built.site, "pkg-0007")["1.3.0"] == commit
    assert changed_files(snapshot(built.site), reference.files) == [
        "index.html",  # the browse pages show the latest release
        STATE,
        "p/pkg-0007/index.html",
        "packages.json",
        "simple/pkg-0007/index.html",
        "uv/overrides.txt",  # pkg-0007's newest release
    ]


def test_a_moved_tag_is_reported_and_keeps_the_published_commit(built: World, reference: Reference) -> None:
    repo = built.repo("pkg-0008")
    tag = next(t for t in repo.tags if t.name == "v1.1.0")
    old, new = tag.commit, fake_sha("moved", "v1.1.0")
    tag.commit = new
    repo.files[new] = {"pyproject.toml": synthetic_pyproject("pkg-0008", "1.1.0")}

    run = built.build()
    assert_ok(run)
    assert built.cost == (WARM + 1, 0)  # the new commit's files are read once
    assert run.stderr.splitlines() == [
        f"warning: tag v1.1.0 of big/pkg-0008 (pkg-0008 1.1.0) moved from {old[:12]} to {new[:12]}: "
        f"still publishing {old[:12]}; accept with --accept-moved-tag big/pkg-0008@v1.1.0"
    ]
    assert releases(built.site, "pkg-0008")["1.1.0"] == old
    # The PEP 503 pages stay; the browse pages report the move and no longer date 1.1.0 (the tag's date
    # is the new commit's).
    assert changed_files(snapshot(built.site), reference.files) == [
        "index.html",
        STATE,
        "p/pkg-0008/index.html",
        "packages.json",
        "problems/index.html",
    ]

    again = built.build()  # still reported, and free
    assert_ok(again)
    assert built.cost == (WARM, 0)
    assert again.stderr == run.stderr
    assert releases(built.site, "pkg-0008")["1.1.0"] == old

    assert_ok(built.build("--accept-moved-tag", "big/pkg-0008@v1.1.0"))
    assert releases(built.site, "pkg-0008")["1.1.0"] == new


def test_deleted_tags_pass_within_the_shrink_threshold_only(built: World) -> None:
    # One release of 750 vanishes: within 10 %, no --allow-shrink needed.
    built.repo("pkg-0009").tags.pop(1)
    assert_ok(built.build())
    assert list(releases(built.site, "pkg-0009")) == ["1.0.0", "1.2.0"]

    # 74 of the 749 left (9.9 %) still pass.
    for i in range(100, 174):
        built.repo(f"pkg-{i:04d}").tags.pop(0)
    assert_ok(built.build())
    assert list(releases(built.site, "pkg-0100")) == ["1.1.0", "1.2.0"]
    before = snapshot(built.site)

    # 68 of the 675 left (10.07 %) is more than 10 %: refused with exit 3, nothing written.
    for i in range(174, 242):
        built.repo(f"pkg-{i:04d}").tags.pop(0)
    refused = built.build()
    lines = assert_clean_failure(refused, 3)
    assert len(lines) == 1, refused.describe()
    assert lines[0].startswith(
        "error: refusing to publish: the new index would drop 68 of 675 releases (pkg-0174==1.0.0, "
    )
    assert lines[0].endswith(
        "; a token that lost access looks like this. Nothing was written; pass --allow-shrink if the removal is intended"
    )
    assert_same_site(snapshot(built.site), before)

    assert_ok(built.build("--allow-shrink"))
    assert list(releases(built.site, "pkg-0241")) == ["1.1.0", "1.2.0"]
    assert list(releases(built.site, "pkg-0242")) == ["1.0.0", "1.1.0", "1.2.0"]


def test_a_deleted_repository_needs_allow_shrink(built: World, reference: Reference) -> None:
    built.gh.remove_repo(ORG, "pkg-0010")
    refused = built.build()
    assert assert_clean_failure(refused, 3) == [
        "error: refusing to publish: the new index would drop 1 projects (pkg-0010) and 3 of 750 releases "
        "(pkg-0010==1.0.0, pkg-0010==1.1.0, pkg-0010==1.2.0); a token that lost access looks like this. "
        "Nothing was written; pass --allow-shrink if the removal is intended"
    ]
    assert_same_site(snapshot(built.site), reference.files)

    assert_ok(built.build("--allow-shrink"))
    after = snapshot(built.site)
    assert changed_files(after, reference.files) == [
        "index.html",
        STATE,
        "p/pkg-0010/index.html",  # gone
        "packages.json",
        "simple/index.html",
        "simple/pkg-0010/index.html",  # gone
        "uv/overrides.txt",
    ]
    assert not (built.site / "simple" / "pkg-0010").exists()
    assert b'"pkg-0010/"' not in after["simple/index.html"]
    assert b"pkg-0010" not in gzip.decompress(after[STATE])


# -- 3. --repo ----------------------------------------------------------------------------------------


def test_repo_rescans_one_repository_on_top_of_the_state(built: World, reference: Reference) -> None:
    commit = add_tag(built.repo("pkg-0042"), "v2.0.0", "2.0.0")
    other = add_tag(built.repo("pkg-0043"), "v2.0.0", "2.0.0")  # not rescanned: stays unseen
    run = built.build("--repo", f"{ORG}/pkg-0042", owner=False)
    summary = assert_ok(run)
    assert sum(built.cost) <= 2
    assert built.cost == (2, 0)  # the repository with its tags, then its new commit's files
    assert (summary["rest"], summary["queries"], summary["projects"]) == ("0", "2", str(N_REPOS))
    assert releases(built.site, "pkg-0042")["2.0.0"] == commit
    assert "2.0.0" not in releases(built.site, "pkg-0043")
    assert changed_files(snapshot(built.site), reference.files) == [
        "index.html",
        STATE,
        "p/pkg-0042/index.html",
        "packages.json",
        "simple/pkg-0042/index.html",
        "uv/overrides.txt",  # pkg-0042's newest release
    ]

    # The full scan that follows knows pkg-0042's new commit from the state: it reads pkg-0043's only.
    assert_ok(built.build())
    assert built.cost == (WARM + 1, 0)
    assert releases(built.site, "pkg-0043")["2.0.0"] == other


def test_repo_without_a_previous_build_is_a_usage_error(world: World) -> None:
    run = world.build("--repo", f"{ORG}/pkg-0001", owner=False)
    assert assert_clean_failure(run, 2) == [
        "error: --repo rescans on top of a previous build: none found in --output or --previous"
    ]
    assert world.cost == (0, 0)
    assert not world.site.exists()


# -- 4. --previous ----------------------------------------------------------------------------------


def test_previous_url_makes_a_fresh_checkout_build_warm(reference: Reference, tmp_path: Path) -> None:
    with serve_site(reference.world.site) as site:
        assert_ok(reference.world.build("--previous", site.url, output=tmp_path / "fresh"))
        assert f"/{STATE}" in site.paths
    assert reference.world.cost == (WARM, 0)
    assert_same_site(snapshot(tmp_path / "fresh"), reference.files)


def test_previous_directory_makes_a_build_warm(reference: Reference, tmp_path: Path) -> None:
    assert_ok(reference.world.build("--previous", str(reference.world.site), output=tmp_path / "fresh"))
    assert reference.world.cost == (WARM, 0)
    assert_same_site(snapshot(tmp_path / "fresh"), reference.files)


def test_an_absent_previous_state_means_a_cold_build_with_a_warning(
    reference: Reference, tmp_path: Path
) -> None:
    served = tmp_path / "served"
    served.mkdir()
    with serve_site(served) as site:  # 404 for both file names
        run = reference.world.build("--previous", site.url, output=tmp_path / "fresh")
        assert {f"/{STATE}", "/indexgen-state.json"} <= set(site.paths)
    assert_ok(run)
    assert f"warning: no previous build state at {site.url}: reading every tag's metadata" in run.stderr
    assert reference.world.cost == (COLD, 0)
    assert_same_site(snapshot(tmp_path / "fresh"), reference.files)


@pytest.mark.parametrize(
    ("name", "state", "problem"),
    [
        (STATE, b"{not json", "is corrupt (not gzip-compressed JSON)"),
        (STATE, b"\x1f\x8b\x08\x00garbage", "is corrupt ("),
        ("indexgen-state.json", b"\xff\xfe\x00garbage", "is corrupt (not gzip-compressed JSON)"),
        ("indexgen-state.json", b'{"format": 1, "repos": {"big/pkg-0001": {"tags": 5}}}', "is corrupt ("),
        (STATE, b'{"format": 3}', "has format 3, which this indexgen cannot read: upgrade indexgen"),
    ],
    ids=["not-json", "not-gzip", "not-utf8", "wrong-shape", "newer-format"],
)
def test_an_unusable_previous_state_fails_the_build_with_one_line(
    reference: Reference, tmp_path: Path, name: str, state: bytes, problem: str
) -> None:
    """Present but unusable is not absent: building cold would disarm the shrink and moved-tag checks
    without anyone noticing, and the same bytes would be served again next hour."""
    served = tmp_path / "served"
    served.mkdir()
    (served / name).write_bytes(state)
    with serve_site(served) as site:
        run = reference.world.build("--previous", site.url, output=tmp_path / "fresh")
    [line] = assert_clean_failure(run, 1)
    assert line.startswith(f"error: the build state at {site.url.rstrip('/')}/{name} {problem}"), line
    assert line.endswith("remove or replace it to build from scratch")
    assert reference.world.cost == (0, 0)  # nothing scanned
    assert not (tmp_path / "fresh").exists()


def test_an_unreachable_previous_url_means_a_cold_build(reference: Reference, tmp_path: Path) -> None:
    with serve_site(tmp_path) as site:
        closed = site.url  # nothing listens there once the server is gone
    run = reference.world.build("--previous", closed, output=tmp_path / "fresh")
    assert_ok(run)
    assert f"warning: no previous build state at {closed}: reading every tag's metadata" in run.stderr
    assert reference.world.cost == (COLD, 0)
    assert_same_site(snapshot(tmp_path / "fresh"), reference.files)


@pytest.mark.parametrize(
    ("state", "problem"),
    [
        (b'{"format": 2, "repos": {"big/pkg-0000": null}', "is corrupt (not gzip-compressed JSON)"),
        (None, "is larger than 256 MiB"),
    ],
    ids=["corrupt", "oversized"],
)
def test_an_unusable_state_in_output_fails_the_build_and_keeps_the_site(
    built: World, reference: Reference, state: bytes | None, problem: str
) -> None:
    if state is None:  # a sparse file: 256 MiB and one byte, none of it on disk
        with (built.site / STATE).open("wb") as handle:
            handle.truncate(256 * 1024 * 1024 + 1)
    else:
        (built.site / STATE).write_bytes(state)
    size = (built.site / STATE).stat().st_size
    run = built.build()
    assert assert_clean_failure(run, 1) == [
        f"error: the build state at {built.site / STATE} {problem}; a build without it would skip the "
        "shrink and moved-tag checks: remove or replace it to build from scratch"
    ]
    assert built.cost == (0, 0)
    (built.site / STATE).unlink()  # after checking it was left alone
    assert size == (state and len(state) or 256 * 1024 * 1024 + 1)
    assert_same_site(snapshot(built.site), {k: v for k, v in reference.files.items() if k != STATE})


# -- 5. the two scanners agree ------------------------------------------------------------------------

MIX = "mix"
SETUPTOOLS = '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'


def _commit(repo: str, tag: str) -> str:
    return fake_sha(MIX, repo, tag)


def _project(name: str, version: str) -> bytes:
    return f'[project]\nname = "{name}"\nversion = "{version}"\n{SETUPTOOLS}'.encode()


def _cfg(name: str, version: str) -> bytes:
    return f"[metadata]\nname = {name}\nversion = {version}\n\n[options]\npython_requires = >=3.9\n".encode()


def _repo(
    name: str,
    day: int,
    tags: list[FakeTag],
    files: Mapping[str, Mapping[str, bytes]],
    **kw: Any,
) -> FakeRepo:
    created = f"2021-01-{day:02d}T00:00:00Z"
    contents: dict[str, MutableMapping[str, bytes]] = {sha: dict(f) for sha, f in files.items()}
    return FakeRepo(MIX, name, tags=tags, files=contents, created_at=created, **kw)


def mixed_org(gh: FakeGitHub) -> None:
    """Every kind of repository both scanners must see alike."""
    synthetic_org(MIX, 6, 3, gh=gh, annotated_every=2, private_every=3)  # 3 annotated, 2 private
    # 101 tags that are no release between two releases: whatever order a scanner lists tags in
    # (GraphQL: alphabetical; REST: newest-looking first), one release is on the second page.
    first, last = _commit("many-tags", "0.1.0"), _commit("many-tags", "v0.2.0")
    noise = [FakeTag(f"build-{i:03d}", _commit("many-tags", f"build-{i:03d}")) for i in range(101)]
    tags = [FakeTag("0.1.0", first), *noise, FakeTag("v0.2.0", last, annotated=True)]
    files = {first: {"pyproject.toml": _project("many-tags", "0.1.0")}}
    files[last] = {"pyproject.toml": _project("many-tags", "0.2.0")}
    gh.add_repo(_repo("many-tags", 1, tags, files))
    c = _commit("forked", "v1.0.0")
    gh.add_repo(
        _repo(
            "forked",
            2,
            [FakeTag("v1.0.0", c)],
            {c: {"pyproject.toml": _project("forked", "1.0.0")}},
            fork=True,
        )
    )
    gh.add_repo(_repo("vacant", 3, [], {}, empty=True))
    c = _commit("docs", "v1.0.0")
    gh.add_repo(_repo("docs", 4, [FakeTag("v1.0.0", c)], {c: {"README.md": b"docs only\n"}}))
    c = _commit("legacy", "v0.3.0")
    setup_py = b"from setuptools import setup\n\nsetup(name='legacy-lib', version='0.3.0', python_requires='>=3.7')\n"
    gh.add_repo(
        _repo(
            "legacy",
            5,
            [FakeTag("v0.3.0", c), FakeTag("latest", c)],
            {c: {"setup.py": setup_py}},
            private=True,
        )
    )
    c1, c2 = _commit("cfg", "v1.2.0"), _commit("cfg", "v2.0.0rc1")
    gh.add_repo(
        _repo(
            "cfg",
            6,
            [FakeTag("v1.2.0", c1, annotated=True), FakeTag("v2.0.0rc1", c2)],
            {
                c1: {"pyproject.toml": SETUPTOOLS.encode(), "setup.cfg": _cfg("cfg-lib", "1.2.0")},
                c2: {"pyproject.toml": SETUPTOOLS.encode(), "setup.cfg": _cfg("cfg-lib", "2.0.0rc1")},
            },
            archived=True,
            description="setup.cfg <b>&</b> a pyproject.toml without [project]",
        )
    )
    c = _commit("cfg-only", "v1.0.0")
    gh.add_repo(_repo("cfg-only", 7, [FakeTag("v1.0.0", c)], {c: {"setup.cfg": _cfg("cfg-only", "1.0.0")}}))
    c = _commit("vcs", "v3.1.0")
    vcs = (
        '[project]\nname = "Vcs_Lib"\ndynamic = ["version"]\n\n[build-system]\nrequires = ["hatchling", '
        '"hatch-vcs"]\nbuild-backend = "hatchling.build"\n\n[tool.hatch.version]\nsource = "vcs"\n'
    )
    gh.add_repo(_repo("vcs", 8, [FakeTag("v3.1.0", c)], {c: {"pyproject.toml": vcs.encode()}}))
    # setuptools fills a dynamic `[project] version` from setup.cfg: the build makes 1.0.0, not 1.0.1.
    c = _commit("dyn-cfg", "v1.0.1")
    dynamic = f'[project]\nname = "dyn-cfg"\ndynamic = ["version"]\n\n{SETUPTOOLS}'.encode()
    gh.add_repo(
        _repo(
            "dyn-cfg",
            9,
            [FakeTag("v1.0.1", c)],
            {c: {"pyproject.toml": dynamic, "setup.cfg": _cfg("dyn-cfg", "1.0.0")}},
        )
    )


@dataclass(frozen=True)
class Parity:
    root: Path
    gh: FakeGitHub
    runs: dict[str, CliRun]
    costs: dict[str, tuple[int, int]]

    def site(self, scanner: str) -> Path:
        return self.root / scanner

    def report(self, scanner: str) -> dict[str, Any]:
        return read_report(self.root / f"{scanner}.json")


@pytest.fixture(scope="module")
def parity(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Parity]:
    """The mixed organisation built by each scanner into its own fresh directory."""
    root = tmp_path_factory.mktemp("parity")
    gh = FakeGitHub()
    gh.add_token(TOKEN, LOGIN, orgs=[MIX])
    mixed_org(gh)
    (root / "home").mkdir()
    env = cli_environ(root / "home", {"GITHUB_TOKEN": TOKEN, "INDEXGEN_RETRY_BACKOFF": "0.01"})
    runs: dict[str, CliRun] = {}
    costs: dict[str, tuple[int, int]] = {}
    with FakeGitHubServer(gh) as server:
        for scanner in ("graphql", "rest"):
            gh.reset_counters()
            args = ["--org", MIX, "--scanner", scanner, "--output", str(root / scanner)]
            args += ["--report", str(root / f"{scanner}.json"), "--api-url", server.base_url]
            runs[scanner] = run_indexgen("build", *args, env=env, cwd=root)
            costs[scanner] = (gh.graphql_requests, gh.rest_requests)
    yield Parity(root, gh, runs, costs)


def test_graphql_and_rest_scanners_write_byte_identical_sites(parity: Parity) -> None:
    graphql, rest = assert_ok(parity.runs["graphql"]), assert_ok(parity.runs["rest"])
    # One page of repositories, the second page of many-tags' tags, one files query.
    assert parity.costs["graphql"] == (3, 0)
    # The organisation, its repositories, 15 tag listings (many-tags: 2 pages; none for the fork), one
    # look at the contents of the tagless repository of size 0 (it is empty), and 39 metadata files
    # (pyproject.toml alone when it decides, else all three; dyn-cfg's setuptools dynamic version needs
    # setup.cfg and setup.py too).
    assert parity.costs["rest"] == (0, 2 + 15 + 1 + 39)
    assert (graphql["rest"], rest["queries"]) == ("0", None)
    assert (graphql["projects"], graphql["releases"]) == (rest["projects"], rest["releases"])
    site = parity.site("graphql")

    # The PEP 503 pages are byte-identical; the browse pages and the state differ by the release dates
    # that only the GraphQL scan gets for free.
    def pep503(files: dict[str, bytes]) -> dict[str, bytes]:
        return {name: data for name, data in files.items() if name.startswith("simple/")}

    assert_same_site(pep503(snapshot(parity.site("rest"))), pep503(snapshot(site)))

    projects = {p.name for p in (site / "simple").iterdir() if p.is_dir()} - {"dyn-cfg"}  # see below
    pkgs = [f"pkg-{i:04d}" for i in range(6)]  # 2 of them private, 3 with annotated tags
    assert sorted(projects) == ["cfg-lib", "legacy-lib", "many-tags", *pkgs, "vcs-lib"]
    assert releases(site, "many-tags") == {
        "0.1.0": _commit("many-tags", "0.1.0"),
        "0.2.0": _commit("many-tags", "v0.2.0"),
    }
    assert releases(site, "cfg-lib") == {
        "1.2.0": _commit("cfg", "v1.2.0"),
        "2.0.0rc1": _commit("cfg", "v2.0.0rc1"),
    }
    assert releases(site, "legacy-lib") == {"0.3.0": _commit("legacy", "v0.3.0")}
    assert releases(site, "vcs-lib") == {"3.1.0": _commit("vcs", "v3.1.0")}
    assert not (site / "simple" / "forked").exists()
    for private in ("pkg-0002", "pkg-0005", "legacy-lib"):
        assert (site / "simple" / private / "index.html").is_file()
    # Annotated tags are published at the commit they peel to, never at the tag object.
    annotated = parity.gh.get_repo(MIX, "pkg-0001")
    assert annotated is not None and annotated.tags[0].annotated
    assert releases(site, "pkg-0001")["1.0.0"] == annotated.tags[0].commit != annotated.tags[0].object_sha


def test_graphql_and_rest_scanners_report_the_same_skips(parity: Parity) -> None:
    """The summary line and the `--report` agree too: the REST scanner must see the empty repository."""
    graphql, rest = parity.report("graphql"), parity.report("rest")
    assert rest["projects"] == graphql["projects"]
    skipped = {(s["repository"], s["tag"]): s["reason"] for s in graphql["skipped"]}
    assert skipped[("mix/vacant", None)] == "empty repository"
    assert skipped[("mix/forked", None)] == "fork (forks are not published)"
    assert "setup.cfg without pyproject.toml or setup.py" in skipped[("mix/cfg-only", "v1.0.0")]
    assert rest["skipped"] == graphql["skipped"]
    summary = {s: assert_ok(parity.runs[s]) for s in ("graphql", "rest")}
    # The empty repository, the fork, and a repository whose only tag holds no project: one skip.
    assert skipped[("mix/docs", None)].startswith("no Python project at its only tag")
    assert summary["rest"]["skipped_repos"] == summary["graphql"]["skipped_repos"] == "3"


def test_a_setuptools_dynamic_version_is_read_from_setup_cfg(parity: Parity) -> None:
    """`[project] dynamic = ["version"]` with setuptools takes `[metadata] version` from setup.cfg:
    pip builds 1.0.0 from tag v1.0.1 and rejects the link, so the tag must be skipped, not published."""
    site = parity.site("graphql")
    published = releases(site, "dyn-cfg") if (site / "simple" / "dyn-cfg").exists() else {}
    assert "1.0.1" not in published
    skipped = {(s["repository"], s["tag"]): s["reason"] for s in parity.report("graphql")["skipped"]}
    assert "differs from tag version" in skipped.get(("mix/dyn-cfg", "v1.0.1"), "")


# -- 6. rate limits, through the real transports ------------------------------------------------------


def test_graphql_budget_exhausted_mid_scan_fails_cleanly_or_is_waited_out(
    built: World, reference: Reference
) -> None:
    commit = add_tag(built.repo("pkg-0001"), "v1.3.0", "1.3.0")  # a build that finished would change the site
    far = int(time.time()) + 3600
    built.gh.set_rate_limit("graphql", reset=far)
    built.gh.exhaust_after(1, "graphql")  # the first page passes, the second finds the budget gone
    failed = built.build()
    assert assert_clean_failure(failed, 1) == [rate_limit_error("GraphQL", far)]
    assert built.cost == (2, 0)
    assert_same_site(snapshot(built.site), reference.files)

    # The budget resets in a few seconds and --max-wait allows for it: the build waits and succeeds.
    # (8 s: the build's first request must come before the reset, after start-up on a busy machine.)
    built.gh.set_rate_limit("graphql", reset=int(time.time()) + 8)
    started = time.monotonic()
    waited = built.build("--max-wait", "1")
    summary = assert_ok(waited)
    assert time.monotonic() - started >= 2
    assert "warning: GraphQL rate limit exhausted; waiting " in waited.stderr
    # The refused query, then the 3 pages and the files query of a build with one new commit.
    assert built.cost == (1 + WARM + 1, 0)
    assert (summary["queries"], summary["points"], summary["points_left"]) == ("5", "7", "4993")
    assert releases(built.site, "pkg-0001")["1.3.0"] == commit


def test_rest_budget_exhausted_mid_scan_fails_cleanly_or_is_waited_out(
    small: World, small_reference: Reference
) -> None:
    assert small_reference.cost == (0, 2 + 4 + 8)  # org, its repositories, 4 × tags, 8 × pyproject.toml
    commit = add_tag(small.repo("pkg-0003"), "v1.2.0", "1.2.0")
    far = int(time.time()) + 3600
    small.gh.set_rate_limit("core", reset=far)
    small.gh.exhaust_after(3, "core")
    failed = small.build("--scanner", "rest")
    lines = assert_clean_failure(failed, 1)
    assert lines[-1] == rate_limit_error("REST", far)
    assert small.cost == (0, 4)
    assert_same_site(snapshot(small.site), small_reference.files)

    small.gh.set_rate_limit("core", reset=int(time.time()) + 8)  # see the GraphQL test above
    started = time.monotonic()
    summary = assert_ok(small.build("--scanner", "rest", "--max-wait", "1"))
    assert time.monotonic() - started >= 2
    # The refused request, then org + repositories + 4 tag listings + the new commit's pyproject.toml.
    assert small.cost == (0, 1 + 2 + 4 + 1)
    assert (summary["rest"], summary["rest_left"], summary["queries"]) == ("8", "4993", None)
    assert releases(small.site, "pkg-0003")["1.2.0"] == commit


def test_a_graphql_secondary_limit_is_waited_out(built: World, reference: Reference) -> None:
    built.gh.inject_secondary_limit(1, retry_after=1, resource="graphql")
    started = time.monotonic()
    summary = assert_ok(built.build())
    assert time.monotonic() - started >= 1
    assert built.cost == (1 + WARM, 0)
    assert (summary["queries"], summary["points"]) == ("4", "6")  # the retry is counted, not charged
    assert_same_site(snapshot(built.site), reference.files)


@pytest.mark.parametrize("status", [403, 429])
def test_a_rest_secondary_limit_is_waited_out(small: World, small_reference: Reference, status: int) -> None:
    small.gh.inject_secondary_limit(1, status=status, retry_after=1, resource="core")
    started = time.monotonic()
    summary = assert_ok(small.build("--scanner", "rest"))
    assert time.monotonic() - started >= 1
    assert small.cost == (0, 1 + 2 + 4)  # nothing new to read: the listings, one of them twice
    assert summary["rest"] == "7"
    assert_same_site(snapshot(small.site), small_reference.files)


def test_rate_limit_messages_are_indexgens_own(small: World, built: World) -> None:
    """stderr carries indexgen's `warning:`/`error:` lines only: no third-party log lines (PyGithub's
    `github` logger prints every 403 and retry at INFO level, unformatted, request paths included)."""
    far = int(time.time()) + 3600
    small.gh.set_rate_limit("core", reset=far)
    small.gh.exhaust_after(3, "core")
    failed = small.build("--scanner", "rest")
    assert assert_clean_failure(failed, 1) == [rate_limit_error("REST", far)]

    built.gh.inject_secondary_limit(1, retry_after=1, resource="graphql")
    waited = built.build()
    assert_ok(waited)
    assert [line for line in waited.stderr.splitlines() if not line.startswith("warning: ")] == []


def test_a_secondary_limit_longer_than_max_wait_fails_at_once(built: World, reference: Reference) -> None:
    """`--max-wait` bounds every rate-limit wait (http.make_retry: "primary and secondary rate limits
    waited out up to max_wait seconds"): a Retry-After beyond it fails the build at once."""
    built.gh.inject_secondary_limit(1, retry_after=30, resource="graphql")
    try:
        run = built.build("--max-wait", "0.02", timeout=6)  # 1.2 seconds
    except subprocess.TimeoutExpired:
        pytest.fail("slept through a 30 s Retry-After with --max-wait 1.2 s")
    lines = assert_clean_failure(run, 1)
    assert lines[-1].startswith("error: GitHub GraphQL API rate limit"), run.describe()
    assert_same_site(snapshot(built.site), reference.files)


# A GraphQL endpoint that answers every query with one HTTP status and body, as GitHub can with 403.
@contextlib.contextmanager
def graphql_stub(status: int, message: str, reset: int) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
            pass

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's naming
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps({"message": message, "documentation_url": "https://docs.github.com"}).encode()
            self.send_response(status)
            for name, value in (
                ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("X-RateLimit-Limit", "5000"),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", str(reset)),
                ("X-RateLimit-Resource", "graphql"),
            ):
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v3"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


SAML = (
    "Resource protected by organization SAML enforcement. You must grant your Personal Access token access."
)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "API rate limit exceeded for user ID 1.",
            "error: GitHub GraphQL API rate limit exhausted; it resets at ",
        ),
        (SAML, "error: GitHub API failed for GraphQL query owner_repositories: HTTP 403: Resource protected"),
    ],
    ids=["rate-limit", "saml"],
)
def test_a_graphql_http_403_fails_cleanly(tmp_path: Path, message: str, expected: str) -> None:
    """GitHub also answers GraphQL with HTTP 403 (a primary limit, SSO enforcement): one `error:`
    line and exit 1, like every expected failure, never a traceback."""
    (tmp_path / "home").mkdir()
    env = cli_environ(tmp_path / "home", {"GITHUB_TOKEN": TOKEN, "INDEXGEN_RETRY_BACKOFF": "0.01"})
    with graphql_stub(403, message, int(time.time()) + 3600) as api:
        args = ("--org", ORG, "--output", str(tmp_path / "site"), "--api-url", api, "--no-pypi-check")
        run = run_indexgen("build", *args, env=env, cwd=tmp_path, timeout=30)
    lines = assert_clean_failure(run, 1)
    assert lines[-1].startswith(expected), run.describe()
    assert not (tmp_path / "site").exists()


# -- 7. progress ----------------------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _scan(progress: StreamProgress, clock: _Clock, step: float) -> None:
    """What the GraphQL scanner reports for 250 repositories × 3 tags, `step` seconds apart."""
    progress.start(ORG, 250)
    for _ in range(250):
        clock.now += step
        progress.advance(repos=1, tags=3)
    for batch in (500, 250):
        clock.now += step
        progress.advance(files=batch)
    progress.finish()


def test_progress_off_a_terminal_prints_plain_periodic_lines() -> None:
    clock, stream = _Clock(), io.StringIO()
    _scan(StreamProgress(stream, interval=15.0, clock=clock), clock, step=0.25)  # 63 s
    out = stream.getvalue()
    assert "\r" not in out and "\x1b" not in out
    assert out.splitlines(keepends=True) == [
        "scanning big: 60/250 repositories, 180 tags, 0 commits read\n",
        "scanning big: 120/250 repositories, 360 tags, 0 commits read\n",
        "scanning big: 180/250 repositories, 540 tags, 0 commits read\n",
        "scanning big: 240/250 repositories, 720 tags, 0 commits read\n",
    ]


def test_progress_off_a_terminal_is_silent_for_a_quick_scan() -> None:
    clock, stream = _Clock(), io.StringIO()
    _scan(StreamProgress(stream, interval=15.0, clock=clock), clock, step=0.03125)  # 8 s
    assert stream.getvalue() == ""


def test_progress_on_a_terminal_rewrites_one_live_line() -> None:
    clock, stream = _Clock(), _Terminal()
    _scan(StreamProgress(stream, interval=15.0, clock=clock), clock, step=0.125)  # a frame every 0.2 s
    out = stream.getvalue()
    assert "\n" not in out
    frames = out.split("\r\x1b[K")
    assert frames[0] == "" and frames[-1] == ""  # finish() clears the line
    shown = frames[1:-1]
    assert len(shown) == 252 // 2  # every other step
    assert shown[0] == "scanning big: 2/250 repositories, 6 tags, 0 commits read"
    assert shown[-1] == "scanning big: 250/250 repositories, 750 tags, 750 commits read"


def test_the_state_names_each_published_commit_once(reference: Reference) -> None:
    state = json.loads(gzip.decompress(reference.files[STATE]))
    assert state["format"] == 2
    assert len(state["repos"]) == N_REPOS
    shas = [state["commits"][i : i + 40] for i in range(0, len(state["commits"]), 40)]
    assert len(shas) == len(set(shas)) == N_REPOS * N_TAGS
    assert len(state["meta"]) == N_REPOS * N_TAGS
    assert sum(len(v) for v in state["published"].values()) == N_REPOS * N_TAGS
    # Every SHA once: positions elsewhere, and no URL that follows from the name.
    text = gzip.decompress(reference.files[STATE]).decode()
    assert all(text.count(sha) == 1 for sha in shas)
    assert "pkg-0001.git" not in text
