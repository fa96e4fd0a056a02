"""The files a project's metadata refers to, at one commit: where they are and what they hold.

Readers see a `Tree`: the files known at one commit, keyed by their path relative to the repository
root. A project lives in a directory of that repository (`project_dir`, posix, "" for the root); every
path a reader follows is relative to that directory and is resolved here into a repository path, never
outside the repository. A file the tree does not know yet raises `NeedFiles`: the scanner fetches it in
another round and parsing starts again, so the readers stay pure and the network stays in the scanner.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .common import quote_value

MAX_ROUNDS = 4
"""How many rounds of referenced files a scanner fetches (setup.py → pkg/__init__.py → pkg/_version.py
is two); a chain longer than this stays a skip."""


class NeedFiles(Exception):  # noqa: N818 (a signal, not an error)
    """The files at `paths` (repository paths) must be known before this metadata can be read."""

    def __init__(self, paths: Iterable[str]) -> None:
        super().__init__(", ".join(sorted(set(paths))))
        self.paths = frozenset(paths)


class Unresolved(Exception):  # noqa: N818
    """A value that cannot be resolved to one literal without running code: `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Tree:
    """Files at one commit: repository path → text, None for a file that is absent or not usable text.
    A path missing from `files` is not known yet."""

    files: Mapping[str, str | None] = field(default_factory=dict)
    project_dir: str = ""

    def path(self, relative: str) -> str:
        """`relative` (to the project directory) as a repository path; Unresolved when it leaves the
        repository or is not a plain relative path."""
        if not relative or relative.startswith("/") or "\\" in relative or "\x00" in relative:
            raise Unresolved(f"path {quote_value(relative)} is not a relative file path")
        joined = posixpath.normpath(posixpath.join(self.project_dir, relative))
        if joined in (".", "") or joined.startswith("../") or joined == "..":
            raise Unresolved(f"path {quote_value(relative)} leaves the repository")
        return joined

    def read(self, relative: str) -> str:
        """The text of the file at `relative`; NeedFiles when unknown, Unresolved when absent."""
        path = self.path(relative)
        if path not in self.files:
            raise NeedFiles([path])
        text = self.files[path]
        if text is None:
            raise Unresolved(f"{path} is absent or not a text file at this commit")
        return text

    def first(self, candidates: Iterable[str]) -> str | None:
        """The first of `candidates` (relative paths) that exists, as a relative path; None when none
        does. Every unknown candidate before the first existing one is fetched in one round."""
        unknown: list[str] = []
        for relative in candidates:
            path = self.path(relative)
            if path not in self.files:
                unknown.append(path)
            elif self.files[path] is not None:
                if unknown:
                    raise NeedFiles(unknown)
                return relative
        if unknown:
            raise NeedFiles(unknown)
        return None


def module_candidates(dotted: str, package_dirs: Mapping[str, str] | None = None) -> list[str]:
    """Where the module `dotted` may live, relative to the project directory, in import order.

    `package_dirs` is setuptools' `package_dir` (`{"": "src"}` for a src layout), looked up by the
    longest prefix as setuptools' `find_package_path` does; without it the flat layout and then the src
    layout are tried (setup.py's own directory comes first on sys.path). A package directory wins over
    a module of the same name (importlib's FileFinder order)."""
    parts = dotted.split(".")
    if not dotted or not all(p.isidentifier() for p in parts):
        raise Unresolved(f"{quote_value(dotted)} is not a module name")
    roots: list[tuple[str, list[str]]]
    if package_dirs is None:
        roots = [("", parts), ("src", parts)]
    else:
        for i in range(len(parts), 0, -1):
            prefix = ".".join(parts[:i])
            if prefix in package_dirs:
                roots = [(package_dirs[prefix], parts[i:])]
                break
        else:
            roots = [(package_dirs.get("", ""), parts)]
    out: list[str] = []
    for root, rest in roots:
        stem = posixpath.join(root, *rest) if rest else root
        out += (
            [posixpath.join(stem, "__init__.py"), stem + ".py"]
            if rest
            else [posixpath.join(stem, "__init__.py")]
        )
    return out


def relative_module(module_path: str, level: int, dotted: str | None) -> str:
    """The dotted path (relative to the project directory, as slashes) of `from .x import` inside the
    module file `module_path`: a directory prefix to which `.py` / `/__init__.py` are added."""
    package = posixpath.dirname(module_path)
    for _ in range(level - 1):
        if not package:
            raise Unresolved("relative import beyond the top-level package")
        package = posixpath.dirname(package)
    if not dotted:
        return package
    return posixpath.join(package, *dotted.split(".")) if package else posixpath.join(*dotted.split("."))
