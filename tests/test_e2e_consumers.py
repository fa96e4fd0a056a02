"""The consumer guide (docs/consumers.md), proven: every recipe that can run offline, with the real tool
at its newest release (`toolbox`), through the served acme index and real git.

acme-core (private) depends on `acme-utils>=2` by name; the links name `https://git.acme.test/acme/…`,
which only the test's git `insteadOf` rewrites to the local bare mirrors. "PyPI" is a static stand-in
that serves the build backend's wheels (`tests/e2e/publicindex.py`); a second one also serves a public
twin `acme-utils 0.0.1`, older than ours. The tests that assert a failure (uv, Poetry, `pip lock`,
hashes, twins) fail the day the tool starts working, so the guide can be updated.
"""

from __future__ import annotations

import json
import shutil
import sys
import urllib.request
import venv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from tests.e2e.acme import CLONE_BASE, ORG, AcmeWorld
from tests.e2e.consumers import Consumer
from tests.e2e.fixtures import PipSetupFactory
from tests.e2e.pipvenv import Venv
from tests.e2e.publicindex import make_wheel, write_public_index
from tests.e2e.servers import SiteServer, serve_site
from tests.e2e.tools import Tool, ToolBox, prefetch_tools, uses

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

pytestmark = pytest.mark.e2e

STATUS = "acme-core 0.3.0 with hello core from acme-utils 2.0.0"
CHECK_CORE = "import acme_core; print(acme_core.status())"
TWIN_GREETING = "from PyPI twin"


@pytest.fixture(scope="module")
def public_index(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Iterator[SiteServer]:
    """PyPI's stand-in: pip, setuptools, wheel, packaging."""
    root = write_public_index(tmp_path_factory.mktemp("pypi"), sorted(wheelhouse.glob("*.whl")))
    with serve_site(root) as site:
        yield site


@pytest.fixture(scope="module")
def twin_index(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Iterator[SiteServer]:
    """PyPI's stand-in that also has a public `acme-utils 0.0.1`: older than ours (2.0.0)."""
    root = tmp_path_factory.mktemp("pypi-twin")
    code = f"def greet(name):\n    return 'hello ' + name + ' {TWIN_GREETING}'\n"
    twin = make_wheel(root / "build", "acme-utils", "0.0.1", "acme_utils", code)
    write_public_index(root / "site", [*sorted(wheelhouse.glob("*.whl")), twin])
    with serve_site(root / "site") as site:
        yield site


@pytest.fixture(scope="module", autouse=True)
def _install_tools_early(request: pytest.FixtureRequest, toolbox: ToolBox) -> None:
    """Start installing the tools of this module's selected tests in the background at once."""
    mine = [i for i in request.session.items if isinstance(i, pytest.Function) and i.module is request.module]
    prefetch_tools(toolbox, mine)


@pytest.fixture(scope="module")
def shared_pip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pip cache of the tests marked `shares_pip_cache`."""
    return tmp_path_factory.mktemp("pip-cache")


Test = TypeVar("Test", bound=Callable[..., object])


def shares_pip_cache(test: Test) -> Test:
    """The test's `consumer` shares one pip cache with the other tests so marked: for recipes whose
    assertions hold whether pip clones or not. pip caches the wheels it builds from the index's
    SHA-pinned links, keyed by the link, so acme-core and acme-utils are cloned and built once, and
    every install still finds them through the index. Unmarked tests start with an empty cache."""
    test.__dict__["shares_pip_cache"] = True
    return test


@pytest.fixture
def consumer(
    request: pytest.FixtureRequest,
    make_pip_setup: PipSetupFactory,
    acme_site: SiteServer,
    acme_world: AcmeWorld,
    public_index: SiteServer,
    tmp_path: Path,
) -> Consumer:
    shared = getattr(request.function, "shares_pip_cache", False)
    setup = make_pip_setup(
        acme_site.index_url,
        instead_of={acme_world.bare_root.as_uri() + "/": f"{CLONE_BASE}/{ORG}/"},
        cache_dir=request.getfixturevalue("shared_pip_cache") if shared else None,
    )
    return Consumer(setup, public_index.index_url, tmp_path / "work")


def record(tool: Tool, *names: str) -> None:
    """Print the versions a test ran with (shown with `pytest -s`; the report quotes them)."""
    print(f"\n[{tool.name}] " + ", ".join(f"{n} {tool.versions.get(n, '?')}" for n in names))


def fresh_venv(consumer: Consumer, name: str) -> Venv:
    return Venv.create(consumer.path("venvs") / name, consumer.setup)


def python_in(consumer: Consumer, python: Path, code: str = CHECK_CORE) -> str:
    return (
        consumer.run([str(python), "-c", code], env=consumer.environ(), cwd=consumer.root)
        .check()
        .output.strip()
    )


# -- pip ---------------------------------------------------------------------------------------------


@shares_pip_cache
def test_pip_with_the_index_in_the_user_pip_conf(consumer: Consumer) -> None:
    """`pip config set global.extra-index-url …` writes ~/.config/pip/pip.conf; a plain `pip install`
    then finds private packages, and their private dependencies by name."""
    env = fresh_venv(consumer, "pipconf")
    # pip reads the user's file only when PIP_CONFIG_FILE does not point at os.devnull.
    user = consumer.environ({"PIP_CONFIG_FILE": None})
    pip = [str(env.python), "-m", "pip"]
    consumer.run([*pip, "config", "--user", "set", "global.index-url", consumer.pypi_url], env=user).check()
    consumer.run(
        [*pip, "config", "--user", "set", "global.extra-index-url", consumer.index_url], env=user
    ).check()
    conf = (consumer.home / ".config" / "pip" / "pip.conf").read_text()
    assert f"extra-index-url = {consumer.index_url}" in conf
    consumer.run([*pip, "install", "acme-core"], env=user).check()
    assert python_in(consumer, env.python) == STATUS


@shares_pip_cache
def test_pip_with_a_requirements_file(consumer: Consumer) -> None:
    env = fresh_venv(consumer, "requirements")
    requirements = consumer.path("app") / "requirements.txt"
    requirements.write_text(
        f"--index-url {consumer.pypi_url}\n--extra-index-url {consumer.index_url}\nacme-core>=0.3\n"
    )
    consumer.run(
        [str(env.python), "-m", "pip", "install", "-r", str(requirements)], env=consumer.environ()
    ).check()
    assert python_in(consumer, env.python) == STATUS


@shares_pip_cache
def test_pip_installs_a_setup_py_project_that_names_a_private_dependency(consumer: Consumer) -> None:
    app = consumer.path("app")
    (app / "setup.py").write_text(
        "from setuptools import setup\n"
        "setup(name='acme-app', version='1.0', py_modules=[], install_requires=['acme-core>=0.3'])\n"
    )
    env = fresh_venv(consumer, "setuppy")
    consumer.run([str(env.python), "-m", "pip", "install", str(app)], env=consumer.pip_environ()).check()
    assert env.version_of("acme-app") == "1.0"
    assert python_in(consumer, env.python) == STATUS


def test_pip_lock_and_require_hashes_fail_on_vcs_links(consumer: Consumer) -> None:
    """pip's PEP 751 lock writer has no form for a VCS requirement found on an index; hash-checking
    mode cannot hash a repository."""
    # Not `shares_pip_cache`: a wheel cached from the link would stand in for the repository.
    env = fresh_venv(consumer, "lock")
    pip = [str(env.python), "-m", "pip"]
    lock = consumer.run([*pip, "lock", "acme-utils", "-o", "pylock.toml"], env=consumer.pip_environ()).fails()
    assert "NotImplementedError" in lock.output, lock.output
    hashed = consumer.path("hashed") / "requirements.txt"
    hashed.write_text("acme-utils==2.0.0 --hash=sha256:" + "0" * 64 + "\n")
    refused = consumer.run(
        [*pip, "install", "--require-hashes", "-r", str(hashed)], env=consumer.pip_environ()
    )
    refused.fails()
    assert "we don't have a way to hash version control repositories" in refused.output, refused.output


# -- pip-tools -----------------------------------------------------------------------------------------


@shares_pip_cache
@uses("pip-tools")
def test_pip_compile_pins_versions_and_pip_sync_installs_them(toolbox: ToolBox, consumer: Consumer) -> None:
    tool = toolbox.get("pip-tools")
    record(tool, "pip-tools", "pip")
    app = consumer.path("app")
    (app / "requirements.in").write_text("acme-core\n")
    env = consumer.pip_environ()
    # --generate-hashes: the pins found as VCS links get no hash (and so cannot be installed with
    # --require-hashes), and the file still installs.
    compile_ = [tool.exe("pip-compile"), "-q", "--generate-hashes", "requirements.in"]
    consumer.run(compile_, env=env, cwd=app).check()
    text = (app / "requirements.txt").read_text()
    pins = [line.split()[0] for line in text.splitlines() if "==" in line]
    assert pins == ["acme-core==0.3.0", "acme-utils==2.0.0"], text
    assert "--hash" not in text, text
    assert f"--extra-index-url {consumer.index_url}" in text.splitlines(), text  # pip-sync passes it on

    target = fresh_venv(consumer, "synced")
    # pip-sync keeps pip only when pip was installed by name (the venv's came from a wheel file).
    by_name = ["-m", "pip", "install", "-q", "--force-reinstall", "--no-index", "--find-links"]
    consumer.run([str(target.python), *by_name, str(consumer.setup.wheelhouse), "pip"], env=env).check()
    sync = [tool.exe("pip-sync"), "--python-executable", str(target.python), "requirements.txt"]
    consumer.run(sync, env=env, cwd=app).check()
    assert python_in(consumer, target.python) == STATUS


# -- pipenv --------------------------------------------------------------------------------------------


def pipenv_environ(consumer: Consumer) -> dict[str, str]:
    state = consumer.path("pipenv-state")
    return consumer.environ(
        {
            "PIPENV_VENV_IN_PROJECT": "1",
            "PIPENV_IGNORE_VIRTUALENVS": "1",
            "PIPENV_NOSPIN": "1",
            "PIPENV_YES": "1",
            "PIPENV_DONT_LOAD_ENV": "1",
            "PIPENV_CACHE_DIR": str(state / "cache"),
            "WORKON_HOME": str(state / "venvs"),
        }
    )


def pipfile(pypi: str, index: str, packages: str) -> str:
    return (
        f'[[source]]\nname = "pypi"\nurl = "{pypi}"\nverify_ssl = true\n\n'
        f'[[source]]\nname = "acme"\nurl = "{index}"\nverify_ssl = true\n\n'
        f"[packages]\n{packages}"
    )


@uses("pipenv")
def test_pipenv_installs_with_index_on_every_private_package_and_locks_the_commit(
    toolbox: ToolBox, consumer: Consumer, acme_world: AcmeWorld
) -> None:
    tool = toolbox.get("pipenv")
    record(tool, "pipenv", "pip")
    app = consumer.path("app")
    packages = 'acme-core = {version = "*", index = "acme"}\nacme-utils = {version = "*", index = "acme"}\n'
    (app / "Pipfile").write_text(pipfile(consumer.pypi_url, consumer.index_url, packages))
    install = [tool.exe(), "install", "--python", tool.exe("python")]
    consumer.run(install, env=pipenv_environ(consumer), cwd=app, timeout=600).check()
    lock = json.loads((app / "Pipfile.lock").read_text())["default"]
    assert lock["acme-core"]["git"] == f"git+{acme_world.clone_url('acme-core')}"
    assert lock["acme-core"]["ref"] == acme_world.commit_of("acme-core", "v0.3.0")
    assert lock["acme-utils"]["ref"] == acme_world.commit_of("acme-utils", "v2.0.0")
    assert python_in(consumer, app / ".venv" / "bin" / "python") == STATUS


@uses("pipenv")
def test_pipenv_without_index_takes_a_public_twin_from_pypi(
    toolbox: ToolBox, consumer: Consumer, twin_index: SiteServer
) -> None:
    tool = toolbox.get("pipenv")
    app = consumer.path("app")
    (app / "Pipfile").write_text(pipfile(twin_index.index_url, consumer.index_url, 'acme-utils = "*"\n'))
    consumer.run([tool.exe(), "lock"], env=pipenv_environ(consumer), cwd=app, timeout=600).check()
    locked = json.loads((app / "Pipfile.lock").read_text())["default"]["acme-utils"]
    assert locked["version"] == "==0.0.1", locked  # ours has 2.0.0
    assert locked["index"] == "pypi", locked


# -- PDM -----------------------------------------------------------------------------------------------


def pdm_project(consumer: Consumer, name: str) -> tuple[Path, dict[str, str]]:
    app = consumer.path(name)
    (app / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = []\n\n'
        f'[[tool.pdm.source]]\nname = "acme"\nurl = "{consumer.index_url}"\n'
    )
    state = consumer.path(f"{name}-pdm")
    env = consumer.environ(
        {
            "PDM_PYPI_URL": consumer.pypi_url,
            "PDM_CHECK_UPDATE": "false",
            "PDM_NON_INTERACTIVE": "1",
            "PDM_IGNORE_SAVED_PYTHON": "1",
            "PDM_CACHE_DIR": str(state / "cache"),
            "PDM_HOME": str(state / "home"),
        }
    )
    return app, env


@uses("pdm", "pdm", "hishel<2")
def test_pdm_add_resolves_private_dependencies_through_the_index(
    toolbox: ToolBox, consumer: Consumer
) -> None:
    tool = toolbox.get("pdm", "pdm", "hishel<2")
    record(tool, "pdm", "hishel")
    app, env = pdm_project(consumer, "app")
    consumer.run([tool.exe(), "add", "acme-core"], env=env, cwd=app, timeout=600).check()
    packages = {p["name"]: p for p in tomllib.loads((app / "pdm.lock").read_text())["package"]}
    assert {n: p["version"] for n, p in packages.items()} == {"acme-core": "0.3.0", "acme-utils": "2.0.0"}
    assert (
        "files" not in packages["acme-core"] and "revision" not in packages["acme-core"]
    )  # name and version only
    assert python_in(consumer, app / ".venv" / "bin" / "python") == STATUS


@uses("pdm-unpinned", "pdm")
def test_newest_pdm_with_newest_hishel_cannot_start_a_session(toolbox: ToolBox, consumer: Consumer) -> None:
    """PDM 2.29.4 subclasses `hishel.SyncSqliteStorage`, which hishel 2 removed. When this test fails,
    PDM installs as is: drop the `hishel<2` advice from the guide."""
    tool = toolbox.get("pdm-unpinned", "pdm")
    record(tool, "pdm", "hishel")
    app, env = pdm_project(consumer, "unpinned")
    broken = consumer.run([tool.exe("pdm"), "add", "acme-core"], env=env, cwd=app).fails()
    assert "SyncSqliteStorage" in broken.output, broken.output


# -- Hatch ---------------------------------------------------------------------------------------------


@shares_pip_cache
@uses("hatch")
def test_hatch_default_installer_resolves_through_the_index_and_dep_lock_crashes(
    toolbox: ToolBox, consumer: Consumer
) -> None:
    tool = toolbox.get("hatch")
    record(tool, "hatch", "virtualenv", "uv")
    app = consumer.path("app")
    (app / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.8"\n'
        'dependencies = ["acme-core>=0.3"]\n\n[tool.setuptools]\npy-modules = []\n'
    )
    state = consumer.path("hatch-state")
    config = state / "config.toml"
    config.write_text("")
    env = consumer.pip_environ(
        {
            "HATCH_DATA_DIR": str(state / "data"),
            "HATCH_CACHE_DIR": str(state / "cache"),
            "HATCH_CONFIG": str(config),
        }
    )
    run = consumer.run([tool.exe(), "run", "python", "-c", CHECK_CORE], env=env, cwd=app, timeout=600).check()
    assert STATUS in run.output
    lock = consumer.run([tool.exe(), "dep", "lock", "--export", "pylock.toml"], env=env, cwd=app).fails()
    assert "NotImplementedError" in lock.output, lock.output


# -- tox and nox ---------------------------------------------------------------------------------------


TOX_INI = f"""[tox]
skipsdist = true

[testenv]
deps = acme-core
commands = python -c "{CHECK_CORE}"
"""


@uses("tox")
def test_tox_installs_a_private_package_with_git_routing_in_home_gitconfig(
    toolbox: ToolBox, consumer: Consumer
) -> None:
    """tox passes PIP_* and HOME to its installs but not GIT_CONFIG_GLOBAL: git's rewrites and
    credentials must live in ~/.gitconfig."""
    tool = toolbox.get("tox")
    record(tool, "tox", "virtualenv")
    app = consumer.path("app")
    (app / "tox.ini").write_text(TOX_INI)
    state = consumer.path("tox-state")
    base = {
        "TOX_USER_CONFIG_FILE": str(state / "tox.ini"),
        "VIRTUALENV_OVERRIDE_APP_DATA": str(state / "app-data"),
    }
    tox = [tool.exe(), "-e", "py"]

    # The routing only in $GIT_CONFIG_GLOBAL: tox drops the variable, git cannot reach the repositories.
    stripped = consumer.run(
        [*tox, "--workdir", str(state / "stripped")], env=consumer.pip_environ(base), cwd=app
    ).fails()
    assert "git.acme.test" in stripped.output, stripped.output

    shutil.copy(consumer.setup.gitconfig, consumer.home / ".gitconfig")
    env = consumer.pip_environ({**base, "GIT_CONFIG_GLOBAL": None})
    run = consumer.run([*tox, "--workdir", str(state / "work")], env=env, cwd=app, timeout=600).check()
    assert STATUS in run.output


NOXFILE = f"""import nox


@nox.session(venv_backend="venv")
def core(session):
    session.install("acme-core")
    session.run("python", "-c", "{CHECK_CORE}")
"""


@shares_pip_cache
@uses("nox")
def test_nox_session_installs_a_private_package(toolbox: ToolBox, consumer: Consumer) -> None:
    tool = toolbox.get("nox")
    record(tool, "nox")
    app = consumer.path("app")
    (app / "noxfile.py").write_text(NOXFILE)
    nox = [tool.exe(), "-s", "core", "--envdir", str(consumer.path("nox-envs"))]
    run = consumer.run(nox, env=consumer.pip_environ(), cwd=app, timeout=600).check()
    assert STATUS in run.output


# -- pipx ----------------------------------------------------------------------------------------------


@shares_pip_cache
@uses("pipx")
def test_pipx_with_the_pip_backend_installs_a_private_application(
    toolbox: ToolBox, consumer: Consumer
) -> None:
    tool = toolbox.get("pipx")
    record(tool, "pipx")
    state = consumer.path("pipx")
    env = consumer.pip_environ(
        {
            "PIPX_HOME": str(state / "home"),
            "PIPX_BIN_DIR": str(state / "bin"),
            "PIPX_MAN_DIR": str(state / "man"),
        }
    )
    consumer.run([tool.exe(), "install", "--backend", "pip", "acme-core"], env=env, timeout=600).check()
    app = consumer.run([str(state / "bin" / "acme-core")], env=consumer.environ()).check()
    assert app.output.strip() == STATUS


# -- uv ------------------------------------------------------------------------------------------------


def uv_environ(consumer: Consumer) -> dict[str, str]:
    return consumer.environ(
        {
            "UV_CACHE_DIR": str(consumer.path("uv-cache")),
            "UV_NO_CONFIG": "1",
            "UV_PYTHON_DOWNLOADS": "never",
            "UV_NO_PROGRESS": "1",
        }
    )


def bare_venv(consumer: Consumer, name: str) -> Path:
    path = consumer.path("venvs") / name
    venv.EnvBuilder(with_pip=False, clear=True).create(path)
    return path / "bin" / "python"


@uses("uv")
def test_uv_rejects_the_index_page_and_installs_with_the_overrides_file(
    toolbox: ToolBox, consumer: Consumer, acme_site: SiteServer, acme_world: AcmeWorld
) -> None:
    tool = toolbox.get("uv")
    record(tool, "uv")
    python = bare_venv(consumer, "uv")
    env = uv_environ(consumer)
    install = [tool.exe(), "pip", "install", "--python", str(python), "--index-url", consumer.pypi_url]

    refused = consumer.run([*install, "--extra-index-url", consumer.index_url, "acme-core"], env=env).fails()
    assert "Unsupported hash algorithm" in refused.output and "egg=acme-core-0.3.0" in refused.output, (
        refused.output
    )

    overrides = consumer.path("app") / "overrides.txt"
    with urllib.request.urlopen(acme_site.url + "uv/overrides.txt") as response:
        overrides.write_bytes(response.read())
    consumer.run([*install, "--override", str(overrides), "acme-core"], env=env).check()
    assert python_in(consumer, python) == STATUS
    assert (
        f"acme-utils @ git+{acme_world.clone_url('acme-utils')}@{acme_world.commit_of('acme-utils', 'v2.0.0')}"
        in (overrides.read_text().splitlines())
    )


@uses("uv")
def test_uv_with_an_explicit_index_takes_a_public_twin_from_pypi(
    toolbox: ToolBox, consumer: Consumer, twin_index: SiteServer
) -> None:
    tool = toolbox.get("uv")
    app = consumer.path("app")
    (app / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = ["acme-utils"]\n\n'
        f'[[tool.uv.index]]\nname = "acme"\nurl = "{consumer.index_url}"\nexplicit = true\n'
    )
    env = {**uv_environ(consumer), "UV_DEFAULT_INDEX": twin_index.index_url}
    consumer.run([tool.exe(), "lock", "--python", sys.executable], env=env, cwd=app).check()
    packages = {p["name"]: p for p in tomllib.loads((app / "uv.lock").read_text())["package"]}
    assert packages["acme-utils"]["version"] == "0.0.1", packages  # ours has 2.0.0
    assert packages["acme-utils"]["source"]["registry"].rstrip("/") == twin_index.index_url.rstrip("/"), (
        packages
    )


# -- Poetry --------------------------------------------------------------------------------------------


def poetry_project(consumer: Consumer, primary: str, dependencies: str = "") -> tuple[Path, dict[str, str]]:
    app = consumer.path("app")
    (app / "pyproject.toml").write_text(
        f'[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = [{dependencies}]\n\n'
        "[tool.poetry]\npackage-mode = false\n\n"
        f'[[tool.poetry.source]]\nname = "pypi-mirror"\nurl = "{primary}"\npriority = "primary"\n\n'
        f'[[tool.poetry.source]]\nname = "acme"\nurl = "{consumer.index_url}"\npriority = "supplemental"\n'
    )
    state = consumer.path("poetry-state")
    env = consumer.environ(
        {
            "POETRY_CONFIG_DIR": str(state / "config"),
            "POETRY_CACHE_DIR": str(state / "cache"),
            "POETRY_DATA_DIR": str(state / "data"),
            "POETRY_VIRTUALENVS_IN_PROJECT": "true",
            "POETRY_NO_INTERACTION": "1",
        }
    )
    return app, env


@uses("poetry")
def test_poetry_finds_no_installable_version_on_the_index(
    toolbox: ToolBox, consumer: Consumer, acme_site: SiteServer
) -> None:
    tool = toolbox.get("poetry")
    record(tool, "poetry")
    app, env = poetry_project(consumer, consumer.pypi_url)
    seen = len(acme_site.paths)
    refused = consumer.run([tool.exe(), "add", "acme-core", "--source", "acme"], env=env, cwd=app).fails()
    assert "Could not find a matching version of package acme-core" in refused.output, refused.output
    assert "/simple/acme-core/" in acme_site.paths[seen:]  # it read the page and ignored its links


@uses("poetry")
def test_poetry_supplemental_source_takes_a_public_twin_from_pypi(
    toolbox: ToolBox, consumer: Consumer, twin_index: SiteServer
) -> None:
    tool = toolbox.get("poetry")
    app, env = poetry_project(consumer, twin_index.index_url, '"acme-utils"')
    consumer.run([tool.exe(), "lock"], env=env, cwd=app).check()
    packages = {p["name"]: p for p in tomllib.loads((app / "poetry.lock").read_text())["package"]}
    assert packages["acme-utils"]["version"] == "0.0.1", packages  # ours has 2.0.0
    assert packages["acme-utils"]["source"]["reference"] == "pypi-mirror", packages
