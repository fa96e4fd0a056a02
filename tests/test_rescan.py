"""`--repo` on a repository with more tags than a page: the previous build's tags stand in for the
pages of older tags only when that gives what a full listing gives (`indexgen.github.rescan`).

The rule is table-tested on plain records; the GraphQL scanner is run against the fake GitHub, whose
`TAG_COMMIT_DATE` order is git's `creatordate`, on a repository of 150 tags, counting its queries and
comparing every rescan with a full listing of the same repository."""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from indexgen.github.auth import Token
from indexgen.github.bulk import GraphQLScanner
from indexgen.github.graphql import GraphQLClient
from indexgen.github.http import ApiUsage
from indexgen.github.rescan import carry_over
from indexgen.github.scanner import NoProgress, ScanResult
from indexgen.layouts import Discovery
from indexgen.models import RepoSnapshot, TagRef
from indexgen.monorepo import metadata_key
from indexgen.state import parse_state
from indexgen.write import STATE_FILE
from tests.e2e.cli import cli_environ, run_indexgen, snapshot
from tests.fakegithub import FakeGitHub, FakeGitHubServer, FakeRepo, FakeTag, fake_sha
from tests.fakegithub.gitload import synthetic_pyproject

# -- the rule -------------------------------------------------------------------------------------


def tag(name: str, day: int, commit: str = "") -> TagRef:
    return TagRef(name, commit or fake_sha("c", name), f"2024-01-{day:02d}T00:00:00Z")


OLD = [tag("v1", 1), tag("v2", 2), tag("v3", 3)]
NEWEST = [tag("v4", 4), tag("v5", 5)]
SHOWN = [(t.name, t) for t in NEWEST]


def listed(*tags: TagRef) -> list[tuple[str, TagRef | None]]:
    return [(t.name, t) for t in tags]


@pytest.mark.parametrize(
    ("previous", "pages", "total", "expected"),
    [
        pytest.param([*OLD, *NEWEST], [SHOWN], 5, tuple(OLD), id="nothing new: the older tags carried"),
        pytest.param(OLD, [SHOWN], 5, tuple(OLD), id="new tags on the newest page"),
        pytest.param([*OLD, *NEWEST], [SHOWN], 4, "4 tags", id="a tag deleted: the count says so"),
        pytest.param([*OLD, *NEWEST], [SHOWN], 6, "6 tags", id="a tag added out of sight"),
        pytest.param(OLD[1:], [SHOWN], 5, "5 tags", id="previous build lacks a tag"),
        pytest.param(
            [*OLD, *NEWEST],
            [listed(tag("v4", 4, "e" * 40), NEWEST[1])],
            5,
            "tag v4 changed",
            id="a shown tag moved",
        ),
        pytest.param(
            [*OLD, *NEWEST],
            [listed(NEWEST[0], dataclasses.replace(NEWEST[1], date="2024-02-01T00:00:00Z"))],
            5,
            "tag v5 changed",
            id="a shown tag made again",
        ),
        pytest.param(
            [*OLD, tag("v4", 4), tag("v9", 9)],
            [listed(tag("v4", 4), tag("v10", 5))],
            6,
            "tag v9 is newer",
            id="a newer tag missing from the newest page: deleted or moved to an older commit",
        ),
        pytest.param(
            [*OLD, tag("v4", 5)],
            [listed(tag("v4", 5), tag("v6", 5))],
            5,
            tuple(OLD),
            id="a tie at the oldest date is not a contradiction",
        ),
        pytest.param(
            [dataclasses.replace(OLD[0], date=""), *NEWEST],
            [SHOWN],
            3,
            "no date for tag v1",
            id="a state without dates (REST)",
        ),
        pytest.param([*OLD, *NEWEST], [SHOWN], None, "None tags", id="no count"),
        pytest.param(
            [*OLD, *NEWEST],
            [listed(*OLD[:2]), SHOWN],
            5,
            (OLD[2],),
            id="two pages: only what neither shows is carried",
        ),
        pytest.param(
            [*OLD, *NEWEST],
            [listed(*OLD), [("v0", None), *SHOWN]],
            6,
            (),
            id="everything shown, a tag without a commit included",
        ),
        pytest.param(
            [*OLD, *NEWEST],
            [listed(OLD[0]), listed(tag("v1", 1, "e" * 40))],
            5,
            "the pages disagree",
            id="pages that disagree",
        ),
        pytest.param(
            [*OLD, *NEWEST],
            [listed(tag("v4", 4), TagRef("v5", NEWEST[1].commit, "2024-01-05T02:00:00+03:00"))],
            5,
            "tag v5 changed",
            id="a date is compared as written",
        ),
    ],
)
def test_carry_over(
    previous: list[TagRef],
    pages: list[list[tuple[str, TagRef | None]]],
    total: int | None,
    expected: tuple[TagRef, ...] | str,
) -> None:
    found = carry_over(previous, pages, total, pages[-1])
    if isinstance(expected, str):
        assert isinstance(found, str) and expected in found, found
    else:
        assert found == expected


def test_dates_in_other_zones_compare_as_instants() -> None:
    """A tagger's date keeps its zone: 23:30 at -01:00 is after 00:00 the next day at +00:00."""
    late = TagRef("v0", "0" * 40, "2024-01-01T23:30:00-01:00")
    page = [("v9", TagRef("v9", "9" * 40, "2024-01-02T00:00:00Z"))]
    assert "newer than" in str(carry_over([late], [page], 2, page))
    early = dataclasses.replace(late, date="2024-01-01T23:30:00+01:00")
    assert carry_over([early], [page], 2, page) == (early,)


# -- the scanner against the fake GitHub ---------------------------------------------------------

TOKEN = "rescan-token"
OWNER, NAME = "acme", "big"
FULL = f"{OWNER}/{NAME}"
START = datetime(2020, 1, 1, tzinfo=timezone.utc)


def stamp(days: float) -> str:
    return (START + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


class Recording(GraphQLClient):
    """The real client, noting the name of each query it sends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.names: list[str] = []

    def query(self, name: str, variables: Mapping[str, Any], allow: Any = None, **kw: Any) -> dict[str, Any]:
        self.names.append(name)
        return super().query(name, variables, allow, **kw)


@dataclasses.dataclass
class Org:
    gh: FakeGitHub
    server: FakeGitHubServer
    repo: FakeRepo
    counter: int = 0
    day: float = 1000.0  # the newest commit's date, in days after START

    def commit(self, version: str, *, newest: bool = True, day: float | None = None) -> str:
        """A new commit holding a release of `version`: the newest one, or on `day`."""
        self.counter += 1
        sha = fake_sha("rescan", str(self.counter))
        if day is None:
            self.day += 1
            day = self.day
        self.repo.commit_dates[sha] = stamp(day)
        self.repo.files[sha] = {"pyproject.toml": synthetic_pyproject(NAME, version)}
        return sha

    def scan(
        self, previous: ScanResult | None = None, *, discover: bool = False
    ) -> tuple[ScanResult, list[str]]:
        """A `--repo` rescan on top of `previous` (None: a full listing), reading the files of the
        commits `previous` did not read, as `commands._scan` asks; and the queries it sent."""
        known = {r.full_name.lower(): r for r in previous.repos} if previous is not None else None
        return self._scan(previous, discover, known)

    def full(self, previous: ScanResult, *, discover: bool = False) -> ScanResult:
        """What a scan that lists every tag finds, reading the same files."""
        return self._scan(previous, discover, None)[0]

    def _scan(
        self, previous: ScanResult | None, discover: bool, known: Mapping[str, RepoSnapshot] | None
    ) -> tuple[ScanResult, list[str]]:
        client = Recording(self.server.graphql_url, Token(TOKEN, "GITHUB_TOKEN"), ApiUsage(), backoff=0)
        keys = set(previous.files) if previous is not None else set()
        seen = {key.partition(":")[0] for key in keys}
        discovery = Discovery(
            dict(previous.trees) if previous is not None else {},
            need=lambda tag, directory: metadata_key(tag.commit, directory) not in keys,
            fresh=lambda tag: tag.commit not in seen,
        )
        result = GraphQLScanner(client).scan_repos(
            [FULL],
            lambda t: t.commit not in keys and bool(re.fullmatch(r"v\d[\d.]*", t.name)),
            NoProgress(),
            discovery=discovery if discover else None,
            known=known,
        )
        return result, client.names

    def hidden(self) -> list[FakeTag]:
        """The lightweight tags the rescan query's two pages do not show, oldest first."""
        names = sorted(t.name for t in self.repo.tags)[:100]
        newest = sorted(self.repo.tags, key=lambda t: (self.when(t), t.name), reverse=True)[:100]
        shown = {*names, *(t.name for t in newest)}
        rest = [t for t in self.repo.tags if t.name not in shown and not t.annotated]
        return sorted(rest, key=self.when)

    def when(self, tag: FakeTag) -> datetime:
        return datetime.fromisoformat(self.repo.creator_date(tag).replace("Z", "+00:00"))


def make_org(seed: int = 0, tags: int = 150) -> Iterator[Org]:
    """One repository of `tags` release tags on commits a day apart, a third of them annotated (some
    made later than their commit), and a tag on a tree, listed first."""
    rng = random.Random(seed)
    gh = FakeGitHub()
    gh.add_token(TOKEN, "scanner", orgs=[OWNER])
    repo = FakeRepo(OWNER, NAME, tags=[], files={}, commit_dates={})
    gh.add_repo(repo)
    with FakeGitHubServer(gh) as server:
        org = Org(gh, server, repo)
        for i in range(tags):
            version = f"1.{i}.0"
            sha = org.commit(version, day=float(i))
            late = stamp(i + rng.randint(1, 30)) if rng.random() < 0.3 else None
            repo.tags.append(FakeTag(f"v{version}", sha, annotated=i % 3 == 0, tagged_at=late))
        repo.tags.append(FakeTag("0-tree", fake_sha("tree", "x"), target_type="tree"))
        repo.head = repo.tags[-2].commit
        yield org


@pytest.fixture
def org() -> Iterator[Org]:
    yield from make_org()


def test_new_tag_costs_the_listing_and_the_files(org: Org) -> None:
    before, names = org.scan()
    assert names == ["repository", "repository_tags", "commit_files"]  # a repository first seen
    assert len(before.repos[0].tags) == 150 and len(before.skipped) == 1
    org.repo.tags.append(FakeTag("v2.0.0", org.commit("2.0.0")))
    after, names = org.scan(before)
    assert names == ["repository_rescan", "commit_files"]
    assert after == org.full(before)
    assert [t.name for t in after.repos[0].tags if t.commit in after.files] == ["v2.0.0"]


def test_nothing_new_costs_one_query(org: Org) -> None:
    before, _ = org.scan()
    after, names = org.scan(before)
    assert names == ["repository_rescan"]
    assert after.repos == before.repos and after.skipped == before.skipped and not after.files


def test_a_deleted_old_tag_is_seen_in_the_count(org: Org) -> None:
    before, _ = org.scan()
    gone = org.hidden()[0]
    org.repo.tags.remove(gone)
    after, names = org.scan(before)
    assert names == ["repository_rescan", "repository_tags"]  # today's paging, no more
    assert after == org.full(before)
    assert gone.name not in {t.name for t in after.repos[0].tags}


def test_a_deleted_tag_and_a_new_one_are_both_seen(org: Org) -> None:
    before, _ = org.scan()
    org.repo.tags.remove(org.hidden()[0])
    org.repo.tags.append(FakeTag("v2.0.0", org.commit("2.0.0")))
    after, names = org.scan(before)
    assert names == ["repository_rescan", "repository_tags", "commit_files"]
    assert after == org.full(before)


def test_a_moved_tag_is_listed_in_full(org: Org) -> None:
    """Moved to a new commit: the newest page shows it on another commit than the previous build saw."""
    before, _ = org.scan()
    moved = org.repo.tags[4]
    org.repo.tags[4] = FakeTag(moved.name, org.commit("1.4.0"))
    after, names = org.scan(before)
    assert names == ["repository_rescan", "repository_tags", "commit_files"]
    assert after == org.full(before)


def test_a_recent_tag_moved_to_an_old_commit_is_missed_on_the_newest_page(org: Org) -> None:
    """A tag that was among the newest, moved to an old commit: it leaves the newest page, the count
    stays, and its previous date says it should have been there."""
    before, _ = org.scan()
    hidden = {t.name for t in org.hidden()}
    moved_index = next(
        i
        for i in range(len(org.repo.tags) - 1, 0, -1)
        if org.repo.tags[i].name not in hidden
        and not org.repo.tags[i].annotated
        and org.repo.tags[i].name not in sorted(t.name for t in org.repo.tags)[:100]
    )
    moved = org.repo.tags[moved_index]
    org.repo.tags[moved_index] = FakeTag(moved.name, org.commit(moved.name[1:], day=0.5))
    after, names = org.scan(before)
    assert names == ["repository_rescan", "repository_tags", "commit_files"]
    assert after == org.full(before)


def test_what_the_rule_cannot_see(org: Org) -> None:
    """An old tag on neither page moved to an even older commit keeps the count and every date the
    rule can compare: the rescan keeps the previous build's view of it (whose published commit stays
    published anyway); a full listing, as the next full build makes, sees the move."""
    before, _ = org.scan()
    index = org.repo.tags.index(org.hidden()[0])
    old = org.repo.tags[index]
    org.repo.tags[index] = FakeTag(old.name, org.commit(old.name[1:], day=-1))
    after, names = org.scan(before)
    assert names == ["repository_rescan"]
    assert after.repos == before.repos
    full = org.full(before)
    assert {t.name: t.commit for t in full.repos[0].tags}[old.name] != old.commit


def test_a_repository_first_seen_is_listed_as_today(org: Org) -> None:
    before, _ = org.scan()
    org.repo.tags.append(FakeTag("v2.0.0", org.commit("2.0.0")))
    empty = dataclasses.replace(before, repos=())
    after, names = org.scan(empty)
    assert names == ["repository", "repository_tags", "commit_files"]
    assert after == org.full(empty)


def test_a_carried_tag_whose_metadata_is_unknown_is_listed(org: Org) -> None:
    """Carried tags come without node IDs: one whose files must be read makes the scan list all."""
    before, _ = org.scan()
    unread = org.hidden()[0].commit
    forgotten = dataclasses.replace(before, files={k: v for k, v in before.files.items() if k != unread})
    after, names = org.scan(forgotten)
    assert names == ["repository_rescan", "repository_tags", "commit_files"]
    assert after == org.full(forgotten)
    assert list(after.files) == [unread]


def test_a_monorepo_rescan_carries_only_what_its_known_layout_has_read() -> None:
    """With projects below the root, a carried tag must not need a directory read (it comes without
    a node ID): while the default branch's tree is the one the previous build read, its directories'
    metadata is known and the older tags are carried; once a release brings a new tree, with a new
    project directory every tag named by a distribution is read at, every tag is listed."""
    gh = FakeGitHub()
    gh.add_token(TOKEN, "scanner", orgs=[OWNER])
    repo = FakeRepo(OWNER, NAME, tags=[], files={}, commit_dates={})
    gh.add_repo(repo)
    cli = b'[project]\nname = "acme-cli"\nversion = "0.1"\n'
    with FakeGitHubServer(gh) as server:
        org = Org(gh, server, repo)

        def release(version: str, day: float | None = None, extra: bool = False) -> str:
            sha = org.commit(version, day=day)
            core = f'[project]\nname = "acme-core"\nversion = "{version}"\n'.encode()
            repo.files[sha] = {"libs/core/pyproject.toml": core, "libs/cli/pyproject.toml": cli}
            if extra:
                repo.files[sha]["libs/extra/pyproject.toml"] = b'[project]\nname = "acme-extra"\n'
            repo.tags.append(FakeTag(f"acme-core-{version}", sha))
            return sha

        for i in range(120):
            repo.head = release(f"1.{i}.0", day=float(i))
        before, _ = org.scan(discover=True)
        assert before.trees[FULL].projects == ("libs/cli", "libs/core")
        assert len([k for k in before.files if k.endswith(":libs/core")]) == 120

        release("2.0.0")  # the default branch stays where it was: its tree is the one read
        after, names = org.scan(before, discover=True)
        assert names == ["repository_rescan", "commit_referenced_files"]
        assert after == org.full(before, discover=True)

        merged = dataclasses.replace(after, files={**before.files, **after.files})
        repo.head = release("2.1.0", extra=True)
        again, names = org.scan(merged, discover=True)
        assert names[:3] == ["repository_rescan", "repository_tags", "default_branch_trees"]
        assert again == org.full(merged, discover=True)
        assert again.trees[FULL].projects == ("libs/cli", "libs/core", "libs/extra")
        assert len([k for k in again.files if k.endswith(":libs/extra")]) == 122


def _mutate(org: Org, rng: random.Random) -> str:
    """One change of the kinds a release process makes: a new release (the newest commit, lightweight
    or annotated), a tag moved to a new commit, or made again as an annotated tag, or deleted."""
    tags = [t for t in org.repo.tags if t.target_type == "commit"]
    kind = rng.choice(["add", "add", "move", "again", "delete"])
    if kind == "add":
        version = f"3.{org.counter}.0"
        org.repo.tags.append(FakeTag(f"v{version}", org.commit(version), annotated=rng.random() < 0.5))
    elif kind == "move":
        victim = rng.choice(tags)
        position = org.repo.tags.index(victim)
        org.repo.tags[position] = FakeTag(
            victim.name, org.commit(victim.name[1:]), annotated=victim.annotated
        )
    elif kind == "again":
        victim = rng.choice(tags)
        org.day += 1
        position = org.repo.tags.index(victim)
        org.repo.tags[position] = FakeTag(
            victim.name, victim.commit, annotated=True, tagged_at=stamp(org.day)
        )
    else:
        org.repo.tags.remove(rng.choice(tags))
    return kind


@pytest.mark.parametrize("seed", range(12))
def test_a_rescan_finds_what_a_full_listing_finds(seed: int) -> None:
    """Random releases, moves, remakes and deletions on a 150-tag repository: every rescan on top of
    the previous one gives the full listing's result, in at most two queries when only releases were
    added."""
    rng = random.Random(seed)
    for org in make_org(seed):
        previous, _ = org.scan()
        for _ in range(4):
            kinds = {_mutate(org, rng) for _ in range(rng.randint(1, 3))}
            rescan, names = org.scan(previous)
            assert rescan == org.full(previous), kinds
            if kinds == {"add"}:
                assert names == ["repository_rescan", "commit_files"], kinds
            previous = dataclasses.replace(rescan, files={**previous.files, **rescan.files})


# -- the command ------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_repo_build_costs_two_queries_and_writes_what_a_cold_build_writes(org: Org, tmp_path: Path) -> None:
    """The real CLI: `build --repo` after a new release of the 150-tag repository sends two GraphQL
    queries (the listing and the new commit's files) and writes the site and state a cold build
    writes; with nothing new, one query; an accepted move is always seen, however old the tag."""
    (tmp_path / "home").mkdir()
    env = cli_environ(tmp_path / "home", {"GITHUB_TOKEN": TOKEN})

    def build(output: Path, *extra: str) -> int:
        org.gh.reset_counters()
        args = ["build", "--org", OWNER, "--output", str(output), "--api-url", org.server.base_url]
        run = run_indexgen(*args, "--no-pypi-check", *extra, env=env, cwd=tmp_path)
        assert run.returncode == 0, run.describe()
        return org.gh.graphql_requests

    def same_as_cold(site: Path, name: str) -> None:
        build(tmp_path / name)
        ours, cold = snapshot(site), snapshot(tmp_path / name)
        assert sorted(ours) == sorted(cold)
        assert [n for n in cold if n != STATE_FILE and ours[n] != cold[n]] == []
        # The same state but for the generation counter, and the digest of a full build's inputs,
        # which a --repo build does not store.
        comparable = [
            dataclasses.replace(parse_state(s[STATE_FILE]), generation=0, inputs="") for s in (ours, cold)
        ]
        assert comparable[0] == comparable[1]

    site = tmp_path / "site"
    build(site)
    org.repo.tags.append(FakeTag("v2.0.0", org.commit("2.0.0")))
    assert build(site, "--repo", FULL) == 2
    same_as_cold(site, "cold-1")
    assert build(site, "--repo", FULL) == 1
    same_as_cold(site, "cold-2")

    hidden = org.hidden()[0]
    moved = org.commit(hidden.name[1:], day=-1)
    org.repo.tags[org.repo.tags.index(hidden)] = FakeTag(hidden.name, moved)
    accept = f"{FULL}@{hidden.name}"
    assert build(site, "--repo", FULL, "--accept-moved-tag", accept) == 3  # every tag listed, one file read
    assert moved in (site / "simple" / NAME / "index.html").read_text()
