"""Running the real `indexgen bridge` as a subprocess, and what uv, Poetry and pip need around it offline.

- `BridgeProcess`: `python -m indexgen bridge …` with a HOME and global git config of the test's own
  (its `insteadOf` rewrites map the https clone URLs to local repositories, inside git: the bridge's
  own URL policy still sees https); stopped with SIGINT, which must end it cleanly.
- `download_backends` / `write_backends_index`: the build back-ends (setuptools, setuptools-scm,
  hatchling, hatch-vcs, pdm-backend) as wheels fetched once per session, and a PEP 503 index of them
  served on 127.0.0.1. uv and Poetry take it as their default/primary index, so every build runs offline.
- `uv_environ`, `poetry_environ`: each tool isolated from this machine's configuration.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename

from .pipvenv import PipSetup

BACKENDS = ("pip", "setuptools", "wheel", "setuptools-scm", "hatchling", "hatch-vcs", "pdm-backend")
_DROPPED_PREFIXES = ("PIP_", "GIT_", "PYTHON", "UV_", "POETRY_", "INDEXGEN_", "GITHUB_", "GH_")
_DROPPED = {"VIRTUAL_ENV", "CONDA_PREFIX", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "NETRC"}


def clean_environ(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES) and k not in _DROPPED}
    env["HOME"] = str(home)
    env.update(extra or {})
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def download_backends(dest: Path) -> Path:
    """The build back-ends and pip as wheels in `dest`, fetched with this machine's pip configuration."""
    dest.mkdir(parents=True, exist_ok=True)
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
            *BACKENDS,
        ],
        check=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    return dest


def write_backends_index(wheelhouse: Path, root: Path) -> Path:
    """A static PEP 503 index of the wheels in `wheelhouse` under `root/simple/`, files in `root/files/`."""
    files = root / "files"
    files.mkdir(parents=True)
    pages: dict[str, list[str]] = {}
    for wheel in sorted(wheelhouse.glob("*.whl")):
        (files / wheel.name).write_bytes(wheel.read_bytes())
        name = canonicalize_name(parse_wheel_filename(wheel.name)[0])
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        pages.setdefault(name, []).append(
            f'<a href="../../files/{wheel.name}#sha256={digest}">{wheel.name}</a>'
        )
    for name, links in pages.items():
        (root / "simple" / name).mkdir(parents=True)
        (root / "simple" / name / "index.html").write_text("\n".join(links) + "\n", encoding="utf-8")
    root_links = "".join(f'<a href="{n}/">{n}</a>\n' for n in sorted(pages))
    (root / "simple" / "index.html").write_text(root_links, encoding="utf-8")
    return root


@dataclass
class BridgeProcess:
    """One running `indexgen bridge`; `log` is its stderr, read after `stop()` or with `log_text()`."""

    process: subprocess.Popen[str]
    port: int
    cache: Path
    log: Path
    banner: str
    returncode: int | None = None
    stdout: str = ""
    started: float = field(default_factory=time.monotonic)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/simple/"

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> tuple[int, bytes]:
        """GET `path` (`/simple/…`, `/files/…`): status and body, errors included."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=dict(headers or {}))
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def stop(self) -> None:
        """SIGINT, as Ctrl-C: the bridge must stop by itself, cleanly."""
        if self.returncode is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            rest, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            rest, _ = self.process.communicate()
        self.stdout += rest
        self.returncode = self.process.returncode


def start_bridge(
    *args: str,
    index: str,
    cache: Path,
    home: Path,
    gitconfig: Path,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
) -> BridgeProcess:
    """Start the bridge and wait for its banner (it prints the URL once it listens)."""
    port = port or free_port()
    home.mkdir(parents=True, exist_ok=True)
    log = home / f"bridge-{port}-{time.monotonic_ns()}.log"
    environ = clean_environ(
        home, {"GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1", **(env or {})}
    )
    command = [sys.executable, "-m", "indexgen", "bridge", "--index", index, "--port", str(port)]
    command += ["--cache", str(cache), *args]
    with open(log, "w", encoding="utf-8") as err:
        process = subprocess.Popen(
            command,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            cwd=home,
        )
    assert process.stdout is not None
    first = process.stdout.readline()
    if "serving" not in first:
        process.kill()
        rest, _ = process.communicate()
        raise AssertionError(f"the bridge did not start: {first}{rest}\n{log.read_text()}")
    return BridgeProcess(process, port, cache, log, first)


@contextlib.contextmanager
def running_bridge(*args: str, **kwargs: object) -> Iterator[BridgeProcess]:
    bridge = start_bridge(*args, **kwargs)  # type: ignore[arg-type]
    try:
        yield bridge
    finally:
        bridge.stop()


def bridge_pip_setup(bridge_url: str, wheelhouse: Path, home: Path, gitconfig: Path) -> PipSetup:
    """pip pointed at the bridge only, with the back-ends from the wheelhouse."""
    return PipSetup(bridge_url, wheelhouse, home / "pip-cache", home, gitconfig)


def uv_environ(home: Path, backends_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """uv reading no configuration of this machine (HOME and XDG directories of the test's own; not
    `UV_NO_CONFIG`, which also ignores the project's `[tool.uv]`), with the back-ends index as its
    default index."""
    return clean_environ(
        home,
        {
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_CONFIG_DIRS": str(home / "config"),
            "UV_CACHE_DIR": str(home / "uv-cache"),
            "UV_DEFAULT_INDEX": backends_url,
            "UV_PYTHON_DOWNLOADS": "never",
            "UV_NO_PROGRESS": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            **(extra or {}),
        },
    )


def poetry_environ(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Poetry with its configuration, cache and data under `home`, its venvs inside the project."""
    return clean_environ(
        home,
        {
            "POETRY_CONFIG_DIR": str(home / "poetry-config"),
            "POETRY_CACHE_DIR": str(home / "poetry-cache"),
            "POETRY_DATA_DIR": str(home / "poetry-data"),
            "POETRY_VIRTUALENVS_IN_PROJECT": "true",
            "POETRY_NO_INTERACTION": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            **(extra or {}),
        },
    )


@dataclass(frozen=True)
class ToolRun:
    args: tuple[str, ...]
    returncode: int
    output: str
    seconds: float

    def check(self) -> ToolRun:
        assert self.returncode == 0, f"{' '.join(self.args)} failed ({self.returncode}):\n{self.output}"
        return self


def run_tool(*args: str, env: Mapping[str, str], cwd: Path, timeout: float = 300) -> ToolRun:
    """Run an installer with no terminal input, stdout and stderr together; a hang fails the test."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            list(args),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"{' '.join(args)} hung for {timeout} s:\n{exc.output}") from None
    return ToolRun(tuple(args), done.returncode, done.stdout, time.monotonic() - started)
