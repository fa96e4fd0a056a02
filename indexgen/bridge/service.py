"""What each bridge request gets: pages rewritten from the upstream index, and archives built on first
request and cached by commit. No HTTP here: the server maps `BridgeError.status` to a response.

Only (commit, file) pairs that the upstream project page lists are served, and only from clone URLs
that pass the fetch policy (`links.check_clone_url`). A file asked for before its page (a lock file
replayed on a fresh machine) makes the bridge read that page first.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests
from packaging.utils import NormalizedName, canonicalize_name

from .. import __version__
from ..errors import IndexgenError, redact
from .archive import RECIPE
from .fetch import GitCache, GitFailed
from .links import (
    Listing,
    Release,
    file_path,
    parse_filename,
    parse_project,
    parse_root,
    render_project,
    render_root,
)
from .sdist import build_sdist

log = logging.getLogger("indexgen.bridge")
MAX_PAGE_BYTES = 16 * 1024 * 1024


@dataclass
class BridgeError(IndexgenError):
    """A request the bridge cannot answer: an HTTP status and a one-line reason."""

    status: int
    reason: str

    def __str__(self) -> str:
        return redact(self.reason)


class Upstream:
    """The static index: an http(s) URL of its `simple/` or a local directory."""

    def __init__(self, location: str, timeout: float = 30.0) -> None:
        self.location = location
        self.remote = location.startswith(("http://", "https://"))
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers["User-Agent"] = f"indexgen-bridge/{__version__}"

    def read(self, project: str | None) -> str | None:
        """The root page (`project` None) or a project page; None when the upstream has no such page."""
        if not self.remote:
            path = Path(self.location, *([project] if project else []), "index.html")
            try:
                return path.read_bytes()[:MAX_PAGE_BYTES].decode("utf-8", "replace")
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise BridgeError(502, f"cannot read the upstream index at {path}: {exc.strerror}") from None
        url = self.location.rstrip("/") + "/" + (urllib.parse.quote(project) + "/" if project else "")
        try:
            response = self._session.get(url, timeout=self.timeout, headers={"Accept": "text/html"})
        except requests.RequestException as exc:
            raise BridgeError(
                502, f"cannot reach the upstream index at {url}: {type(exc).__name__}"
            ) from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise BridgeError(502, f"the upstream index answered HTTP {response.status_code} for {url}")
        # PEP 503 pages are UTF-8; requests would guess ISO-8859-1 for a text/html without charset.
        return response.content[:MAX_PAGE_BYTES].decode("utf-8", "replace")


class Bridge:
    """The bridge's state: the upstream, the allowed hosts, the git cache and the archive cache."""

    def __init__(
        self, upstream: Upstream, cache: Path, allowed_hosts: tuple[str, ...], git: GitCache
    ) -> None:
        self.upstream = upstream
        self.allowed_hosts = allowed_hosts
        self.git = git
        self.archives = cache / "archives" / RECIPE
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._warned: set[str] = set()

    # -- pages -----------------------------------------------------------------------------------

    def root_page(self) -> bytes:
        page = self.upstream.read(None)
        if page is None:
            raise BridgeError(502, f"the upstream index has no root page at {self.upstream.location}")
        return render_root(parse_root(page))

    def listing(self, name: str) -> Listing:
        project = canonicalize_name(name)
        page = self.upstream.read(project)
        if page is None:
            raise BridgeError(404, f"the upstream index has no project {project!r}")
        listing = parse_project(page, project, self.allowed_hosts)
        for refused in listing.refused:
            if str(refused) not in self._warned:
                self._warned.add(str(refused))
                log.warning("%s: %s", project, refused)
        return listing

    def project_page(self, name: str) -> bytes:
        listing = self.listing(name)
        hashes = {}
        for release in listing.releases:
            if digest := self._digest(release):
                hashes[file_path(release)] = digest
        return render_project(listing, hashes)

    # -- archives --------------------------------------------------------------------------------

    def _where(self, release: Release) -> Path:
        key = hashlib.sha256(
            f"{release.subdirectory}\0{release.name}\0{release.version}".encode()
        ).hexdigest()[:16]
        return self.archives / release.commit / key / release.filename

    def _digest(self, release: Release) -> str | None:
        try:
            return (self._where(release).parent / "sha256").read_text(encoding="ascii").strip() or None
        except OSError:
            return None

    def release_for(self, commit: str, filename: str) -> Release:
        parsed = parse_filename(filename)
        if parsed is None:
            raise BridgeError(404, f"{filename!r} is not an sdist file name the bridge serves")
        name: NormalizedName = parsed[0]
        listing = self.listing(name)
        release = listing.find(commit, filename)
        if release is None:
            for refused in listing.refused:
                if commit in refused.href:
                    raise BridgeError(403, f"{filename} at {commit[:12]}: {refused}")
            raise BridgeError(404, f"the upstream index lists no {filename} at commit {commit}")
        return release

    def archive(self, commit: str, filename: str) -> tuple[Path, str]:
        """The archive file and its sha256 for a listed (commit, file) pair, built on first request."""
        release = self.release_for(commit, filename)
        target = self._where(release)
        with self._lock(str(target)):
            digest = self._digest(release)
            if digest is not None and target.exists():
                return target, digest
            data = self._build(release)
            digest = hashlib.sha256(data).hexdigest()
            _write_atomic(target, data)
            _write_atomic(target.parent / "sha256", (digest + "\n").encode())
            log.info(
                "built %s from %s@%s%s (sha256 %s)",
                release.filename,
                release.clone_url,
                release.commit[:12],
                f" subdirectory {release.subdirectory}" if release.subdirectory else "",
                digest,
            )
            return target, digest

    def _build(self, release: Release) -> bytes:
        try:
            tree = self.git.read_tree(release.clone_url, release.commit, release.subdirectory)
        except GitFailed as exc:
            raise BridgeError(502, f"{release.filename}: {exc}") from None
        built = build_sdist(tree, release.name, release.version)
        if isinstance(built, str):
            raise BridgeError(
                422, f"{release.filename} from {release.clone_url}@{release.commit[:12]}: {built}"
            )
        return built

    @contextlib.contextmanager
    def _lock(self, key: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            yield


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
