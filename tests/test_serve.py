"""`indexgen serve`: the real CLI serving a site built by the real CLI, answering like GitHub Pages, and
real pip installing through it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest

from indexgen.serve import is_loopback
from tests.e2e.acme import CLONE_BASE, ORG, AcmeWorld
from tests.e2e.cli import cli_environ, run_indexgen
from tests.e2e.fixtures import AcmeBuild, PipSetupFactory
from tests.e2e.pipvenv import Venv

pytestmark = pytest.mark.e2e


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def fetch(url: str) -> tuple[int, Message, bytes]:
    """Status, headers (names case-insensitive, as in HTTP) and body, without following redirects."""
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class Served:
    def __init__(self, process: subprocess.Popen[str], first_lines: list[str]) -> None:
        self.process = process
        self.lines = first_lines
        self.url = first_lines[0].split(" at ", 1)[1].split(" ", 1)[0]


@pytest.fixture
def served(acme_build: AcmeBuild, tmp_path: Path) -> Iterator[Served]:
    assert acme_build.run.returncode == 0, acme_build.run.describe()
    process = subprocess.Popen(
        [sys.executable, "-m", "indexgen", "serve", str(acme_build.site), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=cli_environ(tmp_path),
    )
    assert process.stdout is not None
    lines = [process.stdout.readline().rstrip("\n"), process.stdout.readline().rstrip("\n")]
    try:
        yield Served(process, lines)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_answers_like_github_pages(served: Served, acme_build: AcmeBuild) -> None:
    url = served.url
    assert url.startswith("http://127.0.0.1:") and url.endswith("/")
    assert served.lines[1].strip() == f"pip install --extra-index-url {url}simple/ PACKAGE"

    status, headers, _ = fetch(url + "simple/acme-utils")
    assert status == 301 and headers["Location"] == "/simple/acme-utils/"
    status, headers, body = fetch(url + "simple/acme-utils/")
    assert status == 200 and body == (acme_build.site / "simple/acme-utils/index.html").read_bytes()
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "max-age=600"
    status, headers, body = fetch(url + "no/such/page")
    assert status == 404 and body == (acme_build.site / "404.html").read_bytes()
    assert headers["Content-Type"] == "text/html; charset=utf-8" and headers["Cache-Control"] == "max-age=600"
    assert fetch(url + "assets/")[0] == 404  # a directory without index.html: no listing
    status, headers, body = fetch(url + "packages.json")
    assert status == 200 and headers["Content-Type"] == "application/json; charset=utf-8"
    status, _, body = fetch(url)
    assert status == 200 and b"acme-utils" in body


def test_serve_stops_cleanly_on_ctrl_c(served: Served) -> None:
    assert fetch(served.url)[0] == 200
    served.process.send_signal(signal.SIGINT)
    out, err = served.process.communicate(timeout=10)
    assert served.process.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err


def test_pip_installs_through_the_served_site(
    served: Served, make_pip_setup: PipSetupFactory, acme_world: AcmeWorld, tmp_path: Path
) -> None:
    setup = make_pip_setup(
        served.url + "simple/", instead_of={acme_world.bare_root.as_uri() + "/": f"{CLONE_BASE}/{ORG}/"}
    )
    env = Venv.create(tmp_path / "venv", setup)
    env.install("acme-core").check()  # acme-core needs acme-utils by name: both through the served index
    assert env.version_of("acme-core") is not None
    assert env.version_of("acme-utils") == "2.0.0"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "missing-dir"], "error: cannot serve missing-dir: no such directory"),
        (["serve", "."], "error: cannot serve .: not a built site: it has no simple/index.html"),
        (["serve", "--port", "x"], "invalid int value"),
    ],
)
def test_serve_refuses_what_is_not_a_site_in_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    run = run_indexgen(*args, env=cli_environ(tmp_path), cwd=tmp_path, timeout=30)
    assert run.returncode != 0 and message in run.stderr and "Traceback" not in run.stderr


def test_serve_on_a_port_in_use_is_one_error_line(
    served: Served, acme_build: AcmeBuild, tmp_path: Path
) -> None:
    port = served.url.rsplit(":", 1)[1].strip("/")
    run = run_indexgen("serve", str(acme_build.site), "--port", port, env=cli_environ(tmp_path), cwd=tmp_path)
    assert (
        run.returncode == 1 and run.stderr.startswith("error: cannot serve") and "Traceback" not in run.stderr
    )


def test_the_built_browse_site_carries_dates_from_the_scan(acme_build: AcmeBuild) -> None:
    catalogue = json.loads((acme_build.site / "packages.json").read_text())
    releases = [r for p in catalogue["projects"] for r in p["releases"]]
    assert releases and all(r["date"] for r in releases), releases
    home = (acme_build.site / "index.html").read_text()
    assert "last release <time datetime=" in home
    assert (acme_build.site / "robots.txt").read_text() == "User-agent: *\nDisallow: /\n"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.test", False),
    ],
)
def test_only_loopback_addresses_count_as_private(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_non_loopback_host_is_served_only_when_asked_and_warned_about(
    acme_build: AcmeBuild, tmp_path: Path
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "indexgen", "serve", str(acme_build.site), "--port", "0", "--host", "0.0.0.0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=cli_environ(tmp_path),
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        assert process.stderr.readline().startswith("warning: listening on 0.0.0.0: other machines can reach")
        assert " at http://0.0.0.0:" in process.stdout.readline()
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    assert process.returncode == 0


def test_ctrl_c_while_the_banner_is_printed_stops_cleanly(
    acme_build: AcmeBuild, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Ctrl-C that lands between the server's start and `serve_forever` (a test that signals as soon
    as it reads the first line hits that window) stops like any other: "stopped", exit 0, the socket
    closed, no traceback."""
    import indexgen.cli as cli

    closed: list[bool] = []
    real = cli.make_server

    def server(*args: object) -> object:
        made = real(*args)  # type: ignore[arg-type]
        close = made.server_close
        made.server_close = lambda: (closed.append(True), close())[1]  # type: ignore[method-assign]
        return made

    real_print = print
    banner: list[object] = []

    def interrupted(*args: object, **kwargs: object) -> None:
        if not banner:  # the first line of the banner: Ctrl-C arrives
            banner.append(args)
            raise KeyboardInterrupt
        real_print(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(cli, "make_server", server)
    monkeypatch.setattr("builtins.print", interrupted)
    try:
        code = cli.main(["serve", str(acme_build.site), "--port", "0"])
    except KeyboardInterrupt:
        code = -2  # what the process would die with: a traceback and no "stopped"
    monkeypatch.undo()
    assert code == 0
    assert closed == [True]
    assert "Serving" in str(banner) and capsys.readouterr().out == "stopped\n"
