"""Recognising a rebuild whose inputs are those of the build before it, so as to skip its dearest steps.

Most scheduled builds of an organisation find nothing new. Such a build still lists the repositories
and builds the index (the report, the summary and the guards need it), but its pages and its state
would come out byte for byte as the previous build wrote them, so they need not be made again:

- the pages are a function of the index, the site URL, the acknowledged PyPI twins and the code that
  renders them;
- the state is a function of the scanned repositories and trees, the metadata of their commits (all
  taken from the previous state when the scan read no file), the published versions (from the index)
  and the pages' digest and generation (unchanged with the pages).

`inputs_digest` hashes all of these, the code included (every file of the installed package and the
versions of the libraries that shape the output), and a full build stores it in its state. The next
build whose digest is equal, and which read no file, reuses the previous state's bytes; when the
output directory still holds exactly the pages that state describes (`live_pages_digest`), it also
leaves them as they are instead of rendering and writing them again. A `--repo` build stores no
digest: what it carries over for the next full build is not a function of its inputs.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.metadata
import marshal
import operator
import os
import platform
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .changes import SiteDigest
from .models import Index, MovedTag, Project, Release, RepoSnapshot, Skip, TagRef
from .monorepo import KnownTree

# The libraries whose behaviour is part of the output: names and versions (packaging), templates
# (jinja2), escaping (markupsafe).
_LIBRARIES = ("jinja2", "markupsafe", "packaging")

# marshal's version 2 writes equal values as equal bytes; later versions mark an object met twice,
# which depends on how the values happen to share objects.
_MARSHAL_VERSION = 2


@functools.cache
def code_fingerprint() -> str:
    """A sha256 of indexgen's own files and of the versions of Python and of the libraries that shape
    its output: any change to the code (a template, a reader) makes the next rebuild a full one."""
    return package_fingerprint(Path(__file__).resolve().parent)


def package_fingerprint(package: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(package).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    digest.update(f"python=={platform.python_version()}\0".encode())
    for name in _LIBRARIES:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "?"
        digest.update(f"{name}=={version}\0".encode())
    return digest.hexdigest()


Values = tuple[Any, ...]  # of strings, booleans, None and such tuples: what marshal writes


def _values_of(record: type, **nested: Callable[[Any], Values]) -> Callable[[Any], Values]:
    """A function giving every field of a `record` instance, in field order, as plain values: each
    field named in `nested` (a tuple of records) as the tuple of what its function gives for them.
    Built from the record's declared fields, so that a field added later is hashed too."""
    names = [f.name for f in dataclasses.fields(record)]
    plain = [name for name in names if name not in nested]
    get = operator.attrgetter(*plain) if len(plain) > 1 else (lambda r: (getattr(r, plain[0]),))
    if not nested:
        return get
    inner = [(operator.attrgetter(name), convert) for name, convert in nested.items()]

    def values(item: Any) -> Values:
        return (get(item), *(tuple(map(convert, field(item))) for field, convert in inner))

    return values


_TAG = _values_of(TagRef)
_REPO = _values_of(RepoSnapshot, tags=_TAG)
_RELEASE = _values_of(Release)
_PROJECT = _values_of(Project, releases=_RELEASE)
_INDEX = _values_of(
    Index, projects=_PROJECT, skipped=_values_of(Skip), moved=_values_of(MovedTag), hidden=_RELEASE
)
_TREE = _values_of(KnownTree)


def inputs_digest(
    index: Index,
    repos: Iterable[RepoSnapshot],
    trees: Mapping[str, KnownTree],
    site_url: str | None,
    public: Mapping[str, str],
) -> str:
    """A sha256 of everything a full build's pages and state are made from (see the module)."""
    digest = hashlib.sha256(code_fingerprint().encode())
    listed: list[RepoSnapshot] = sorted(repos, key=lambda r: r.full_name)
    # Every field of every record as tuples of strings, booleans and None, in a fixed order, one
    # record at a time (the whole index is tens of MB for a large organisation). Each marshalled
    # value says its own length, and each part's count comes first: no two inputs give the same
    # bytes. A field marshal cannot write (a record not declared nested) raises, never goes unhashed.
    parts: tuple[tuple[int, Iterable[Values]], ...] = (
        (1, [(site_url, tuple(sorted(public.items())))]),
        (1, [_INDEX(dataclasses.replace(index, projects=()))]),
        (len(index.projects), map(_PROJECT, index.projects)),
        (len(listed), map(_REPO, listed)),
        (len(trees), ((name, _TREE(tree)) for name, tree in sorted(trees.items()))),
    )
    for count, records in parts:
        digest.update(marshal.dumps(count, _MARSHAL_VERSION))
        for values in records:
            digest.update(marshal.dumps(values, _MARSHAL_VERSION))
    return digest.hexdigest()


def live_pages_digest(output: Path, exclude: frozenset[str]) -> str | None:
    """`changes.site_digest` of the pages in `output` as they are on disk (the top-level dotfiles,
    which a build keeps, and the top-level files named in `exclude` left out); None when it is not a
    directory, cannot be read, or holds anything but directories and regular files (a build writes
    nothing else)."""
    try:
        paths = _regular_files(os.fspath(output), "", exclude)
        digest = SiteDigest()
        root = os.fspath(output)
        for path in sorted(paths):
            with open(os.path.join(root, path), "rb") as file:
                digest.add_file(path, file)
    except (OSError, ValueError):
        return None
    return digest.hexdigest()


def _regular_files(directory: str, prefix: str, exclude: frozenset[str]) -> list[str]:
    """Relative paths of the regular files below `directory`; ValueError at anything else."""
    found = []
    with os.scandir(directory) as entries:
        for entry in entries:
            # The top-level dotfiles a build keeps (a dot directory it would drop: it counts).
            top_file = not prefix and entry.is_file(follow_symlinks=False)
            if top_file and (entry.name.startswith(".") or entry.name in exclude):
                continue
            if entry.is_dir(follow_symlinks=False):
                below = _regular_files(entry.path, f"{prefix}{entry.name}/", exclude)
                if not below:
                    raise ValueError(f"an empty directory: {entry.path}")  # a build makes none
                found += below
            elif entry.is_file(follow_symlinks=False):
                found.append(prefix + entry.name)
            else:
                raise ValueError(f"not a regular file: {entry.path}")
    return found
