"""Putting a rendered site on disk, all or nothing. The only module that writes the output.

The whole site is written into a temporary sibling directory first; only when every file is there is
it swapped in for the previous site. On Linux the swap is one atomic `renameat2(RENAME_EXCHANGE)`, so
even a SIGKILL or a power cut leaves either the old site or the new one; elsewhere it is two renames,
and a build killed between them is repaired by the next one (`recover_interrupted_swap`). SIGTERM,
SIGINT and SIGHUP arriving during the swap are deferred until it is complete.

A rebuild changes few pages: a file whose bytes the live site already has is hard-linked from it into
the staging directory instead of being written again (the staging directory is still complete before
the swap, and the previous site's files are never modified, only unlinked when it is removed).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import shutil
import signal
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NoReturn

from .errors import IndexgenError, OutputError

STATE_FILE = "indexgen-state.json.gz"
# Where builds before the compact state (format 1) kept it: read once to migrate, never written.
LEGACY_STATE_FILE = "indexgen-state.json"
_TEMP_PREFIX = ".indexgen-"
_DEFERRED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@dataclass
class InterruptedAfterWrite(IndexgenError):
    """A termination signal arrived while the new site was being swapped in: the swap was completed
    (a site is never left half-replaced), then the build stops."""

    signum: int

    @property
    def exit_code(self) -> int:  # type: ignore[override]
        return 128 + self.signum

    def __str__(self) -> str:
        return f"interrupted ({signal.Signals(self.signum).name}) just after the new site was written"


def looks_like_site(path: Path) -> bool:
    """True for a directory indexgen may replace: absent, empty but for dotfiles, or a previous site."""
    if not path.exists():
        return True
    if not path.is_dir():
        return False
    entries = [p for p in path.iterdir() if not p.name.startswith(".")]
    return (
        not entries
        or (path / "simple").is_dir()
        or any((path / name).is_file() for name in (STATE_FILE, LEGACY_STATE_FILE))
    )


@contextlib.contextmanager
def _deferred_signals() -> Iterator[list[int]]:
    """Record SIGTERM, SIGINT and SIGHUP instead of acting on them; the caller decides afterwards."""
    received: list[int] = []
    previous = {}
    try:
        for signum in _DEFERRED:
            previous[signum] = signal.signal(signum, lambda s, _frame: received.append(s))
    except ValueError:  # not the main thread: signals cannot be caught here, nor arrive here
        pass
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _leftovers(output: Path, kind: str) -> list[Path]:
    return sorted(
        output.parent.glob(f"{_TEMP_PREFIX}{output.name}-{kind}-*"), key=lambda p: p.stat().st_mtime
    )


def recover_interrupted_swap(output: Path) -> None:
    """Put back a previous site that a build killed between its two renames left aside, and remove
    the temporary directories of killed builds. Call before reading the previous build's state."""
    output = output.resolve()
    if not output.parent.is_dir():
        return
    retired = _leftovers(output, "old")
    if retired and not output.exists():
        os.rename(retired[-1], output)
        retired = retired[:-1]
    for leftover in (*retired, *_leftovers(output, "new")):
        shutil.rmtree(leftover, ignore_errors=True)


def write_site(output: Path, files: Mapping[str, bytes]) -> None:
    """Replace `output` with exactly `files` (relative path → bytes), keeping its top-level dotfiles
    (such as the `.gitignore` that keeps `site/` in a repository)."""
    staged = StagedSite(output)
    for relative, data in files.items():
        staged.add(relative, data)
    staged.commit()


class StagedSite:
    """A new site written file by file into a temporary sibling of `output`, then swapped in for it
    (`commit`) or dropped (`discard`): pages can be written as they are rendered, so that a site of
    hundreds of megabytes never exists whole in memory. A file whose bytes the live site already has
    is hard-linked from it rather than written again (most pages of a rebuild are unchanged). A
    failure of `add` or `commit`, or Ctrl-C during them, leaves no staging directory behind."""

    def __init__(self, output: Path) -> None:
        output = output.resolve()
        if not looks_like_site(output):
            raise OutputError(
                str(output), "it exists and does not look like an indexgen site; refusing to replace it"
            )
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            recover_interrupted_swap(output)
            staging = Path(tempfile.mkdtemp(prefix=f"{_TEMP_PREFIX}{output.name}-new-", dir=output.parent))
        except OSError as exc:
            raise OutputError(str(output.parent), exc.strerror or str(exc)) from exc
        self.output = output
        self._staging = staging
        self._live = output if output.is_dir() else None
        self._made: set[Path] = {staging}

    def add(self, relative: str, data: bytes) -> None:
        """Put one file into the staging directory."""
        try:
            target = self._target(relative)
            if self._live is None or not _link_unchanged(self._live / relative, target, data):
                target.write_bytes(data)
        except BaseException as exc:  # a write error, or Ctrl-C: no staging left behind
            self._failed(exc)

    def add_streamed(self, relative: str, pieces: Iterable[bytes]) -> Path:
        """Put into the staging directory a file whose bytes come a piece at a time (each written as
        it comes, none kept), replaced by a hard link to the live site's file when that holds the
        same bytes. Returns the staged file's path, for its bytes to be read back (hashed)."""
        try:
            target = self._target(relative)
            with open(target, "wb") as file:
                file.writelines(pieces)
            if self._live is not None:
                _link_same_file(self._live / relative, target)
            return target
        except BaseException as exc:
            self._failed(exc)

    def _target(self, relative: str) -> Path:
        target = self._staging / relative
        if target.parent not in self._made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        return target

    def commit(self) -> None:
        """Swap the staged site in for `output`, with `output`'s top-level dotfiles."""
        output, staging = self.output, self._staging
        try:
            if output.is_dir():
                for kept in output.iterdir():
                    if kept.name.startswith(".") and kept.is_file() and not (staging / kept.name).exists():
                        shutil.copy2(kept, staging / kept.name)
            os.chmod(staging, 0o755)
            with _deferred_signals() as received:
                _swap(staging, output)
        except BaseException as exc:  # a write error, or Ctrl-C before the swap
            self._failed(exc)
        if received:
            raise InterruptedAfterWrite(received[0])

    def discard(self) -> None:
        """Drop the staging directory (nothing happens when it is gone already)."""
        shutil.rmtree(self._staging, ignore_errors=True)

    def _failed(self, exc: BaseException) -> NoReturn:
        self.discard()
        if isinstance(exc, OSError):
            raise OutputError(str(self.output), exc.strerror or str(exc)) from exc
        raise exc


# The link cannot be made here (another file system, one without hard links, a file at its link
# limit): the file is written instead. Any other error (a full disk) is the write's own error.
_NO_LINK = frozenset({errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EACCES})


@contextlib.contextmanager
def spooled(pieces: Iterable[bytes]) -> Iterator[BinaryIO]:
    """The pieces' bytes in an anonymous temporary file (gone when closed), open at its start: a
    dry run's stand-in for a staged file made a piece at a time, to be read back."""
    with tempfile.TemporaryFile() as spool:
        spool.writelines(pieces)
        spool.seek(0)
        yield spool


def _link_unchanged(current: Path, target: Path, data: bytes) -> bool:
    """Hard-link the live site's `current` as `target` when it is a regular file holding exactly
    `data`; False (nothing done) when it is not."""
    return _link_if(current, target, len(data), lambda fd: _read_all(fd, len(data)) == data)


def _link_same_file(current: Path, target: Path) -> bool:
    """Replace the staged file `target` by a hard link to the live site's `current` when that is a
    regular file holding the same bytes (compared a megabyte at a time); False (the staged file
    kept) when it is not."""
    spare = target.with_name(f"{_TEMP_PREFIX}{target.name}")

    def same(fd: int) -> bool:
        with open(target, "rb") as staged:
            while chunk := staged.read(1 << 20):
                if _read_all(fd, len(chunk)) != chunk:
                    return False
        return True

    if not _link_if(current, spare, target.stat().st_size, same):
        return False
    os.replace(spare, target)
    return True


def _link_if(current: Path, target: Path, size: int, same: Callable[[int], bool]) -> bool:
    """Hard-link `current` as `target` when it is a regular file of `size` bytes that `same` (given
    it open at its start) finds to hold the expected bytes. The link is checked to be the very inode
    whose bytes were compared, so a site swapped in meanwhile by another build can never lend a
    different file."""
    try:
        fd = os.open(current, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:  # absent, a directory, a symbolic link: written afresh
        return False
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode) or found.st_size != size or not same(fd):
            return False
        if os.read(fd, 1):  # it grew since fstat
            return False
    except OSError:
        return False
    finally:
        os.close(fd)
    try:
        os.link(current, target, follow_symlinks=False)
    except OSError as exc:
        if exc.errno in _NO_LINK:
            return False
        raise
    linked = os.lstat(target)
    if (linked.st_dev, linked.st_ino) != (found.st_dev, found.st_ino):
        os.unlink(target)
        return False
    return True


def _read_all(fd: int, limit: int) -> bytes:
    """Up to `limit` bytes from `fd` (a regular file: short reads only at its end)."""
    chunks = []
    while limit > 0 and (chunk := os.read(fd, limit)):
        chunks.append(chunk)
        limit -= len(chunk)
    return b"".join(chunks)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths with Linux's renameat2(RENAME_EXCHANGE); False where unsupported."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: this kernel or file system cannot
        return False
    raise OSError(errno, os.strerror(errno), str(b))


def _swap(staging: Path, output: Path) -> None:
    if not output.exists():
        os.rename(staging, output)
        return
    if _exchange(staging, output):
        shutil.rmtree(staging, ignore_errors=True)  # it now holds the previous site
        return
    retired = output.parent / f"{_TEMP_PREFIX}{output.name}-old-{os.getpid()}"
    os.rename(output, retired)
    try:
        os.rename(staging, output)
    except OSError:
        os.rename(retired, output)
        raise
    shutil.rmtree(retired, ignore_errors=True)


@dataclass(frozen=True)
class StagedFile:
    """A file written next to its place but not yet in it: `commit` puts it there, `discard` drops
    it. Lets the report be written in full before the site is swapped, and dropped if the swap is
    interrupted, so that a failure writing it leaves the previous site untouched."""

    temp: Path
    path: Path

    def commit(self) -> None:
        try:
            os.replace(self.temp, self.path)
        except OSError as exc:
            self.discard()
            raise OutputError(str(self.path), exc.strerror or str(exc)) from exc

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.temp)


def stage_file(path: Path, data: bytes | Iterable[bytes]) -> StagedFile:
    """Write `data` (bytes, or pieces of them written as they come) to a temporary file in `path`'s
    directory, ready to replace `path`."""
    temp = None
    try:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, bytes):
                f.write(data)
            else:
                f.writelines(data)
    except BaseException as exc:  # a write error, or whatever stopped the pieces: no file left behind
        if temp:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        if isinstance(exc, OSError):
            raise OutputError(str(path), exc.strerror or str(exc)) from exc
        raise
    return StagedFile(Path(temp), path)
