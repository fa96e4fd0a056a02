"""The one retry policy and request accounting shared by the REST (PyGithub) and GraphQL transports.

Both transports mount the same `urllib3.Retry` (PyGithub's `GithubRetry`, which understands GitHub's
primary and secondary rate limits) so a 502 or a secondary limit is handled identically whichever API
answered. The retry object also counts every HTTP attempt, which is how the summary line reports the
requests a build really cost, retries included.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from github.GithubException import GithubException, RateLimitExceededExceedsMaxWait
from github.GithubRetry import GithubRetry
from github.Requester import Requester

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
    """A 403 or 429 whose message says rate limit: GitHub's primary and secondary limits."""
    return status in (403, 429) and "rate limit" in message.lower()


def github_message(exc: GithubException) -> str:
    """GitHub's `message` from an error answer, shortened; never the request."""
    data = exc.data
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])[:200]
    return "unexpected answer"


class CountingRetry(GithubRetry):
    """GitHub-aware retry that counts every HTTP attempt into an `ApiUsage`.

    urllib3 calls `is_retry` once for every response it receives and `increment` for every failed
    attempt, so responses plus failures without a response is the number of requests sent.
    """

    def __init__(self, usage: ApiUsage | None = None, resource: str = "core", **kwargs: Any) -> None:
        self.usage = usage if usage is not None else ApiUsage()
        self.resource = resource
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> CountingRetry:
        kw["usage"] = self.usage
        kw["resource"] = self.resource
        return super().new(**kw)  # type: ignore[no-any-return,unused-ignore]

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        self.usage.count(self.resource)
        return bool(super().is_retry(method, status_code, has_retry_after))

    def increment(self, method: str | None = None, url: str | None = None, *args: Any, **kwargs: Any) -> Any:
        response = kwargs.get("response") if "response" in kwargs else (args[0] if args else None)
        if response is None:
            # A connection error or timeout: the attempt went out but nothing came back.
            self.usage.count(self.resource)
        else:
            self._check_retry_after(response)
        retry = super().increment(method, url, *args, **kwargs)
        if response is not None and response.status == 429 and self.get_retry_after(response) is None:
            retry = self._wait_out_a_429(retry, response, url)
        if response is not None and response.status in (403, 429):
            wait = self.get_retry_after(response) or retry.get_backoff_time()
            if wait >= 1:
                log.warning("GitHub API rate limit: waiting %.0f s before retrying", wait)
        return retry

    def _wait_out_a_429(self, retry: Any, response: Any, url: str | None) -> Any:
        """GithubRetry waits out a rate limit answered as 403 only; GitHub answers one as 429 too (docs:
        "403 or 429"), which would otherwise be retried after the short 5xx backoff. The same waits: until
        the reset for the primary limit, `secondary_rate_wait` for the secondary one, bounded by
        --max-wait."""
        try:
            message = str(json.loads(self.get_content(response, url or "")).get("message", ""))
        except (ValueError, AttributeError):
            return retry
        if not is_rate_limit(response.status, message):
            return retry
        if Requester.isPrimaryRateLimitError(message):
            reset = reset_epoch(response.headers)
            wait = reset - time.time() + 1 if reset is not None else 0.0
        else:
            wait = self.secondary_rate_wait
        if self.max_rate_limit_wait is not None and wait > self.max_rate_limit_wait:
            raise RateLimitExceededExceedsMaxWait(response.status, {}, dict(response.headers), wait=wait)
        wait = max(wait, retry.get_backoff_time())
        retry.get_backoff_time = lambda: wait
        return retry

    def _check_retry_after(self, response: Any) -> None:
        """`--max-wait` bounds a `Retry-After` wait too (GithubRetry checks it only without one)."""
        if response.status not in (403, 429) or self.max_rate_limit_wait is None:
            return
        retry_after = self.get_retry_after(response)
        if retry_after is not None and retry_after > self.max_rate_limit_wait:
            headers = dict(response.headers)
            raise RateLimitExceededExceedsMaxWait(response.status, {}, headers, wait=retry_after)


def make_retry(
    usage: ApiUsage, resource: str, *, max_wait: float, attempts: int = 5, backoff: float = 1.0
) -> CountingRetry:
    """The retry policy for both APIs (`resource` is "core" or "graphql", for counting): exponential
    backoff with jitter on 5xx, 429 and connection errors; GitHub's primary and secondary rate limits
    waited out up to `max_wait` seconds."""
    return CountingRetry(
        usage=usage,
        resource=resource,
        total=attempts,
        backoff_factor=backoff,
        backoff_jitter=backoff,
        backoff_max=60,
        status_forcelist=[*range(500, 600), 429],
        secondary_rate_wait=min(SECONDARY_RATE_WAIT, max_wait),
        max_rate_limit_wait=max_wait,
        raise_on_status=False,
    )
