"""A local HTTP server that answers like PyPI's JSON API (`GET /pypi/<name>/json`), for the
dependency-confusion check: 200 with `info` and `releases` for a known name, 404 otherwise, and a
switch that makes it fail (503) like an unreachable PyPI."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from packaging.utils import canonicalize_name
from packaging.version import Version


@dataclass
class FakePyPI:
    projects: dict[str, list[str]] = field(default_factory=dict)  # canonical name → versions
    down: bool = False
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def answer(self, path: str) -> tuple[int, dict[str, object]]:
        parts = path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "pypi" or parts[2] != "json":
            return 404, {"message": "Not Found"}
        name = parts[1]
        versions = self.projects.get(canonicalize_name(name))
        if versions is None:
            return 404, {"message": "Not Found"}
        latest = max(versions, key=Version)
        files = [
            {"filename": f"{name}-{v}.tar.gz", "yanked": False, "packagetype": "sdist"} for v in versions
        ]
        return 200, {
            "info": {"name": name, "version": latest, "summary": "a public project"},
            "releases": {v: [f] for v, f in zip(versions, files, strict=True)},
            "urls": [files[versions.index(latest)]],
        }


@contextmanager
def serve_pypi(pypi: FakePyPI) -> Iterator[FakePyPI]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            pypi.requests.append(self.path)
            status, body = (503, {"message": "Service Unavailable"}) if pypi.down else pypi.answer(self.path)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    pypi.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield pypi
    finally:
        server.shutdown()
        server.server_close()
