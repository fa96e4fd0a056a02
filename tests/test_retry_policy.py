"""The retry policy both transports mount (`http.CountingRetry`), through urllib3 for real: a local
server answers as GitHub does when a limit runs out, and the waits urllib3 would sleep are recorded
instead. Then: a GraphQL build imports no PyGithub."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from indexgen.errors import ApiError, RateLimited
from indexgen.github.auth import Token
from indexgen.github.graphql import GraphQLClient
from indexgen.github.http import ApiUsage, is_rate_limit, rate_limit_kind
from indexgen.github.rest import RestScanner
from indexgen.github.scanner import NoProgress
from indexgen.models import Owner, OwnerKind
from tests.e2e.cli import cli_environ
from tests.e2e.servers import serve_answers
from tests.fakegithub import FakeGitHubServer, synthetic_org
from tests.payloads import RATE_LIMITED, org_json, rate_headers
from tests.test_reliability import ORG, TOKEN, new_fake_github

Answer = tuple[int, dict[str, str], bytes]
TRANSPORTS = ["graphql", "rest"]
SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
SAML = (
    "Resource protected by organization SAML enforcement. You must grant your Personal Access token "
    "access to this organization."
)


class GitHub:
    """Answers the first requests with `refusals` (the last one for ever when `repeat`), then as GitHub
    for an organisation without repositories; keeps the path of every request."""

    def __init__(self, *refusals: Answer, repeat: bool = False) -> None:
        self.refusals = list(refusals)
        self.repeat = repeat
        self.paths: list[str] = []

    def __call__(self, request: BaseHTTPRequestHandler) -> Answer:
        self.paths.append(request.path)
        if self.refusals:
            return self.refusals[0] if self.repeat and len(self.refusals) == 1 else self.refusals.pop(0)
        if request.path.endswith("/graphql"):
            body: Any = {"data": {"rateLimit": None, "repositoryOwner": None}}
        else:
            api = f"http://{request.headers['Host']}/api/v3"
            body = org_json("acme") if request.path.endswith("/orgs/acme") else []
            if body:  # PyGithub follows the organisation's own URLs
                body |= {"url": f"{api}/orgs/acme", "repos_url": f"{api}/orgs/acme/repos"}
        return 200, rate_headers(), json.dumps(body).encode()


def refusal(status: int, message: str | None, reset: int | None = None, **headers: str) -> Answer:
    """GitHub's answer when a limit ran out: `message` as its JSON, or an HTML page when None."""
    limits = rate_headers(0, reset) if reset is not None else {}
    if message is None:
        return status, {"Content-Type": "text/html", **limits, **headers}, b"<html>Access denied</html>"
    return status, {**limits, **headers}, json.dumps({**RATE_LIMITED, "message": message}).encode()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """What urllib3's Retry sleeps (Retry-After or the backoff), recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr("urllib3.util.retry.time.sleep", slept.append)
    return slept


def fetch(transport: str, github: GitHub, *, max_wait: float = 60, backoff: float = 0.5) -> ApiUsage:
    """One GraphQL query, or the REST listing of an organisation (two requests), against `github`."""
    usage = ApiUsage()
    token = Token("ghs_secret", "GITHUB_TOKEN")
    with serve_answers(github) as api:
        if transport == "graphql":
            client = GraphQLClient(f"{api}/graphql", token, usage, max_wait=max_wait, backoff=backoff)
            client.query("owner_repositories", {"login": "acme"})
        else:
            rest = RestScanner(api, token, max_wait=max_wait, backoff=backoff, usage=usage, spacing=0)
            rest.scan_owners([Owner("acme", OwnerKind.ORG)], lambda tag: True, NoProgress())
    return usage


def requests_sent(transport: str, usage: ApiUsage) -> int:
    return usage.graphql_requests if transport == "graphql" else usage.rest_requests


def resets_at(reset: int) -> str:
    return dt.datetime.fromtimestamp(reset, dt.timezone.utc).strftime("resets at %Y-%m-%d %H:%M:%S UTC")


# -- rate limits waited out ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [403, 429])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_primary_limit_is_waited_out_until_the_reset(
    transport: str, status: int, sleeps: list[float]
) -> None:
    reset = int(time.time()) + 30
    github = GitHub(refusal(status, "API rate limit exceeded for user ID 1.", reset))
    usage = fetch(transport, github)
    assert len(github.paths) == (2 if transport == "graphql" else 3)
    assert requests_sent(transport, usage) == len(github.paths)
    (wait,) = sleeps
    assert 29 <= wait <= 32, "until X-RateLimit-Reset, plus a second"


@pytest.mark.parametrize("status", [403, 429])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_secondary_limit_waits_retry_after(transport: str, status: int, sleeps: list[float]) -> None:
    github = GitHub(refusal(status, SECONDARY, **{"Retry-After": "7"}))
    fetch(transport, github)
    assert sleeps == [7]
    assert len(github.paths) == (2 if transport == "graphql" else 3)


@pytest.mark.parametrize(("max_wait", "wait"), [(120, 60), (20, 20)])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_secondary_limit_without_retry_after_waits_a_minute_or_max_wait(
    transport: str, max_wait: float, wait: float, sleeps: list[float]
) -> None:
    """GitHub asks for at least a minute without Retry-After; --max-wait caps it."""
    github = GitHub(refusal(403, SECONDARY))
    fetch(transport, github, max_wait=max_wait)
    assert sleeps == [wait]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_limit_that_stays_fails_after_the_retries_naming_the_reset(
    transport: str, sleeps: list[float]
) -> None:
    """The retry policy read the body of each 403; the last one reaches the transport empty, which it
    knows for a rate limit that could not be waited out."""
    reset = int(time.time()) + 5
    github = GitHub(refusal(403, "API rate limit exceeded for user ID 1.", reset), repeat=True)
    with pytest.raises(RateLimited, match=resets_at(reset)):
        fetch(transport, github)
    assert len(github.paths) == 6 and len(sleeps) == 5  # the first attempt and 5 retries


# -- not retried, or not waited for -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"), [(SAML, SAML[:200]), (None, "unexpected answer")], ids=["saml", "html"]
)
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_403_that_is_no_rate_limit_is_not_retried(
    transport: str, message: str | None, expected: str, sleeps: list[float]
) -> None:
    github = GitHub(refusal(403, message))
    with pytest.raises(ApiError) as caught:
        fetch(transport, github)
    where = "GraphQL query owner_repositories" if transport == "graphql" else "organisation acme"
    assert (caught.value.status, caught.value.where, caught.value.message) == (403, where, expected)
    assert len(github.paths) == 1 and sleeps == []


@pytest.mark.parametrize(
    "answer",
    [
        refusal(403, "API rate limit exceeded for user ID 1.", int(time.time()) + 7200),
        refusal(429, "API rate limit exceeded for user ID 1.", int(time.time()) + 7200),
        refusal(403, SECONDARY, int(time.time()) + 7200, **{"Retry-After": "3600"}),
        refusal(429, SECONDARY, int(time.time()) + 7200, **{"Retry-After": "3600"}),
    ],
    ids=["403-primary", "429-primary", "403-retry-after", "429-retry-after"],
)
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_wait_longer_than_max_wait_fails_at_once_naming_the_reset(
    transport: str, answer: Answer, sleeps: list[float]
) -> None:
    github = GitHub(answer)
    with pytest.raises(RateLimited) as caught:
        fetch(transport, github, max_wait=60)
    api = "GraphQL" if transport == "graphql" else "REST"
    reset = int(answer[1]["X-RateLimit-Reset"])
    assert str(caught.value) == f"GitHub {api} API rate limit exhausted; it {resets_at(reset)}"
    assert len(github.paths) == 1 and sleeps == []


# -- server errors and dropped connections ------------------------------------------------------------


@pytest.mark.parametrize(
    "answer", [(503, {}, b"Service Unavailable"), (429, {}, b"{}")], ids=["503", "429-without-message"]
)
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_server_errors_are_retried_with_exponential_backoff_and_jitter(
    transport: str, answer: Answer, sleeps: list[float]
) -> None:
    github = GitHub(answer, answer, answer)
    usage = fetch(transport, github, backoff=0.5)
    assert requests_sent(transport, usage) == len(github.paths) == (4 if transport == "graphql" else 5)
    # urllib3 retries the first failure at once, then waits backoff × 2^(n-1) plus up to `backoff`.
    assert len(sleeps) == 2
    assert 1.0 <= sleeps[0] < 1.5 and 2.0 <= sleeps[1] < 2.5, sleeps


def test_a_rest_502_is_retried_by_the_transport_as_any_5xx(sleeps: list[float]) -> None:
    """GraphQL 502s and 504s go straight to the GraphQL client (tests/test_graphql_timeouts.py); REST
    keeps retrying them in the transport."""
    answer = (502, {}, b"Bad Gateway")
    github = GitHub(answer, answer, answer)
    usage = fetch("rest", github, backoff=0.5)
    assert usage.rest_requests == len(github.paths) == 5 and len(sleeps) == 2


def test_a_connection_refused_is_retried_and_every_attempt_counted(sleeps: list[float]) -> None:
    with serve_answers(GitHub()) as api:
        pass  # the port is closed again: every connection is refused
    usage = ApiUsage()
    client = GraphQLClient(f"{api}/graphql", Token("ghs_secret", "GITHUB_TOKEN"), usage, backoff=0.01)
    with pytest.raises(ApiError, match="no answer: ConnectionError"):
        client.query("owner_repositories", {"login": "acme"})
    assert usage.graphql_requests == 6 and len(sleeps) == 4


# -- a GraphQL build does without PyGithub ------------------------------------------------------------

MODULES_AFTER_A_BUILD = """
import json, sys
from indexgen.cli import main
code = main(sys.argv[1:])
print(json.dumps([code, sorted(m for m in sys.modules if m.split(".")[0] == "github")]))
"""


def build_in_process(tmp_path: Path, server: FakeGitHubServer, scanner: str) -> tuple[int, list[str]]:
    """`indexgen build` run by `main()` in a new interpreter: its exit code and the `github` modules
    (PyGithub's; indexgen's own are `indexgen.github.*`) loaded by the end."""
    args = ["build", "--org", ORG, "--output", str(tmp_path / scanner), "--api-url", server.base_url]
    args += ["--scanner", scanner, "--no-pypi-check"]
    env = cli_environ(tmp_path, {"GITHUB_TOKEN": TOKEN})
    done = subprocess.run(
        [sys.executable, "-c", MODULES_AFTER_A_BUILD, *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    code, modules = json.loads(done.stdout.splitlines()[-1])
    assert code == 0, done.stderr
    return code, modules


@pytest.mark.e2e
def test_a_graphql_build_imports_no_pygithub(tmp_path: Path) -> None:
    """PyGithub costs every run about 0.2 s of imports and 17 MB: only the REST scanner loads it."""
    world: Callable[[Any], None] = lambda gh: synthetic_org(ORG, 3, 1, gh=gh)  # noqa: E731
    with FakeGitHubServer(new_fake_github(world)) as server:
        assert build_in_process(tmp_path, server, "auto")[1] == []
        # The same check sees PyGithub where it is used: a REST build.
        assert "github" in build_in_process(tmp_path, server, "rest")[1]


@pytest.mark.parametrize(
    ("status", "message", "limited"),
    [
        (403, "API rate limit exceeded for installation ID 1.", True),
        (
            429,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            True,
        ),
        (403, "Please wait a few minutes before you try again.", True),  # secondary, without the words
        (403, "Resource not accessible by integration", False),
        (404, "API rate limit exceeded", False),  # not a refusal GitHub gives for a limit
    ],
)
def test_the_transports_and_the_retry_policy_name_the_same_answers_rate_limits(
    status: int, message: str, limited: bool
) -> None:
    """A transport's last look at an answer (`is_rate_limit`) agrees with what the retry policy waited
    on (`rate_limit_kind`): an answer the policy waits out is never reported as a plain refusal."""
    assert is_rate_limit(status, message) is limited
    if status in (403, 429):
        assert (rate_limit_kind(message) is not None) is limited
