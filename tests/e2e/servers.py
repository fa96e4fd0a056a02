"""Local HTTP servers on 127.0.0.1: the built site (stdlib `http.server`), and one git repository
served by `git http-backend` behind HTTP basic auth.

Each server runs in a daemon thread, binds an ephemeral port and records what it was asked, so a test
can assert which pages pip read and which git requests were refused.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import os
import subprocess
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def _running(server: ThreadingHTTPServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, name="e2e-http", daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# -- the static site --------------------------------------------------------------------------------


@dataclass
class SiteServer:
    url: str  # http://127.0.0.1:PORT/ (trailing slash)
    root: Path
    paths: list[str] = field(default_factory=list)  # every path requested, in order

    @property
    def index_url(self) -> str:
        return self.url + "simple/"


class _SiteHandler(SimpleHTTPRequestHandler):
    """Serves files; a directory such as `simple/<name>/` serves its `index.html`."""

    site: SiteServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        self.site.paths.append(self.path)


@contextlib.contextmanager
def serve_site(root: Path) -> Iterator[SiteServer]:
    class Handler(_SiteHandler):
        pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    site = SiteServer(f"http://127.0.0.1:{server.server_address[1]}/", root)
    Handler.site = site
    with _running(server):
        yield site


# -- git over smart HTTP with basic auth -------------------------------------------------------------


@dataclass(frozen=True)
class GitRequest:
    method: str
    path: str
    sent_credentials: bool  # an Authorization header was present
    status: int


@dataclass
class GitHttpServer:
    """`git http-backend` for the repositories under `project_root`, behind basic auth."""

    url: str  # http://127.0.0.1:PORT (no trailing slash)
    project_root: Path
    username: str
    password: str
    requests: list[GitRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def expected_authorization(self) -> str:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return f"Basic {token}"

    def record(self, request: GitRequest) -> None:
        with self.lock:
            self.requests.append(request)


class _GitHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    git: GitHttpServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
        self._serve()

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's naming
        self._serve()

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve(self) -> None:
        git = self.git
        authorization = self.headers.get("Authorization")
        body = self._body()
        if authorization != git.expected_authorization():
            git.record(GitRequest(self.command, self.path, authorization is not None, 401))
            self._reply(401, [("WWW-Authenticate", 'Basic realm="acme git"')], b"authentication required\n")
            return
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_PROJECT_ROOT": str(git.project_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": urllib.parse.unquote(path),
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": git.username,
            "REMOTE_ADDR": self.client_address[0],
        }
        # Smart HTTP protocol v2: the client's Git-Protocol header must reach the backend.
        if protocol := self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = env["HTTP_GIT_PROTOCOL"] = protocol
        if encoding := self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = encoding
        done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, timeout=60)
        head, sep, payload = done.stdout.partition(b"\r\n\r\n")
        if not sep:
            head, sep, payload = done.stdout.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        if done.returncode != 0 and not sep:
            status, headers, payload = 500, [], done.stderr
        git.record(GitRequest(self.command, self.path, True, status))
        self._reply(status, headers, payload)


@contextlib.contextmanager
def serve_git(project_root: Path, username: str, password: str) -> Iterator[GitHttpServer]:
    class Handler(_GitHandler):
        pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    git = GitHttpServer(f"http://127.0.0.1:{server.server_address[1]}", project_root, username, password)
    Handler.git = git
    with _running(server):
        yield git


# -- a canned API -----------------------------------------------------------------------------------

Answer = tuple[int, dict[str, str], bytes]


@contextlib.contextmanager
def serve_answers(answer: Callable[[BaseHTTPRequestHandler], Answer]) -> Iterator[str]:
    """A server that answers every GET and POST with `answer(request)` = (status, headers, body), for
    answers the fake GitHub does not give. Yields a REST base URL (`…/api/v3`; GraphQL beside it)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, headers, body = answer(self)
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with _running(server):
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v3"
