"""End to end: the build state across `--repo` builds and the migration from format 1, against the
fake GitHub. The organisation mixes repositories with a Python project and repositories without one
(which the state keeps unnamed); the REST scanner's request log shows which commits a build read."""

from __future__ import annotations

import contextlib
import gzip
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from indexgen.state import parse_state
from tests.e2e.cli import CliRun, cli_environ, run_indexgen, snapshot
from tests.e2e.servers import serve_site
from tests.fakegithub import FakeGitHub, FakeGitHubServer, FakeRepo, FakeTag, fake_sha, synthetic_repo
from tests.state_samples import v1_from_state

pytestmark = pytest.mark.e2e

TOKEN = "state-token"
ORG = "acme"
STATE, LEGACY = "indexgen-state.json.gz", "indexgen-state.json"
REF = re.compile(r"[?&]ref=([0-9a-f]{40})")


@dataclass
class Org:
    gh: FakeGitHub
    server: FakeGitHubServer
    root: Path

    @property
    def site(self) -> Path:
        return self.root / "site"

    def build(
        self,
        *args: str,
        scanner: str = "graphql",
        output: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> CliRun:
        self.gh.reset_counters()
        run = run_indexgen(
            "build",
            "--output",
            str(output or self.site),
            "--api-url",
            self.server.base_url,
            "--no-pypi-check",
            "--scanner",
            scanner,
            *args,
            env=cli_environ(
                self.root / "home", {"GITHUB_TOKEN": TOKEN, "INDEXGEN_RETRY_BACKOFF": "0.01", **(env or {})}
            ),
            cwd=self.root,
        )
        assert run.returncode == 0, run.describe()
        return run

    @property
    def cost(self) -> tuple[int, int]:
        return self.gh.graphql_requests, self.gh.rest_requests

    def commits_read(self) -> list[str]:
        """The commits whose files the last build asked for (REST: `contents/…?ref=<sha>`)."""
        return sorted(
            {m[1] for r in self.gh.log if "/contents/" in r.path for m in [REF.search(r.path)] if m}
        )


def non_python(name: str, tags: int) -> FakeRepo:
    commits = [fake_sha(ORG, name, str(t)) for t in range(tags)]
    return FakeRepo(
        ORG,
        name,
        private=True,
        language=None,
        tags=[FakeTag(f"v{t}.0", c) for t, c in enumerate(commits)],
        files={c: {"README.md": b"internal"} for c in commits},
    )


@contextlib.contextmanager
def small_org(root: Path, others: Iterable[str]) -> Iterator[Org]:
    """Three Python repositories with two tags each, and `others` without a project, served."""
    gh = FakeGitHub()
    gh.add_token(TOKEN, "state-bot", orgs=[ORG])
    owner = gh.add_owner(ORG)
    for i in range(3):
        repo = synthetic_repo(ORG, i, 2)
        owner.repos[repo.name] = repo
    for name in others:
        gh.add_repo(non_python(name, 2))
    (root / "home").mkdir()
    with FakeGitHubServer(gh) as server:
        yield Org(gh, server, root)


@pytest.fixture
def org(tmp_path: Path) -> Iterator[Org]:
    with small_org(tmp_path, ("website", "payroll", "infra")) as made:
        yield made


@pytest.mark.parametrize("scanner", ["rest", "graphql"])
def test_a_repo_build_then_a_full_build_reads_no_commit_twice(org: Org, scanner: str) -> None:
    org.build("--org", ORG, scanner=scanner)
    cold = org.commits_read()
    if scanner == "rest":
        assert len(cold) == 12  # 6 repositories × 2 tags
    state = parse_state((org.site / STATE).read_bytes())
    assert len(state.unlisted) == 3 and sum(map(len, state.unlisted)) == 6
    assert not {"website", "payroll", "infra"} & set(
        gzip.decompress((org.site / STATE).read_bytes()).decode().split('"')
    )

    # A new tag on a repository without a project, rescanned alone (what a push trigger does).
    website = org.gh.get_repo(ORG, "website")
    assert website is not None
    new = fake_sha(ORG, "website", "new")
    website.tags.append(FakeTag("v9.0", new))
    website.files[new] = {"README.md": b"still no project"}
    org.build("--org", ORG, "--repo", f"{ORG}/website", scanner=scanner)
    rescan = org.commits_read()
    if scanner == "rest":
        assert rescan == [new]
    after = parse_state((org.site / STATE).read_bytes())
    assert set(after.commits) == set(state.commits) | {new}  # nothing forgotten

    # The next full build reads nothing: it costs what a warm build costs.
    org.build("--org", ORG, scanner=scanner)
    full, full_cost = org.commits_read(), org.cost
    org.build("--org", ORG, scanner=scanner)
    warm_cost = org.cost
    assert full == [] and org.commits_read() == []
    assert full_cost == warm_cost
    assert not set(cold) & set(rescan)


def test_a_format_1_state_is_migrated_once(org: Org, tmp_path: Path) -> None:
    org.build("--org", ORG)
    cold_cost = org.cost
    reference = snapshot(org.site)
    org.build("--org", ORG)
    warm_cost = org.cost
    assert warm_cost < cold_cost

    # What an older indexgen left: format 1 under the old name, in --output (the Actions cache)...
    old = v1_from_state(parse_state(reference[STATE]))
    (org.site / STATE).unlink()
    (org.site / LEGACY).write_bytes(old)
    org.build("--org", ORG)
    assert org.cost == warm_cost  # read as the previous state: no commit read again
    assert snapshot(org.site) == reference  # format 2 written, the old file gone, same bytes
    org.build("--org", ORG)
    assert org.cost == warm_cost and snapshot(org.site) == reference

    # ... and on the deployed site (--previous), into a fresh output directory.
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / LEGACY).write_bytes(old)
    with serve_site(pages) as site:
        org.build("--org", ORG, "--previous", site.url, output=tmp_path / "fresh")
        assert set(site.paths) == {f"/{STATE}", f"/{LEGACY}"}  # the new name first, then the old
    assert org.cost == warm_cost
    assert snapshot(tmp_path / "fresh") == reference
