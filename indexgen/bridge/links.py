"""The upstream index's pages: parsed into VCS links, checked against the fetch policy, and rewritten
into pages of sdist links. Pure: no network, no disk.

An upstream release link looks like `git+https://host/org/repo.git@<40 hex>#egg=<name>-<version>`, with
an optional `subdirectory=<path>` in the fragment (README "What you get"). The bridge serves it as
`/files/<sha>/<name>-<version>.tar.gz`, the sdist file name of the packaging specification (the name
normalised with underscores, PEP 625).
"""

from __future__ import annotations

import html
import posixpath
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser

from packaging.utils import (
    InvalidSdistFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
)
from packaging.version import InvalidVersion, Version

DEFAULT_ALLOWED_HOSTS = ("github.com",)
_SHA = re.compile(r"[0-9a-f]{40}")
# A host name or address as git and ssh take it; anything else (spaces, options, user-info tricks) is refused.
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_PATH = re.compile(r"/[A-Za-z0-9._~/-]+")
_SDIST_SUFFIX = ".tar.gz"


@dataclass(frozen=True)
class Anchor:
    """One `<a>` of an upstream page: its href and the PEP 503/592 attributes the bridge passes on."""

    href: str
    text: str
    requires_python: str | None = None
    yanked: str | None = None  # None: not yanked; "" yanked without a reason


@dataclass(frozen=True)
class Release:
    """One release the bridge can serve: which commit of which repository, and what it is called."""

    name: NormalizedName
    version: str  # normalised PEP 440
    clone_url: str  # https://… or ssh://…, as git is given it
    commit: str  # 40 hex
    subdirectory: str  # "" for the repository's root
    requires_python: str | None = None
    yanked: str | None = None

    @property
    def filename(self) -> str:
        return sdist_filename(self.name, self.version)

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.clone_url).hostname or ""


@dataclass(frozen=True)
class Refused:
    """An upstream link the bridge will not serve, and why."""

    href: str
    reason: str

    def __str__(self) -> str:
        return f"refused link {self.href!r}: {self.reason}"


@dataclass(frozen=True)
class Listing:
    """A project page of the upstream index as the bridge sees it."""

    name: NormalizedName
    releases: tuple[Release, ...]
    refused: tuple[Refused, ...] = ()

    def find(self, commit: str, filename: str) -> Release | None:
        """The release the upstream lists for this (commit, file) pair, or None."""
        for release in self.releases:
            if release.commit == commit and release.filename == filename:
                return release
        return None


def sdist_filename(name: str, version: str) -> str:
    """`acme_utils-2.0.0.tar.gz`: the sdist name of the packaging specification (PEP 625)."""
    return f"{canonicalize_name(name).replace('-', '_')}-{version}{_SDIST_SUFFIX}"


def parse_filename(filename: str) -> tuple[NormalizedName, str] | None:
    """(name, version) of an sdist file name the bridge could have made, or None."""
    if not filename.endswith(_SDIST_SUFFIX) or "/" in filename:
        return None
    try:
        name, version = parse_sdist_filename(filename)
    except (InvalidSdistFilename, InvalidVersion):
        return None
    return name, str(version)


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[Anchor] = []
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open, self._text = dict(attrs), []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            attrs, self._open = self._open, None
            href = attrs.get("href")
            if href:
                yanked = attrs.get("data-yanked") if "data-yanked" in attrs else None
                self.anchors.append(
                    Anchor(
                        href,
                        "".join(self._text).strip(),
                        attrs.get("data-requires-python") or None,
                        None if "data-yanked" not in attrs else (yanked or ""),
                    )
                )


def parse_anchors(page: str) -> list[Anchor]:
    """Every `<a href>` of an HTML page, with its text and PEP 503/592 attributes."""
    parser = _AnchorParser()
    parser.feed(page)
    parser.close()
    return parser.anchors


def parse_root(page: str) -> list[NormalizedName]:
    """The project names of an upstream root page (`simple/index.html`), sorted and unique."""
    names = set()
    for anchor in parse_anchors(page):
        text = anchor.text or anchor.href.rstrip("/").rsplit("/", 1)[-1]
        if re.fullmatch(r"[A-Za-z0-9._-]+", text):
            names.add(canonicalize_name(text))
    return sorted(names)


def check_subdirectory(path: str) -> str | None:
    """Why `#subdirectory=path` cannot be served (absolute, escaping, odd characters), or None."""
    if path.startswith("/") or "\\" in path or "\0" in path:
        return f"subdirectory {path!r} is not a relative path"
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts) or posixpath.normpath(path) != path:
        return f"subdirectory {path!r} is not a plain relative path inside the repository"
    if any(part.startswith("-") or part == ".git" for part in parts):
        return f"subdirectory {path!r} has a component git could take for an option or its own directory"
    return None


def check_clone_url(url: str, allowed_hosts: Iterable[str]) -> str | None:
    """Why git must not be pointed at `url`, or None: only `https://` and `ssh://` URLs of an allowed
    host with a plain path. Never `file://`, `ext::`, local paths or anything an option could hide in."""
    if url.startswith("-") or any(c.isspace() or ord(c) < 32 for c in url):
        return "the clone URL looks like an option or holds blanks"
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        return "the clone URL does not parse"
    if parts.scheme not in ("https", "ssh"):
        return f"only https and ssh clone URLs are fetched, not {parts.scheme or 'a plain path'!r}"
    host = parts.hostname or ""
    if not _HOST.fullmatch(host):
        return f"the clone URL's host {host!r} is not a host name"
    if parts.password is not None or (parts.scheme == "https" and parts.username is not None):
        return "the clone URL carries credentials"
    if parts.scheme == "ssh" and parts.username is not None and not _HOST.fullmatch(parts.username):
        return "the clone URL's ssh user is not a plain name"
    if port is not None and not 0 < port < 65536:
        return "the clone URL's port is out of range"
    if parts.query or parts.fragment:
        return "the clone URL has a query or fragment"
    if not _PATH.fullmatch(parts.path) or "/../" in parts.path + "/" or "/./" in parts.path + "/":
        return f"the clone URL's path {parts.path!r} is not a plain repository path"
    allowed = {h.lower() for h in allowed_hosts}
    if host.lower() not in allowed:
        return f"host {host!r} is not in the allowed hosts ({', '.join(sorted(allowed))}; see --allow-host)"
    return None


def parse_release(anchor: Anchor, project: NormalizedName, allowed_hosts: Iterable[str]) -> Release | Refused:
    """The release an upstream anchor links to, or why the bridge refuses it."""
    href = anchor.href

    def refuse(reason: str) -> Refused:
        return Refused(href, reason)

    if not href.startswith("git+"):
        return refuse("not a git link (the bridge serves only commit-pinned git links)")
    url_rev, _, fragment = href[4:].partition("#")
    url, at, commit = url_rev.rpartition("@")
    if not at or "/" in commit:
        return refuse("the link pins no commit")
    if not _SHA.fullmatch(commit):
        return refuse("the link pins no full 40-hex commit id")
    if problem := check_clone_url(url, allowed_hosts):
        return refuse(problem)
    fields: dict[str, str] = {}
    for key, value in urllib.parse.parse_qsl(fragment, keep_blank_values=True):
        if key in fields:
            return refuse(f"the fragment repeats {key!r}")
        fields[key] = value
    egg = fields.get("egg", "")
    name_part, dash, version_part = egg.rpartition("-")
    if not dash or canonicalize_name(name_part) != project:
        return refuse(f"the egg fragment {egg!r} does not name {project!r} and a version")
    try:
        parsed = Version(version_part)
    except InvalidVersion:
        return refuse(f"the egg fragment {egg!r} has no valid version")
    if parsed.local is not None or parsed.epoch:
        return refuse("local versions and epochs are not served")
    version = str(parsed)
    subdirectory = fields.get("subdirectory", "")
    if subdirectory and (problem := check_subdirectory(subdirectory)):
        return refuse(problem)
    return Release(project, version, url, commit, subdirectory, anchor.requires_python, anchor.yanked)


def parse_project(page: str, project: NormalizedName, allowed_hosts: Iterable[str]) -> Listing:
    """The releases of an upstream project page and the links refused, in page order."""
    releases: list[Release] = []
    refused: list[Refused] = []
    for anchor in parse_anchors(page):
        found = parse_release(anchor, project, allowed_hosts)
        (releases if isinstance(found, Release) else refused).append(found)  # type: ignore[arg-type]
    return Listing(project, tuple(releases), tuple(refused))


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def render_root(names: Iterable[str]) -> bytes:
    """The bridge's `/simple/` page (PEP 503)."""
    lines = [f'<a href="{_attr(n)}/">{html.escape(n)}</a>' for n in names]
    return _page("Simple index", lines)


def render_project(listing: Listing, hashes: Mapping[str, str]) -> bytes:
    """The bridge's `/simple/<name>/` page: one sdist link per release, with `#sha256=` for the archives
    already built (`hashes`: file URL path → hex digest), and the upstream's Requires-Python and
    yanked marks (PEP 503, PEP 592)."""
    lines = []
    for release in listing.releases:
        path = file_path(release)
        href = f"../..{path}"
        if digest := hashes.get(path):
            href += f"#sha256={digest}"
        attrs = f'href="{_attr(href)}"'
        if release.requires_python:
            attrs += f' data-requires-python="{_attr(release.requires_python)}"'
        if release.yanked is not None:
            attrs += f' data-yanked="{_attr(release.yanked)}"'
        lines.append(f"<a {attrs}>{html.escape(release.filename)}</a>")
    return _page(f"Links for {listing.name}", lines)


def file_path(release: Release) -> str:
    """Where the bridge serves a release: `/files/<sha>/<name>-<version>.tar.gz`."""
    return f"/files/{release.commit}/{release.filename}"


def _page(title: str, lines: list[str]) -> bytes:
    body = "<br>\n".join(lines)
    text = (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        '<meta name="pypi:repository-version" content="1.0">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
    return text.encode("utf-8")
