"""Real git repositories built by the tests: deterministic commits, lightweight and annotated tags.

Author, committer and tagger are fixed and every commit or annotated tag gets the next date of a fixed
clock, so the same fixture builds the same object ids on every run and machine. Git never reads the
user's or the system's configuration here.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

_BASE_EPOCH = 1_700_000_000  # 2023-11-14T22:13:20Z


def clean_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any `GIT_*` variable, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(extra or {})
    return env


class GitRepo:
    """A working tree at `path` with its own fixed clock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tick = 0

    @classmethod
    def init(cls, path: Path) -> GitRepo:
        path.mkdir(parents=True)
        repo = cls(path)
        repo.git("-c", "init.defaultBranch=main", "init", "-q")
        return repo

    def _env(self) -> dict[str, str]:
        date = f"{_BASE_EPOCH + 3600 * self._tick} +0000"
        return clean_environ(
            {
                "GIT_AUTHOR_NAME": "Acme Dev",
                "GIT_AUTHOR_EMAIL": "dev@acme.test",
                "GIT_COMMITTER_NAME": "Acme Dev",
                "GIT_COMMITTER_EMAIL": "dev@acme.test",
                "GIT_AUTHOR_DATE": date,
                "GIT_COMMITTER_DATE": date,
                "GIT_CONFIG_GLOBAL": os.devnull,
                "GIT_CONFIG_NOSYSTEM": "1",
            }
        )

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env=self._env(),
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed in {self.path}: {done.stderr.strip()}")
        return done.stdout.strip()

    def write(self, files: Mapping[str, str]) -> None:
        for relative, text in files.items():
            target = self.path / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")

    def commit(self, message: str, files: Mapping[str, str] | None = None) -> str:
        """Write `files`, commit everything, and return the new commit's 40-hex id."""
        if files:
            self.write(files)
        self._tick += 1
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.rev_parse("HEAD")

    def tag(self, name: str, *, annotated: bool = False, ref: str = "HEAD") -> None:
        if annotated:
            self._tick += 1
            self.git("tag", "-a", "-m", f"release {name}", name, ref)
        else:
            self.git("tag", name, ref)

    def rev_parse(self, rev: str) -> str:
        return self.git("rev-parse", "--verify", "--quiet", rev)

    def commit_of(self, tag: str) -> str:
        """The commit a tag points to, peeled through an annotated tag (`tag^{commit}`)."""
        return self.rev_parse(f"refs/tags/{tag}^{{commit}}")

    def object_of(self, tag: str) -> str:
        """What the tag ref itself points to: the tag object for an annotated tag."""
        return self.rev_parse(f"refs/tags/{tag}")

    def mirror_to(self, bare: Path) -> Path:
        """A bare mirror of this repository at `bare` (what the clone URL serves)."""
        bare.parent.mkdir(parents=True, exist_ok=True)
        self.git("clone", "-q", "--mirror", str(self.path), str(bare))
        return bare
