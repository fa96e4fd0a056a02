"""End to end: `indexgen build` driven by an `indexgen.toml` alone, against the fake GitHub serving real
git repositories, then real pip through the served index.

- `gamma` tags `release-1.0`, `release-2.0` (published through its own `tag_pattern`) and `v3.0` (not);
- `yankee` 1.0 and 2.0, with 2.0 yanked: pip takes 1.0 unless asked for `==2.0`;
- `sandbox-play`, left out by `exclude`; topics select repositories in a second build.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.acme import CLONE_BASE, ORG, TOKEN, TOKEN_LOGIN, AcmeWorld, RepoSpec, pyproject
from tests.e2e.cli import CliRun, cli_environ, read_report, run_indexgen
from tests.e2e.fixtures import PipSetupFactory, load_world
from tests.e2e.pipvenv import PipSetup, Venv
from tests.e2e.servers import SiteServer, serve_site
from tests.fakegithub import FakeGitHub, FakeGitHubServer

pytestmark = pytest.mark.e2e

YANK_REASON = "broken <build> & co"
CONFIG = f"""
owners = ["{ORG}"]
exclude = ["sandbox-*"]

[repos."{ORG}/gamma"]
tag_pattern = '^release-(?P<version>.+)$'

[yanked.yankee]
"2.0" = "{YANK_REASON}"
"""


def _module(name: str, version: str) -> str:
    return f'__version__ = "{version}"\n'


def build_world(root: Path) -> AcmeWorld:
    world = AcmeWorld(root)
    gamma = world.add(RepoSpec("gamma", created_at="2021-01-01T00:00:00Z"))
    for version, tag in (("1.0", "release-1.0"), ("2.0", "release-2.0"), ("3.0", "v3.0")):
        gamma.commit(
            f"gamma {version}",
            {
                "pyproject.toml": pyproject("gamma", version, "gamma"),
                "gamma/__init__.py": _module("gamma", version),
            },
        )
        gamma.tag(tag, annotated=True)
    yankee = world.add(RepoSpec("yankee", created_at="2021-02-01T00:00:00Z"))
    for version in ("1.0", "2.0"):
        yankee.commit(
            f"yankee {version}",
            {
                "pyproject.toml": pyproject("yankee", version, "yankee"),
                "yankee/__init__.py": _module("yankee", version),
            },
        )
        yankee.tag(f"v{version}")
    sandbox = world.add(RepoSpec("sandbox-play", created_at="2021-03-01T00:00:00Z"))
    sandbox.commit(
        "sandbox 0.1",
        {"pyproject.toml": pyproject("sandbox-play", "0.1", "sandbox_play"), "sandbox_play/__init__.py": ""},
    )
    sandbox.tag("v0.1")
    world.publish()
    return world


@dataclass(frozen=True)
class ConfigWorld:
    world: AcmeWorld
    server: FakeGitHubServer


@pytest.fixture(scope="module")
def config_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConfigWorld]:
    world = build_world(tmp_path_factory.mktemp("config-world"))
    gh = FakeGitHub()
    gh.add_owner(ORG, "Organization")
    gh.add_token(TOKEN, TOKEN_LOGIN, sees_private=True, orgs=[ORG])
    load_world(gh, world)
    for name, topics in (
        ("gamma", ["python", "tools"]),
        ("yankee", ["python"]),
        ("sandbox-play", ["python"]),
    ):
        gh.get_owner(ORG).get_repo(name).topics = topics  # type: ignore[union-attr]
    with FakeGitHubServer(gh) as server:
        yield ConfigWorld(world, server)


def build_in(directory: Path, server: FakeGitHubServer, config: str, *extra: str) -> tuple[CliRun, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "indexgen.toml").write_text(config, encoding="utf-8")
    home = directory / "home"
    home.mkdir(exist_ok=True)
    report = directory / "report.json"
    run = run_indexgen(
        "build",
        "--output",
        str(directory / "site"),
        "--report",
        str(report),
        "--api-url",
        server.base_url,
        *extra,
        env=cli_environ(home, {"GITHUB_TOKEN": TOKEN}),
        cwd=directory,
    )
    return run, report


@dataclass(frozen=True)
class ConfigBuild:
    run: CliRun
    report: Path
    site: Path


@pytest.fixture(scope="module")
def config_build(tmp_path_factory: pytest.TempPathFactory, config_world: ConfigWorld) -> ConfigBuild:
    directory = tmp_path_factory.mktemp("config-build")
    run, report = build_in(directory, config_world.server, CONFIG)
    return ConfigBuild(run, report, directory / "site")


@pytest.fixture(scope="module")
def config_site(config_build: ConfigBuild) -> Iterator[SiteServer]:
    assert config_build.run.returncode == 0, config_build.run.describe()
    with serve_site(config_build.site) as site:
        yield site


@pytest.fixture
def config_pip(
    make_pip_setup: PipSetupFactory, config_site: SiteServer, config_world: ConfigWorld
) -> PipSetup:
    return make_pip_setup(
        config_site.index_url,
        instead_of={config_world.world.bare_root.as_uri() + "/": f"{CLONE_BASE}/{ORG}/"},
    )


def test_the_config_file_alone_drives_the_build(config_build: ConfigBuild, config_world: ConfigWorld) -> None:
    run = config_build.run
    assert run.returncode == 0, run.describe()
    report = read_report(config_build.report)
    releases = {name: [r["version"] for r in p["releases"]] for name, p in report["projects"].items()}
    assert releases == {"gamma": ["1.0", "2.0"], "yankee": ["1.0", "2.0"]}
    skipped = {(s["repository"], s["tag"]): s["reason"] for s in report["skipped"]}
    assert skipped == {
        (f"{ORG}/gamma", "v3.0"): f'not a version (tag pattern of repos."{ORG}/gamma")',
        (f"{ORG}/sandbox-play", None): "matched by exclude",
    }
    gamma = report["projects"]["gamma"]["releases"]
    assert [r["tag"] for r in gamma] == ["release-1.0", "release-2.0"]
    assert gamma[1]["commit"] == config_world.world.commit_of("gamma", "release-2.0")
    yankee = report["projects"]["yankee"]["releases"]
    assert [r.get("yanked") for r in yankee] == [None, YANK_REASON]


def test_report_shows_each_setting_and_its_source(config_build: ConfigBuild) -> None:
    config = read_report(config_build.report)["config"]
    assert config["owners"] == {"value": [ORG], "source": "indexgen.toml"}
    assert config["exclude"] == {"value": ["sandbox-*"], "source": "indexgen.toml"}
    assert config["include"] == {"value": ["*"], "source": "default"}
    assert config["repos"]["value"] == {f"{ORG}/gamma": {"tag_pattern": "^release-(?P<version>.+)$"}}
    assert config["yanked"] == {"value": {"yankee": {"2.0": YANK_REASON}}, "source": "indexgen.toml"}
    assert config["api_url"]["source"] == "flag"
    assert TOKEN not in config_build.report.read_text(encoding="utf-8")


def test_yanked_anchor_carries_the_escaped_reason(config_build: ConfigBuild) -> None:
    page = (config_build.site / "simple" / "yankee" / "index.html").read_text(encoding="utf-8")
    assert page.count("data-yanked=") == 1
    assert 'data-yanked="broken &lt;build&gt; &amp; co">yankee-2.0</a>' in page


def test_release_tags_through_a_repository_pattern_install(
    config_pip: PipSetup, config_world: ConfigWorld, tmp_path: Path
) -> None:
    env = Venv.create(tmp_path / "venv", config_pip)
    run = env.install("gamma").check()
    assert env.version_of("gamma") == "2.0"
    assert f"to revision {config_world.world.commit_of('gamma', 'release-2.0')}" in run.output, run.output


def test_pip_skips_a_yanked_version_unless_pinned(
    config_pip: PipSetup, config_world: ConfigWorld, tmp_path: Path
) -> None:
    yanked_commit = config_world.world.commit_of("yankee", "v2.0")
    env = Venv.create(tmp_path / "plain", config_pip)
    run = env.install("yankee").check()
    assert env.version_of("yankee") == "1.0"
    assert f"to revision {config_world.world.commit_of('yankee', 'v1.0')}" in run.output, run.output
    assert yanked_commit not in "\n".join(run.clones()) and "yanked version" not in run.output, run.output

    pinned = Venv.create(tmp_path / "pinned", config_pip)
    run = pinned.install("yankee==2.0").check()
    assert pinned.version_of("yankee") == "2.0"
    # pip/_internal/resolution/resolvelib/factory.py warns when the only match is yanked (PEP 592).
    assert "The candidate selected for download or install is a yanked version: 'yankee'" in run.output, (
        run.output
    )
    assert f"Reason for being yanked: {YANK_REASON}" in run.output, run.output


def test_topics_select_repositories(tmp_path: Path, config_world: ConfigWorld) -> None:
    config = CONFIG.replace('exclude = ["sandbox-*"]', 'topics = ["tools"]')
    run, report_path = build_in(tmp_path, config_world.server, config, "--no-pypi-check")
    assert run.returncode == 0, run.describe()
    report = read_report(report_path)
    assert sorted(report["projects"]) == ["gamma"]
    skipped = {(s["repository"], s["tag"]): s["reason"] for s in report["skipped"]}
    assert skipped[(f"{ORG}/yankee", None)] == "carries none of the topics"
    assert skipped[(f"{ORG}/sandbox-play", None)] == "carries none of the topics"


def test_excluded_repositories_cost_no_requests_over_rest(tmp_path: Path, config_world: ConfigWorld) -> None:
    gh = config_world.server.gh
    gh.reset_counters()
    run, _ = build_in(tmp_path, config_world.server, CONFIG, "--scanner", "rest", "--no-pypi-check")
    assert run.returncode == 0, run.describe()
    paths = [entry.path for entry in gh.log]
    assert not [p for p in paths if "sandbox-play" in p], paths
    assert [p for p in paths if "/repos/acme/gamma/tags" in p], paths


def test_config_errors_exit_2_listing_every_problem_before_any_request(
    tmp_path: Path, config_world: ConfigWorld
) -> None:
    gh = config_world.server.gh
    gh.reset_counters()
    bad = (
        'owners = ["acme"]\ntag_patern = "x"\nforks = "no"\n'
        "[repos.\"acme/gamma\"]\ntag_pattern = '^release-(?P<version>.*)$'\n"
        '[yanked.yankee]\n"two" = "x"\n'
    )
    run, _ = build_in(tmp_path, config_world.server, bad)
    assert run.returncode == 2, run.describe()
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("indexgen build: error: "), run.stderr
    for problem in (
        "indexgen.toml: tag_patern: unknown key (did you mean tag_pattern?)",
        "indexgen.toml: forks: must be true or false, not a string",
        "indexgen.toml: repos.\"acme/gamma\".tag_pattern: tag pattern '^release-(?P<version>.*)$': "
        "its (?P<version>…) group can match an empty version",
        "indexgen.toml: yanked.yankee.two: 'two' is not a PEP 440 version",
    ):
        assert problem in run.stderr, run.stderr
    assert (gh.rest_requests, gh.graphql_requests) == (0, 0)
    assert not (tmp_path / "site").exists()
