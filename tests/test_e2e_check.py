"""End to end: `indexgen check` through the real CLI against the fake GitHub serving real git
repositories, after a real `indexgen build`.

Every check runs in the build's directory and asserts that the directory (site, config, home) is
byte-identical afterwards: check writes nothing, whatever it finds.

- `alpha` tags v1.0 … v1.9 (ten releases), `beta` tags v1.0: eleven releases, so skipping one tag
  (9 %) passes the shrink guard and losing `beta` does not;
- new tags and repositories are pushed into the running fake GitHub between build and check.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.acme import ORG, TOKEN, TOKEN_LOGIN, AcmeWorld, RepoSpec, pyproject
from tests.e2e.cli import CliRun, cli_environ, run_indexgen, snapshot
from tests.e2e.fixtures import load_world
from tests.fakegithub import FakeGitHub, FakeGitHubServer, load_git_repo

pytestmark = pytest.mark.e2e

CONFIG = f'owners = ["{ORG}"]\n'
ALPHA_VERSIONS = tuple(f"1.{i}" for i in range(10))


def _release(world: AcmeWorld, name: str, version: str) -> None:
    world.trees[name].commit(
        f"{name} {version}",
        {"pyproject.toml": pyproject(name, version, name), f"{name}/__init__.py": f'v = "{version}"\n'},
    )
    world.trees[name].tag(f"v{version}")


@dataclass
class Org:
    world: AcmeWorld
    gh: FakeGitHub
    server: FakeGitHubServer
    directory: Path

    def push(self, name: str) -> None:
        """Publish `name`'s working tree to its bare mirror and (re)load it into the fake GitHub."""
        bare = self.world.bare(name)
        if bare.exists():
            self.world.trees[name].git("push", "-q", "--mirror", str(bare))
        else:
            self.world.trees[name].mirror_to(bare)
        self.gh.add_repo(
            load_git_repo(self.world.bare(name), ORG, name, created_at=self.world.specs[name].created_at)
        )

    def run(
        self, command: str, *args: str, config: str = CONFIG, env: dict[str, str | None] | None = None
    ) -> CliRun:
        (self.directory / "indexgen.toml").write_text(config, encoding="utf-8")
        return run_indexgen(
            command,
            "--output",
            str(self.directory / "site"),
            "--api-url",
            self.server.base_url,
            *args,
            env=cli_environ(self.directory / "home", {"GITHUB_TOKEN": TOKEN, **(env or {})}),
            cwd=self.directory,
        )

    def check(self, *args: str, config: str = CONFIG, env: dict[str, str | None] | None = None) -> CliRun:
        """`indexgen check`, asserting it changed no byte under the directory."""
        (self.directory / "indexgen.toml").write_text(config, encoding="utf-8")
        before = snapshot(self.directory)
        run = self.run("check", *args, config=config, env=env)
        assert snapshot(self.directory) == before, run.describe()
        return run


@pytest.fixture
def org(tmp_path: Path) -> Iterator[Org]:
    """A fresh organisation, built once with CONFIG (each test may push to it)."""
    world = AcmeWorld(tmp_path / "world")
    world.add(RepoSpec("alpha", created_at="2021-01-01T00:00:00Z"))
    world.add(RepoSpec("beta", created_at="2021-02-01T00:00:00Z"))
    for version in ALPHA_VERSIONS:
        _release(world, "alpha", version)
    _release(world, "beta", "1.0")
    world.publish()
    gh = FakeGitHub()
    gh.add_owner(ORG, "Organization")
    gh.add_token(TOKEN, TOKEN_LOGIN, sees_private=True, orgs=[ORG])
    load_world(gh, world)
    directory = tmp_path / "index"
    (directory / "home").mkdir(parents=True)
    with FakeGitHubServer(gh) as server:
        built = Org(world, gh, server, directory)
        run = built.run("build")
        assert run.returncode == 0, run.describe()
        yield built


def test_nothing_changed(org: Org) -> None:
    run = org.check()
    assert run.returncode == 0, run.describe()
    assert "indexgen check: 2 projects, 11 releases, 0 skipped" in run.stdout
    assert "no changes to the published versions or pages" in run.stdout
    assert "shrink guard: passed: drops 0 projects and 0 of 11 releases" in run.stdout
    assert "a build would succeed" in run.stdout
    assert "versions added" not in run.stdout


def test_a_new_tag_is_listed_as_added(org: Org) -> None:
    _release(org.world, "beta", "1.1")
    org.push("beta")
    run = org.check()
    assert run.returncode == 0, run.describe()
    assert "versions added (1):\n  beta 1.1\n" in run.stdout
    assert "no changes" not in run.stdout
    # Nothing written: the next build still sees beta 1.1 as new.
    again = org.check("--format", "json")
    data = json.loads(again.stdout)
    assert data["added"] == [{"project": "beta", "version": "1.1"}]


def test_a_config_change_lists_the_tags_it_skips(org: Org) -> None:
    config = CONFIG + f'\n[repos."{ORG}/alpha"]\nexclude = ["v1.0"]\n'
    run = org.check(config=config)
    assert run.returncode == 0, run.describe()
    assert "versions removed (1):\n  alpha 1.0\n" in run.stdout
    assert f"newly skipped (1):\n  {ORG}/alpha@v1.0: " in run.stdout
    assert "shrink guard: passed: drops 0 projects and 1 of 11 releases" in run.stdout
    data = json.loads(org.check("--format", "json", config=config).stdout)
    assert [(s["repository"], s["tag"]) for s in data["newly_skipped"]] == [(f"{ORG}/alpha", "v1.0")]
    assert data["newly_skipped"][0]["reason"]


def test_a_shrink_is_refused_with_exit_3_and_nothing_written(org: Org) -> None:
    config = CONFIG + 'exclude = ["beta"]\n'
    run = org.check(config=config)  # asserts the directory, site included, is byte-identical
    assert run.returncode == 3, run.describe()
    assert "projects gone (1):\n  beta\n" in run.stdout
    assert f"newly skipped (1):\n  {ORG}/beta (repository): matched by exclude\n" in run.stdout
    assert "shrink guard: refused: would drop 1 projects and 1 of 11 releases" in run.stdout
    assert "a build would fail (exit 3)" in run.stdout
    assert run.stderr.strip().splitlines()[-1].startswith("error: refusing to publish")
    allowed = org.check("--allow-shrink", config=config)
    assert allowed.returncode == 0, allowed.describe()
    assert "shrink guard: passed with --allow-shrink: drops 1 projects" in allowed.stdout


def test_an_unacknowledged_pypi_twin_exits_4(org: Org) -> None:
    org.world.add(RepoSpec("requests", created_at="2021-03-01T00:00:00Z"))
    _release(org.world, "requests", "0.1")
    org.push("requests")
    run = org.check()
    assert run.returncode == 4, run.describe()
    assert "PyPI twins (1):\n  requests (PyPI has 2.32.3): NOT acknowledged" in run.stdout
    assert "new projects (1):\n  requests\n" in run.stdout
    data = json.loads(org.check("--format", "json").stdout)
    assert data["exit_code"] == 4 and data["ok"] is False
    assert data["pypi_twins"] == [{"acknowledged": False, "project": "requests", "pypi_version": "2.32.3"}]
    acknowledged = org.check(config=CONFIG + 'allow_public = ["requests"]\n')
    assert acknowledged.returncode == 0, acknowledged.describe()
    assert "requests (PyPI has 2.32.3): acknowledged" in acknowledged.stdout


def test_json_report_is_sorted_and_complete(org: Org) -> None:
    _release(org.world, "beta", "1.1")
    org.push("beta")
    run = org.check("--format", "json")
    assert run.returncode == 0, run.describe()
    data = json.loads(run.stdout)
    assert list(data) == sorted(data)
    assert data["format"] == 1 and data["ok"] is True and data["error"] is None
    assert (data["projects"], data["releases"]) == (2, 12)
    assert data["first_build"] is False and data["pages_changed"] is True
    assert data["removed"] == [] and data["gone_projects"] == [] and data["commits_changed"] == []
    assert data["shrink"] == {
        "allowed": False,
        "lost_projects": [],
        "lost_releases": [],
        "previous_releases": 11,
        "verdict": "passed",
    }
    assert data["tags"] == []


def test_repo_shows_each_tag_and_its_fate(org: Org) -> None:
    config = CONFIG + f'\n[repos."{ORG}/alpha"]\nexclude = ["v1.0"]\n'
    run = org.check("--repo", f"{ORG}/alpha", config=config)
    assert run.returncode == 0, run.describe()
    assert f"  {ORG}/alpha v1.1: published as alpha 1.1\n" in run.stdout
    assert f"  {ORG}/alpha v1.0: skipped: " in run.stdout
    data = json.loads(org.check("--repo", f"{ORG}/alpha", "--format", "json", config=config).stdout)
    fates = {t["tag"]: (t["fate"], t["version"]) for t in data["tags"]}
    assert fates["v1.0"] == ("skipped", None)
    assert fates["v1.9"] == ("published", "1.9")
    assert len(fates) == 10
    commit = org.world.commit_of("alpha", "v1.9")
    assert [t["commit"] for t in data["tags"] if t["tag"] == "v1.9"] == [commit]


def test_check_refuses_report(org: Org) -> None:
    run = org.check("--report", str(org.directory / "r.json"))
    assert run.returncode == 2
    assert "check writes nothing" in run.stderr


def test_under_actions_check_writes_the_job_summary(org: Org, tmp_path: Path) -> None:
    _release(org.world, "beta", "1.1")
    org.push("beta")
    summary = tmp_path / "summary.md"
    run = org.check(env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert run.returncode == 0, run.describe()
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# indexgen check (nothing written)\n")
    assert "### Versions added (1)" in text and "`beta`" in text
    refused = org.check(
        config=CONFIG + 'exclude = ["beta"]\n',
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert refused.returncode == 3, refused.describe()
    assert "::error::refusing to publish" in refused.stderr
    assert "## indexgen: failed" in summary.read_text(encoding="utf-8")
