"""A rebuild writes only what changed: a file whose bytes the live site already has is hard-linked from
it into the staging directory, and the staging directory is still swapped in whole."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import indexgen.write as write
from indexgen.errors import OutputError
from indexgen.write import STATE_FILE, write_site

FILES = {
    "index.html": b"<a href='simple/'>simple</a>\n",
    "simple/index.html": b"<a href='acme-utils/'>acme-utils</a>\n",
    "simple/acme-utils/index.html": b"<a href='git+https://example.com/u.git@1'>1.0</a>\n",
    "simple/acme-tools/index.html": b"<a href='git+https://example.com/t.git@1'>1.0</a>\n",
    STATE_FILE: b'{"format":1}\n',
}


def inodes(site: Path) -> dict[str, int]:
    return {str(p.relative_to(site)): p.stat().st_ino for p in site.rglob("*") if p.is_file()}


def contents(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def test_unchanged_files_are_the_live_sites_inodes_and_changed_ones_are_new(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_site(site, FILES)
    before = inodes(site)
    changed = {
        **FILES,
        "simple/acme-utils/index.html": b"<a href='git+https://example.com/u.git@2'>2.0</a>\n",
    }
    write_site(site, changed)
    after = inodes(site)
    assert contents(site) == changed
    assert {name for name in FILES if after[name] == before[name]} == set(FILES) - {
        "simple/acme-utils/index.html"
    }
    assert after["simple/acme-utils/index.html"] != before["simple/acme-utils/index.html"]
    assert all(p.stat().st_nlink == 1 for p in site.rglob("*") if p.is_file()), "the old site is gone"


def test_same_size_other_bytes_is_written_not_linked(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_site(site, FILES)
    before = inodes(site)
    same_size = {**FILES, STATE_FILE: b'{"format":2}\n'}
    write_site(site, same_size)
    assert (site / STATE_FILE).read_bytes() == b'{"format":2}\n'
    assert inodes(site)[STATE_FILE] != before[STATE_FILE]


def test_a_symbolic_link_in_the_live_site_is_never_linked_and_becomes_a_file(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_site(site, FILES)
    outside = tmp_path / "outside.html"
    outside.write_bytes(FILES["index.html"])
    (site / "index.html").unlink()
    (site / "index.html").symlink_to(outside)
    write_site(site, FILES)
    assert not (site / "index.html").is_symlink()
    assert (site / "index.html").read_bytes() == FILES["index.html"]
    assert (site / "index.html").stat().st_ino != outside.stat().st_ino
    assert outside.stat().st_nlink == 1


def test_where_hard_links_cannot_be_made_the_file_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    write_site(site, FILES)
    before = inodes(site)
    attempts: list[str] = []

    def no_link(src: object, dst: object, **kwargs: object) -> None:
        attempts.append(str(dst))
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), str(dst))

    monkeypatch.setattr(write.os, "link", no_link)
    write_site(site, FILES)
    assert len(attempts) == len(FILES)
    assert contents(site) == FILES
    assert not set(inodes(site).items()) & set(before.items())


def test_a_full_disk_while_linking_fails_cleanly_and_keeps_the_previous_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    write_site(site, FILES)
    before = inodes(site)

    def full(src: object, dst: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))

    monkeypatch.setattr(write.os, "link", full)
    with pytest.raises(OutputError, match="No space left on device"):
        write_site(site, {**FILES, "new.html": b"new\n"})
    assert inodes(site) == before and contents(site) == FILES
    assert [p.name for p in tmp_path.iterdir()] == ["site"], "no staging directory left"


def test_the_linked_site_is_still_swapped_in_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The new site is complete in the staging directory before the one exchange; the live site is
    untouched until then (its inodes keep their bytes while being linked)."""
    site = tmp_path / "site"
    write_site(site, FILES)
    live_before = contents(site)
    seen: list[tuple[dict[str, bytes], dict[str, bytes]]] = []
    real_swap = write._swap

    def swap(staging: Path, output: Path) -> None:
        seen.append((contents(staging), contents(output)))
        real_swap(staging, output)

    monkeypatch.setattr(write, "_swap", swap)
    changed = {**FILES, "simple/acme-tools/index.html": b"changed\n"}
    del changed["simple/acme-utils/index.html"]
    write_site(site, changed)
    ((staged, live),) = seen
    assert staged == changed and live == live_before
    assert contents(site) == changed


def test_a_staged_file_whose_pieces_fail_leaves_no_file(tmp_path: Path) -> None:
    from indexgen.write import stage_file

    def pieces() -> Iterator[bytes]:
        yield b"{"
        raise RuntimeError("the encoder failed")

    with pytest.raises(RuntimeError):
        stage_file(tmp_path / "report.json", pieces())
    assert list(tmp_path.iterdir()) == []
    staged = stage_file(tmp_path / "report.json", iter([b"{", b"}"]))
    staged.commit()
    assert (tmp_path / "report.json").read_bytes() == b"{}"
