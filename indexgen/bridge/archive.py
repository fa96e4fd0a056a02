"""The bytes of an sdist: a tar stream wrapped in gzip, written by hand so that the same members make the
same bytes on every machine, Python and zlib. Pure.

Why by hand: `git archive`'s gzip output changes with git's gzip back-end, the compression level,
`tar.umask` and zlib vs zlib-ng, and `tarfile`/`zlib` output may change between Python builds. A lock file
records the archive's sha256 (uv, Poetry), so two machines must produce identical bytes, or the second
fails with "Hash mismatch". The recipe is versioned (`RECIPE`): a change of any byte is a new recipe.

- tar: POSIX ustar headers, a pax extended header (`path`, `linkpath`) only for names that do not fit
  or are not ASCII, uid/gid 0 with empty user and group names, the given mtime, the stream padded to
  whole 10240-byte records like tar's default blocking factor;
- gzip (RFC 1952): mtime 0, no file name, OS 255 (unknown), and DEFLATE *stored* blocks (RFC 1951
  §3.2.4): no compression, so no dependence on any compressor's choices.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

RECIPE = "indexgen-sdist-1"

_BLOCK = 512
_RECORD = 20 * _BLOCK
_STORED_MAX = 0xFFFF
_REGULAR, _SYMLINK, _PAX = b"0", b"2", b"x"


@dataclass(frozen=True)
class Member:
    """One archive member: a regular file (`data`, mode 0644 or 0755) or a symbolic link (`link`)."""

    path: str
    mode: int
    data: bytes = b""
    link: str | None = None


def _octal(value: int, width: int) -> bytes:
    digits = f"{value:o}".encode()
    if len(digits) > width - 1:
        raise ValueError(f"{value} does not fit a {width}-byte tar field")
    return digits.rjust(width - 1, b"0") + b"\0"


def _field(raw: bytes, width: int) -> bytes:
    return raw[:width].ljust(width, b"\0")


def _header(name: bytes, mode: int, size: int, mtime: int, kind: bytes, link: bytes = b"") -> bytes:
    head = b"".join(
        (
            _field(name, 100),
            _octal(mode, 8),
            _octal(0, 8),  # uid
            _octal(0, 8),  # gid
            _octal(size, 12),
            _octal(mtime, 12),
            b" " * 8,  # checksum, counted as blanks (POSIX ustar)
            kind,
            _field(link, 100),
            b"ustar\x0000",
            _field(b"", 32),  # uname
            _field(b"", 32),  # gname
            _octal(0, 8),  # devmajor
            _octal(0, 8),  # devminor
            _field(b"", 155),  # prefix: unused, long names go to a pax header
        )
    )
    head = head.ljust(_BLOCK, b"\0")
    checksum = f"{sum(head):06o}".encode() + b"\0 "
    return head[:148] + checksum + head[156:]


def _pax_record(key: str, value: str) -> bytes:
    body = f" {key}={value}\n".encode()
    length = len(body) + 1
    while len(str(length)) + len(body) != length:
        length += 1
    return str(length).encode() + body


def _padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % _BLOCK)


def _fits(text: str) -> bool:
    return text.isascii() and len(text) <= 100


def tar_bytes(members: Iterable[Member], mtime: int) -> bytes:
    """An uncompressed tar stream of `members`, in the order given."""
    out: list[bytes] = []
    for member in members:
        name, link = member.path, member.link or ""
        records = b""
        if not _fits(name):
            records += _pax_record("path", name)
        if not _fits(link):
            records += _pax_record("linkpath", link)
        if records:
            out.append(_header(b"././@PaxHeader", 0o644, len(records), mtime, _PAX))
            out.append(_padded(records))
        plain_name = name.encode() if _fits(name) else name.encode("ascii", "replace")[:100]
        if member.link is not None:
            plain_link = link.encode() if _fits(link) else link.encode("ascii", "replace")[:100]
            out.append(_header(plain_name, member.mode, 0, mtime, _SYMLINK, plain_link))
        else:
            out.append(_header(plain_name, member.mode, len(member.data), mtime, _REGULAR))
            out.append(_padded(member.data))
    out.append(b"\0" * (2 * _BLOCK))
    stream = b"".join(out)
    return stream + b"\0" * (-len(stream) % _RECORD)


def gzip_stored(data: bytes) -> bytes:
    """`data` as a gzip member of DEFLATE stored blocks, with a fixed header."""
    out = [b"\x1f\x8b\x08\x00" + b"\0\0\0\0" + b"\x00\xff"]
    offset = 0
    while True:
        chunk = data[offset : offset + _STORED_MAX]
        offset += len(chunk)
        final = offset >= len(data)
        # BFINAL, BTYPE=00, then padding to the byte boundary: the whole first byte is 0 or 1.
        out.append(struct.pack("<BHH", 1 if final else 0, len(chunk), len(chunk) ^ 0xFFFF))
        out.append(chunk)
        if final:
            break
    out.append(struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF))
    return b"".join(out)


def sdist_bytes(members: Iterable[Member], mtime: int) -> bytes:
    """The `.tar.gz` of `members` by this module's recipe."""
    return gzip_stored(tar_bytes(members, mtime))
