"""indexgen's expected failures: one family, each carrying its data and building its own message.

The CLI catches `IndexgenError`, prints `error: <str(exc)>` on one line and exits with `exit_code`.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import base64
import datetime as dt
import urllib.parse
from dataclasses import dataclass

_SECRETS: set[str] = set()


def register_secret(value: str) -> None:
    """Remember a credential so that `redact` removes it, in the forms an echo could carry it: as is,
    URL-encoded, hex, and inside base64 (an `Authorization: Basic` header) at each byte alignment."""
    if len(value) < 8:
        return
    raw = value.encode()
    forms = {value, urllib.parse.quote(value, safe=""), raw.hex()}
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + raw).decode()
        # Skip the characters the padding bytes touch and the last, partial one.
        start, end = (pad * 4 + 2) // 3, len(encoded) - 4
        forms.add(encoded[start:end].rstrip("="))
        forms.add(encoded[start:end].rstrip("=").replace("+", "-").replace("/", "_"))
    _SECRETS.update(f for f in forms if len(f) >= 8)


def redact(text: str) -> str:
    """`text` with every registered credential replaced by `***`."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "***")
    return text


class IndexgenError(Exception):
    """Base of every expected failure. Subclasses build their message in `__str__`."""

    exit_code = 1

    def __str__(self) -> str:  # pragma: no cover - subclasses override
        return self.__class__.__name__


@dataclass
class ConfigError(IndexgenError):
    """Bad flags, environment or configuration; all problems are reported at once."""

    problems: tuple[str, ...]
    exit_code = 2

    def __str__(self) -> str:
        return "; ".join(self.problems)


@dataclass
class TokenRejected(IndexgenError):
    """GitHub answered 401 to the token."""

    source: str  # where the token came from: GITHUB_TOKEN, GH_TOKEN, `gh auth token`

    def __str__(self) -> str:
        return f"GitHub rejected the token from {self.source} (401 Bad credentials): check it has not expired"


@dataclass
class OwnerNotFound(IndexgenError):
    """The organisation or user does not exist, or the token cannot see it."""

    owner: str
    kind: str  # "organisation" or "user"

    def __str__(self) -> str:
        return f"GitHub {self.kind} {self.owner!r} not found (or not visible to this token)"


@dataclass
class RateLimited(IndexgenError):
    """The API budget ran out and its reset is further away than `--max-wait` allows."""

    resource: str  # "REST" or "GraphQL"
    reset_at: float | None  # epoch seconds

    def __str__(self) -> str:
        when = "at an unknown time"
        if self.reset_at:
            stamp = dt.datetime.fromtimestamp(self.reset_at, dt.timezone.utc)
            when = "at " + stamp.strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"GitHub {self.resource} API rate limit exhausted; it resets {when}"


@dataclass
class ApiError(IndexgenError):
    """Any other API failure that retries could not mend: a status, where, and GitHub's message."""

    status: int | None
    where: str
    message: str

    def __post_init__(self) -> None:
        # The message is the server's: a proxy or a wrong --api-url may echo the request back.
        self.message = redact(self.message)

    def __str__(self) -> str:
        status = f"HTTP {self.status}" if self.status else "no answer"
        return redact(f"GitHub API failed for {self.where}: {status}: {self.message}")


@dataclass
class OutputError(IndexgenError):
    """The site could not be written; the previous site is left in place."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"cannot write {self.path}: {self.message}"
