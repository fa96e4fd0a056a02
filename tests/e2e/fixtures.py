"""Session fixtures of the end-to-end tests (loaded by `tests/conftest.py`).

Built once per session and shared: the acme repositories, the fake GitHub serving them, one real
`indexgen build` of the organisation (its site served on 127.0.0.1), and the wheelhouse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakegithub import FakeGitHub, FakeGitHubServer, load_git_repo
from tests.fakepypi import FakePyPI, serve_pypi

from . import cli
from .acme import CLONE_BASE, ORG, TOKEN, TOKEN_LOGIN, AcmeWorld, build_acme
from .cli import CliRun, cli_environ, run_indexgen
from .pipvenv import PipSetup, download_wheelhouse, write_gitconfig
from .servers import SiteServer, serve_site


def load_world(gh: FakeGitHub, world: AcmeWorld, clone_base: str = CLONE_BASE) -> None:
    """Put every repository of `world` into the fake GitHub, read from its bare mirror."""
    for name, spec in world.specs.items():
        gh.add_repo(
            load_git_repo(
                world.bare(name),
                ORG,
                name,
                private=spec.private,
                fork=spec.fork,
                created_at=spec.created_at,
                description=spec.description or None,
                clone_url_base=clone_base,
            )
        )


@pytest.fixture(scope="session", autouse=True)
def fake_pypi() -> Iterator[FakePyPI]:
    """A PyPI that knows one public project, `requests`, answering every build's name check."""
    with serve_pypi(FakePyPI({"requests": ["2.31.0", "2.32.3"]})) as pypi:
        cli.PYPI_URL = pypi.url
        yield pypi
        cli.PYPI_URL = None


@pytest.fixture(scope="session")
def acme_world(tmp_path_factory: pytest.TempPathFactory) -> AcmeWorld:
    return build_acme(tmp_path_factory.mktemp("acme"))


@pytest.fixture(scope="session")
def fake_github(acme_world: AcmeWorld) -> Iterator[FakeGitHubServer]:
    """The fake GitHub with the acme organisation and a token that sees its private repositories."""
    gh = FakeGitHub()
    gh.add_owner(ORG, "Organization")
    gh.add_token(TOKEN, TOKEN_LOGIN, sees_private=True, orgs=[ORG])
    load_world(gh, acme_world)
    with FakeGitHubServer(gh) as server:
        yield server


@dataclass(frozen=True)
class AcmeBuild:
    """One `indexgen build --org acme` as a subprocess, and where it wrote."""

    run: CliRun
    site: Path
    report: Path
    home: Path


@pytest.fixture(scope="session")
def acme_build(tmp_path_factory: pytest.TempPathFactory, fake_github: FakeGitHubServer) -> AcmeBuild:
    root = tmp_path_factory.mktemp("build")
    home = root / "home"
    home.mkdir()
    site, report = root / "site", root / "report.json"
    run = run_indexgen(
        "build",
        "--org",
        ORG,
        "--output",
        str(site),
        "--report",
        str(report),
        "--api-url",
        fake_github.base_url,
        env=cli_environ(home, {"GITHUB_TOKEN": TOKEN}),
        cwd=root,
    )
    return AcmeBuild(run, site, report, home)


@pytest.fixture(scope="session")
def acme_site(acme_build: AcmeBuild) -> Iterator[SiteServer]:
    assert acme_build.run.returncode == 0, acme_build.run.describe()
    with serve_site(acme_build.site) as site:
        yield site


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pip, setuptools and wheel: the only download of the session (this machine's pip configuration)."""
    return download_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


PipSetupFactory = Callable[..., PipSetup]


@pytest.fixture
def make_pip_setup(tmp_path: Path, wheelhouse: Path) -> PipSetupFactory:
    """`make_pip_setup(index_url, instead_of=…, credential_helper=…, cache_dir=…)`: where pip looks, with
    a HOME and global git config of this test's own."""

    def make(
        index_url: str,
        *,
        instead_of: dict[str, str] | None = None,
        credential_helper: str | None = None,
        cache_dir: Path | None = None,
        name: str = "pip",
    ) -> PipSetup:
        home = tmp_path / name / "home"
        gitconfig = write_gitconfig(
            home / "gitconfig", instead_of=instead_of or {}, credential_helper=credential_helper
        )
        return PipSetup(index_url, wheelhouse, cache_dir or tmp_path / name / "cache", home, gitconfig)

    return make


@pytest.fixture
def acme_pip(make_pip_setup: PipSetupFactory, acme_site: SiteServer, acme_world: AcmeWorld) -> PipSetup:
    """pip pointed at the built acme index; git rewrites the fake clone URLs to the local mirrors."""
    return make_pip_setup(
        acme_site.index_url, instead_of={acme_world.bare_root.as_uri() + "/": f"{CLONE_BASE}/{ORG}/"}
    )
