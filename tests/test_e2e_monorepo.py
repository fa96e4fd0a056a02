"""End to end: a real monorepo git repository, served by the fake GitHub, discovered without any
configuration; real pip installs a subdirectory project and its sibling dependency through the index.

`acme/tools` holds `libs/core` (acme-core, tags `core/v1.0`, `core/v1.1`) and `libs/cli` (acme-cli
depending on `acme-core>=1.1`, tag `cli-v0.1`); `tests/pyproject.toml` is not a project. `acme/solo`
keeps a project at its root (tag `v2.0`), as before monorepos.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from indexgen.write import STATE_FILE
from tests.e2e.acme import CLONE_BASE, ORG, TOKEN, TOKEN_LOGIN, AcmeWorld, RepoSpec, pyproject
from tests.e2e.cli import CliRun, cli_environ, read_report, run_indexgen
from tests.e2e.fixtures import PipSetupFactory
from tests.e2e.pipvenv import PipSetup, Venv
from tests.e2e.servers import SiteServer, serve_site
from tests.fakegithub import FakeGitHub, FakeGitHubServer, load_git_repo

pytestmark = pytest.mark.e2e

CORE_MODULE = '__version__ = "{version}"\n\n\ndef name() -> str:\n    return "core {version}"\n'
CLI_MODULE = "import acme_core\n\n\ndef run() -> str:\n    return 'cli on ' + acme_core.name()\n"


def build_world(root: Path) -> AcmeWorld:
    world = AcmeWorld(root)
    tools = world.add(RepoSpec("tools", created_at="2021-01-01T00:00:00Z"))
    tools.commit("readme", {"README.md": "# tools\n", "tests/pyproject.toml": "[tool.pytest.ini_options]\n"})
    for version in ("1.0", "1.1"):
        tools.commit(
            f"core {version}",
            {
                "libs/core/pyproject.toml": pyproject("acme-core", version, "acme_core"),
                "libs/core/acme_core/__init__.py": CORE_MODULE.format(version=version),
            },
        )
        tools.tag(f"core/v{version}", annotated=True)
    tools.commit(
        "cli 0.1",
        {
            "libs/cli/pyproject.toml": pyproject(
                "acme-cli", "0.1", "acme_cli", dependencies=("acme-core>=1.1",)
            ),
            "libs/cli/acme_cli/__init__.py": CLI_MODULE,
        },
    )
    tools.tag("cli-v0.1")
    solo = world.add(RepoSpec("solo", created_at="2021-02-01T00:00:00Z"))
    solo.commit("solo 2.0", {"pyproject.toml": pyproject("solo", "2.0", "solo"), "solo/__init__.py": ""})
    solo.tag("v2.0")
    world.publish()
    return world


@dataclass(frozen=True)
class MonoWorld:
    world: AcmeWorld
    gh: FakeGitHub
    server: FakeGitHubServer


@pytest.fixture(scope="module")
def mono_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MonoWorld]:
    world = build_world(tmp_path_factory.mktemp("mono-world"))
    gh = FakeGitHub()
    gh.add_owner(ORG, "Organization")
    gh.add_token(TOKEN, TOKEN_LOGIN, sees_private=True, orgs=[ORG])
    for name, spec in world.specs.items():
        # Every file, so the trees the fake serves are the repositories' real trees.
        repo = load_git_repo(
            world.bare(name),
            ORG,
            name,
            every_file=True,
            created_at=spec.created_at,
            clone_url_base=CLONE_BASE,
        )
        gh.add_repo(repo)
    with FakeGitHubServer(gh) as server:
        yield MonoWorld(world, gh, server)


def build(directory: Path, mono: MonoWorld, *extra: str) -> tuple[CliRun, dict[str, int]]:
    home = directory / "home"
    home.mkdir(parents=True, exist_ok=True)
    mono.gh.reset_counters()
    run = run_indexgen(
        "build",
        "--org",
        ORG,
        "--output",
        str(directory / "site"),
        "--report",
        str(directory / "report.json"),
        "--api-url",
        mono.server.base_url,
        *extra,
        env=cli_environ(home, {"GITHUB_TOKEN": TOKEN}),
        cwd=directory,
    )
    trees = sum(1 for r in mono.gh.log if "/git/trees/" in r.path)
    counts = {"graphql": mono.gh.graphql_requests, "rest": mono.gh.rest_requests, "rest_trees": trees}
    return run, counts


@dataclass(frozen=True)
class MonoBuild:
    run: CliRun
    directory: Path
    cold: dict[str, int]


@pytest.fixture(scope="module")
def mono_build(tmp_path_factory: pytest.TempPathFactory, mono_world: MonoWorld) -> MonoBuild:
    directory = tmp_path_factory.mktemp("mono-build")
    run, counts = build(directory, mono_world)
    return MonoBuild(run, directory, counts)


@pytest.fixture(scope="module")
def mono_site(mono_build: MonoBuild) -> Iterator[SiteServer]:
    assert mono_build.run.returncode == 0, mono_build.run.describe()
    with serve_site(mono_build.directory / "site") as site:
        yield site


@pytest.fixture
def mono_pip(make_pip_setup: PipSetupFactory, mono_site: SiteServer, mono_world: MonoWorld) -> PipSetup:
    return make_pip_setup(
        mono_site.index_url,
        instead_of={mono_world.world.bare_root.as_uri() + "/": f"{CLONE_BASE}/{ORG}/"},
    )


def _links(site: Path, project: str) -> list[str]:
    page = (site / "simple" / project / "index.html").read_text(encoding="utf-8")
    return re.findall(r'href="([^"]+)"', page)


def test_subdirectory_projects_are_published_with_subdirectory_links(
    mono_build: MonoBuild, mono_world: MonoWorld
) -> None:
    assert mono_build.run.returncode == 0, mono_build.run.describe()
    report = read_report(mono_build.directory / "report.json")
    versions = {name: sorted(r["version"] for r in p["releases"]) for name, p in report["projects"].items()}
    assert versions == {"acme-cli": ["0.1"], "acme-core": ["1.0", "1.1"], "solo": ["2.0"]}
    site = mono_build.directory / "site"
    core = mono_world.world.commit_of("tools", "core/v1.1")
    assert f"git+{CLONE_BASE}/{ORG}/tools.git@{core}#subdirectory=libs/core&amp;egg=acme-core-1.1" in _links(
        site, "acme-core"
    )
    assert _links(site, "solo") == [
        f"git+{CLONE_BASE}/{ORG}/solo.git@{mono_world.world.commit_of('solo', 'v2.0')}#egg=solo-2.0"
    ]
    # Cold: the listing, one batch of trees (solo's root holds pyproject.toml: its tree is not read),
    # one batch of root files (solo) and one of subdirectory files. No REST request.
    assert mono_build.cold == {"graphql": 4, "rest": 0, "rest_trees": 0}, mono_build.cold


def test_pip_installs_a_subdirectory_project_and_its_sibling(
    mono_pip: PipSetup, mono_world: MonoWorld, tmp_path: Path
) -> None:
    env = Venv.create(tmp_path / "venv", mono_pip)
    run = env.install("acme-cli").check()
    assert env.version_of("acme-cli") == "0.1"
    assert env.version_of("acme-core") == "1.1"
    assert env.run("import acme_cli; print(acme_cli.run())") == "cli on core 1.1"
    core = mono_world.world.commit_of("tools", "core/v1.1")
    assert f"to revision {core}" in run.output, run.output


def test_a_warm_rebuild_reads_no_tree(mono_build: MonoBuild, mono_world: MonoWorld, tmp_path: Path) -> None:
    """The same request count as any warm rebuild: one listing query; the state keeps the trees."""
    assert mono_build.run.returncode == 0, mono_build.run.describe()
    directory = tmp_path / "warm"
    directory.mkdir()
    state = mono_build.directory / "site" / STATE_FILE
    (directory / "site").mkdir()
    (directory / "site" / STATE_FILE).write_bytes(state.read_bytes())
    run, counts = build(directory, mono_world)
    assert run.returncode == 0, run.describe()
    assert counts == {"graphql": 1, "rest": 0, "rest_trees": 0}, counts
    trees = json.loads(gzip.decompress(state.read_bytes()))["trees"]
    assert trees[f"{ORG}/tools"]["projects"] == ["libs/cli", "libs/core"]


def test_the_rest_scanner_publishes_the_same_links(
    mono_build: MonoBuild, mono_world: MonoWorld, tmp_path: Path
) -> None:
    run, counts = build(tmp_path, mono_world, "--scanner", "rest")
    assert run.returncode == 0, run.describe()
    assert counts["rest_trees"] == 1, counts  # tools only: solo's tag commit shows its root project
    for project in ("acme-core", "acme-cli", "solo"):
        assert _links(tmp_path / "site", project) == _links(mono_build.directory / "site", project)
    rerun, warm = build(tmp_path, mono_world, "--scanner", "rest")
    assert rerun.returncode == 0, rerun.describe()
    assert warm["rest_trees"] == 0, warm


def test_ssh_link_style_renders_a_subdirectory_link_pip_parses(mono_world: MonoWorld, tmp_path: Path) -> None:
    from pip._internal.index.collector import IndexContent, parse_links

    run, _ = build(tmp_path, mono_world, "--link-style", "ssh")
    assert run.returncode == 0, run.describe()
    core = mono_world.world.commit_of("tools", "core/v1.1")
    page = (tmp_path / "site" / "simple" / "acme-core" / "index.html").read_text(encoding="utf-8")
    host = CLONE_BASE.split("://", 1)[1]
    assert f"git+ssh://git@{host}/{ORG}/tools.git@{core}#subdirectory=libs/core&amp;egg=acme-core-1.1" in page
    content = IndexContent(
        page.encode(), "text/html", "utf-8", "http://127.0.0.1/simple/acme-core/", cache_link_parsing=False
    )
    links = [link for link in parse_links(content) if core in link.url]
    assert [(link.subdirectory_fragment, link.egg_fragment) for link in links] == [
        ("libs/core", "acme-core-1.1")
    ]
    assert links[0].url.startswith(f"git+ssh://git@{host}/{ORG}/tools.git@{core}#")


def test_a_repo_rescan_keeps_the_monorepos_layout(
    mono_build: MonoBuild, mono_world: MonoWorld, tmp_path: Path
) -> None:
    """`--repo` on top of the previous state: the rescanned monorepo and the kept repository publish
    what the full build did, and the state still holds the monorepo's tree."""
    assert mono_build.run.returncode == 0, mono_build.run.describe()
    (tmp_path / "site").mkdir()
    state = (mono_build.directory / "site" / STATE_FILE).read_bytes()
    (tmp_path / "site" / STATE_FILE).write_bytes(state)
    run, counts = build(tmp_path, mono_world, "--repo", f"{ORG}/tools")
    assert run.returncode == 0, run.describe()
    assert counts["graphql"] == 1, counts  # the repository query; nothing new to read
    for project in ("acme-core", "acme-cli", "solo"):
        assert _links(tmp_path / "site", project) == _links(mono_build.directory / "site", project)
    written = json.loads(gzip.decompress((tmp_path / "site" / STATE_FILE).read_bytes()))
    assert written["trees"][f"{ORG}/tools"]["projects"] == ["libs/cli", "libs/core"]
