"""End to end: `indexgen bridge` between the static index that `indexgen build` wrote (served on
127.0.0.1) and the newest uv, Poetry and pip, with real git fetching from local repositories.

The clone URLs stay `https://git.acme.test/…` everywhere the bridge looks; only git itself rewrites them
(`insteadOf` in the bridge's own global git config) to local bare repositories or to `git http-backend`
behind basic auth. The bridge therefore runs exactly the code path users run. Build back-ends come from
a local index of wheels fetched once per session, so uv, Poetry and pip build offline.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.acme import ORG, AcmeWorld, build_private_lib
from tests.e2e.bridge import (
    BridgeProcess,
    bridge_pip_setup,
    download_backends,
    free_port,
    poetry_environ,
    run_tool,
    running_bridge,
    start_bridge,
    uv_environ,
    write_backends_index,
)
from tests.e2e.bridgeworld import HOST, ExtraWorld, build_extra, write_upstream
from tests.e2e.cli import cli_environ, run_indexgen
from tests.e2e.fixtures import AcmeBuild
from tests.e2e.pipvenv import Venv
from tests.e2e.servers import GitHttpServer, SiteServer, serve_git, serve_site
from tests.e2e.tools import Tool, ToolBox, uses

pytestmark = pytest.mark.e2e

GIT_USER, GIT_PASSWORD = "acme-dev", "s3cret-git-password-e2e"


@dataclass(frozen=True)
class Backends:
    wheelhouse: Path
    url: str  # the PEP 503 index of the wheels


@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    root = tmp_path_factory.mktemp("backends")
    wheelhouse = download_backends(root / "wheels")
    with serve_site(write_backends_index(wheelhouse, root / "index")) as site:
        yield Backends(wheelhouse, site.index_url)


@dataclass
class World:
    upstream: SiteServer
    extra: ExtraWorld
    gitconfig: Path
    root: Path
    git_with_credentials: GitHttpServer
    git_without: GitHttpServer
    acme: AcmeWorld
    bridge: BridgeProcess

    def start(self, *args: str, cache: Path, port: int | None = None, **kwargs: object) -> BridgeProcess:
        return start_bridge(
            "--allow-host",
            HOST,
            *args,
            index=self.upstream.index_url,
            cache=cache,
            home=self.root / "bridge-home",
            gitconfig=self.gitconfig,
            port=port,
            **kwargs,  # type: ignore[arg-type]
        )


def write_bridge_gitconfig(path: Path, rewrites: dict[str, str], helper_for: str) -> Path:
    """The bridge user's git config: `insteadOf` rewrites, and a credential helper for one server."""
    lines = ['[protocol "file"]', "\tallow = always"]
    for new, old in rewrites.items():
        lines += [f'[url "{new}"]', f"\tinsteadOf = {old}"]
    helper = f"!f() {{ echo username={GIT_USER}; echo password={GIT_PASSWORD}; }}; f"
    lines += [f'[credential "{helper_for}"]', f'\thelper = "{helper}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, acme_build: AcmeBuild, acme_world: AcmeWorld
) -> Iterator[World]:
    assert acme_build.run.returncode == 0, acme_build.run.describe()
    root = tmp_path_factory.mktemp("bridge")
    private, served = build_private_lib(root / "private")
    with (
        serve_git(served, GIT_USER, GIT_PASSWORD) as with_credentials,
        serve_git(served, GIT_USER, GIT_PASSWORD) as without,
    ):
        extra = build_extra(root / "extra", private.commit_of("v1.0.0"))
        upstream_dir = write_upstream(acme_build.site, extra, root / "upstream")
        gitconfig = write_bridge_gitconfig(
            root / "gitconfig",
            {
                acme_world.bare_root.as_uri() + "/": f"https://{HOST}/{ORG}/",
                extra.bare_root.as_uri() + "/": f"https://{HOST}/extra/",
                f"{with_credentials.url}/{ORG}/": f"https://{HOST}/private/",
                f"{without.url}/{ORG}/": f"https://{HOST}/nocreds/",
            },
            helper_for=with_credentials.url,
        )
        with serve_site(upstream_dir) as upstream:
            world = World(upstream, extra, gitconfig, root, with_credentials, without, acme_world, None)  # type: ignore[arg-type]
            world.bridge = world.start(cache=root / "cache")
            try:
                yield world
            finally:
                world.bridge.stop()
        assert world.bridge.returncode == 0, world.bridge.log_text()
        assert "stopped" in world.bridge.stdout


@pytest.fixture(scope="module")
def uv(toolbox: ToolBox) -> Tool:
    return toolbox.get("uv")


def uv_venv(uv: Tool, path: Path, env: dict[str, str]) -> Path:
    run_tool(uv.exe(), "venv", "--python", sys.executable, str(path), env=env, cwd=path.parent).check()
    return path / "bin" / "python"


def version_in(python: Path, distribution: str) -> str:
    from subprocess import run

    code = "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))"
    return run(
        [str(python), "-c", code, distribution], capture_output=True, text=True, check=True
    ).stdout.strip()


def page_hashes(bridge: BridgeProcess, project: str) -> dict[str, str]:
    """file name → sha256 from the bridge's project page."""
    status, body = bridge.get(f"/simple/{project}/")
    assert status == 200, body
    return dict(
        (m.group(1), m.group(2))
        for m in re.finditer(r'href="[^"#]*/([^/"#]+\.tar\.gz)#sha256=([0-9a-f]{64})"', body.decode())
    )


# -- uv -------------------------------------------------------------------------------------------


@uses("uv")
def test_uv_pip_install_a_range_and_a_transitive_private_dependency(
    world: World, uv: Tool, backends: Backends, tmp_path: Path
) -> None:
    env = uv_environ(tmp_path, backends.url)
    python = uv_venv(uv, tmp_path / "venv", env)
    install = [uv.exe(), "pip", "install", "--python", str(python), "--extra-index-url", world.bridge.url]
    run_tool(*install, "acme-utils>=1.1,<2", "zeta-utils", env=env, cwd=tmp_path).check()
    assert version_in(python, "acme-utils") == "1.1.0"
    assert version_in(python, "zeta.utils") == "1.0"  # 2.0 needs Python >= 3.99: data-requires-python
    other = uv_venv(uv, tmp_path / "other", env)
    install[4] = str(other)
    run_tool(*install, "acme-core", env=env, cwd=tmp_path).check()
    assert version_in(other, "acme-core") == "0.3.0"
    assert version_in(other, "acme-utils") == "2.0.0"  # acme-core needs acme-utils>=2, by name
    log = world.bridge.log_text()
    assert "built acme_core-0.3.0.tar.gz" in log and "built acme_utils-2.0.0.tar.gz" in log


def write_uv_project(path: Path, bridge_url: str) -> Path:
    path.mkdir(parents=True)
    (path / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.8"\n'
        'dependencies = ["acme-core", "acme-scm>=1.2"]\n\n[tool.uv]\npackage = false\n\n'
        f'[[tool.uv.index]]\nname = "acme"\nurl = "{bridge_url}"\n',
        encoding="utf-8",
    )
    return path


@uses("uv")
def test_uv_lock_then_sync_locked_from_another_bridge_with_an_empty_cache(
    world: World, uv: Tool, backends: Backends, tmp_path: Path
) -> None:
    """The lock records the archives' hashes; a second bridge (another machine: empty cache, fresh
    fetch) must serve the same bytes, or `uv sync --locked` fails with a hash mismatch.

    A page gives `#sha256=` only for archives the bridge has built, and uv records no hash it was not
    given: the first lock (cold bridge) has none, a lock made once the archives exist has them all."""
    port = free_port()
    with running_bridge_for(world, tmp_path / "cache-a", port) as first:
        project = write_uv_project(tmp_path / "app", first.url)
        run_tool(uv.exe(), "lock", env=uv_environ(tmp_path / "a", backends.url), cwd=project).check()
        cold = (project / "uv.lock").read_text(encoding="utf-8")
        assert "sha256:" not in cold
        paths = re.findall(r'sdist = \{ url = "http://[^/]+(/files/[^"]+)"', cold)
        assert len(paths) == 3, cold
        for path in paths:
            assert first.get(path)[0] == 200  # the bridge has them all now
        (project / "uv.lock").unlink()
        run_tool(uv.exe(), "lock", env=uv_environ(tmp_path / "a2", backends.url), cwd=project).check()
        lock = (project / "uv.lock").read_text(encoding="utf-8")
        served = page_hashes(first, "acme-core")
    assert f"sha256:{served['acme_core-0.3.0.tar.gz']}" in lock, lock
    assert lock.count("/files/") == lock.count("sha256:") == 3, lock  # acme-core, acme-utils, acme-scm
    with running_bridge_for(world, tmp_path / "cache-b", port) as second:
        machine = tmp_path / "machine-b"
        shutil.copytree(project, machine)
        shutil.rmtree(machine / ".venv", ignore_errors=True)
        env = uv_environ(tmp_path / "b", backends.url)
        run_tool(uv.exe(), "sync", "--locked", env=env, cwd=machine).check()
        python = machine / ".venv" / "bin" / "python"
        assert version_in(python, "acme-core") == "0.3.0"
        assert version_in(python, "acme-scm") == "1.2.0"
        assert "built acme_core-0.3.0.tar.gz" in second.log_text()  # really fetched and built again


def running_bridge_for(world: World, cache: Path, port: int) -> AbstractContextManager[BridgeProcess]:
    return running_bridge(
        "--allow-host",
        HOST,
        index=world.upstream.index_url,
        cache=cache,
        home=world.root / "bridge-home",
        gitconfig=world.gitconfig,
        port=port,
    )


@uses("uv")
def test_scm_versions_and_a_monorepo_subdirectory(
    world: World, uv: Tool, backends: Backends, tmp_path: Path
) -> None:
    """setuptools-scm and hatch-vcs take the version from PKG-INFO; pdm-backend's is pinned in the
    archive's pyproject.toml. `#subdirectory=` serves one library of a monorepo."""
    env = uv_environ(tmp_path, backends.url)
    python = uv_venv(uv, tmp_path / "venv", env)
    run_tool(
        uv.exe(), "pip", "install", "--python", str(python), "--extra-index-url", world.bridge.url,
        "acme-scm==1.2.0", "acme-hvcs==1.2.0", "acme-pdm==1.2.0", "acme-beta",
        env=env, cwd=tmp_path,
    ).check()  # fmt: skip
    for name in ("acme-scm", "acme-hvcs", "acme-pdm"):
        assert version_in(python, name) == "1.2.0"
        module = name.replace("-", "_")
        assert run_python(python, f"import {module}; print({module}.VERSION)") == "1.2.0"
    assert run_python(python, "import acme_beta; print(acme_beta.NAME)") == "beta on alpha"
    status, body = world.bridge.get(
        f"/files/{world.extra.repos['mono'].commit_of('v0.5.0')}/acme_alpha-0.5.0.tar.gz"
    )
    assert status == 200
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        assert sorted(tar.getnames()) == [
            "acme_alpha-0.5.0/PKG-INFO",
            "acme_alpha-0.5.0/acme_alpha/__init__.py",
            "acme_alpha-0.5.0/pyproject.toml",
        ]


def run_python(python: Path, code: str) -> str:
    from subprocess import run

    return run(
        [str(python), "-c", code], capture_output=True, text=True, check=True, cwd=python.parent
    ).stdout.strip()


# -- pip ------------------------------------------------------------------------------------------


def test_pip_require_hashes_with_the_bridges_hashes(world: World, backends: Backends, tmp_path: Path) -> None:
    setup = bridge_pip_setup(world.bridge.url, backends.wheelhouse, tmp_path / "home", world.gitconfig)
    for project, tag, filename in (
        ("acme-core", "v0.3.0", "acme_core"),
        ("acme-utils", "v2.0.0", "acme_utils"),
    ):
        sha = world.acme.commit_of(project, tag)
        assert world.bridge.get(f"/files/{sha}/{filename}-{tag[1:]}.tar.gz")[0] == 200  # built now
    core, utils = page_hashes(world.bridge, "acme-core"), page_hashes(world.bridge, "acme-utils")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        f"acme-core==0.3.0 --hash=sha256:{core['acme_core-0.3.0.tar.gz']}\n"
        f"acme-utils==2.0.0 --hash=sha256:{utils['acme_utils-2.0.0.tar.gz']}\n",
        encoding="utf-8",
    )
    fresh = Venv.create(tmp_path / "hashed", setup)
    fresh.install("--require-hashes", "--no-cache-dir", "-r", str(requirements)).check()
    assert fresh.version_of("acme-core") == "0.3.0"
    tampered = tmp_path / "tampered.txt"
    tampered.write_text(
        requirements.read_text().replace(core["acme_core-0.3.0.tar.gz"], "0" * 64), encoding="utf-8"
    )
    run = Venv.create(tmp_path / "tampered", setup).install(
        "--require-hashes", "--no-cache-dir", "-r", str(tampered)
    )
    assert run.returncode != 0 and "THESE PACKAGES DO NOT MATCH THE HASHES" in run.output


# -- Poetry ---------------------------------------------------------------------------------------


@uses("poetry")
def test_poetry_add_lock_install_with_a_supplemental_source(
    world: World, toolbox: ToolBox, backends: Backends, tmp_path: Path
) -> None:
    poetry = toolbox.get("poetry")
    project = tmp_path / "app"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.9"\ndependencies = []\n\n'
        "[tool.poetry]\npackage-mode = false\n\n"
        f'[[tool.poetry.source]]\nname = "backends"\nurl = "{backends.url}"\npriority = "primary"\n',
        encoding="utf-8",
    )
    env = poetry_environ(tmp_path / "home")
    exe = poetry.exe()
    run_tool(
        exe, "source", "add", "--priority=supplemental", "acme", world.bridge.url, env=env, cwd=project
    ).check()
    run_tool(exe, "add", "acme-core", env=env, cwd=project, timeout=600).check()
    lock = (project / "poetry.lock").read_text(encoding="utf-8")
    assert 'name = "acme-utils"' in lock and 'version = "2.0.0"' in lock
    assert page_hashes(world.bridge, "acme-core")["acme_core-0.3.0.tar.gz"] in lock
    shutil.rmtree(project / ".venv")
    run_tool(exe, "lock", env=env, cwd=project, timeout=600).check()
    run_tool(exe, "install", env=env, cwd=project, timeout=600).check()
    python = project / ".venv" / "bin" / "python"
    assert run_python(python, "import acme_core; print(acme_core.status())") == (
        "acme-core 0.3.0 with hello core from acme-utils 2.0.0"
    )


# -- errors and security --------------------------------------------------------------------------


@uses("uv")
def test_credentials_are_the_users_own_and_without_them_it_fails_in_seconds(
    world: World, uv: Tool, backends: Backends, tmp_path: Path
) -> None:
    sha = world.extra.links["private-lib"][0].split("@")[1][:40]
    status, _ = world.bridge.get(f"/files/{sha}/private_lib-1.0.0.tar.gz")
    assert status == 200  # git's credential helper answered for this server
    started = time.monotonic()
    status, body = world.bridge.get(f"/files/{sha}/nocreds_lib-1.0.0.tar.gz")
    elapsed = time.monotonic() - started
    assert status == 502 and elapsed < 15, (status, elapsed)
    line = body.decode().strip()
    assert line.startswith("error: nocreds_lib-1.0.0.tar.gz: git could not fetch") and "\n" not in line
    assert "terminal prompts disabled" in line or "Authentication failed" in line, line
    assert line.removeprefix("error: ") in world.bridge.log_text()  # the log says the same
    assert GIT_PASSWORD not in world.bridge.log_text()
    # uv shows only a status; it fails quickly too, and never asks.
    env = uv_environ(tmp_path, backends.url)
    python = uv_venv(uv, tmp_path / "venv", env)
    run = run_tool(
        uv.exe(), "pip", "install", "--python", str(python), "--extra-index-url", world.bridge.url, "nocreds-lib",
        env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert run.returncode != 0 and run.seconds < 60, run.output
    assert "502" in run.output


@pytest.mark.parametrize(
    ("project", "filename", "status", "reason"),
    [
        (
            "acme-mismatch",
            "acme_mismatch-3.1.0.tar.gz",
            422,
            "metadata mismatch: acme-mismatch at this commit has version 3.0.0, the index says 3.1.0",
        ),
        ("acme-lfs", "acme_lfs-1.0.tar.gz", 422, "acme_lfs/model.bin is a Git LFS pointer"),
        ("acme-submod", "acme_submod-1.0.tar.gz", 422, "vendor is a git submodule"),
    ],
)
def test_refused_archives_are_http_errors_with_one_line(
    world: World, project: str, filename: str, status: int, reason: str
) -> None:
    sha = world.extra.links[project][0].split("@")[1][:40]
    got, body = world.bridge.get(f"/files/{sha}/{filename}")
    assert got == status and reason in body.decode() and body.decode().count("\n") == 1
    assert reason in world.bridge.log_text()


@uses("uv")
def test_metadata_mismatch_through_uv(world: World, uv: Tool, backends: Backends, tmp_path: Path) -> None:
    env = uv_environ(tmp_path, backends.url)
    python = uv_venv(uv, tmp_path / "venv", env)
    run = run_tool(
        uv.exe(), "pip", "install", "--python", str(python), "--extra-index-url", world.bridge.url, "acme-mismatch",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode != 0 and "422" in run.output, run.output
    assert "has version 3.0.0, the index says 3.1.0" in world.bridge.log_text()


def test_every_hostile_link_is_refused(world: World) -> None:
    bridge = world.bridge
    status, body = bridge.get("/simple/acme-evil/")
    assert status == 200 and b"<a " not in body
    sha = world.extra.repos["mono"].commit_of("v0.5.0")
    for minor in range(10):
        status, body = bridge.get(f"/files/{sha}/acme_evil-1.{minor}.tar.gz")
        assert status == 403 and b"refused link" in body, (minor, status, body)
    assert bridge.log_text().count("acme-evil: refused link") == 10
    # Only the listed (commit, file) pairs: a real commit under another version's name is not served.
    utils_100 = world.acme.commit_of("acme-utils", "v1.0.0")
    assert bridge.get(f"/files/{utils_100}/acme_utils-2.0.0.tar.gz")[0] == 404
    assert bridge.get("/files/" + "0" * 40 + "/../../etc/passwd")[0] == 404
    assert bridge.get("/simple/no-such-project/")[0] == 404
    # DNS rebinding: a page in a browser cannot reach the bridge under another name.
    assert bridge.get("/simple/", {"Host": f"evil.example:{bridge.port}"})[0] == 421
    assert bridge.get("/simple/", {"Host": f"localhost:{bridge.port}"})[0] == 200
    # Nothing was fetched for any hostile link: the only repositories are those of served links.
    fetched = {(p / "indexgen-url").read_text().strip() for p in (bridge.cache / "git").glob("*.git")}
    assert all(url.startswith(f"https://{HOST}/") for url in fetched), fetched


def test_two_bridges_share_a_cache(world: World, tmp_path: Path) -> None:
    second = world.start(cache=world.bridge.cache)
    try:
        sha = world.extra.repos["acme-hvcs"].commit_of("v1.2.0")
        results: dict[str, tuple[int, bytes]] = {}

        def get(name: str, bridge: BridgeProcess) -> None:
            results[name] = bridge.get(f"/files/{sha}/acme_hvcs-1.2.0.tar.gz")

        threads = [threading.Thread(target=get, args=(n, b)) for n, b in (("a", world.bridge), ("b", second))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results["a"][0] == results["b"][0] == 200
        assert results["a"][1] == results["b"][1]
        digest = hashlib.sha256(results["a"][1]).hexdigest()
        assert page_hashes(second, "acme-hvcs")["acme_hvcs-1.2.0.tar.gz"] == digest
    finally:
        second.stop()
    assert second.returncode == 0


@uses("uv")
def test_netrc_auth(world: World, uv: Tool, backends: Backends, tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login me password bridge-pass-e2e-1234\n", encoding="utf-8")
    netrc.chmod(0o600)
    bridge = world.start("--netrc-auth", cache=tmp_path / "cache", env={"NETRC": str(netrc)})
    try:
        assert bridge.get("/simple/")[0] == 401
        assert bridge.get("/simple/", {"Authorization": "Basic bWU6d3Jvbmc="})[0] == 401
        env = uv_environ(tmp_path, backends.url, {"NETRC": str(netrc)})
        python = uv_venv(uv, tmp_path / "venv", env)
        run_tool(
            uv.exe(), "pip", "install", "--python", str(python), "--extra-index-url", bridge.url, "acme-utils==1.0.0",
            env=env, cwd=tmp_path,
        ).check()  # fmt: skip
        assert version_in(python, "acme-utils") == "1.0.0"
    finally:
        bridge.stop()
    assert "bridge-pass-e2e-1234" not in bridge.log_text() + bridge.stdout


def test_cli_usage_errors_and_help(world: World, tmp_path: Path) -> None:
    env = cli_environ(tmp_path)
    helped = run_indexgen("bridge", "--help", env=env, cwd=tmp_path)
    assert helped.returncode == 0
    for words in ("[[tool.uv.index]]", "--priority=supplemental", "--require-hashes", "8765", "--netrc-auth"):
        assert words in helped.stdout
    bad = run_indexgen("bridge", "--index", str(tmp_path / "nope"), "--allow-host=-x", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr, (
        bad.describe()
    )
    busy = run_indexgen(
        "bridge", "--index", world.upstream.index_url, "--port", str(world.bridge.port), env=env, cwd=tmp_path
    )
    assert busy.returncode == 1 and busy.stderr.startswith("error: cannot listen on 127.0.0.1:"), (
        busy.describe()
    )
