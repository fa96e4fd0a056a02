"""Running the real `indexgen` command line in a subprocess, with a controlled environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .forkserver import Forks

# Variables the CLI reads: none may come from the machine running the tests.
_CLI_VARIABLES = ("GITHUB_", "GH_", "INDEXGEN_")
# The fake PyPI every build checks names against (set by the session fixture `fake_pypi`): the tests
# never depend on what the real PyPI holds.
PYPI_URL: str | None = None


@dataclass(frozen=True)
class CliRun:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return f"indexgen {' '.join(self.args)} → {self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


def cli_environ(home: Path, overrides: Mapping[str, str | None] = {}) -> dict[str, str]:
    """This environment without GitHub or indexgen variables, HOME at `home`, then `overrides`
    (None removes a variable)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_CLI_VARIABLES)}
    env["HOME"] = str(home)
    if PYPI_URL:
        env["INDEXGEN_PYPI_URL"] = PYPI_URL
    env.pop("XDG_CONFIG_HOME", None)  # `gh` reads its hosts file there
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


# Runs are forked from a server that imported indexgen once (`forkserver.py`): still a process of their
# own each, without a fresh interpreter's 0.8 s of imports. `fresh=True` starts a new interpreter.
FORKS = Forks()


def run_indexgen(
    *args: str, env: Mapping[str, str], cwd: Path, timeout: float = 120, fresh: bool = False
) -> CliRun:
    """`python -m indexgen ARGS` in `cwd` (never the project's directory: its `site/` is not ours)."""
    forked = None if fresh else FORKS.run(args, env, cwd, timeout)
    if forked is not None:
        return CliRun(tuple(args), *forked)
    done = subprocess.run(
        [sys.executable, "-m", "indexgen", *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )
    return CliRun(tuple(args), done.returncode, done.stdout, done.stderr)


def read_report(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under `directory` by relative path, with its bytes."""
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()
    }
