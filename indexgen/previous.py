"""Fetching the previous build's state from a directory or from the deployed site's URL.

The hourly workflow starts from a fresh checkout, so the state comes back from GitHub Pages, where the
last build published it. Every failure here means "no state": a cold build, never a failed one.
"""

from __future__ import annotations

import logging
from pathlib import Path

import requests

log = logging.getLogger(__name__)
MAX_STATE_BYTES = 256 * 1024 * 1024


def fetch_previous_state(location: str, filename: str, timeout: float = 30.0) -> bytes | None:
    """The bytes of `filename` under `location` (a directory, or an http(s) URL of a site)."""
    if location.startswith(("http://", "https://")):
        url = location.rstrip("/") + "/" + filename
        try:
            response = requests.get(url, timeout=timeout, headers={"Cache-Control": "no-cache"})
        except requests.exceptions.RequestException as exc:
            log.debug("cannot fetch %s: %s", url, type(exc).__name__)
            return None
        if response.status_code != 200 or len(response.content) > MAX_STATE_BYTES:
            log.debug("cannot fetch %s: HTTP %s", url, response.status_code)
            return None
        return response.content
    try:
        return (Path(location) / filename).read_bytes()
    except OSError:
        return None
