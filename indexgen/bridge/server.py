"""The bridge's HTTP layer: routes, the `Host` check, optional basic auth, and errors as one-line
answers. Thin: everything else is `service.Bridge`.

- `/simple/`, `/simple/<name>/`: PEP 503 pages (HTML); `/files/<sha>/<file>`: an sdist.
- The `Host` header must name this server (loopback names, or the `--host` given): a web page in the
  user's browser cannot reach the bridge through a rebound DNS name.
- A failure answers its status with `error: <reason>` as the body, and the same line is logged: uv
  shows only the status, so the log is what a user reads.
"""

from __future__ import annotations

import base64
import hmac
import logging
import re
import socket
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .command import LOOPBACK_NAMES
from .service import Bridge, BridgeError

log = logging.getLogger("indexgen.bridge")
_FILE = re.compile(r"/files/([0-9a-f]{40})/([^/]+)")
_PROJECT = re.compile(r"/simple/([A-Za-z0-9._-]+)/?")


class BridgeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        bridge: Bridge,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, _Handler)
        self.bridge = bridge
        self.credentials = credentials
        host = str(address[0])
        self.port = int(self.server_address[1])
        names = {*LOOPBACK_NAMES, host}
        if host not in LOOPBACK_NAMES:
            names |= {socket.gethostname(), socket.getfqdn()}
        self.host_names = frozenset(n.lower() for n in names)

    @property
    def url(self) -> str:
        host = str(self.server_address[0])
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{self.port}/simple/"

    def host_allowed(self, header: str | None) -> bool:
        if not header:
            return False
        match = re.fullmatch(r"\[([0-9a-fA-F:.]+)\](?::(\d+))?|([^:\[\]]+)(?::(\d+))?", header.strip())
        if match is None:
            return False
        name = (match.group(1) or match.group(3)).lower()
        port = match.group(2) or match.group(4)
        return name in self.host_names and (port is None and self.port == 80 or port == str(self.port))


class _Handler(BaseHTTPRequestHandler):
    server: BridgeServer
    protocol_version = "HTTP/1.1"
    server_version = "indexgen-bridge"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
        self._serve(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802 - the stdlib's naming
        self._serve(send_body=False)

    def _authorized(self) -> bool:
        expected = self.server.credentials
        if expected is None:
            return True
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(value.strip(), validate=True)
        except ValueError:
            return False
        wanted = f"{expected[0]}:{expected[1]}".encode()
        return hmac.compare_digest(given, wanted)

    def _serve(self, send_body: bool) -> None:
        path = self.path.split("?", 1)[0]
        if not self.server.host_allowed(self.headers.get("Host")):
            self._fail(
                BridgeError(421, f"refused a request for Host {self.headers.get('Host')!r}"), send_body
            )
            return
        if not self._authorized():
            self._fail(
                BridgeError(401, "this bridge needs its user's credentials (see --netrc-auth)"), send_body
            )
            return
        try:
            self._route(path, send_body)
        except BridgeError as exc:
            self._fail(exc, send_body)
        except Exception:  # a bug: the request fails, the bridge keeps serving
            log.exception("internal error serving %s", path)
            self._fail(BridgeError(500, f"internal error serving {path}"), send_body)

    def _route(self, path: str, send_body: bool) -> None:
        bridge = self.server.bridge
        if path in ("/simple", "/simple/"):
            self._page(bridge.root_page, send_body)
        elif match := _PROJECT.fullmatch(path):
            name = match.group(1)
            self._page(lambda: bridge.project_page(name), send_body)
        elif match := _FILE.fullmatch(path):
            archive, digest = bridge.archive(match.group(1), match.group(2))
            data = archive.read_bytes()
            # A (commit, file) pair never changes under one recipe: installers may keep it for good.
            immutable = {"ETag": f'"{digest}"', "Cache-Control": "public, max-age=31536000, immutable"}
            self._send(200, "application/gzip", data, send_body, immutable)
        elif path == "/":
            self._send(302, "text/plain", b"", send_body, {"Location": "/simple/"})
        else:
            raise BridgeError(404, f"no such page: {path}")

    def _page(self, render: Callable[[], bytes], send_body: bool) -> None:
        self._send(200, "text/html; charset=utf-8", render(), send_body, {"Cache-Control": "no-cache"})

    def _fail(self, error: BridgeError, send_body: bool) -> None:
        line = f"error: {error}"
        log.error("%s (HTTP %d for %s)", error, error.status, self.path.split("?", 1)[0][:300])
        extra = {"WWW-Authenticate": 'Basic realm="indexgen bridge"'} if error.status == 401 else {}
        self._send(error.status, "text/plain; charset=utf-8", (line + "\n").encode(), send_body, extra)

    def _send(self, status: int, kind: str, body: bytes, send_body: bool, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)
