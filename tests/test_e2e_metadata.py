"""End to end: metadata that real projects compute, read statically, then installed by real pip.

A small organisation of real git repositories, served by the fake GitHub: `execver`, whose setup.py
`exec`s its version file (requests' idiom), and `poetry-tool`, built by poetry-core from `[tool.poetry]`,
whose 2.0.0 needs Python `^3.99`. indexgen builds the index (GraphQL scanner, the version file fetched
in a second round), then pip installs through the served site.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakegithub import FakeGitHub, FakeGitHubServer, load_git_repo

from .e2e.acme import CLONE_BASE, ORG, TOKEN, TOKEN_LOGIN, AcmeWorld, RepoSpec
from .e2e.cli import CliRun, cli_environ, run_indexgen
from .e2e.pipvenv import PipSetup, Venv, write_gitconfig
from .e2e.servers import SiteServer, serve_site

pytestmark = pytest.mark.e2e

SETUPTOOLS_ONLY = '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
EXEC_SETUP = """\
import os
from setuptools import setup

here = os.path.abspath(os.path.dirname(__file__))
about = {}
with open(os.path.join(here, "execver", "__version__.py"), "r", encoding="utf-8") as f:
    exec(f.read(), about)

with open(os.path.join(here, "README.md"), encoding="utf-8") as f:
    readme = f.read()

setup(
    name=about["__title__"],
    version=about["__version__"],
    description=about["__description__"],
    long_description=readme,
    packages=["execver"],
    python_requires=">=3.8",
)
"""
POETRY = """\
[tool.poetry]
name = "poetry-tool"
version = "{version}"
description = "A tool built by poetry-core"
authors = ["Acme <dev@acme.test>"]

[tool.poetry.dependencies]
python = "{python}"

[build-system]
requires = ["poetry-core>=1.0.0"]
build-backend = "poetry.core.masonry.api"
"""


def build_world(root: Path) -> AcmeWorld:
    world = AcmeWorld(root)
    execver = world.add(RepoSpec("execver", created_at="2020-01-01T00:00:00Z"))
    for version in ("1.0.0", "1.1.0"):
        execver.commit(
            f"execver {version}",
            {
                "pyproject.toml": SETUPTOOLS_ONLY,
                "setup.py": EXEC_SETUP,
                "README.md": "# execver\n",
                "execver/__init__.py": "from .__version__ import __version__\n",
                "execver/__version__.py": (
                    f'__title__ = "execver"\n__description__ = "Version from a file"\n__version__ = "{version}"\n'
                ),
            },
        )
        execver.tag(f"v{version}", annotated=True)
    # The tag moved on, the version file did not: a build would say 1.1.0, so no release for v1.2.0.
    execver.commit("start 1.2", {"CHANGES.md": "1.2.0: unreleased\n"})
    execver.tag("v1.2.0", annotated=True)

    tool = world.add(RepoSpec("poetry-tool", created_at="2020-02-01T00:00:00Z"))
    for version, python in (("1.0.0", "^3.8"), ("2.0.0", "^3.99")):
        tool.commit(
            f"poetry-tool {version}",
            {
                "pyproject.toml": POETRY.format(version=version, python=python),
                "poetry_tool/__init__.py": f'__version__ = "{version}"\n\n\ndef hello() -> str:\n    return "hi"\n',
            },
        )
        tool.tag(f"v{version}")
    world.publish()
    return world


@dataclass(frozen=True)
class Built:
    world: AcmeWorld
    gh: FakeGitHub
    server: FakeGitHubServer
    site: Path
    report: dict[str, object]
    run: CliRun
    root: Path

    def build(self) -> CliRun:
        return run_indexgen(
            "build",
            "--org",
            ORG,
            "--output",
            str(self.site),
            "--report",
            str(self.root / "report.json"),
            "--api-url",
            self.server.base_url,
            env=cli_environ(self.root / "home", {"GITHUB_TOKEN": TOKEN}),
            cwd=self.root,
        )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("idioms")
    (root / "home").mkdir()
    world = build_world(root / "world")
    gh = FakeGitHub()
    gh.add_owner(ORG, "Organization")
    gh.add_token(TOKEN, TOKEN_LOGIN, sees_private=True, orgs=[ORG])
    for name, spec in world.specs.items():
        gh.add_repo(
            load_git_repo(
                world.bare(name),
                ORG,
                name,
                every_file=True,
                created_at=spec.created_at,
                clone_url_base=CLONE_BASE,
            )
        )
    with FakeGitHubServer(gh) as server:
        partial = Built(world, gh, server, root / "site", {}, CliRun((), 0, "", ""), root)
        run = partial.build()
        assert run.returncode == 0, run.describe()
        report = json.loads((root / "report.json").read_text(encoding="utf-8"))
        yield Built(world, gh, server, root / "site", report, run, root)


@pytest.fixture(scope="module")
def site(built: Built) -> Iterator[SiteServer]:
    with serve_site(built.site) as served:
        yield served


@pytest.fixture(scope="module")
def poetry_wheelhouse(wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's wheelhouse plus poetry-core, the build backend of `poetry-tool`."""
    dest = tmp_path_factory.mktemp("wheelhouse-poetry")
    for wheel in wheelhouse.iterdir():
        shutil.copy(wheel, dest / wheel.name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--only-binary=:all:",
            "-d",
            str(dest),
            "poetry-core",
        ],
        check=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    return dest


def pip_setup(tmp_path: Path, site: SiteServer, world: AcmeWorld, wheelhouse: Path) -> PipSetup:
    home = tmp_path / "home"
    gitconfig = write_gitconfig(
        home / "gitconfig", instead_of={world.bare_root.as_uri() + "/": f"{CLONE_BASE}/{ORG}/"}
    )
    return PipSetup(site.index_url, wheelhouse, tmp_path / "cache", home, gitconfig)


def releases(built: Built, project: str) -> dict[str, dict[str, object]]:
    projects = built.report["projects"]
    assert isinstance(projects, dict)
    return {str(r["version"]): r for r in projects[project]["releases"]}


def test_the_exec_d_version_file_is_read_and_checked_against_the_tag(built: Built) -> None:
    execver = releases(built, "execver")
    assert sorted(execver) == ["1.0.0", "1.1.0"]
    assert execver["1.1.0"]["commit"] == built.world.commit_of("execver", "v1.1.0")
    assert execver["1.1.0"]["requires_python"] == ">=3.8"
    skipped = built.report["skipped"]
    assert isinstance(skipped, list)
    (moved_on,) = [s for s in skipped if s["repository"] == "acme/execver"]
    assert moved_on["tag"] == "v1.2.0" and "1.1.0" in moved_on["reason"]


def test_poetry_requires_python_is_published(built: Built) -> None:
    tool = releases(built, "poetry-tool")
    assert tool["1.0.0"]["requires_python"] == "<4.0,>=3.8"
    assert tool["2.0.0"]["requires_python"] == "<4.0,>=3.99"
    page = (built.site / "simple" / "poetry-tool" / "index.html").read_text(encoding="utf-8")
    assert 'data-requires-python="&lt;4.0,&gt;=3.99"' in page


def test_a_warm_rebuild_reads_no_file_again(built: Built) -> None:
    """The commit cache keeps what the second round read: a rebuild costs one query, as before."""
    built.gh.reset_counters()
    run = built.build()
    assert run.returncode == 0, run.describe()
    assert built.gh.graphql_requests == 1
    assert built.gh.rest_requests == 0


def test_pip_installs_the_version_setup_py_execs(
    built: Built, site: SiteServer, wheelhouse: Path, tmp_path: Path
) -> None:
    env = Venv.create(tmp_path / "venv", pip_setup(tmp_path, site, built.world, wheelhouse))
    run = env.install("execver").check()
    assert env.version_of("execver") == "1.1.0"
    assert env.run("import execver; print(execver.__version__)") == "1.1.0"
    assert len(run.clones()) == 1, run.output
    assert f"to revision {built.world.commit_of('execver', 'v1.1.0')}" in run.output


def test_poetry_requires_python_skips_an_incompatible_version_without_a_clone(
    built: Built, site: SiteServer, poetry_wheelhouse: Path, tmp_path: Path
) -> None:
    env = Venv.create(tmp_path / "venv", pip_setup(tmp_path, site, built.world, poetry_wheelhouse))
    run = env.install("poetry-tool").check()
    assert env.version_of("poetry-tool") == "1.0.0"
    assert env.run("import poetry_tool; print(poetry_tool.hello())") == "hi"
    new, old = built.world.commit_of("poetry-tool", "v2.0.0"), built.world.commit_of("poetry-tool", "v1.0.0")
    skipped = [line for line in run.output.splitlines() if "Link requires a different Python" in line]
    assert len(skipped) == 1 and new in skipped[0], run.output
    assert len(run.clones()) == 1, run.output
    assert f"to revision {old}" in run.output
    assert f"checkout -q {new}" not in run.output and f"to revision {new}" not in run.output
