"""`indexgen serve`: preview a built site the way GitHub Pages serves it, on loopback by default.

Like Pages: a directory answers with its `index.html` (and never with a listing), a directory asked
for without its trailing slash is redirected to it (301), a missing file gets the site's `404.html`
with status 404, HTML is `text/html; charset=utf-8`, and every answer carries
`Cache-Control: max-age=600`, so pip's HTTP cache behaves as it will against the published site.
"""

from __future__ import annotations

import http.server
import ipaddress
import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import IndexgenError

log = logging.getLogger("indexgen")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
CACHE_CONTROL = "max-age=600"  # what GitHub Pages sends
NOT_FOUND_PAGE = "404.html"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}


@dataclass
class ServeError(IndexgenError):
    directory: str
    reason: str

    def __str__(self) -> str:
        return f"cannot serve {self.directory}: {self.reason}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_site(directory: Path) -> None:
    """Refuse a directory that holds no built site, with what to do about it."""
    if not directory.is_dir():
        raise ServeError(str(directory), "no such directory (build the site first: indexgen build)")
    if not (directory / "simple" / "index.html").is_file():
        raise ServeError(str(directory), "not a built site: it has no simple/index.html")


class PagesHandler(http.server.SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler with GitHub Pages' answers: no listings, the site's 404 page,
    UTF-8 content types and Pages' cache lifetime."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **_TYPES}
    server_version = "indexgen-serve"

    def version_string(self) -> str:
        return self.server_version

    def end_headers(self) -> None:
        self.send_header("Cache-Control", CACHE_CONTROL)
        super().end_headers()

    def list_directory(self, path: str | os.PathLike[str]) -> Any:
        self.send_error(404)
        return None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / NOT_FOUND_PAGE
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", _TYPES[".html"])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        log.info("%s %s", self.address_string(), format % args)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


def make_server(directory: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> _Server:
    """A server for the site in `directory`, bound (port 0: any free port) but not yet serving."""
    check_site(directory)
    root = str(directory.resolve())

    def handler(*args: Any, **kwargs: Any) -> PagesHandler:
        return PagesHandler(*args, directory=root, **kwargs)

    server_class = _Server6 if ":" in host else _Server
    try:
        return server_class((host, port), handler)
    except OSError as exc:
        raise ServeError(str(directory), f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def server_url(server: http.server.HTTPServer) -> str:
    host, port = server.server_address[:2]
    text = host.decode() if isinstance(host, bytes) else str(host)
    shown = f"[{text}]" if ":" in text else text
    return f"http://{shown}:{port}/"
