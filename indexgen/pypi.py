"""Dependency confusion: which private project names also exist on PyPI.

`--extra-index-url` gives no index priority: pip merges the versions of both indexes and takes the
best, so a public project of the same name with a higher version wins (DESIGN.md §6). Every build
asks PyPI's JSON API (`GET /pypi/<name>/json`, 404 when the name is free) about every private name.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import requests
import requests.adapters
from packaging.version import InvalidVersion, Version
from urllib3 import Retry

from . import __version__
from .errors import IndexgenError

DEFAULT_PYPI_URL = "https://pypi.org"
WORKERS = 8  # PyPI is a CDN, not GitHub: a few parallel requests are fine


@dataclass
class PyPIUnreachable(IndexgenError):
    url: str
    reason: str

    def __str__(self) -> str:
        return (
            f"cannot check project names against {self.url} ({self.reason}); pass --no-pypi-check to "
            "build without the dependency-confusion check"
        )


@dataclass
class PublicNameCollision(IndexgenError):
    """Private names that PyPI also has, with PyPI's highest version."""

    collisions: Mapping[str, str]
    exit_code = 4

    def __str__(self) -> str:
        listed = ", ".join(
            f"{name} (PyPI has {version})" for name, version in sorted(self.collisions.items())
        )
        return (
            f"private projects also exist on PyPI: {listed}; pip would install PyPI's whenever its version "
            "is higher. Rename them, or acknowledge each with --allow-public NAME"
        )


def highest_version(payload: Mapping[str, object]) -> str:
    """PyPI's highest non-yanked release in a JSON API answer (its `info.version` as a fallback)."""
    releases = payload.get("releases")
    best: Version | None = None
    if isinstance(releases, dict):
        for raw, files in releases.items():
            if (
                isinstance(files, list)
                and files
                and all(isinstance(f, dict) and f.get("yanked") for f in files)
            ):
                continue
            try:
                version = Version(str(raw))
            except InvalidVersion:
                continue
            best = version if best is None or version > best else best
    info = payload.get("info")
    fallback = str(info.get("version", "?")) if isinstance(info, dict) else "?"
    return str(best) if best is not None else fallback


def _session() -> requests.Session:
    session = requests.Session()
    retry = Retry(total=3, backoff_factor=0.5, backoff_jitter=0.5, status_forcelist=[429, 500, 502, 503, 504])
    session.mount("https://", requests.adapters.HTTPAdapter(max_retries=retry, pool_maxsize=WORKERS))
    session.mount("http://", requests.adapters.HTTPAdapter(max_retries=retry, pool_maxsize=WORKERS))
    session.headers["User-Agent"] = f"indexgen/{__version__}"
    return session


def fetch_public_versions(names: Iterable[str], pypi_url: str, timeout: float = 15.0) -> dict[str, str]:
    """Canonical name → PyPI's highest version, for the names PyPI has. Raises `PyPIUnreachable`."""
    base = pypi_url.rstrip("/")
    session = _session()

    def lookup(name: str) -> tuple[str, str | None]:
        try:
            response = session.get(f"{base}/pypi/{name}/json", timeout=timeout)
        except requests.exceptions.RequestException as exc:
            raise PyPIUnreachable(base, type(exc).__name__) from exc
        if response.status_code == 404:
            return name, None
        if response.status_code != 200:
            raise PyPIUnreachable(base, f"HTTP {response.status_code} for {name}")
        try:
            return name, highest_version(response.json())
        except ValueError as exc:
            raise PyPIUnreachable(base, f"an answer for {name} that is not JSON") from exc

    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        found = dict(pool.map(lookup, sorted(set(names))))
    return {name: version for name, version in found.items() if version is not None}
