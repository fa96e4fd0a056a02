"""Real pip in fresh venvs, isolated from this machine's pip and git configuration.

The only step that reaches a package index is `download_wheelhouse`, run once per session with this
machine's normal pip configuration. Every install afterwards reads the index under test
(`--index-url`) plus that wheelhouse (`--find-links`, for pip itself and the build backend), with no
pip configuration file, no `PIP_*` variable from outside, and a temporary HOME and global git config.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import venv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Variables that would let the outside world leak into pip, git or the venv's Python.
_DROPPED_PREFIXES = ("PIP_", "GIT_", "PYTHON", "UV_")
_DROPPED = {"VIRTUAL_ENV", "CONDA_PREFIX", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_DIRS"}


# Its own process group (not a new session: git keeps the terminal it would prompt on, if any).
_NEW_PROCESS_GROUP: dict[str, Any] = (
    {"process_group": 0} if sys.version_info >= (3, 11) else {"preexec_fn": os.setpgrp}
)


def run_in_group(
    command: list[str], env: Mapping[str, str], cwd: Path | None, timeout: float, label: str
) -> tuple[int, str, float]:
    """Run `command` in its own process group, stdout and stderr together: (exit code, output,
    seconds). A hang kills the whole group (every git below it) and fails the test."""
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **_NEW_PROCESS_GROUP,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        raise AssertionError(f"{label} hung for {timeout} s:\n{output}") from None
    return process.returncode, output, time.monotonic() - started


def download_wheelhouse(dest: Path) -> Path:
    """pip, setuptools and wheel as wheels in `dest`, fetched with this machine's pip configuration."""
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "-d", str(dest)]
        + ["pip", "setuptools", "wheel"],
        check=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    version = pip_wheel(dest).name.split("-")[1]
    assert int(version.split(".")[0]) >= 24, f"the wheelhouse has pip {version}; the tests need pip >= 24"
    return dest


def pip_wheel(wheelhouse: Path) -> Path:
    (wheel,) = wheelhouse.glob("pip-*.whl")
    return wheel


_templates: dict[Path, Path] = {}
_templates_lock = threading.Lock()


def _pip_template(wheelhouse: Path) -> Path:
    """A venv with the wheelhouse's pip, made once per wheelhouse (so once per session) beside it.

    Bootstrapping pip from its own wheel (pip documents running `pip.whl/pip`: no network, no ensurepip)
    costs seconds of CPU, mostly compiling pip; copying the finished venv costs a fraction of that."""
    with _templates_lock:
        template = _templates.get(wheelhouse)
        if template is None:
            template = wheelhouse.with_name(wheelhouse.name + "-venv")
            venv.EnvBuilder(with_pip=False, clear=True).create(template)
            wheel = pip_wheel(wheelhouse)
            env = {
                k: v
                for k, v in os.environ.items()
                if not k.startswith(_DROPPED_PREFIXES) and k not in _DROPPED
            }
            env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_CACHE_DIR="1")
            subprocess.run(
                [str(template / "bin" / "python"), f"{wheel}/pip", "install", "--quiet", "--no-index"]
                + ["--find-links", str(wheelhouse), str(wheel)],
                env=env,
                check=True,
                stdin=subprocess.DEVNULL,
                timeout=120,
            )
            _templates[wheelhouse] = template
        return template


def fresh_pip_venv(path: Path, wheelhouse: Path) -> None:
    """Make `path` (replacing whatever is there) a new venv whose only package is the wheelhouse's pip:
    a copy of the session's template venv, its own paths written into its scripts and pyvenv.cfg."""
    template = _pip_template(wheelhouse)
    if path.exists() or path.is_symlink():
        shutil.rmtree(path)
    shutil.copytree(template, path, symlinks=True)
    old, new = str(template).encode(), str(path).encode()
    for file in [path / "pyvenv.cfg", *(path / "bin").iterdir()]:
        if file.is_symlink() or not file.is_file():
            continue
        data = file.read_bytes()
        if old in data:
            file.write_bytes(data.replace(old, new))


def write_gitconfig(
    path: Path, *, instead_of: Mapping[str, str] = {}, credential_helper: str | None = None
) -> Path:
    """A global git config: `insteadOf` rewrites (new prefix → old prefix) and a credential helper."""
    lines = ['[protocol "file"]', "\tallow = always"]
    for new, old in instead_of.items():
        lines += [f'[url "{new}"]', f"\tinsteadOf = {old}"]
    if credential_helper is not None:
        escaped = credential_helper.replace("\\", "\\\\").replace('"', '\\"')
        lines += ["[credential]", f'\thelper = "{escaped}"']
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class PipSetup:
    """Where pip looks: the index under test, the wheelhouse, the shared cache, HOME and git config."""

    index_url: str
    wheelhouse: Path
    cache_dir: Path
    home: Path
    gitconfig: Path

    def environ(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES) and k not in _DROPPED
        }
        env.update(
            {
                "HOME": str(self.home),
                "PIP_CONFIG_FILE": os.devnull,  # pip then reads no configuration file at all
                "PIP_CACHE_DIR": str(self.cache_dir),
                "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                "GIT_CONFIG_GLOBAL": str(self.gitconfig),
                "GIT_CONFIG_NOSYSTEM": "1",
            }
        )
        env.update(extra or {})
        return env


@dataclass(frozen=True)
class PipRun:
    args: tuple[str, ...]
    returncode: int
    output: str  # stdout and stderr together, in order
    seconds: float

    def clones(self, url: str = "") -> list[str]:
        """The `git clone` commands pip ran (with -v), optionally only those of `url`."""
        return [
            line
            for line in self.output.splitlines()
            if re.search(r"Running command git clone\b", line) and url in line
        ]

    def check(self) -> PipRun:
        assert self.returncode == 0, f"pip {' '.join(self.args)} failed ({self.returncode}):\n{self.output}"
        return self


class Venv:
    """A fresh virtual environment whose pip is the wheelhouse's (the current pip)."""

    def __init__(self, path: Path, setup: PipSetup) -> None:
        self.path = path
        self.setup = setup
        self.python = path / "bin" / "python"

    @classmethod
    def create(cls, path: Path, setup: PipSetup) -> Venv:
        fresh_pip_venv(path, setup.wheelhouse)
        return cls(path, setup)

    def pip(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        timeout: float = 300,
    ) -> PipRun:
        """`python -m pip ARGS` against the index under test, in its own process group so a hang can be
        killed with every git process below it."""
        command = [str(self.python), "-m", "pip", *args]
        command += ["--index-url", self.setup.index_url, "--find-links", str(self.setup.wheelhouse)]
        code, output, seconds = run_in_group(
            command, self.setup.environ(env), None, timeout, f"pip {' '.join(args)}"
        )
        return PipRun(tuple(args), code, output, seconds)

    def install(
        self, *requirements: str, env: Mapping[str, str] | None = None, timeout: float = 300
    ) -> PipRun:
        return self.pip("install", "-v", *requirements, env=env, timeout=timeout)

    def run(self, code: str, *args: str) -> str:
        """Run Python code in the venv (outside any source tree) and return its stdout."""
        done = subprocess.run(
            [str(self.python), "-c", code, *args],
            env=self.setup.environ(),
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
            cwd=self.path,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def version_of(self, distribution: str) -> str | None:
        """The installed version of `distribution`, or None."""
        code = (
            "import importlib.metadata as m, sys\n"
            "try: print(m.version(sys.argv[1]))\n"
            "except m.PackageNotFoundError: print('-')"
        )
        found = self.run(code, distribution)
        return None if found == "-" else found
