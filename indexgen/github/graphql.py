"""GraphQL transport: the query documents, one `requests` session, GitHub's error shapes.

It mounts the same retry policy as the REST client (`http.make_retry`), so 5xx answers, dropped
connections and secondary rate limits are handled alike. On top of that it understands what only
GraphQL says in a 200 answer: `errors` with `RATE_LIMITED` (waited out within `max_wait`, else a
clean failure with the reset time) and other errors, whose partial `data` is never used.

GitHub stops a query that runs longer than its time limit (ten seconds, its docs say) and answers 504
"We couldn't respond to your request in time", or 502 from its gateway (an HTML page, or `errors`
saying "Something went wrong while executing your query. This may be the result of a timeout"), or
that error in a 200. The same query would most likely run out of time again, so those answers are not
repeated by the transport: a caller that can ask for less (`query(shrink=...)`) does so at once; for
any other query they are retried here like any transient failure.
"""

from __future__ import annotations

import functools
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import requests
import requests.adapters

from .. import __version__
from ..errors import ApiError, RateLimited, TokenRejected
from .auth import Token
from .http import (
    SECONDARY_RATE_WAIT,
    ApiUsage,
    RateLimitTooLong,
    Refused,
    is_rate_limit,
    make_retry,
    reset_epoch,
)

log = logging.getLogger(__name__)

QUERY_NAMES = (
    "owner_repositories",
    "repository",
    "repository_rescan",
    "repository_tags",
    "commit_files",
    "commit_referenced_files",
    "default_branch_trees",
)
# Errors GitHub reports inside a 200 answer that a repeated query may mend.
_TRANSIENT_ERRORS = {"SERVICE_UNAVAILABLE", "INTERNAL", "TIMEOUT"}
# GitHub's primary GraphQL limit: `type` RATE_LIMITED, lately also RATE_LIMIT with `code`
# graphql_rate_limit.
_RATE_LIMIT_TYPES = {"RATE_LIMITED", "RATE_LIMIT"}
# Bodies cut short mid-transfer: the transport saw a complete exchange start, a new query may mend it.
_CUT_SHORT = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)
ATTEMPTS = 4
# A query GitHub ran out of time on that cannot ask for less is repeated as the transport repeats other
# 5xx answers: six attempts, the waits doubling from `backoff` (a passing outage is waited out; a query
# that is simply too slow fails within a minute).
TIMEOUT_ATTEMPTS = 6
# GitHub's answers to a query that ran out of time: from its gateway (502) or from the API (504).
_TIMEOUT_STATUSES = frozenset({502, 504})
# The words of an untyped error about a timeout ("... This may be the result of a timeout ...").
_TIMEOUT_WORDS = re.compile(r"\btime ?out\b|\btimed out\b|\bin time\b", re.I)


class QueryTimedOut(ApiError):
    """GitHub ran out of time on a query and the caller made its page or batch smaller: ask again."""


def _attempts(timed_out: bool, shrink: Callable[[], bool] | None, error: ApiError) -> int:
    """How many attempts a query that failed with `error` may have. When GitHub ran out of time on
    it and the caller made its page or batch smaller (`shrink`), `QueryTimedOut` instead."""
    if timed_out and shrink is not None and shrink():
        raise QueryTimedOut(error.status, error.where, error.message) from error
    return TIMEOUT_ATTEMPTS if timed_out else ATTEMPTS


@functools.cache
def _fragments() -> dict[str, str]:
    text = resources.files(__package__).joinpath("queries/fragments.graphql").read_text("utf-8")
    return {m.group(2): m.group(1) for m in re.finditer(r"(fragment (\w+) on .*?\n}\n)", text, re.S)}


# The lookup a query of aliased lookups is written with once: its variables and its aliased field.
_LOOKUP_VARIABLES = re.compile(r"\((\$c0: ID!, \$p0: String!)\)")
_LOOKUP = re.compile(r"^  f0: .*?^  }\n", re.M | re.S)
_FIRST = re.compile(r"(\$c|\$p|\bf)0\b")


def _repeated(text: str, lookups: int) -> str:
    """`text` with its one aliased lookup (`$c0`, `$p0`, `f0`) made `lookups` of them, numbered from 0."""
    variables, lookup = _LOOKUP_VARIABLES.search(text), _LOOKUP.search(text)
    if variables is None or lookup is None:
        raise ValueError("the query has no aliased lookup to repeat")

    def numbered(part: str) -> list[str]:
        return [_FIRST.sub(rf"\g<1>{i}", part) for i in range(lookups)]

    text = text[: lookup.start()] + "".join(numbered(lookup.group())) + text[lookup.end() :]
    return _LOOKUP_VARIABLES.sub(lambda m: "(" + ", ".join(numbered(m.group(1))) + ")", text, count=1)


@functools.cache
def query_document(name: str, lookups: int = 1) -> str:
    """The query `name` from `queries/NAME.graphql`, followed by the fragments it uses. A query of
    aliased lookups (`commit_referenced_files`) is written with one; `lookups` asks for that many."""
    text = resources.files(__package__).joinpath(f"queries/{name}.graphql").read_text("utf-8")
    if lookups != 1:
        text = _repeated(text, lookups)
    fragments = _fragments()
    needed: set[str] = set()
    pending = re.findall(r"\.\.\.(\w+)", text)
    while pending:
        fragment = pending.pop()
        if fragment not in needed:
            needed.add(fragment)
            pending += re.findall(r"\.\.\.(\w+)", fragments[fragment])
    return text + "\n" + "\n".join(fragments[f] for f in sorted(needed))


@dataclass
class GraphQLErrors(Exception):
    """A GraphQL answer with `errors`: GitHub's list, as given."""

    errors: list[dict[str, Any]]

    def types(self) -> set[str]:
        return {str(e.get("type", "")) for e in self.errors}

    @property
    def rate_limited(self) -> bool:
        return bool(self.types() & _RATE_LIMIT_TYPES) or any(
            e.get("code") == "graphql_rate_limit" for e in self.errors
        )

    @property
    def secondary_limited(self) -> bool:
        """GitHub's secondary limit answered as 200 with the message in `errors` (docs: "a 200 or 403
        response and an error message"); untyped, so told apart by its wording."""
        return any("secondary rate limit" in str(e.get("message", "")).lower() for e in self.errors)

    @property
    def timed_out(self) -> bool:
        """A typed TIMEOUT, or an untyped error whose message names a timeout."""
        return any(
            e.get("type") == "TIMEOUT" or (not e.get("type") and _TIMEOUT_WORDS.search(str(e.get("message"))))
            for e in self.errors
        )

    @property
    def transient(self) -> bool:
        """Errors a repeated query may mend: a typed transient error, or GitHub's untyped "Something
        went wrong while executing your query" (often a timeout)."""
        types = self.types()
        return bool(types & _TRANSIENT_ERRORS) or types <= {""}

    def __str__(self) -> str:
        first = self.errors[0] if self.errors else {}
        message = str(first.get("message", "unknown error"))[:200]
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        return f"{first.get('type', 'ERROR')}: {message}{more}"


class GraphQLClient:
    def __init__(
        self,
        url: str,
        token: Token,
        usage: ApiUsage,
        *,
        max_wait: float = 900.0,
        backoff: float = 1.0,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        self.usage = usage
        self._token = token
        self._max_wait = max_wait
        self._backoff = backoff
        self._timeout = timeout
        self._sleep = sleep
        self._session = requests.Session()
        self._session.headers.update(
            {
                "Authorization": f"bearer {token.value}",
                "User-Agent": f"indexgen/{__version__}",
                "Accept": "application/json",
            }
        )
        retry = make_retry(
            usage, "graphql", max_wait=max_wait, backoff=backoff, not_retried=_TIMEOUT_STATUSES
        )
        adapter = requests.adapters.HTTPAdapter(max_retries=retry)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    def _post(self, name: str, variables: Mapping[str, Any], lookups: int) -> requests.Response:
        try:
            return self._session.post(
                self.url,
                json={"query": query_document(name, lookups), "variables": dict(variables)},
                timeout=self._timeout,
            )
        except requests.exceptions.RequestException as exc:
            # requests' messages can quote the URL; ours names only the query and the failure's kind.
            raise ApiError(None, f"GraphQL query {name}", type(exc).__name__) from exc
        except RateLimitTooLong as exc:
            # The shared retry policy gives up on a rate limit it may not wait for.
            raise RateLimited("GraphQL", reset_epoch(exc.headers)) from exc
        except Refused as exc:
            raise ApiError(exc.status, f"GraphQL query {name}", exc.message) from exc

    def _answer(self, name: str, response: requests.Response) -> dict[str, Any]:
        """The `data` of a complete answer, or an exception saying why there is none."""
        self.usage.observe(response.headers)
        if response.status_code == 401:
            raise TokenRejected(self._token.source)
        try:
            body = response.json()
        except ValueError as exc:
            if response.status_code in (403, 429) and not response.content:
                # The retry policy read this body to find a rate-limit message, retried, and gave up:
                # only a rate limit it may not wait for any longer ends that way.
                raise RateLimited("GraphQL", reset_epoch(response.headers)) from exc
            raise ApiError(response.status_code, f"GraphQL query {name}", "the answer was not JSON") from exc
        if not isinstance(body, dict):
            raise ApiError(response.status_code, f"GraphQL query {name}", "unexpected answer")
        data: dict[str, Any] | None = body["data"] if isinstance(body.get("data"), dict) else None
        cost = ((data or {}).get("rateLimit") or {}).get("cost")
        if isinstance(cost, int):
            self.usage.graphql_points += cost
        if body.get("errors"):
            raise GraphQLErrors(list(body["errors"]))
        if response.status_code != 200 or data is None:
            message = str(body.get("message", "no data in the answer"))[:200]
            if is_rate_limit(response.status_code, message):
                raise RateLimited("GraphQL", reset_epoch(response.headers))
            raise ApiError(response.status_code, f"GraphQL query {name}", message)
        return data

    def query(
        self,
        name: str,
        variables: Mapping[str, Any],
        allow: Callable[[GraphQLErrors], bool] | None = None,
        *,
        shrink: Callable[[], bool] | None = None,
        lookups: int = 1,
    ) -> dict[str, Any]:
        """Run query `name` (with `lookups` aliased lookups, `query_document`); `allow` may accept an
        answer with errors (say, NOT_FOUND) whose data the caller can use. Transient failures are
        retried with backoff; rate limits waited out. When GitHub runs out of time on the query,
        `shrink` (if given) is called: True means it made the caller's page or batch smaller, and
        `QueryTimedOut` is raised for it to ask for less; False (it is as small as it gets), and the
        query is retried like any transient failure, up to TIMEOUT_ATTEMPTS times."""
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._post(name, variables, lookups)
                return self._answer(name, response)
            except GraphQLErrors as exc:
                if allow is not None and allow(exc):
                    data: dict[str, Any] = response.json().get("data") or {}
                    return data
                timed_out = exc.timed_out or response.status_code in _TIMEOUT_STATUSES
                error = ApiError(response.status_code, f"GraphQL query {name}", str(exc))
                last = attempt >= _attempts(timed_out, shrink, error)
                if exc.rate_limited:
                    if last:
                        raise RateLimited("GraphQL", reset_epoch(response.headers)) from exc
                    self._wait_for_reset(response)
                    continue
                if exc.secondary_limited:
                    if last:
                        raise RateLimited("GraphQL", reset_epoch(response.headers)) from exc
                    wait = min(SECONDARY_RATE_WAIT, self._max_wait)
                    log.warning("GitHub GraphQL secondary rate limit: waiting %.0f s before retrying", wait)
                    self._sleep(wait)
                    continue
                if last or not exc.transient:
                    raise error from exc
            except ApiError as exc:
                last = attempt >= _attempts(exc.status in _TIMEOUT_STATUSES, shrink, exc)
                cut_short = isinstance(exc.__cause__, _CUT_SHORT)
                if last or not (cut_short or exc.status in (200, 502, 503, 504)):
                    raise
            delay = self._backoff * (2 ** (attempt - 1)) + random.uniform(0, self._backoff)
            log.debug("GraphQL query %s failed (attempt %d); retrying in %.1fs", name, attempt, delay)
            self._sleep(delay)

    def _wait_for_reset(self, response: requests.Response) -> None:
        reset = reset_epoch(response.headers)
        wait = (reset - time.time() + 1) if reset else None
        if wait is None or wait > self._max_wait:
            raise RateLimited("GraphQL", reset)
        log.warning("GraphQL rate limit exhausted; waiting %.0f s for the reset", max(wait, 0))
        self._sleep(max(wait, 0))
