"""Putting a rendered site on disk, all or nothing. The only module that writes the output.

The whole site is written into a temporary sibling directory first; only when every file is there is
it swapped in for the previous site, with termination signals held off for the two renames, so a
failed, interrupted or killed build leaves the previous site as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from .errors import OutputError

STATE_FILE = "indexgen-state.json"
_TEMP_PREFIX = ".indexgen-"


def looks_like_site(path: Path) -> bool:
    """True for a directory indexgen may replace: absent, empty but for dotfiles, or a previous site."""
    if not path.exists():
        return True
    if not path.is_dir():
        return False
    entries = [p for p in path.iterdir() if not p.name.startswith(".")]
    return not entries or (path / "simple").is_dir() or (path / STATE_FILE).is_file()


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGTERM, SIGINT and SIGHUP while the old site is swapped for the new one."""
    held = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):  # pragma: no cover - no pthread_sigmask here
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _clean_leftovers(parent: Path, name: str) -> None:
    """Remove temporary directories that a killed build left next to the output."""
    for leftover in parent.glob(f"{_TEMP_PREFIX}{name}-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def write_site(output: Path, files: Mapping[str, bytes]) -> None:
    """Replace `output` with exactly `files` (relative path → bytes), keeping its top-level dotfiles
    (such as the `.gitignore` that keeps `site/` in a repository)."""
    output = output.resolve()
    if not looks_like_site(output):
        raise OutputError(
            str(output), "it exists and does not look like an indexgen site; refusing to replace it"
        )
    parent = output.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _clean_leftovers(parent, output.name)
        staging = Path(tempfile.mkdtemp(prefix=f"{_TEMP_PREFIX}{output.name}-new-", dir=parent))
    except OSError as exc:
        raise OutputError(str(parent), exc.strerror or str(exc)) from exc
    try:
        for relative, data in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if output.is_dir():
            for kept in output.iterdir():
                if kept.name.startswith(".") and kept.is_file() and not (staging / kept.name).exists():
                    shutil.copy2(kept, staging / kept.name)
        os.chmod(staging, 0o755)
        _swap(staging, output)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(str(output), exc.strerror or str(exc)) from exc


def _swap(staging: Path, output: Path) -> None:
    retired = output.parent / f"{_TEMP_PREFIX}{output.name}-old-{os.getpid()}"
    with _signals_held():
        if output.exists():
            os.rename(output, retired)
            try:
                os.rename(staging, output)
            except OSError:
                os.rename(retired, output)
                raise
        else:
            os.rename(staging, output)
    shutil.rmtree(retired, ignore_errors=True)


def write_file(path: Path, data: bytes) -> None:
    """Write one file atomically (temporary file in the same directory, then `os.replace`)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(temp)
        raise OutputError(str(path), exc.strerror or str(exc)) from exc
