"""write.py's corners that the end-to-end tests do not reach, called directly: the swap on systems
without renameat2, from a thread where signals cannot be deferred, and the staged report."""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexgen import write
from indexgen.errors import OutputError


def site_files(version: str) -> dict[str, bytes]:
    return {"simple/index.html": version.encode(), "simple/p/index.html": b"p" + version.encode()}


def test_without_renameat2_the_swap_is_two_renames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output = tmp_path / "site"
    write.write_site(output, site_files("1"))
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    assert write._exchange(tmp_path, output) is False
    write.write_site(output, site_files("2"))
    assert (output / "simple/index.html").read_bytes() == b"2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_libc_without_renameat2_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class NoRenameat2:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

    monkeypatch.setattr(ctypes, "CDLL", NoRenameat2)
    assert write._exchange(tmp_path / "a", tmp_path / "b") is False


def test_renameat2_errors(tmp_path: Path) -> None:
    """EINVAL (here: a directory exchanged with its own child) means "cannot": fall back. Any other
    error is the swap's error."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert write._exchange(tmp_path / "a", tmp_path / "a" / "b") is False
    with pytest.raises(OSError) as caught:
        write._exchange(tmp_path / "missing", tmp_path / "a")
    assert caught.value.errno == errno.ENOENT


def test_an_output_that_is_a_file_is_not_a_site(tmp_path: Path) -> None:
    (tmp_path / "site").write_text("a file")
    assert write.looks_like_site(tmp_path / "site") is False
    with pytest.raises(OutputError, match="does not look like an indexgen site"):
        write.write_site(tmp_path / "site", site_files("1"))
    assert (tmp_path / "site").read_text() == "a file"


def test_a_directory_of_dotfiles_only_or_with_a_state_file_is_a_site(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / ".gitignore").write_text("*\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / write.STATE_FILE).write_text("{}")
    (tmp_path / "b" / "other").write_text("x")
    assert write.looks_like_site(tmp_path / "a") and write.looks_like_site(tmp_path / "b")


def test_from_a_thread_the_site_is_written_without_deferring_signals(tmp_path: Path) -> None:
    """Signal handlers can be set only in the main thread, and signals arrive only there."""
    errors: list[BaseException] = []

    def work() -> None:
        try:
            write.write_site(tmp_path / "site", site_files("1"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    before = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert errors == [] and (tmp_path / "site/simple/index.html").read_bytes() == b"1"
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_signal_in_the_swap_is_held_then_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_swap = write._swap

    def swap(staging: Path, output: Path) -> None:
        signal.raise_signal(signal.SIGTERM)
        real_swap(staging, output)

    monkeypatch.setattr(write, "_swap", swap)
    with pytest.raises(write.InterruptedAfterWrite) as caught:
        write.write_site(tmp_path / "site", site_files("1"))
    assert caught.value.exit_code == 128 + signal.SIGTERM
    assert str(caught.value) == "interrupted (SIGTERM) just after the new site was written"
    assert (tmp_path / "site/simple/index.html").read_bytes() == b"1"


def test_a_staged_file_that_cannot_be_put_in_place_is_dropped(tmp_path: Path) -> None:
    staged = write.stage_file(tmp_path / "report.json", b"{}")
    assert staged.temp.exists() and staged.temp.parent == tmp_path
    (tmp_path / "report.json").mkdir()  # something took its place meanwhile
    with pytest.raises(OutputError):
        staged.commit()
    assert not staged.temp.exists()
    staged = write.stage_file(tmp_path / "other.json", b"{}")
    staged.commit()
    assert (tmp_path / "other.json").read_bytes() == b"{}" and sorted(p.name for p in tmp_path.iterdir()) == [
        "other.json",
        "report.json",
    ]


def test_a_staged_file_whose_write_fails_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(write.os, "fdopen", full)
    with pytest.raises(OutputError, match="No space left on device"):
        write.stage_file(tmp_path / "report.json", b"{}")
    assert list(tmp_path.iterdir()) == []


def test_a_staged_site_is_written_file_by_file_and_replaces_the_live_one_only_at_commit(
    tmp_path: Path,
) -> None:
    output, staged = staged_over_a_live_site(tmp_path)
    (staging,) = tmp_path.glob(".indexgen-site-new-*")
    assert (staging / "simple/index.html").read_bytes() == b"2"  # on disk already, not held in memory
    assert (output / "simple/index.html").read_bytes() == b"1"
    staged.add("simple/p/index.html", b"p1")  # the live site's bytes: linked, not written
    assert (staging / "simple/p/index.html").stat().st_ino == (output / "simple/p/index.html").stat().st_ino
    staged.commit()
    assert (output / "simple/index.html").read_bytes() == b"2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def staged_over_a_live_site(tmp_path: Path) -> tuple[Path, write.StagedSite]:
    """A live site ("1") and a staged one with its index page changed ("2")."""
    output = tmp_path / "site"
    write.write_site(output, site_files("1"))
    staged = write.StagedSite(output)
    staged.add("simple/index.html", b"2")
    return output, staged


def test_a_discarded_staged_site_leaves_the_live_one_as_it_was(tmp_path: Path) -> None:
    output, staged = staged_over_a_live_site(tmp_path)
    staged.discard()
    staged.discard()  # twice: nothing left to drop, no error
    assert (output / "simple/index.html").read_bytes() == b"1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_streamed_file_is_written_as_it_comes_and_linked_when_the_live_one_holds_its_bytes(
    tmp_path: Path,
) -> None:
    output = tmp_path / "site"
    write.write_site(output, {**site_files("1"), "packages.json": b"[1,2,3]", "other.json": b"[1,2,3]"})
    live = {name: (output / name).stat().st_ino for name in ("packages.json", "other.json")}
    staged = write.StagedSite(output)
    written: list[int] = []

    def pieces(*parts: bytes) -> Iterator[bytes]:
        for part in parts:
            yield part
            written.append(len(part))  # resumed only once the piece was taken

    path = staged.add_streamed("packages.json", pieces(b"[1", b",2", b",3]"))  # the live bytes: linked
    assert written == [2, 2, 3] and path.read_bytes() == b"[1,2,3]"
    staged.add_streamed("other.json", pieces(b"[1", b",2", b"]"))  # a prefix of them: written
    staged.add_streamed("other2.json", iter([b"[1", b",2", b",4]"]))  # as long, other bytes: written
    staged.add_streamed("new.json", iter([b"[", b"]"]))
    staged.commit()
    assert (output / "packages.json").stat().st_ino == live["packages.json"]
    assert (output / "other.json").stat().st_ino != live["other.json"]
    assert (output / "other.json").read_bytes() == b"[1,2]" and (output / "new.json").read_bytes() == b"[]"
    assert (output / "other2.json").read_bytes() == b"[1,2,4]"
    assert sorted(p.name for p in output.iterdir() if p.name.startswith(".")) == []  # no link left over


def test_a_live_file_is_linked_only_when_it_holds_the_same_bytes(tmp_path: Path) -> None:
    live, staged = tmp_path / "live", tmp_path / "staged"
    staged.write_bytes(b"[1,2]")
    for held, linked in ((b"[1,2]", True), (b"[1,2]x", False), (b"[1,3]", False), (b"[1,", False)):
        live.unlink(missing_ok=True)
        live.write_bytes(held)
        assert write._link_same_file(live, staged) is linked, held
        assert staged.read_bytes() == b"[1,2]"
        assert (staged.stat().st_ino == live.stat().st_ino) is linked
        staged.unlink()
        staged.write_bytes(b"[1,2]")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live", "staged"]
    live.unlink()
    live.symlink_to(staged)  # a link is never followed into the live site
    assert write._link_same_file(live, staged) is False


def test_a_streamed_file_whose_pieces_fail_leaves_nothing(tmp_path: Path) -> None:
    output, staged = staged_over_a_live_site(tmp_path)

    def failing() -> Iterator[bytes]:
        yield b"[1"
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        staged.add_streamed("packages.json", failing())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert (output / "simple/index.html").read_bytes() == b"1"


def test_a_failed_add_drops_the_staging_directory(tmp_path: Path) -> None:
    output, staged = staged_over_a_live_site(tmp_path)
    with pytest.raises(OutputError):
        staged.add("simple/index.html/below", b"a file cannot be a directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert (output / "simple/index.html").read_bytes() == b"1"
