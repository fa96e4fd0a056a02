"""The token never leaves the process: not on stdout or stderr (even with `-vv`), not in the site, the
report, the build state or any temporary file, whatever the build's outcome and whatever the API
answers — including a server that echoes the request's `Authorization` header and URL in its error
bodies. Checked through the real CLI in a subprocess and in-process on every `IndexgenError`.

The token is searched for as is, URL-encoded and base64-encoded at each of the three alignments (as it
would appear inside `Basic` credentials such as `x-access-token:TOKEN`).
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from indexgen.commands import run_build
from indexgen.errors import IndexgenError
from indexgen.github.auth import Token, graphql_url_for
from indexgen.models import Owner, OwnerKind
from indexgen.settings import Settings
from tests.e2e.cli import CliRun, cli_environ, run_indexgen
from tests.e2e.servers import Answer, serve_answers
from tests.fakegithub import FakeGitHub, FakeGitHubServer, synthetic_org

pytestmark = pytest.mark.e2e

SECRET = "ghp_SECRETtoken0123456789abcdefSECRET"
REJECTED = "ghp_SECRETrevoked0123456789abcdefSECRET"  # unknown to the fake: 401 Bad credentials
SECRETS = (SECRET, REJECTED)
ORG = "vault"
LOGIN = "vaultbot"


# -- where a secret could hide ---------------------------------------------------------------------------


def encodings(secret: str) -> dict[str, bytes]:
    """`secret` as it could appear in output: raw, URL-encoded, and base64 at each alignment (the
    characters that depend on the neighbouring bytes are cut off)."""
    raw = secret.encode()
    forms = {
        "raw": raw,
        "url-encoded": urllib.parse.quote(secret, safe="").encode(),
        "url-encoded-plus": urllib.parse.quote_plus(secret).encode(),
        "hex": raw.hex().encode(),
    }
    for pad in range(3):
        for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            encoded = encode(b"\0" * pad + raw)
            start = (pad * 8 + 5) // 6  # characters that hold padding bits
            forms[f"{name}+{pad}"] = encoded[start:-4]
    unique: dict[str, bytes] = {}
    for form, needle in forms.items():
        if needle not in unique.values():
            unique[form] = needle
    return unique


def leaks_in(label: str, data: bytes) -> list[str]:
    return [
        f"{label}: {secret[:12]}… ({form})"
        for secret in SECRETS
        for form, needle in encodings(secret).items()
        if needle in data
    ]


def leaks_on_disk(root: Path) -> list[str]:
    """Every file under `root`: the site, the report, the state, temporary and leftover directories."""
    found: list[str] = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found += leaks_in(str(path.relative_to(root)), path.read_bytes())
    return found


def test_the_search_finds_every_form() -> None:
    basic = base64.b64encode(f"x-access-token:{SECRET}".encode())
    for sample in (
        SECRET.encode(),
        f"Authorization: token {SECRET}".encode(),
        b"Authorization: Basic " + basic,
        base64.b64encode(f"u:{SECRET}".encode()),
        base64.b64encode(f"{SECRET}:x-oauth-basic".encode()),
        urllib.parse.quote(f"?access_token={SECRET}").encode(),
    ):
        assert leaks_in("sample", sample), sample
    assert not leaks_in("sample", b"ghp_SECRET and token0123456789")


# -- servers ---------------------------------------------------------------------------------------------


def fake_github() -> FakeGitHub:
    gh = FakeGitHub()
    gh.add_token(SECRET, LOGIN, sees_private=True, orgs=[ORG])
    synthetic_org(ORG, 4, 2, gh=gh, private_every=2)
    return gh


def serve_echo(status: int) -> Any:
    """A hostile API: every request is answered with `status` and an error body — REST's `message`,
    GraphQL's `errors` — and a header that repeat the request's Authorization header and URL. Yields
    the REST base URL (GraphQL lives next to it)."""

    def echo(request: BaseHTTPRequestHandler) -> Answer:
        said = f"you sent Authorization: {request.headers.get('Authorization')} to {request.path}"
        body = json.dumps({"message": said, "errors": [{"type": "INTERNAL", "message": said}], "data": None})
        return status, {"X-Echo": str(request.headers.get("Authorization"))}, body.encode()

    return serve_answers(echo)


# -- the scenarios ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """What the API does to one build, and the build's expected exit code."""

    name: str
    exit_code: int
    token: str = SECRET
    org: str = ORG
    echo_status: int | None = None  # answer everything from the echo server with this status

    def prepare(self, gh: FakeGitHub) -> None:
        if self.name == "500-until-retries-run-out":
            gh.fail_next("500", 100)
        elif self.name == "truncated-json":
            gh.fail_next("truncated", 100)
        elif self.name == "rate-limited":
            gh.set_rate_limit("core", reset=int(time.time()) + 3600)
            gh.set_rate_limit("graphql", reset=int(time.time()) + 3600)
            gh.exhaust_after(0, "core")
            gh.exhaust_after(0, "graphql")


SCENARIOS = [
    Scenario("success", 0),
    Scenario("rejected-token", 1, token=REJECTED),
    Scenario("500-until-retries-run-out", 1),
    Scenario("truncated-json", 1),
    Scenario("unknown-org", 1, org="no-such-org"),
    Scenario("rate-limited", 1),
    *(Scenario(f"echo-{status}", 1, echo_status=status) for status in (400, 401, 403, 404, 500, 200)),
]
SCANNERS = {"graphql": "auto", "rest": "rest"}


@contextlib.contextmanager
def api_for(scenario: Scenario) -> Iterator[str]:
    """The REST base URL this scenario's build talks to."""
    if scenario.echo_status is not None:
        with serve_echo(scenario.echo_status) as url:
            yield url
        return
    gh = fake_github()
    with FakeGitHubServer(gh) as server:
        scenario.prepare(gh)
        yield server.base_url


@pytest.mark.parametrize("scanner", SCANNERS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_the_cli_never_writes_the_token(tmp_path: Path, scenario: Scenario, scanner: str) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    temp = tmp_path / "tmp"  # TMPDIR: any temporary file the build makes is searched too
    for directory in (home, work, temp):
        directory.mkdir()
    site, report = work / "site", work / "report.json"
    env = cli_environ(
        home,
        {"GITHUB_TOKEN": scenario.token, "INDEXGEN_RETRY_BACKOFF": "0.01", "TMPDIR": str(temp)},
    )
    with api_for(scenario) as api_url:
        run = run_indexgen(
            "build", "--org", scenario.org, "--output", str(site), "--report", str(report),
            "--api-url", api_url, "--scanner", SCANNERS[scanner], "--max-wait", "0.01", "-vv",
            env=env, cwd=work, timeout=90,
        )  # fmt: skip
    assert run.returncode == scenario.exit_code, run.describe()
    if scenario.exit_code == 0:
        assert report.is_file() and (site / "simple" / "index.html").is_file()
    leaks = leaks_in("stdout", run.stdout.encode()) + leaks_in("stderr", run.stderr.encode())
    leaks += leaks_on_disk(tmp_path)
    assert not leaks, describe(leaks, run)


def describe(leaks: list[str], run: CliRun) -> str:
    return "the token leaked: " + "; ".join(leaks) + "\n" + run.describe()


# -- in-process: the exceptions themselves ----------------------------------------------------------------


@pytest.mark.parametrize("scanner", SCANNERS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_no_indexgen_error_carries_the_token(
    tmp_path: Path, scenario: Scenario, scanner: str, caplog: pytest.LogCaptureFixture
) -> None:
    """`str()` and `repr()` of the `IndexgenError` that `run_build` raises, and indexgen's own log
    records at DEBUG, never hold the token."""
    caplog.set_level("DEBUG", logger="indexgen")
    with api_for(scenario) as api_url:
        settings = Settings(
            owners=(Owner(scenario.org, OwnerKind.ORG),),
            output=tmp_path / "site",
            report=tmp_path / "report.json",
            api_url=api_url,
            graphql_url=graphql_url_for(api_url),
            max_wait=0.6,
            retry_backoff=0.01,
            scanner=SCANNERS[scanner],
            pypi_check=False,
            verbose=2,
        )
        environ: Mapping[str, str] = {"GITHUB_TOKEN": scenario.token}
        error: Exception | None = None
        try:
            run_build(settings, environ)
        except Exception as exc:  # anything but an IndexgenError is a bug of its own, checked below
            error = exc
    leaks = leaks_in("str(error)", str(error).encode()) + leaks_in("repr(error)", repr(error).encode())
    leaks += [leak for record in caplog.records for leak in leaks_in("log", record.getMessage().encode())]
    leaks += leaks_on_disk(tmp_path)
    assert not leaks, "the token leaked: " + "; ".join(leaks) + f"\n{error!r}"
    if scenario.exit_code == 0:
        assert error is None, repr(error)
    else:
        assert isinstance(error, IndexgenError), (
            f"not an IndexgenError (the CLI shows a traceback): {error!r}"
        )
        assert error.exit_code == scenario.exit_code, repr(error)


def test_a_token_shows_where_it_came_from_never_its_value() -> None:
    token = Token(SECRET, "GITHUB_TOKEN")
    for text in (repr(token), str(token), f"{token}", f"{token!r}", repr([token]), repr({"t": token})):
        assert not leaks_in("token", text.encode()), text
        assert "GITHUB_TOKEN" in text
