"""End to end: the credential promise (DESIGN.md §6). pip runs git, so git's own credential helpers
authenticate the clone; without credentials and without input, the install fails fast instead of
hanging at a prompt.

One repository is served by `git http-backend` behind HTTP basic auth on 127.0.0.1, the fake GitHub
reports that server as its clone URL, and the index is built by the real CLI.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.acme import ORG, PRIVATE_LIB, TOKEN, TOKEN_LOGIN, build_private_lib
from tests.e2e.cli import cli_environ, run_indexgen
from tests.e2e.fixtures import PipSetupFactory
from tests.e2e.gitrepo import GitRepo
from tests.e2e.pipvenv import Venv
from tests.e2e.servers import GitHttpServer, SiteServer, serve_git, serve_site
from tests.fakegithub import FakeGitHub, FakeGitHubServer, load_git_repo

pytestmark = pytest.mark.e2e

USERNAME, PASSWORD = "pip-user", "s3cret-app-password"
HELPER = f'!f() {{ test "$1" = get || exit 0; echo username={USERNAME}; echo password={PASSWORD}; }}; f'


@dataclass(frozen=True)
class PrivateIndex:
    tree: GitRepo
    git: GitHttpServer
    site: SiteServer

    @property
    def clone_url(self) -> str:
        return f"{self.git.url}/{ORG}/{PRIVATE_LIB}.git"


@pytest.fixture(scope="module")
def private_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateIndex]:
    root = tmp_path_factory.mktemp("private")
    tree, project_root = build_private_lib(root)
    with serve_git(project_root, USERNAME, PASSWORD) as git:
        gh = FakeGitHub()
        gh.add_token(TOKEN, TOKEN_LOGIN, sees_private=True, orgs=[ORG])
        gh.add_repo(
            load_git_repo(
                project_root / ORG / f"{PRIVATE_LIB}.git",
                ORG,
                PRIVATE_LIB,
                private=True,
                clone_url_base=git.url,
            )
        )
        with FakeGitHubServer(gh) as api:
            run = run_indexgen(
                "build",
                "--org",
                ORG,
                "--output",
                str(root / "site"),
                "--api-url",
                api.base_url,
                env=cli_environ(root, {"GITHUB_TOKEN": TOKEN}),
                cwd=root,
            )
        assert run.returncode == 0, run.describe()
        with serve_site(root / "site") as site:
            yield PrivateIndex(tree, git, site)


def test_index_links_to_the_authenticated_server(private_index: PrivateIndex) -> None:
    page = (private_index.site.root / "simple" / PRIVATE_LIB / "index.html").read_text(encoding="utf-8")
    commit = private_index.tree.commit_of("v1.0.0")
    assert f'href="git+{private_index.clone_url}@{commit}#egg={PRIVATE_LIB}-1.0.0"' in page
    assert PASSWORD not in page and USERNAME not in page


def test_install_with_a_git_credential_helper(
    private_index: PrivateIndex, make_pip_setup: PipSetupFactory, tmp_path: Path
) -> None:
    git = private_index.git
    start = len(git.requests)
    setup = make_pip_setup(private_index.site.index_url, credential_helper=HELPER)
    env = Venv.create(tmp_path / "venv", setup)
    run = env.install(PRIVATE_LIB, env={"PIP_NO_INPUT": "1"}).check()
    assert env.version_of(PRIVATE_LIB) == "1.0.0"
    assert env.run("import private_lib; print(private_lib.answer())") == "42"
    assert len(run.clones(private_index.clone_url)) == 1, run.output

    requests = git.requests[start:]
    # git asks anonymously first, is refused, then repeats with the helper's credentials.
    assert requests[0].status == 401 and not requests[0].sent_credentials, requests
    assert all(r.status == 401 for r in requests if not r.sent_credentials), requests
    assert any(r.sent_credentials and r.status == 200 and r.method == "POST" for r in requests), requests


def test_without_credentials_the_install_fails_fast(
    private_index: PrivateIndex, make_pip_setup: PipSetupFactory, tmp_path: Path
) -> None:
    """No helper, no input (`PIP_NO_INPUT=1`, GIT_TERMINAL_PROMPT unset, stdin closed): a clean
    failure within seconds, never a hang at git's username prompt."""
    git = private_index.git
    start = len(git.requests)
    setup = make_pip_setup(private_index.site.index_url, name="nocreds")
    env = Venv.create(tmp_path / "venv", setup)
    run = env.install(PRIVATE_LIB, env={"PIP_NO_INPUT": "1"}, timeout=60)
    assert run.returncode != 0, run.output
    assert run.seconds < 60
    # pip >= 25.1 sets GIT_TERMINAL_PROMPT=0 for git under --no-input (the variable is unset here).
    assert "could not read Username" in run.output and "terminal prompts disabled" in run.output, run.output
    assert env.version_of(PRIVATE_LIB) is None
    requests = git.requests[start:]
    assert requests, "git never reached the server"
    assert all(r.status == 401 and not r.sent_credentials for r in requests), requests
