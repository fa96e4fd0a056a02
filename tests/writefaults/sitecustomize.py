"""Faults injected into a real `indexgen build` subprocess at exact points of the writer (write.py).

A test puts this directory on the subprocess's PYTHONPATH and describes the fault as JSON in
INDEXGEN_TESTS_WRITE_FAULT; Python imports this module at start-up (the `site` module's
`sitecustomize` hook), before indexgen runs. Nothing here is part of indexgen: the product has no test
switch. Every fault appends one line to the `marker` file just before it acts, so a test can assert
that its signal was really sent at the point it meant (a test whose signal never arrives proves nothing).

Keys of the JSON object:
- `signal` (a name such as "SIGTERM") and `at`, where to send it to the build itself:
  - "swap": on entry to `_swap`, before anything is renamed;
  - "exchange": just after `renameat2(RENAME_EXCHANGE)` swapped the directories, before the previous
    site (now in the staging directory) is removed;
  - "rename": just after the `nth` rename of an `.indexgen-*` path by write.py;
  - "write": before the `nth` file is written into (or hard-linked from the live site into) the
    staging directory.
- `two_renames`: true makes `_exchange` report "unsupported", forcing the two-rename fallback.
- `fail_rename`: the n-th rename of an `.indexgen-*` path fails (EXDEV) instead of happening.
- `enospc_at`: the n-th file written or linked into the staging directory fails with ENOSPC (a full
  disk).
- `readonly`: a directory in which creating the staging directory fails with EROFS.
- `marker`: the file the lines go to.
"""

from __future__ import annotations

import errno
import json
import os
import pathlib
import signal
import tempfile
from typing import Any

_SPEC = os.environ.get("INDEXGEN_TESTS_WRITE_FAULT")


def _mark(spec: dict[str, Any], line: str) -> None:
    with open(spec["marker"], "a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def _send(spec: dict[str, Any], where: str) -> None:
    name = spec["signal"]
    _mark(spec, f"sending {name} {where}")
    os.kill(os.getpid(), getattr(signal, name))
    _mark(spec, f"sent {name} {where}")  # a SIGKILL never gets here


def _install(spec: dict[str, Any]) -> None:
    import indexgen.write as write

    real_swap, real_exchange, real_os = write._swap, write._exchange, write.os

    def swap(staging: pathlib.Path, output: pathlib.Path) -> None:
        _mark(spec, f"swap of {output.name} begins")
        if spec.get("at") == "swap":
            _send(spec, "at the start of the swap")
        real_swap(staging, output)
        _mark(spec, f"swap of {output.name} done")

    def exchange(a: pathlib.Path, b: pathlib.Path) -> bool:
        if spec.get("two_renames"):
            _mark(spec, "renameat2 refused: two renames")
            return False
        done = real_exchange(a, b)
        _mark(spec, f"renameat2 exchanged: {done}")
        if done and spec.get("at") == "exchange":
            _send(spec, "after renameat2")
        return done

    placed = [0]  # files written or linked into the staging directory

    def place(target: Any, write_half: Any) -> None:
        placed[0] += 1
        if spec.get("at") == "write" and placed[0] == spec.get("nth", 1):
            _send(spec, f"before writing staged file #{placed[0]}")
        if placed[0] == spec.get("enospc_at"):
            write_half()  # the disk filled up mid-file
            _mark(spec, f"ENOSPC writing {pathlib.Path(target).name}")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    class Os:
        """write.py's `os`, with `rename` counted and `link` (an unchanged file) placed like a write."""

        renames = 0

        def link(self, src: Any, dst: Any, **kwargs: Any) -> None:
            if ".indexgen-" in str(dst) and ("enospc_at" in spec or spec.get("at") == "write"):
                place(dst, lambda: None)
            real_os.link(src, dst, **kwargs)

        def __getattr__(self, name: str) -> Any:
            return getattr(real_os, name)

        def rename(self, src: Any, dst: Any) -> None:
            if ".indexgen-" in f"{src}{dst}" and spec.get("fail_rename") == Os.renames + 1:
                Os.renames += 1
                _mark(spec, f"EXDEV at rename #{Os.renames}: {pathlib.Path(src).name}")
                raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), str(dst))
            real_os.rename(src, dst)
            if ".indexgen-" in f"{src}{dst}":
                Os.renames += 1
                _mark(spec, f"rename #{Os.renames}: {pathlib.Path(src).name} -> {pathlib.Path(dst).name}")
                if spec.get("at") == "rename" and Os.renames == spec.get("nth", 1):
                    _send(spec, f"after rename #{Os.renames}")

    write._swap, write._exchange, write.os = swap, exchange, Os()  # type: ignore[assignment]

    if "enospc_at" in spec or spec.get("at") == "write":
        real_write_bytes = pathlib.Path.write_bytes

        def write_bytes(self: pathlib.Path, data: Any) -> int:
            if ".indexgen-" in str(self):
                place(self, lambda: real_write_bytes(self, bytes(data)[: len(data) // 2]))
            return real_write_bytes(self, data)

        pathlib.Path.write_bytes = write_bytes  # type: ignore[method-assign]

    if "readonly" in spec:
        real_mkdtemp = tempfile.mkdtemp

        def mkdtemp(suffix: Any = None, prefix: Any = None, dir: Any = None) -> str:
            if dir is not None and os.path.realpath(dir) == os.path.realpath(spec["readonly"]):
                _mark(spec, f"EROFS creating {prefix}* in {dir}")
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(dir))
            return real_mkdtemp(suffix, prefix, dir)

        tempfile.mkdtemp = mkdtemp  # type: ignore[assignment]


if _SPEC:
    _install(json.loads(_SPEC))
