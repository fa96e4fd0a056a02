"""The one retry policy and request accounting shared by the REST (PyGithub) and GraphQL transports.

Both transports mount the same `urllib3.Retry`, `CountingRetry`, which understands GitHub's primary and
secondary rate limits, so a 503 or a secondary limit is handled identically whichever API answered (a
GraphQL 502 or 504 is GitHub giving up on a slow query: the GraphQL client answers it itself). It
is our own rather than PyGithub's `GithubRetry`, whose behaviour it keeps, so that a GraphQL build never
imports PyGithub. The retry object also counts every HTTP attempt, which is how the summary line reports
the requests a build really cost, retries included.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Collection
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from urllib3.util.retry import Retry

if TYPE_CHECKING:
    from typing_extensions import Self
    from urllib3.connectionpool import ConnectionPool
    from urllib3.response import BaseHTTPResponse

log = logging.getLogger(__name__)

# GitHub asks clients to wait at least a minute after a secondary rate limit without Retry-After
# (docs: "Best practices for using the REST API" → "Handle rate limit errors appropriately").
SECONDARY_RATE_WAIT = 60.0


@dataclass
class ApiUsage:
    """What a scan cost: HTTP attempts per API (retries included), GraphQL points, and the budget
    left according to the last X-RateLimit-Remaining header seen for each API."""

    rest_requests: int = 0
    graphql_requests: int = 0
    graphql_points: int = 0
    rest_remaining: int | None = None
    graphql_remaining: int | None = None

    def count(self, resource: str) -> None:
        if resource == "graphql":
            self.graphql_requests += 1
        else:
            self.rest_requests += 1

    def observe(self, headers: Any) -> None:
        """Record GitHub's X-RateLimit-Remaining from one response."""
        try:
            remaining = int(headers["X-RateLimit-Remaining"])
        except (KeyError, ValueError):
            return
        if headers.get("X-RateLimit-Resource") == "graphql":
            self.graphql_remaining = remaining
        else:
            self.rest_remaining = remaining

    def summary(self) -> str:
        parts = [f"{self.rest_requests} REST requests"]
        if self.rest_remaining is not None:
            parts[-1] += f" ({self.rest_remaining} left)"
        if self.graphql_requests:
            text = f"{self.graphql_requests} GraphQL queries, {self.graphql_points} points"
            if self.graphql_remaining is not None:
                text += f" ({self.graphql_remaining} left)"
            parts.append(text)
        return ", ".join(parts)


def reset_epoch(headers: Any) -> float | None:
    """When the rate limit resets, from GitHub's X-RateLimit-Reset header (epoch seconds)."""
    try:
        return float((headers or {}).get("X-RateLimit-Reset") or 0) or None
    except (TypeError, ValueError):
        return None


def is_rate_limit(status: int | None, message: str) -> bool:
    """A 403 or 429 whose message names a rate limit (`rate_limit_kind`): GitHub's primary and
    secondary limits, told apart by the same wordings the retry policy waits on."""
    return status in (403, 429) and rate_limit_kind(message) is not None


def rate_limit_kind(message: str) -> str | None:
    """Which rate limit GitHub's `message` says ran out: "primary", "secondary", or None for none. The
    wordings PyGithub's `Requester` recognises, and any other message naming a rate limit (GitHub's
    wording of the secondary one varies) as a secondary one."""
    text = message.lower()
    if text.startswith("api rate limit exceeded"):
        return "primary"
    if (
        "rate limit" in text
        or text.startswith("you have exceeded a secondary rate limit")
        or text.endswith(
            ("please retry your request again later.", "please wait a few minutes before you try again.")
        )
    ):
        return "secondary"
    return None


@dataclass
class RateLimitTooLong(Exception):
    """GitHub asks for a rate-limit wait longer than `max_rate_limit_wait` (--max-wait): the retry
    policy gives up at once instead of sleeping it out. Each transport turns it into `RateLimited`."""

    status: int
    headers: dict[str, str]
    wait: float

    def __str__(self) -> str:
        return f"HTTP {self.status}: a rate-limit wait of {self.wait:.0f} s exceeds the maximum wait"


@dataclass
class Refused(Exception):
    """A 403 that is no rate limit (SSO enforcement, a proxy's page, ...): not retried. The policy had
    to read the body to tell, so it carries GitHub's message (or "unexpected answer" when the body is
    not GitHub's JSON); each transport turns it into `ApiError`."""

    status: int
    headers: dict[str, str]
    message: str

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.message}"


def message_of(data: object) -> str | None:
    """GitHub's `message` from an error answer's decoded JSON, shortened; never the request. None
    when it has none."""
    message = data.get("message") if isinstance(data, dict) else None
    return message[:200] if isinstance(message, str) else None


def github_text(body: bytes) -> str | None:
    """`message_of` an error answer's JSON body; None when the body is no such JSON."""
    try:
        return message_of(json.loads(body))
    except ValueError:
        return None


class CountingRetry(Retry):
    """GitHub-aware `urllib3.Retry` that counts every HTTP attempt into an `ApiUsage`.

    On top of urllib3's exponential backoff with jitter for the statuses in `status_forcelist` and for
    connection errors, it keeps what PyGithub's `GithubRetry` does for GitHub: a 403 is retried only when
    it is a rate limit (a `Retry-After` header, or a body saying so), waiting until `X-RateLimit-Reset`
    for the primary limit and `Retry-After` or `secondary_rate_wait` seconds for the secondary one; a 429
    that says rate limit waits the same way. A wait longer than `max_rate_limit_wait` raises
    `RateLimitTooLong` at once; a 403 that is no rate limit raises `Refused`.

    urllib3 calls `is_retry` once for every response it receives and `increment` for every failed
    attempt, so responses plus failures without a response is the number of requests sent.
    """

    def __init__(
        self,
        usage: ApiUsage | None = None,
        resource: str = "core",
        secondary_rate_wait: float = SECONDARY_RATE_WAIT,
        max_rate_limit_wait: float | None = None,
        **kwargs: Any,
    ) -> None:
        self.usage = usage if usage is not None else ApiUsage()
        self.resource = resource
        self.secondary_rate_wait = secondary_rate_wait
        self.max_rate_limit_wait = max_rate_limit_wait
        # 403 is GitHub's rate-limit status too: every 403 reaches `increment`, which tells them apart.
        forcelist: Collection[int] = kwargs.get("status_forcelist") or range(500, 600)
        kwargs["status_forcelist"] = frozenset(forcelist) | {403}
        # GraphQL queries are POSTs; a query only reads, so repeating it is safe.
        kwargs.setdefault("allowed_methods", Retry.DEFAULT_ALLOWED_METHODS | {"GET", "POST"})
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> Self:
        kw.update(
            usage=self.usage,
            resource=self.resource,
            secondary_rate_wait=self.secondary_rate_wait,
            max_rate_limit_wait=self.max_rate_limit_wait,
        )
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        self.usage.count(self.resource)
        return super().is_retry(method, status_code, has_retry_after)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if response is None:
            # A connection error or timeout: the attempt went out but nothing came back.
            self.usage.count(self.resource)
            return super().increment(method, url, response, error, _pool, _stacktrace)
        if response.status not in (403, 429):
            return super().increment(method, url, response, error, _pool, _stacktrace)
        retry_after = self.get_retry_after(response)
        if retry_after is not None:
            # urllib3 sleeps Retry-After itself; --max-wait bounds that wait too.
            self._check_wait(response, retry_after)
            retry = super().increment(method, url, response, error, _pool, _stacktrace)
            wait = retry_after
        else:
            retry, wait = self._rate_limit_retry(method, url, response, error, _pool, _stacktrace)
        if wait >= 1:
            log.warning("GitHub API rate limit: waiting %.0f s before retrying", wait)
        return retry

    def _rate_limit_retry(
        self,
        method: str | None,
        url: str | None,
        response: BaseHTTPResponse,
        error: Exception | None,
        _pool: ConnectionPool | None,
        _stacktrace: TracebackType | None,
    ) -> tuple[Self, float]:
        """The next retry for a 403 or 429 without Retry-After, and its wait. The body says which limit
        ran out. Reading it consumes it: when the retries are spent on a rate limit, urllib3 hands on an
        empty 403 or 429, which both transports know for a rate limit they could not wait out."""
        if response.status == 429:
            # Retried whatever it says (429 is in `status_forcelist`); MaxRetryError, when the retries
            # are spent, comes before the body is read, so the transport still sees GitHub's message.
            retry = super().increment(method, url, response, error, _pool, _stacktrace)
            message, kind = _limit_named(response)
            if kind is None:
                return retry, retry.get_backoff_time()
        else:
            message, kind = _limit_named(response)
            if kind is None:
                raise Refused(
                    response.status,
                    dict(response.headers),
                    message if message is not None else "unexpected answer",
                )
            retry = super().increment(method, url, response, error, _pool, _stacktrace)
        if kind == "primary":
            # Until the reset, plus a second: it is not clear when in that second the reset occurs.
            reset = reset_epoch(response.headers)
            wait = max(reset - time.time() + 1, 0.0) if reset is not None else 0.0
        else:
            wait = self.secondary_rate_wait
        self._check_wait(response, wait)
        wait = max(wait, retry.get_backoff_time())
        retry.get_backoff_time = lambda: wait  # type: ignore[method-assign]
        return retry, wait

    def _check_wait(self, response: BaseHTTPResponse, wait: float) -> None:
        if self.max_rate_limit_wait is not None and wait > self.max_rate_limit_wait:
            raise RateLimitTooLong(response.status, dict(response.headers), wait)


def _limit_named(response: BaseHTTPResponse) -> tuple[str | None, str | None]:
    """GitHub's message in a 403 or 429 (its body, read and so consumed) and the rate limit it names."""
    message = github_text(response.read(decode_content=True) or b"")
    return message, rate_limit_kind(message) if message is not None else None


def make_retry(
    usage: ApiUsage,
    resource: str,
    *,
    max_wait: float,
    attempts: int = 5,
    backoff: float = 1.0,
    not_retried: Collection[int] = (),
) -> CountingRetry:
    """The retry policy for both APIs (`resource` is "core" or "graphql", for counting): exponential
    backoff with jitter on 5xx (but the statuses `not_retried`, handed to the caller at once), 429 and
    connection errors; GitHub's primary and secondary rate limits waited out up to `max_wait` seconds."""
    return CountingRetry(
        usage=usage,
        resource=resource,
        total=attempts,
        backoff_factor=backoff,
        backoff_jitter=backoff,
        backoff_max=60,
        status_forcelist=[*(s for s in range(500, 600) if s not in not_retried), 429],
        secondary_rate_wait=min(SECONDARY_RATE_WAIT, max_wait),
        max_rate_limit_wait=max_wait,
        raise_on_status=False,
    )
