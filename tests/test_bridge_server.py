"""The bridge's HTTP layer in-process, over a static index on disk and a real git repository: routes,
the Host check, basic auth, hashes appearing once an archive is built, and one-line errors."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from indexgen.bridge.fetch import GitCache
from indexgen.bridge.server import BridgeServer
from indexgen.bridge.service import Bridge, Upstream
from tests.e2e.gitrepo import GitRepo
from tests.e2e.pipvenv import write_gitconfig

URL = "https://git.example.test/acme/tiny.git"
AUTH = {"Authorization": "Basic " + base64.b64encode(b"me:pw-for-the-bridge").decode()}


@dataclass
class Served:
    server: BridgeServer
    commit: str

    def request(
        self, path: str, headers: dict[str, str] | None = None, method: str = "GET"
    ) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
        try:
            connection.request(method, path, headers={**AUTH, **(headers or {})})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("server")
    repo = GitRepo.init(root / "tiny")
    repo.commit(
        "tiny 1.0",
        {
            "pyproject.toml": '[project]\nname = "tiny"\nversion = "1.0"\n',
            "tiny/__init__.py": "",
        },
    )
    commit = repo.rev_parse("HEAD")
    bare = repo.mirror_to(root / "bare" / "tiny.git")
    gitconfig = write_gitconfig(root / "gitconfig", instead_of={bare.as_uri(): URL})
    simple = root / "site" / "simple"
    (simple / "tiny").mkdir(parents=True)
    (simple / "index.html").write_text('<a href="tiny/">tiny</a>\n', encoding="utf-8")
    (simple / "tiny" / "index.html").write_text(
        f'<a href="git+{URL}@{commit}#egg=tiny-1.0" data-requires-python="&gt;=3.8">tiny-1.0</a>\n'
        f'<a href="git+https://elsewhere.test/x.git@{commit}#egg=tiny-2.0">tiny-2.0</a>\n',
        encoding="utf-8",
    )
    env = {"PATH": os.environ["PATH"], "HOME": str(root), "GIT_CONFIG_GLOBAL": str(gitconfig)}
    bridge = Bridge(
        Upstream(str(simple)), root / "cache", ("git.example.test",), GitCache(root / "cache", env)
    )
    server = BridgeServer(("127.0.0.1", 0), bridge, ("me", "pw-for-the-bridge"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(server, commit)
    finally:
        server.shutdown()
        server.server_close()


def test_pages_files_and_hashes(served: Served) -> None:
    status, root = served.request("/simple/")
    assert status == 200 and b'<a href="tiny/">tiny</a>' in root
    status, page = served.request("/simple/Tiny/")
    assert status == 200 and b"#sha256=" not in page and b"2.0" not in page
    assert b'data-requires-python="&gt;=3.8"' in page
    path = f"/files/{served.commit}/tiny-1.0.tar.gz"
    status, body = served.request(path)
    assert status == 200 and body[:2] == b"\x1f\x8b"
    digest = hashlib.sha256(body).hexdigest()
    assert f"{path}#sha256={digest}".encode() in served.request("/simple/tiny/")[1]
    assert served.request(path, method="HEAD") == (200, b"")
    assert served.request(path)[1] == body  # from the cache, same bytes


@pytest.mark.parametrize(
    ("path", "headers", "status", "words"),
    [
        ("/simple/", {"Authorization": ""}, 401, "credentials"),
        (
            "/simple/",
            {"Authorization": "Basic " + base64.b64encode(b"me:wrong").decode()},
            401,
            "credentials",
        ),
        ("/simple/", {"Host": "attacker.example"}, 421, "Host"),
        ("/simple/nothing-here/", {}, 404, "no project 'nothing-here'"),
        ("/files/" + "0" * 40 + "/tiny-1.0.tar.gz", {}, 404, "lists no tiny-1.0.tar.gz"),
        ("/files/" + "0" * 40 + "/tiny-1.0.tar", {}, 404, "not an sdist"),
        ("/etc/passwd", {}, 404, "no such page"),
    ],
)
def test_errors_are_one_line(
    served: Served, path: str, headers: dict[str, str], status: int, words: str
) -> None:
    got, body = served.request(path, headers)
    assert got == status
    text = body.decode()
    assert text.startswith("error: ") and text.count("\n") == 1 and words in text


def test_a_refused_link_is_403_with_its_reason(served: Served) -> None:
    got, body = served.request(f"/files/{served.commit}/tiny-2.0.tar.gz")
    assert got == 403 and b"elsewhere.test" in body and b"allowed hosts" in body
