"""Versions and links: which tags are releases, and the exact VCS link pip gets for one.

This module owns DESIGN.md §2 (the link format) and the version half of §3: reading a PEP 440 version
out of a tag name, checking it against the version the metadata declares, and writing
`git+<clone url>@<40-hex commit>#egg=<canonical name>-<version>` so that pip parses it back to exactly
that name and version. Pure functions; `packaging` decides every name and version.
"""

from __future__ import annotations

import functools
import re
import sys
import urllib.parse
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .metadata import quote_value
from .models import ProjectMetadata

__all__ = [
    "DEFAULT_TAG_PATTERN",
    "EGG_FRAGMENT_RE",
    "EPOCH_VERSION",
    "LOCAL_VERSION",
    "NOT_A_VERSION",
    "build_link",
    "check_tag_pattern",
    "compile_tag_pattern",
    "egg_fragment",
    "is_valid_egg_fragment",
    "parse_tag_version",
    "release_version",
]

DEFAULT_TAG_PATTERN = r"^v?(?P<version>.+)$"
"""A tag is `<prefix><version>`: the pattern strips the prefix (default: an optional lowercase `v`) and
its `version` group must be a PEP 440 version. Use `(?i)` in a pattern to accept `V` too."""

NOT_A_VERSION = "not a version"
LOCAL_VERSION = "local version (+…) cannot be published"
EPOCH_VERSION = "epoch (!) cannot be published"

# pip >= 26.0 validates the `egg` fragment of every link on an index page with this regex
# (pip/_internal/models/link.py, `Link._project_name_re`, checked in `Link._egg_fragment`: `re.match`,
# so `$` also matches before a trailing newline). A mismatch raises `InvalidEggFragment`, which fails
# the whole page, not just the link; pip 23.x–25.x warned instead (pypa/pip#11617, #13157).
EGG_FRAGMENT_RE = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)

# Stricter than pip's: whole-string and ASCII only (pip's IGNORECASE without re.ASCII also lets
# "K" U+212A or "ſ" U+017F through). We never write what only a lenient reading accepts.
_STRICT_EGG_FRAGMENT_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")

_COMMIT_RE = re.compile(r"[0-9a-f]{40}")
_HOST_RE = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?)+|\[[0-9A-Fa-f:.]+\]")
_USER_RE = re.compile(r"[A-Za-z0-9._~-]+")
_PORT_RE = re.compile(r"[0-9]{1,5}")
_SUBDIRECTORY_PART_RE = re.compile(r"[A-Za-z0-9._~-]+")
_STRAY_PERCENT_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")

# Characters left as they are in a clone URL's path: RFC 3986 unreserved and sub-delims, `:` and `/`,
# minus `&` and `'`. `@` is quoted because pip takes the revision after the last `@` of the path
# (pip/_internal/vcs/versioncontrol.py `VersionControl.get_url_rev_and_auth`: `path.rsplit("@", 1)`);
# `#`, `?` and `&` because pip looks for `[#&]egg=` and `[#&]subdirectory=` anywhere in the URL
# (`Link._egg_fragment_re`, `Link._subdirectory_fragment_re`). `%` is kept only as an existing escape.
_PATH_SAFE = "/:-._~!$()*+,;=%"

_LINK_SCHEMES = frozenset({"http", "https", "ssh"})


# --- tags ---------------------------------------------------------------------------------------------


def compile_tag_pattern(pattern: str | re.Pattern[str]) -> re.Pattern[str]:
    """`pattern` compiled; ValueError when it is not a regex with a `version` group (a configuration
    error, to report before a scan rather than as a skip reason on every tag)."""
    if isinstance(pattern, re.Pattern):
        compiled = pattern
    else:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"tag pattern {quote_value(pattern)} is not a regex: {exc}") from exc
    if "version" not in compiled.groupindex:
        raise ValueError(f"tag pattern {quote_value(compiled.pattern)} has no (?P<version>…) group")
    return compiled


def _min_width_of_group(pattern: str, group: int) -> int | None:
    """The fewest characters group `group` of `pattern` can match, from the regex parser's own tree
    (`re._parser` since Python 3.11, `sre_parse` before); None when the group is not found."""
    if sys.version_info >= (3, 11):
        from re import _parser as parser  # type: ignore[attr-defined]
    else:  # pragma: no cover - Python 3.10
        import sre_parse as parser
    subpattern_op = parser.SUBPATTERN
    stack: list[Any] = [parser.parse(pattern)]
    while stack:
        node = stack.pop()
        for item in node.data if hasattr(node, "data") else node:
            if not isinstance(item, tuple) or len(item) != 2:
                continue
            op, av = item
            if op is subpattern_op and av[0] == group:
                return int(av[-1].getwidth()[0])
            for child in av if isinstance(av, (tuple, list)) else (av,):
                if hasattr(child, "getwidth"):
                    stack.append(child)
                elif isinstance(child, (tuple, list)):
                    stack.extend(c for c in child if hasattr(c, "getwidth"))
    return None


def check_tag_pattern(pattern: str) -> re.Pattern[str]:
    """`pattern` compiled, checked as a configuration value: ValueError when it is not a regex, has no
    `version` group, or its `version` group can match nothing (a tag would then name no version)."""
    compiled = compile_tag_pattern(pattern)
    width = _min_width_of_group(pattern, compiled.groupindex["version"])
    if width is None or width == 0:
        raise ValueError(
            f"tag pattern {quote_value(pattern)}: its (?P<version>…) group can match an empty version"
        )
    return compiled


def _unpublishable(version: Version) -> str | None:
    """Why pip cannot be given this version in an egg fragment: `!` and `+` fail pip's check
    (`EGG_FRAGMENT_RE`), and one such link breaks the whole project page (DESIGN.md §2)."""
    if version.epoch != 0:
        return EPOCH_VERSION
    if version.local is not None:
        return LOCAL_VERSION
    return None


def parse_tag_version(tag: str, pattern: str | re.Pattern[str] = DEFAULT_TAG_PATTERN) -> Version | str:
    """The normalised version a tag names, or a skip reason (`NOT_A_VERSION`, `LOCAL_VERSION`,
    `EPOCH_VERSION`).

    The pattern must match the whole tag. Its `version` group must be a bare PEP 440 version:
    `packaging` itself accepts a leading `v` and surrounding whitespace (`Version("v1.0")`), so the group
    may start with neither, or `vv1.0` and, by default, `V1.0` would be releases. Raises ValueError for
    a pattern without a `version` group.
    """
    if isinstance(pattern, str):
        parsed = tag_version_and_text(tag, pattern)
        return parsed if isinstance(parsed, str) else parsed[0]
    return _parse_uncached(tag, compile_tag_pattern(pattern))


# An organisation's tags repeat the same few thousand names (`v1.0.0` in every repository), and each is
# parsed by the scan and by the build: one parse per (name, pattern). `Version` is immutable. Bounded, so
# a long-lived process (`serve`) does not grow with every tag it ever saw.
@functools.lru_cache(maxsize=1 << 16)
def tag_version_and_text(tag: str, pattern: str) -> tuple[Version, str] | str:
    """`parse_tag_version` with the version's normalised text, or the skip reason. The text is kept
    with the tag name, never per Version: `Version("1") == Version("1.0")`."""
    version = _parse_uncached(tag, _compiled(pattern))
    return version if isinstance(version, str) else (version, str(version))


@functools.lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return compile_tag_pattern(pattern)


def _parse_uncached(tag: str, compiled: re.Pattern[str]) -> Version | str:
    match = compiled.fullmatch(tag)
    text = match.group("version") if match else None
    if not text or text[0] in "vV" or text != text.strip():
        return NOT_A_VERSION
    try:
        version = Version(text)
    except InvalidVersion:
        return NOT_A_VERSION
    return _unpublishable(version) or version


def release_version(tag_version: Version, metadata: ProjectMetadata) -> Version | str:
    """The version a tag publishes, or a skip reason.

    A dynamic version (None) is the tag's. A static one must equal the tag's as PEP 440 versions
    (`1.0` == `1.0.0`): pip builds the checkout and discards it when the built metadata's version is not
    the link's (pip/_internal/resolution/resolvelib/candidates.py `_check_metadata_consistency`, which
    compares parsed versions), so a mismatch would cost every user a clone and a build.
    """
    if reason := _unpublishable(tag_version):
        return reason
    if metadata.version is None:
        return tag_version
    static = _static_version(metadata.version)
    if static is None:
        return f"invalid metadata version {quote_value(metadata.version)}"
    if static != tag_version:
        return f"metadata version {_clip(str(static))} differs from tag version {_clip(str(tag_version))}"
    return tag_version


@functools.lru_cache(maxsize=1 << 16)
def _static_version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


# --- links --------------------------------------------------------------------------------------------


def is_valid_egg_fragment(fragment: str) -> bool:
    """True when pip accepts `fragment` as an egg fragment (`EGG_FRAGMENT_RE`), read strictly: the whole
    string, ASCII only."""
    return (
        EGG_FRAGMENT_RE.match(fragment) is not None
        and _STRICT_EGG_FRAGMENT_RE.fullmatch(fragment) is not None
    )


@functools.lru_cache(maxsize=4096)
def _egg_name(name: str) -> str:
    # validate=True: PEP 508 name rule (packaging.utils.InvalidName is a ValueError).
    return canonicalize_name(name, validate=True)


def egg_fragment(name: str, version: Version) -> str:
    """`<canonical name>-<normalised version>`, the value of `#egg=`.

    For a VCS link pip takes the version only from this fragment: it splits at the first `-` after which
    the canonicalised prefix equals the requested name (pip/_internal/index/package_finder.py
    `_find_name_version_sep` / `_extract_version_from_fragment`). A canonical name has no `--` and a
    normalised version no `-`, so the split is unambiguous. Raises ValueError for an invalid name, an
    epoch or local version, or anything pip's check would refuse.
    """
    if reason := _unpublishable(version):
        raise ValueError(f"version {version}: {reason}")
    return _fragment(name, str(version))


def _fragment(name: str, text: str) -> str:
    """`egg_fragment` given the text of a publishable version."""
    canonical = _egg_name(name)
    fragment = f"{canonical}-{text}"
    # Two valid fragments joined by `-` are a valid fragment (each starts and ends with a letter or
    # digit): both parts are checked once each, the whole only when one of them is not valid alone.
    if not (_valid_part(canonical) and _valid_part(text)) and not is_valid_egg_fragment(fragment):
        raise ValueError(f"egg fragment {quote_value(fragment)} would fail pip's check")
    return fragment


_valid_part = functools.lru_cache(maxsize=1 << 16)(is_valid_egg_fragment)


def _quote_path(path: str) -> str:
    """Percent-encode what would break the link, keep existing `%XX` escapes, leave a normal
    `owner/repo.git` untouched. Non-ASCII is encoded as UTF-8."""
    return urllib.parse.quote(_STRAY_PERCENT_RE.sub("%25", path), safe=_PATH_SAFE)


def _check_netloc(scheme: str, netloc: str) -> None:
    userinfo, at, hostport = netloc.rpartition("@")
    if at and scheme != "ssh":
        # The index is published: a token or password in a clone URL would be published with it.
        raise ValueError("an http(s) clone URL must not carry credentials")
    if at and not _USER_RE.fullmatch(userinfo):
        raise ValueError("an ssh clone URL may name a user, never a password")
    host, colon, port = hostport.rpartition(":") if not hostport.endswith("]") else ("", "", "")
    if not colon:
        host = hostport
    elif not _PORT_RE.fullmatch(port):
        raise ValueError(f"bad port in clone URL host {quote_value(hostport)}")
    if not _HOST_RE.fullmatch(host):
        raise ValueError(f"bad host in clone URL {quote_value(hostport)}")


@functools.lru_cache(maxsize=4096)  # one clone URL serves every release of its repository
def _vcs_url(clone_url: str) -> str:
    """`git+` and the clone URL, its path percent-encoded where it would break the link."""
    scheme, sep, rest = clone_url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in _LINK_SCHEMES:
        raise ValueError(f"clone URL {quote_value(clone_url)} is not http(s):// or ssh://")
    netloc, slash, path = rest.partition("/")
    if not slash or not path.strip("/"):
        raise ValueError(f"clone URL {quote_value(clone_url)} has no repository path")
    _check_netloc(scheme, netloc)
    return f"git+{scheme}://{netloc}/{_quote_path(path)}"


def _check_subdirectory(subdirectory: str) -> str:
    """A relative POSIX path whose segments need no quoting: pip does not unquote `subdirectory=`
    (`Link.subdirectory_fragment` returns the raw text and pip/_internal/req/req_install.py joins it to
    the checkout), so a quoted `a%20b` would name a directory called `a%20b`. Trailing `/` dropped."""
    path = subdirectory.rstrip("/")
    parts = path.split("/")
    if subdirectory.startswith("/") or any(
        part in (".", "..") or not _SUBDIRECTORY_PART_RE.fullmatch(part) for part in parts
    ):
        raise ValueError(f"subdirectory {quote_value(subdirectory)} is not a plain relative path")
    assert urllib.parse.quote(path, safe="/") == path
    return path


def build_link(
    clone_url: str, commit: str, name: str, version: Version, subdirectory: str = "", *, text: str = ""
) -> str:
    """The VCS link pip gets for one release (DESIGN.md §2).

    `git+{clone_url}@{commit}#egg={name}-{version}`, or with `#subdirectory={path}&egg=…` for a project
    below the repository root. `commit` is the full 40-hex SHA (pip caches the wheel it builds only for
    an immutable commit: pip/_internal/wheel_builder.py `_should_cache` → `Git.is_immutable_rev_checkout`).
    Raises ValueError for a clone URL that is not http(s)/ssh, carries credentials or has a bad host, a
    commit that is not 40 lowercase hex digits, an unpublishable name or version, or a bad subdirectory.
    `text`, when given, is `str(version)`, which the caller already has (an org's builds make 100,000s).
    """
    if not _COMMIT_RE.fullmatch(commit):
        raise ValueError(f"commit {quote_value(commit)} is not 40 lowercase hex digits")
    if text and "!" not in text and "+" not in text:  # the text of a version without epoch or local part
        fragment = _fragment(name, text)
    else:
        fragment = egg_fragment(name, version)
    url = f"{_vcs_url(clone_url)}@{commit}"
    if subdirectory:
        return f"{url}#subdirectory={_check_subdirectory(subdirectory)}&egg={fragment}"
    return f"{url}#egg={fragment}"
