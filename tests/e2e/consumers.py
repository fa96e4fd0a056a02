"""What the consumer-guide tests share: a user's isolated environment for any installer, and running
a tool in it.

Every tool sees only the served index, the stand-in for PyPI (`publicindex.py`), a HOME, caches and
configuration directories of the test's own, and no variable of this machine that the tool reads
(`PIPENV_*`, `PDM_*`, `POETRY_*`, …): each test sets the ones it needs to temporary paths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .pipvenv import PipSetup, run_in_group

# Prefixes of variables that installers read; none may come from outside (PIP_, GIT_, UV_, PYTHON and
# XDG_ are dropped by `PipSetup.environ` already).
_TOOL_PREFIXES = (
    "PIPENV_",
    "PDM_",
    "POETRY_",
    "HATCH_",
    "TOX_",
    "PIPX_",
    "NOX_",
    "VIRTUALENV_",
    "CONDA",
    "WORKON_HOME",
    "UV_",
)


@dataclass(frozen=True)
class ToolRun:
    argv: tuple[str, ...]
    returncode: int
    output: str  # stdout and stderr together
    seconds: float

    def check(self) -> ToolRun:
        assert self.returncode == 0, f"{' '.join(self.argv)} failed ({self.returncode}):\n{self.output}"
        return self

    def fails(self) -> ToolRun:
        assert self.returncode != 0, f"{' '.join(self.argv)} unexpectedly succeeded:\n{self.output}"
        return self


@dataclass(frozen=True)
class Consumer:
    """One user of the index: a PipSetup (HOME, git config with the acme `insteadOf`, pip cache), the
    stand-in PyPI's URL, and a scratch directory for projects and tool state."""

    setup: PipSetup
    pypi_url: str  # the stand-in PyPI's simple index
    root: Path

    @property
    def index_url(self) -> str:
        return self.setup.index_url

    @property
    def home(self) -> Path:
        return self.setup.home

    def path(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def environ(self, extra: Mapping[str, str | None] = {}) -> dict[str, str]:
        """The base environment plus `extra` (None removes a variable)."""
        env = {k: v for k, v in self.setup.environ().items() if not k.startswith(_TOOL_PREFIXES)}
        env.update(
            {
                "XDG_CONFIG_HOME": str(self.home / ".config"),
                "XDG_CACHE_HOME": str(self.home / ".cache"),
                "XDG_DATA_HOME": str(self.home / ".local" / "share"),
                "PIP_NO_INPUT": "1",
                "GIT_TERMINAL_PROMPT": "0",
            }
        )
        for name, value in extra.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    def pip_environ(self, extra: Mapping[str, str | None] = {}) -> dict[str, str]:
        """The documented environment recipe: PyPI as the index, ours as `PIP_EXTRA_INDEX_URL`."""
        return self.environ({"PIP_INDEX_URL": self.pypi_url, "PIP_EXTRA_INDEX_URL": self.index_url, **extra})

    def run(
        self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None, timeout: float = 300
    ) -> ToolRun:
        """Run `argv` in its own process group (a hang kills every git below it)."""
        code, output, seconds = run_in_group(list(argv), env, cwd or self.root, timeout, " ".join(argv))
        return ToolRun(tuple(argv), code, output, seconds)
