"""The HTTP layer of the fake GitHub: a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 in a daemon thread.

It routes REST requests below the API prefix (default ``/api/v3``, as on GitHub Enterprise Server) and
GraphQL POSTs to the matching GraphQL path (``/api/graphql``; ``/graphql`` at the root), and applies, in this
order: latency, fault injection, authentication, secondary rate limits, the primary rate limit and the
request log.  Use it as a context manager::

    gh = FakeGitHub()
    with FakeGitHubServer(gh) as server:
        github.Github(auth=github.Auth.Token("t"), base_url=server.base_url)
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from . import graphql_api, rest
from .model import FakeGitHub, FaultKind, RateBucket, Resource, SecondaryLimit, TokenInfo

RATE_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID {request_id}."
)
UNICORN_HTML = (
    "<!DOCTYPE html>\n<html>\n  <head>\n"
    '    <meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
    '    <title>Unicorn! &middot; GitHub</title>\n  </head>\n  <body>\n    <div class="container">\n'
    "      <p><strong>{headline}</strong></p>\n"
    "      <p>Sorry about that. Please try refreshing and contact us if the problem persists.</p>\n"
    "    </div>\n  </body>\n</html>\n"
)


def graphql_path_for(prefix: str) -> str:
    """GraphQL's path for a REST prefix, as PyGithub derives it: ``/api/v3`` -> ``/api/graphql``."""
    path = prefix.rstrip("/")
    if path.endswith("/v3"):
        path = path[: -len("/v3")]
    return path + "/graphql"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: FakeGitHubServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: injected connection resets make handlers fail on purpose."""


class FakeGitHubServer:
    """Serves a :class:`FakeGitHub` over HTTP; start with ``with`` (or ``start()``/``stop()``)."""

    def __init__(
        self,
        gh: FakeGitHub | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        prefix: str = "/api/v3",
        serve_root: bool = False,
    ) -> None:
        self.gh = gh if gh is not None else FakeGitHub()
        self.host = host
        self.requested_port = port
        self.prefix = prefix.rstrip("/")
        self.serve_root = serve_root
        self.graphql_path = graphql_path_for(self.prefix)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------- lifecycle
    def start(self) -> FakeGitHubServer:
        if self._httpd is None:
            self._httpd = _HTTPServer((self.host, self.requested_port), self)
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeGitHubServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -------------------------------------------------------------- addresses
    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the fake GitHub server is not running")
        return int(self._httpd.server_address[1])

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The REST base URL, e.g. ``http://127.0.0.1:PORT/api/v3`` (pass as PyGithub's ``base_url``)."""
        return self.root_url + self.prefix

    @property
    def graphql_url(self) -> str:
        """The GraphQL endpoint, e.g. ``http://127.0.0.1:PORT/api/graphql``."""
        return self.root_url + self.graphql_path


def _rate_headers(bucket: RateBucket | tuple[int, int, int], resource: Resource) -> dict[str, str]:
    limit, used, reset = (
        (bucket.limit, bucket.used, bucket.reset) if isinstance(bucket, RateBucket) else bucket
    )
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(0, limit - used)),
        "X-RateLimit-Reset": str(reset),
        "X-RateLimit-Used": str(used),
        "X-RateLimit-Resource": resource,
    }


def _retry_after(secondary: SecondaryLimit) -> dict[str, str]:
    return {} if secondary.retry_after is None else {"Retry-After": str(secondary.retry_after)}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    timeout = 60
    disable_nagle_algorithm = True  # headers and body are two writes: avoid 40 ms delayed-ACK stalls

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silence the default stderr access log."""

    def do_GET(self) -> None:  # noqa: N802
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._handle("PUT")

    def do_PATCH(self) -> None:  # noqa: N802
        self._handle("PATCH")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()

    # -------------------------------------------------------------- plumbing
    def _send(
        self, status: int, body: bytes, headers: dict[str, str], content_type: str | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type or "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _send_json(self, status: int, payload: Any, headers: dict[str, str], truncate: bool = False) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        if truncate:
            body = body[: max(1, len(body) // 2)]
        self._send(status, body, headers)

    def _reset_connection(self) -> None:
        """Close the socket with an RST and without any response."""
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.close()

    def _token(self, gh: FakeGitHub) -> tuple[TokenInfo | None, bool]:
        """``(token info, bad credentials?)`` from the Authorization header."""
        header = self.headers.get("Authorization")
        if not header:
            return None, False
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return None, True
            value = password or user
        elif scheme.lower() not in ("token", "bearer"):
            return None, True
        info = gh.tokens.get(value)
        return (info, False) if info is not None else (None, True)

    # -------------------------------------------------------------- request handling
    def _handle(self, method: str) -> None:
        owner = self.server.owner
        gh = owner.gh
        parsed = urllib.parse.urlsplit(self.path)
        path = parsed.path
        target = self.path  # what the request log records (path and query)
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length > 0 else b""
        host = self.headers.get("Host") or f"{owner.host}:{owner.port}"

        is_graphql = path == owner.graphql_path or (owner.serve_root and path == "/graphql")
        rest_path: str | None = None
        api = f"http://{host}{owner.prefix}"
        if not is_graphql:
            if owner.prefix and (path == owner.prefix or path.startswith(owner.prefix + "/")):
                rest_path = path[len(owner.prefix) :] or "/"
            elif owner.serve_root or not owner.prefix:
                rest_path = path
                api = f"http://{host}"
        resource: Resource = "graphql" if is_graphql else "core"

        if gh.latency_ms:
            time.sleep(gh.latency_ms / 1000.0)
        fault = gh.roll_fault(resource)
        if fault is not None:
            gh.record_fault(method, target, fault)
            if fault == "reset":
                gh.record(method, target, resource, 0)
                self._reset_connection()
                return
            if fault == "timeout":
                time.sleep(gh.fault_delay_s)
            elif fault in ("500", "502", "503"):
                gh.record(method, target, resource, 0)
                self._server_error(fault, is_graphql, gh.next_request_id())
                return
        request_id = gh.next_request_id()
        common = {
            "X-GitHub-Request-Id": request_id,
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
        }
        token, bad = self._token(gh)
        identity = token.login if token is not None else ""
        if bad:
            gh.record(method, target, resource, 0)
            headers = {**common, **_rate_headers(gh.bucket("", "core"), "core")}
            self._send_json(
                401, {"message": "Bad credentials", "documentation_url": rest.DOCS, "status": "401"}, headers
            )
            return
        if is_graphql and method == "POST":
            self._graphql(gh, token, raw_body, target, request_id, common, fault)
            return
        if rest_path is None or is_graphql:
            gh.record(method, target, "core", 0)
            self._send_json(
                404, {"message": "Not Found", "documentation_url": rest.DOCS, "status": "404"}, common
            )
            return
        secondary = gh.take_secondary("core")
        if secondary is not None:
            gh.record(method, target, "core", 0)
            body = {
                "message": SECONDARY_MESSAGE.format(request_id=request_id),
                "documentation_url": RATE_DOCS + "#about-secondary-rate-limits",
            }
            self._send_json(secondary.status, body, {**common, **_retry_after(secondary)})
            return
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        req = rest.RestRequest(
            method, rest_path, query, {k.lower(): v for k, v in self.headers.items()}, api, token, gh
        )
        if rest_path.rstrip("/") == "/rate_limit":
            gh.record(method, target, "core", 0)
            response = rest.RestResponse(200, rest.rate_limit_body(req, identity))
            self._send_json(
                200, response.body, {**common, **_rate_headers(gh.bucket(identity, "core"), "core")}
            )
            return
        response = rest.handle(req, identity)
        if isinstance(response.body, bytes):
            body_bytes = response.body
            content_type: str | None = response.headers.pop("Content-Type", None)
        else:
            body_bytes = json.dumps(response.body, separators=(",", ":")).encode()
            content_type = None
        etag = 'W/"' + hashlib.sha256(identity.encode() + b"\0" + body_bytes).hexdigest() + '"'
        not_modified = response.status == 200 and self.headers.get("If-None-Match") == etag
        allowed, bucket = gh.charge(identity, "core", 0 if not_modified else 1)
        if not allowed:
            gh.record(method, target, "core", 0)
            self._primary_limited(gh, token, bucket, request_id, common)
            return
        gh.record(method, target, "core", 0 if not_modified else 1)
        headers = {**common, **_rate_headers(bucket, "core"), **response.headers}
        if response.status == 200:
            headers["ETag"] = etag
            headers["Cache-Control"] = "private, max-age=60, s-maxage=60" if token else "public, max-age=60"
            headers["Vary"] = "Accept, Authorization, Cookie, X-GitHub-OTP"
        if not_modified:
            self._send(304, b"", headers)
            return
        if fault == "truncated":
            body_bytes = body_bytes[: max(1, len(body_bytes) // 2)]
        self._send(response.status, body_bytes, headers, content_type)

    def _primary_limited(
        self,
        gh: FakeGitHub,
        token: TokenInfo | None,
        bucket: RateBucket,
        request_id: str,
        common: dict[str, str],
    ) -> None:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        support = (
            "If you reach out to GitHub Support for help, please include the request ID "
            f"{request_id} and timestamp {stamp} UTC."
        )
        if token is not None:
            account = gh.get_owner(token.login)
            user_id = account.id if account is not None else 1
            message = f"API rate limit exceeded for user ID {user_id}. {support}"
        else:
            message = (
                f"API rate limit exceeded for {self.client_address[0]}. (But here's the good news: "
                "Authenticated requests get a higher rate limit. Check out the documentation for more "
                f"details.) {support}"
            )
        headers = {**common, **_rate_headers((bucket.limit, bucket.limit, bucket.reset), "core")}
        self._send_json(
            gh.rest_rate_limit_status, {"message": message, "documentation_url": RATE_DOCS}, headers
        )

    def _server_error(self, fault: FaultKind, is_graphql: bool, request_id: str) -> None:
        headers = {"X-GitHub-Request-Id": request_id}
        status = int(fault)
        if is_graphql and status in (500, 502):
            message = graphql_api.SOMETHING_WENT_WRONG.format(request_id=request_id)
            self._send_json(status, {"data": None, "errors": [{"message": message}]}, headers)
        elif status == 500:
            self._send_json(500, {"message": "Server Error"}, headers)
        else:
            headline = (
                "We had issues producing the response to your request."
                if status == 502
                else "No server is currently available to service your request."
            )
            body = UNICORN_HTML.format(headline=headline).encode()
            self._send(status, body, headers, "text/html; charset=utf-8")

    def _graphql(
        self,
        gh: FakeGitHub,
        token: TokenInfo | None,
        raw_body: bytes,
        path: str,
        request_id: str,
        common: dict[str, str],
        fault: FaultKind | None,
    ) -> None:
        if token is None:
            gh.record("POST", path, "graphql", 0)
            body = {
                "message": "This endpoint requires you to be authenticated.",
                "documentation_url": "https://docs.github.com/graphql/guides/forming-calls-with-graphql"
                "#authenticating-with-graphql",
                "status": "401",
            }
            self._send_json(401, body, common)
            return
        secondary = gh.take_secondary("graphql")
        if secondary is not None:
            gh.record("POST", path, "graphql", 0)
            body = {
                "documentation_url": "https://docs.github.com/graphql/overview/"
                "rate-limits-and-node-limits-for-the-graphql-api#secondary-rate-limits",
                "message": SECONDARY_MESSAGE.format(request_id=request_id),
            }
            if secondary.status == 200:  # docs: "you will receive a 200 or 403 response and an error message"
                body = {"errors": [{"message": body["message"]}]}
            self._send_json(secondary.status, body, {**common, **_retry_after(secondary)})
            return
        try:
            payload = json.loads(raw_body.decode() or "null")
        except (ValueError, UnicodeDecodeError):
            gh.record("POST", path, "graphql", 0)
            problem = {
                "message": "Problems parsing JSON",
                "documentation_url": "https://docs.github.com/graphql",
            }
            self._send_json(400, {**problem, "status": "400"}, common)
            return
        outcome = graphql_api.run_query(gh, token, payload, request_id, partial_fault=fault == "partial")
        gh.record("POST", path, "graphql", outcome.cost)
        headers = dict(common)
        if outcome.resource_bucket is not None:
            headers.update(_rate_headers(outcome.resource_bucket, "graphql"))
        if outcome.html is not None:
            self._send(outcome.status, outcome.html.encode(), {}, "text/html")  # the gateway's page
            return
        self._send_json(outcome.status, outcome.body, headers, truncate=fault == "truncated")
