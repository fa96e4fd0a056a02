"""One commit fetched with the user's own git into the cache, and its tree read back. The only code of
the bridge that runs git.

- One bare repository per clone URL under `<cache>/git/`, created atomically; `git fetch --depth 1
  --no-tags -- URL SHA` brings that commit alone, and a ref `refs/indexgen/<sha>` keeps it from pruning.
- Never a prompt: `GIT_TERMINAL_PROMPT=0`, no askpass program, ssh in batch mode unless the user set
  their own ssh command, stdin closed, and a new session so that neither git nor ssh has a terminal to
  open. Without credentials git fails within a second or so, and the bridge says so.
- Two bridges may share a cache: a fetch holds an exclusive `flock` on its repository, and everything
  else is written to a temporary name and renamed.
- The user's credential helpers, `insteadOf` rewrites and ssh agent apply, exactly as for `git clone`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import IndexgenError, redact
from .sdist import EntryKind, SourceTree, TreeEntry

FETCH_TIMEOUT = 600.0
_KINDS: dict[str, EntryKind] = {
    "100644": "file",
    "100755": "executable",
    "120000": "symlink",
    "160000": "submodule",
}


@dataclass
class GitFailed(IndexgenError):
    """git could not fetch or read a commit; `reason` is git's last line, redacted."""

    url: str
    commit: str
    reason: str

    def __str__(self) -> str:
        return redact(f"git could not fetch {self.commit[:12]} from {self.url}: {self.reason}")


def git_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The user's environment, made unable to prompt."""
    env = dict(environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_ASKPASS"] = ""  # an empty askpass means none (git's prompt.c); the user's helpers still run
    env["SSH_ASKPASS"] = ""
    env["SSH_ASKPASS_REQUIRE"] = "never"
    env["GCM_INTERACTIVE"] = "never"  # Git Credential Manager: fail instead of opening a dialog
    if "GIT_SSH_COMMAND" not in env and "GIT_SSH" not in env:
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    return env


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith("fatal:")]
    return (fatal or lines or ["no message"])[-1]


class GitCache:
    """The bare repositories under `<cache>/git`, one per clone URL."""

    def __init__(self, root: Path, environ: Mapping[str, str] | None = None) -> None:
        self.root = root / "git"
        self.env = git_environ(os.environ if environ is None else environ)

    def repository(self, url: str) -> Path:
        return self.root / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".git")

    def _git(self, repo: Path, *args: str, timeout: float = 120.0, input: bytes | None = None) -> bytes:
        command = ["git", "-c", "gc.auto=0", "-c", "maintenance.auto=false", "-c", "core.askPass="]
        done = subprocess.run(
            [*command, f"--git-dir={repo}", *args],
            env=self.env,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            start_new_session=True,  # no controlling terminal: nothing can prompt on it
            check=False,
        )
        if done.returncode != 0:
            raise subprocess.CalledProcessError(done.returncode, args, done.stdout, done.stderr)
        return done.stdout

    def _ensure(self, url: str) -> Path:
        repo = self.repository(url)
        if (repo / "HEAD").exists():
            return repo
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".new-", dir=self.root))
        try:
            self._git(staging, "init", "--quiet", "--bare", str(staging))
            (staging / "indexgen-url").write_text(url + "\n", encoding="utf-8")
            with contextlib.suppress(OSError):  # another bridge made it first: keep theirs
                staging.rename(repo)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return repo

    @contextlib.contextmanager
    def _locked(self, repo: Path) -> Iterator[None]:
        with open(str(repo) + ".lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _has(self, repo: Path, commit: str) -> bool:
        try:
            self._git(repo, "cat-file", "-e", f"refs/indexgen/{commit}^{{commit}}")
        except subprocess.CalledProcessError:
            return False
        return True

    def fetch(self, url: str, commit: str) -> Path:
        """The bare repository holding `commit` of `url`, fetching it if the cache lacks it."""
        repo = self._ensure(url)
        if self._has(repo, commit):
            return repo
        with self._locked(repo):
            if self._has(repo, commit):
                return repo
            try:
                self._git(
                    repo,
                    "fetch",
                    "--quiet",
                    "--depth",
                    "1",
                    "--no-tags",
                    "--no-write-fetch-head",
                    "--",
                    url,
                    commit,
                    timeout=FETCH_TIMEOUT,
                )
                self._git(repo, "update-ref", f"refs/indexgen/{commit}", commit)
            except subprocess.CalledProcessError as exc:
                raise GitFailed(url, commit, _last_line(exc.stderr.decode("utf-8", "replace"))) from None
            except subprocess.TimeoutExpired:
                raise GitFailed(url, commit, f"no answer within {FETCH_TIMEOUT:.0f} s") from None
        return repo

    def read_tree(self, url: str, commit: str, subdirectory: str = "") -> SourceTree:
        """The files of `commit` (below `subdirectory`) as the archive recipe takes them."""
        repo = self.fetch(url, commit)
        try:
            when = int(self._git(repo, "show", "-s", "--format=%ct", commit).strip())
            treeish = f"{commit}:{subdirectory}" if subdirectory else commit
            kind = self._git(repo, "cat-file", "-t", "--", treeish).strip() if subdirectory else b"tree"
        except subprocess.CalledProcessError as exc:
            if subdirectory:
                raise GitFailed(url, commit, f"no subdirectory {subdirectory!r} at this commit") from None
            raise GitFailed(url, commit, _last_line(exc.stderr.decode("utf-8", "replace"))) from None
        if kind != b"tree":
            raise GitFailed(url, commit, f"{subdirectory!r} is not a directory at this commit")
        listing = self._git(repo, "ls-tree", "-r", "-z", "--full-tree", treeish)
        rows: list[tuple[str, EntryKind, str]] = []
        for record in listing.split(b"\0"):
            if not record:
                continue
            meta, _, raw_path = record.partition(b"\t")
            mode, _, obj = meta.decode().split(" ")
            path = raw_path.decode("utf-8", "surrogateescape")
            parts = path.split("/")
            if path.startswith("/") or any(p in ("", ".", "..", ".git") for p in parts):
                raise GitFailed(url, commit, f"the tree has an unsafe path {path!r}")
            if mode not in _KINDS:
                raise GitFailed(url, commit, f"{path} has an unknown mode {mode}")
            rows.append((path, _KINDS[mode], obj))
        blobs = self._blobs(repo, [obj for _, kind, obj in rows if kind != "submodule"])
        entries = tuple(
            TreeEntry(path, kind, b"" if kind == "submodule" else blobs[obj]) for path, kind, obj in rows
        )
        return SourceTree(commit, when, entries)

    def _blobs(self, repo: Path, objects: list[str]) -> dict[str, bytes]:
        """The contents of `objects`, in one `git cat-file --batch`."""
        if not objects:
            return {}
        unique = sorted(set(objects))
        out = self._git(repo, "cat-file", "--batch", input="".join(o + "\n" for o in unique).encode())
        blobs: dict[str, bytes] = {}
        offset = 0
        for obj in unique:
            end = out.index(b"\n", offset)
            sha, kind, size = out[offset:end].decode().split(" ")
            start = end + 1
            blobs[sha] = out[start : start + int(size)]
            offset = start + int(size) + 1
            assert sha == obj and kind == "blob", (sha, obj, kind)
        return blobs
