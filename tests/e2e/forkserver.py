"""`python -m indexgen ARGS` as a real child process, forked from a server that imported indexgen once.

A fresh interpreter spends most of a small build importing indexgen and its libraries (requests,
jinja2 and, for a REST scan, PyGithub: about 0.8 s of CPU), and the end-to-end tests run the command
line hundreds of times. The fork server (`SERVER`, a plain Python process started once per test
session) imports `indexgen.cli` and the REST scanner, then forks one child per run. Each child is
still a process of its own, as `subprocess.run` would start: its own stdin (/dev/null), stdout and
stderr, working directory, exactly the environment the test gave it (`os.environ` is replaced, so git
and pip below it see the same), `sys.argv` and `sys.path[0]` as `python -m` sets them, `python -m
indexgen`'s exit code (a signal kills it like any process) and Python's own ending (a SystemExit's
code, a traceback and exit 1 for an uncaught exception, the atexit functions, the flushed streams).

What a forked child cannot have is a different interpreter start-up: `Forks.run` refuses any
environment whose start-up variables (PYTHON*, LANG, LC_*) differ from the servers', or that coverage
measures, and the caller then starts a fresh interpreter. Two servers take runs in turn, each started
with its own random hash seed, so two runs in a row never share one (a test comparing their outputs
still sees set orders that differ).
"""

from __future__ import annotations

import atexit
import json
import locale
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO

# Variables read when the interpreter starts (encodings, paths, hash seed, site hooks): a forked child
# would keep the server's.
_STARTUP_PREFIXES = ("PYTHON", "LC_")
_STARTUP_NAMES = ("LANG",)

# The server: stdlib only until it imports indexgen.cli. It leaves when its stdin (a pipe from the test
# session) closes. Each request forks a supervisor, which forks the run and reports its pid and status.
SERVER = r"""
import atexit, json, os, runpy, select, socket, struct, sys, threading, traceback

path = sys.argv[1]
import indexgen.cli  # the expensive part, once
import indexgen.github.rest  # PyGithub: a GraphQL build never imports it, REST runs here do
assert threading.active_count() == 1, "a fork server must not have threads"

listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(path)
listener.listen(64)
sys.stdout.write("ready\n")
sys.stdout.flush()


def read_exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def exit_code(exc):
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def run(request, fds):
    # What `python -m indexgen ARGS` would be, in this already initialised interpreter.
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    import tempfile, time
    tempfile.tempdir = None
    time.tzset()
    main = os.path.join(os.path.dirname(indexgen.__file__), "__main__.py")
    sys.argv = [main, *request["args"]]
    sys.path[0] = os.getcwd()
    code = 0
    try:
        runpy.run_module("indexgen", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exit_code(exc)
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        threading._shutdown()
    except Exception:
        pass
    try:
        atexit._run_exitfuncs()
    except SystemExit as exc:
        code = exit_code(exc)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            code = code or 120
    os._exit(code)


def supervise(conn):
    header, fds, _, _ = socket.recv_fds(conn, 8, 3)
    (size,) = struct.unpack("!Q", header)
    request = json.loads(read_exactly(conn, size))
    pid = os.fork()
    if pid == 0:
        try:
            conn.close()
            run(request, fds)
        finally:
            os._exit(255)
    for fd in fds:
        os.close(fd)
    conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    conn.sendall(json.dumps({"code": os.waitstatus_to_exitcode(status)}).encode() + b"\n")


while True:
    ready, _, _ = select.select([listener, sys.stdin], [], [])
    if sys.stdin in ready:
        break
    conn, _ = listener.accept()
    pid = os.fork()
    if pid == 0:
        try:
            listener.close()
            supervise(conn)
        finally:
            os._exit(0)
    conn.close()
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
"""


def _startup(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(_STARTUP_PREFIXES) or k in _STARTUP_NAMES}


class ForkServer:
    """One running `SERVER`; `run` is `subprocess.run([python, -m, indexgen, *args], text=True)`."""

    def __init__(self, directory: Path, env: Mapping[str, str]) -> None:
        self.path = str(directory / "fork.sock")
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER, self.path],
            env=dict(env),
            cwd=directory,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline() != "ready\n":
            self.process.kill()
            raise RuntimeError(f"the indexgen fork server did not start (exit {self.process.wait()})")

    def run(
        self, args: tuple[str, ...], env: Mapping[str, str], cwd: Path, timeout: float
    ) -> tuple[int, str, str]:
        request = json.dumps({"args": list(args), "env": dict(env), "cwd": str(cwd)}).encode()
        with (
            tempfile.TemporaryFile() as out,
            tempfile.TemporaryFile() as err,
            open(os.devnull, "rb") as null,
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn,
        ):
            conn.connect(self.path)
            socket.send_fds(
                conn, [struct.pack("!Q", len(request))], [null.fileno(), out.fileno(), err.fileno()]
            )
            conn.sendall(request)
            answer = _receive(conn, b"", lines=1)
            pid = json.loads(answer.split(b"\n")[0])["pid"]
            conn.settimeout(timeout)
            try:
                answer = _receive(conn, answer, lines=2)
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                conn.settimeout(None)
                _receive(conn, answer, lines=2)
                raise subprocess.TimeoutExpired(
                    [sys.executable, "-m", "indexgen", *args], timeout, _text(out), _text(err)
                ) from None
            code = json.loads(answer.split(b"\n")[1])["code"]
            return code, _text(out), _text(err)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _receive(conn: socket.socket, received: bytes, lines: int) -> bytes:
    """`received` and what comes after it on `conn`, until it holds `lines` whole lines."""
    while received.count(b"\n") < lines:
        chunk = conn.recv(4096)
        if not chunk:
            raise RuntimeError(f"the indexgen fork server broke off after {received!r}")
        received += chunk
    return received


def _text(file: IO[bytes]) -> str:
    """What `subprocess.run(text=True)` makes of a stream: the locale's encoding, universal newlines."""
    file.seek(0)
    data = file.read().decode(locale.getpreferredencoding(False))
    return data.replace("\r\n", "\n").replace("\r", "\n")


class Forks:
    """The session's fork servers, started on first use (thread-safe); runs alternate between them."""

    def __init__(self, servers: int = 2) -> None:
        self._servers: list[ForkServer] = []
        self._count = servers
        self._turn = 0
        self._lock = threading.Lock()
        self._directory: tempfile.TemporaryDirectory[str] | None = None
        self._startup: dict[str, str] = {}

    def run(
        self, args: tuple[str, ...], env: Mapping[str, str], cwd: Path, timeout: float
    ) -> tuple[int, str, str] | None:
        """(exit code, stdout, stderr) of `python -m indexgen ARGS` in a forked child, or None when
        `env` needs a fresh interpreter (its start-up variables differ from the servers')."""
        with self._lock:
            if not self._servers:
                self._directory = tempfile.TemporaryDirectory(prefix="indexgen-forks-")
                base = {
                    k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_", "INDEXGEN_"))
                }
                self._startup = _startup(base)
                for i in range(self._count):
                    root = Path(self._directory.name) / str(i)
                    root.mkdir()
                    self._servers.append(ForkServer(root, base))
                atexit.register(self.close)
            # Coverage's subprocess measuring (`patch = ["subprocess"]` sets COVERAGE_PROCESS_CONFIG) starts
            # with the interpreter too, and saves one data file per process it started in.
            if _startup(env) != self._startup or any(k.startswith("COVERAGE_") for k in env):
                return None
            server = self._servers[self._turn % len(self._servers)]
            self._turn += 1
        return server.run(args, env, cwd, timeout)

    def close(self) -> None:
        with self._lock:
            for server in self._servers:
                server.close()
            self._servers.clear()
            if self._directory is not None:
                self._directory.cleanup()
                self._directory = None
