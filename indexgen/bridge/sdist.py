"""What goes into a release's sdist: the tree of its commit (or `#subdirectory=`), under
`<name>-<version>/`, with a `PKG-INFO` first, or the reason the bridge refuses to make one. Pure.

- `PKG-INFO` has Metadata-Version 2.1 with Name and Version only. Build back-ends read the version from
  it when there is no git checkout (setuptools-scm, hatch-vcs). Installers must not take it for the
  project's metadata: a 2.2 `PKG-INFO` without `Dynamic:` fields tells uv and Poetry that it is complete
  (PEP 643), and they then drop the dependencies it does not list. With 2.1 they build to learn them.
- pdm-backend's scm mode ignores `PKG-INFO`, so its `pyproject.toml` gets the version written in
  statically, as pdm-backend's own sdists do; the edit is checked by parsing the result.
- Entries are sorted by path; no directory entries; regular files 0644, executables 0755; symbolic links
  kept when they stay inside the archive. Submodules and Git LFS pointers are refused: an archive that
  silently lacks code is worse than none.
- A static name or version that disagrees with the link is refused here, with both values, instead of
  as an installer's late "metadata mismatch".
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..metadata import parse_metadata
from ..models import ProjectMetadata, SourceFiles
from .archive import Member, sdist_bytes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

EntryKind = Literal["file", "executable", "symlink", "submodule"]
_LFS_POINTER = b"version https://git-lfs.github.com/spec/"
_LFS_POINTER_MAX = 1024  # git-lfs: "pointer files must be less than 1024 bytes"
_TEXT_LIMIT = 1 << 20


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a commit's tree: path relative to the project root, what it is, and its content
    (a symbolic link's content is its target; a submodule has none)."""

    path: str
    kind: EntryKind
    data: bytes = b""


@dataclass(frozen=True)
class SourceTree:
    """The project's files at one commit, and the commit's time (seconds since the epoch)."""

    commit: str
    commit_time: int
    entries: tuple[TreeEntry, ...]


def pkg_info(name: str, version: str) -> bytes:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()


def _text(tree: SourceTree, path: str) -> str | None:
    for entry in tree.entries:
        if entry.path == path and entry.kind in ("file", "executable") and len(entry.data) <= _TEXT_LIMIT:
            try:
                return entry.data.decode("utf-8")
            except UnicodeDecodeError:
                return None
    return None


def refusal(tree: SourceTree, name: str, version: str) -> str | None:
    """Why this tree cannot become the sdist of `name` `version`, or None."""
    for entry in tree.entries:
        if entry.kind == "submodule":
            return (
                f"{entry.path} is a git submodule: the bridge does not fetch submodules, "
                "and an archive without it would lack code"
            )
        if (
            entry.kind != "symlink"
            and len(entry.data) < _LFS_POINTER_MAX
            and entry.data.startswith(_LFS_POINTER)
        ):
            return f"{entry.path} is a Git LFS pointer: the bridge does not fetch LFS objects"
        if entry.kind == "symlink":
            target = entry.data.decode("utf-8", "replace")
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(entry.path), target))
            if target.startswith("/") or joined == ".." or joined.startswith("../"):
                return f"{entry.path} is a symbolic link out of the project ({target!r})"
    return _metadata_mismatch(tree, name, version)


def _metadata_mismatch(tree: SourceTree, name: str, version: str) -> str | None:
    found = parse_metadata(
        SourceFiles(_text(tree, "pyproject.toml"), _text(tree, "setup.cfg"), _text(tree, "setup.py"))
    )
    if not isinstance(found, ProjectMetadata):
        return None  # nothing static to compare; the build back-end decides
    if canonicalize_name(found.name) != canonicalize_name(name):
        return (
            f"metadata mismatch: the project at this commit is named {found.name!r}, the index says {name!r}"
        )
    try:
        differs = found.version is not None and Version(found.version) != Version(version)
    except InvalidVersion:
        differs = True
    if differs:
        return (
            f"metadata mismatch: {name} at this commit has version {found.version}, the index says {version}"
        )
    return None


def _load(text: str) -> dict[str, Any] | None:
    try:
        doc: dict[str, Any] = tomllib.loads(text)
        return doc
    except tomllib.TOMLDecodeError:
        return None


def _uses_pdm_scm(doc: Mapping[str, Any]) -> bool:
    backend = str(doc.get("build-system", {}).get("build-backend", ""))
    pdm_version = doc.get("tool", {}).get("pdm", {}).get("version", {})
    dynamic = doc.get("project", {}).get("dynamic", [])
    return (
        backend.startswith("pdm.backend")
        and isinstance(pdm_version, Mapping)
        and pdm_version.get("source") == "scm"
        and isinstance(dynamic, list)
        and "version" in dynamic
    )


def pin_pdm_version(text: str, version: str) -> str | None:
    """`pyproject.toml` text with `[project] version` written in and "version" out of `dynamic`,
    checked by parsing; None when the file cannot be edited safely."""
    before = _load(text)
    if before is None:
        return None
    header = re.search(r"^\[project\][ \t]*(?:#[^\n]*)?$", text, re.MULTILINE)
    if header is None:
        return None
    nxt = re.search(r"^[ \t]*\[", text[header.end() :], re.MULTILINE)
    end = header.end() + (nxt.start() if nxt else len(text) - header.end())
    section = text[header.end() : end]
    dynamic = re.search(r"^([ \t]*dynamic[ \t]*=[ \t]*\[)([^\]]*)(\])", section, re.MULTILINE)
    if dynamic is None:
        return None
    items = re.sub(r"""(["'])version\1[ \t\r\n]*,?[ \t\r\n]*""", "", dynamic.group(2))
    section = section[: dynamic.start(2)] + items + section[dynamic.end(2) :]
    pinned = text[: header.end()] + f'\nversion = "{version}"' + section + text[end:]
    after = _load(pinned)
    if after is None:
        return None
    project = dict(after.get("project", {}))
    expected = dict(before["project"])
    expected["dynamic"] = [d for d in expected["dynamic"] if d != "version"]
    if project.pop("version", None) != version or project != expected:
        return None
    if {k: v for k, v in after.items() if k != "project"} != {
        k: v for k, v in before.items() if k != "project"
    }:
        return None
    return pinned


def _mode(entry: TreeEntry) -> int:
    return 0o755 if entry.kind == "executable" else 0o777 if entry.kind == "symlink" else 0o644


def sdist_members(tree: SourceTree, name: str, version: str) -> list[Member] | str:
    """The archive members in order, or the reason the bridge refuses."""
    if problem := refusal(tree, name, version):
        return problem
    top = f"{canonicalize_name(name).replace('-', '_')}-{version}/"
    members = [Member(top + "PKG-INFO", 0o644, pkg_info(name, version))]
    for entry in sorted(tree.entries, key=lambda e: e.path.encode()):
        if entry.path == "PKG-INFO":
            continue  # ours takes its place
        data = entry.data
        if entry.path == "pyproject.toml":
            text = _text(tree, entry.path)
            doc = _load(text) if text is not None else None
            if text is not None and doc is not None and _uses_pdm_scm(doc):
                pinned = pin_pdm_version(text, version)
                if pinned is None:
                    return "pyproject.toml uses pdm-backend's scm version and cannot be pinned safely"
                data = pinned.encode()
        if entry.kind == "symlink":
            members.append(Member(top + entry.path, 0o777, link=entry.data.decode("utf-8", "replace")))
        else:
            members.append(Member(top + entry.path, _mode(entry), data))
    return members


def build_sdist(tree: SourceTree, name: str, version: str) -> bytes | str:
    """The sdist's bytes, or the reason the bridge refuses to make it."""
    members = sdist_members(tree, name, version)
    if isinstance(members, str):
        return members
    return sdist_bytes(members, tree.commit_time)
