"""Real installers (uv, Poetry, pipenv, PDM, pip-tools, tox, nox, pipx, Hatch, …) in throwaway venvs.

Each tool is installed once per test session, at the newest release PyPI serves (or the version a test
pins), into a venv of its own under the session's temporary directory, with this machine's normal pip
configuration: that install is the only step that reaches a package index. Tests then run the tool's
executables from `Tool.bin` with an environment of their own (`PipSetup.environ`), never the machine's.

`toolbox.prefetch(name, …)` starts an install in a background thread (a few at a time), so the installs,
which mostly wait on the network, overlap each other and the tests that run meanwhile; `get` then waits
for it. The session prefetches, at its first test, the tools its selected tests use (`uses` records
them on the test).

A tool that cannot be installed makes its tests skip with the pip output as the reason, except under
`CI=true`, where it fails: CI must never pass by skipping.
"""

from __future__ import annotations

import os
import subprocess
import threading
import venv
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from packaging.utils import canonicalize_name

from .pipvenv import fresh_pip_venv


@dataclass(frozen=True)
class Tool:
    """One installed tool: its venv, and the installed versions of the requirements asked for."""

    name: str
    venv: Path
    versions: dict[str, str]  # canonical (PEP 503) distribution name -> installed version

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def exe(self, command: str | None = None) -> str:
        """The path of an executable in the tool's venv (default: the tool's own name)."""
        return str(self.bin / (command or self.name))


class ToolBox:
    """Installs each named tool at most once per session, in background threads; thread-safe."""

    def __init__(self, root: Path, wheelhouse: Path | None = None, workers: int = 3) -> None:
        self.root = root
        self.wheelhouse = wheelhouse  # pip's newest wheel, to bootstrap pip without ensurepip
        self._installs: dict[str, Future[Tool | str]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="toolbox")

    def prefetch(self, name: str, *requirements: str) -> None:
        """Start installing `name` (as `get` would) without waiting; a no-op once started."""
        self._start(name, requirements or (name,))

    def get(self, name: str, *requirements: str) -> Tool:
        """The tool `name`, installed with pip from `requirements` (default: `name` itself)."""
        found = self._start(name, requirements or (name,)).result()
        if isinstance(found, str):
            if os.environ.get("CI") == "true":
                pytest.fail(found)
            pytest.skip(found)
        return found

    def close(self) -> None:
        """Drop installs not started yet and wait for the running ones."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _start(self, name: str, requirements: tuple[str, ...]) -> Future[Tool | str]:
        with self._lock:
            future = self._installs.get(name)
            if future is None:
                future = self._pool.submit(self._install, name, requirements)
                self._installs[name] = future
            return future

    def _install(self, name: str, requirements: tuple[str, ...]) -> Tool | str:
        path = self.root / name
        python = str(path / "bin" / "python")
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        if self.wheelhouse is None:
            venv.EnvBuilder(with_pip=True, clear=True).create(path)
            command = [python, "-m", "pip", "install", "--quiet", "--upgrade", "pip", *requirements]
        else:
            # The wheelhouse's pip is PyPI's newest of this session: a copy of the session's venv that
            # has it (`fresh_pip_venv`) costs no pip install, where ensurepip and then upgrading pip
            # cost two.
            fresh_pip_venv(path, self.wheelhouse)
            command = [python, "-m", "pip", "install", "--quiet", *requirements]
        # No byte-compiling at install: the tools run with an environment that lets Python write
        # bytecode, so each compiles the modules it imports on first use, a fraction of its tree
        # (Poetry: 16 s of CPU to install with compiling, 7 s without, plus 2 s on its first run).
        command.insert(4, "--no-compile")
        done = subprocess.run(
            command,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            return f"cannot install {name} ({' '.join(requirements)}): {done.stderr.strip()[-2000:]}"
        listing = subprocess.run(
            [python, "-m", "pip", "list", "--format=freeze"],
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
            check=True,
        ).stdout
        versions = dict(line.split("==", 1) for line in listing.splitlines() if "==" in line)
        return Tool(name, path, {canonicalize_name(k): v for k, v in versions.items()})


@pytest.fixture(scope="session")
def toolbox(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Iterator[ToolBox]:
    """`toolbox.get("uv")`, `toolbox.get("pdm", "pdm", "hishel<2")`: installed once per session."""
    box = ToolBox(tmp_path_factory.mktemp("tools"), wheelhouse)
    yield box
    box.close()


@pytest.fixture(scope="session", autouse=True)
def _prefetch_the_sessions_tools(request: pytest.FixtureRequest) -> None:
    """At the session's first test, start installing every tool a selected test records with `uses`,
    so the installs (mostly waiting on the network) overlap the tests that run before theirs."""
    items = request.session.items
    if any(getattr(getattr(item, "function", None), "toolbox_uses", ()) for item in items):
        prefetch_tools(request.getfixturevalue("toolbox"), items)


Test = TypeVar("Test", bound=Callable[..., object])


def uses(name: str, *requirements: str) -> Callable[[Test], Test]:
    """Record on a test that it calls `toolbox.get(name, *requirements)`, for `prefetch_tools`."""

    def record(test: Test) -> Test:
        test.__dict__.setdefault("toolbox_uses", []).append((name, requirements))
        return test

    return record


def prefetch_tools(toolbox: ToolBox, items: Iterable[pytest.Item]) -> None:
    """Start installing, in the background, every tool that one of `items` records with `uses`."""
    for item in items:
        function = getattr(item, "function", None)
        for name, requirements in getattr(function, "toolbox_uses", ()):
            toolbox.prefetch(name, *requirements)


__all__ = ["Tool", "ToolBox", "prefetch_tools", "toolbox", "uses"]
