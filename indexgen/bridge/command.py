"""The `indexgen bridge` command: its flags, its settings, the server it opens and the set-up lines it
prints. The CLI prints them and runs the server until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import netrc
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, IndexgenError, register_secret
from .links import DEFAULT_ALLOWED_HOSTS, check_clone_url

if TYPE_CHECKING:
    from .server import BridgeServer

# The server, git and HTTP modules load only when the bridge starts: `indexgen build` never needs them.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")

DEFAULT_PORT = 8765
DEFAULT_HOST = "127.0.0.1"

DESCRIPTION = """\
Serve a static indexgen index to uv, Poetry and pip as a PEP 503 index of sdists, on this machine.
Each release becomes /files/<sha>/<name>-<version>.tar.gz, made on first request from the commit the
static index pins, fetched with your own git and credentials, and cached by commit. The archives are
byte-identical on every machine, so lock files with hashes work everywhere.
"""

EPILOG = """\
set-up (the bridge at its default address):
  uv      pyproject.toml:  [[tool.uv.index]]
                           name = "acme"
                           url = "http://127.0.0.1:8765/simple/"
          or:              uv pip install --extra-index-url http://127.0.0.1:8765/simple/ NAME
  Poetry  poetry source add --priority=supplemental acme http://127.0.0.1:8765/simple/
  pip     pip install --extra-index-url http://127.0.0.1:8765/simple/ NAME
          (hash-checking works: pip install --require-hashes -r requirements.txt)
  CI      start it in the background, then install:
            indexgen bridge --index URL > bridge.log 2>&1 &
            timeout 60 sh -c 'until curl -sf http://127.0.0.1:8765/simple/ >/dev/null; do sleep 1; done'
            uv sync --locked

Pages give #sha256= for the archives already built; lock once they are (after a first sync, or
with a warm --cache) to record every hash. Failures are HTTP errors with a one-line reason, logged
on stderr too: uv shows only the status, so read the bridge's log.

The port is fixed (lock files record the URL). Anyone who can reach the port can read what your git
credentials can read: the bridge listens on 127.0.0.1 only, unless --host says otherwise, and on a
shared machine --netrc-auth makes it require your own login from ~/.netrc.
"""


@dataclass(frozen=True)
class BridgeSettings:
    index: str  # an http(s) URL or a directory
    host: str
    port: int
    cache: Path
    allowed_hosts: tuple[str, ...]
    credentials: tuple[str, str] | None


def add_bridge_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bridge = commands.add_parser(
        "bridge",
        help="serve the index to uv, Poetry and pip as sdists, on this machine",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bridge.add_argument(
        "--index",
        required=True,
        metavar="URL",
        help="the static index's simple/ URL (http or https), or its directory on disk",
    )
    bridge.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default: {DEFAULT_PORT})"
    )
    bridge.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default: {DEFAULT_HOST}; anything else exposes your code to others)",
    )
    bridge.add_argument(
        "--cache",
        metavar="DIR",
        help="where fetched commits and built archives are kept (default: $XDG_CACHE_HOME/indexgen/bridge, "
        "else ~/.cache/indexgen/bridge); bridges may share one",
    )
    bridge.add_argument(
        "--allow-host",
        action="append",
        metavar="HOST",
        help="a git host the bridge may fetch from (repeatable; default: "
        + ", ".join(DEFAULT_ALLOWED_HOSTS)
        + "); links to other hosts are refused",
    )
    bridge.add_argument(
        "--netrc-auth",
        action="store_true",
        help="require HTTP basic auth with the login and password of the `machine HOST` entry for the "
        "listening address in ~/.netrc (or $NETRC); pip and uv send them from there, Poetry from "
        "`poetry config http-basic.NAME`",
    )
    bridge.add_argument("-v", "--verbose", action="count", default=0, help="also log every request")


def _default_cache(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CACHE_HOME") or str(Path(environ.get("HOME", "~"), ".cache"))
    return Path(base).expanduser() / "indexgen" / "bridge"


def _netrc_credentials(host: str, environ: Mapping[str, str]) -> tuple[str, str] | str:
    path = environ.get("NETRC") or str(Path(environ.get("HOME", "~"), ".netrc").expanduser())
    try:
        entries = netrc.netrc(path)
    except (OSError, netrc.NetrcParseError) as exc:
        return f"--netrc-auth: cannot read {path}: {exc}"
    names = [host, *LOOPBACK_NAMES] if host in LOOPBACK_NAMES else [host]
    for name in names:
        found = entries.authenticators(name)
        if found and found[0] and found[2]:
            register_secret(found[2])
            return found[0], found[2]
    return f"--netrc-auth: {path} has no login and password for machine {host}"


def bridge_settings(args: argparse.Namespace, environ: Mapping[str, str]) -> BridgeSettings:
    """The settings from the flags; every problem reported at once (exit 2)."""
    problems: list[str] = []
    index: str = args.index
    if index.startswith("file://"):
        index = index[len("file://") :]
    if not index.startswith(("http://", "https://")) and not Path(index).is_dir():
        problems.append(f"--index {args.index!r} is neither an http(s) URL nor a directory")
    if not 0 <= args.port < 65536:
        problems.append(f"--port {args.port} is out of range")
    hosts = tuple(h.strip().lower() for h in (args.allow_host or DEFAULT_ALLOWED_HOSTS))
    for host in hosts:
        if check_clone_url(f"https://{host}/x", (host,)) is not None:
            problems.append(f"--allow-host {host!r} is not a host name")
    credentials: tuple[str, str] | None = None
    if args.netrc_auth:
        found = _netrc_credentials(args.host, environ)
        if isinstance(found, str):
            problems.append(found)
        else:
            credentials = found
    if problems:
        raise ConfigError(tuple(problems))
    cache = Path(args.cache).expanduser() if args.cache else _default_cache(environ)
    return BridgeSettings(index, args.host, args.port, cache.resolve(), hosts, credentials)


@dataclass
class BindFailed(IndexgenError):
    host: str
    port: int
    message: str

    def __str__(self) -> str:
        return f"cannot listen on {self.host}:{self.port}: {self.message}"


def open_bridge(settings: BridgeSettings, environ: Mapping[str, str] | None = None) -> BridgeServer:
    from .fetch import GitCache
    from .server import BridgeServer
    from .service import Bridge, Upstream

    env = os.environ if environ is None else environ
    bridge = Bridge(
        Upstream(settings.index), settings.cache, settings.allowed_hosts, GitCache(settings.cache, env)
    )
    try:
        return BridgeServer((settings.host, settings.port), bridge, settings.credentials)
    except OSError as exc:
        raise BindFailed(settings.host, settings.port, exc.strerror or str(exc)) from None


def banner(server: BridgeServer, settings: BridgeSettings) -> str:
    url = server.url
    lines = [
        f"indexgen bridge: serving {settings.index} as {url} (cache {settings.cache}); Ctrl-C stops it",
        f'  uv:     [[tool.uv.index]] name = "private", url = "{url}"  (or --extra-index-url {url})',
        f"  Poetry: poetry source add --priority=supplemental private {url}",
        f"  pip:    pip install --extra-index-url {url} NAME",
    ]
    if settings.host not in LOOPBACK_NAMES:
        lines.append(f"warning: listening on {settings.host}: anyone who reaches it reads your private code")
    return "\n".join(lines)
