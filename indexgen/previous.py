"""Reading the previous build's state from a directory or from the deployed site's URL.

The hourly workflow starts from a fresh checkout, so the state comes back from GitHub Pages, where the
last build published it. A state that is not there (no file, HTTP 404, no answer) is no state: a cold
build, which the caller warns about. A state that is there but larger than the limit is an error.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import requests

from . import state
from .state import StateUnreadable

log = logging.getLogger(__name__)
_CHUNK = 1024 * 1024


def _too_large(where: str) -> StateUnreadable:
    return StateUnreadable(where, f"is larger than {state.limit_text()}")


def read_state_file(path: Path) -> bytes | None:
    """The bytes of the state file at `path`, None when there is none."""
    limit = state.MAX_STATE_BYTES
    try:
        with path.open("rb") as handle:
            if os.fstat(handle.fileno()).st_size > limit:
                raise _too_large(f"at {path}")
            raw = handle.read(limit + 1)
    except OSError:
        return None
    if len(raw) > limit:
        raise _too_large(f"at {path}")
    return raw


def fetch_previous_state(location: str, filename: str, timeout: float = 30.0) -> bytes | None:
    """The bytes of `filename` under `location` (a directory, or an http(s) URL of a site), None
    when it is not there or the site does not answer."""
    if not location.startswith(("http://", "https://")):
        return read_state_file(Path(location) / filename)
    url = location.rstrip("/") + "/" + filename
    try:
        with requests.get(
            url, timeout=timeout, headers={"Cache-Control": "no-cache"}, stream=True
        ) as response:
            if response.status_code != 200:
                log.debug("cannot fetch %s: HTTP %s", url, response.status_code)
                return None
            limit = state.MAX_STATE_BYTES
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > limit:
                raise _too_large(f"at {url}")
            chunks, size = [], 0
            for chunk in response.iter_content(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _too_large(f"at {url}")
                chunks.append(chunk)
    except requests.exceptions.RequestException as exc:
        log.debug("cannot fetch %s: %s", url, type(exc).__name__)
        return None
    return b"".join(chunks)
