"""Projects below a repository's root: where they are, and which tag releases which. Pure: no I/O.

Discovery looks at the paths of the files in the default branch's tree (one tree read per repository):
every directory up to `MAX_DEPTH` deep holding `pyproject.toml` or `setup.py` is a project, except under
`tests/`, `docs/`, `examples/`, hidden directories, and anything below a directory that is itself a
project. Tags name their project: `<name>-v<version>`, `<name>/v<version>`, `<name>-<version>` or
`<name>/<version>`, where `<name>` is the project's distribution name or its directory's name, compared
under PEP 503 normalisation; or a project's own `tag_pattern` from the configuration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .rules import ProjectLayout
from .versions import compile_tag_pattern

MAX_DEPTH = 3
PROJECT_FILES = frozenset({"pyproject.toml", "setup.py"})
SKIPPED_DIRS = frozenset({"tests", "docs", "examples"})
# Longest first: `acme-v1.0` is `acme` + `-v` + `1.0`, not `acme` + `-` + `v1.0`.
SEPARATORS = ("-v", "/v", "-", "/")


def _skipped_dir(part: str) -> bool:
    return part.startswith(".") or part in SKIPPED_DIRS


def discover_projects(blob_paths: Iterable[str]) -> tuple[str, ...]:
    """The project directories (POSIX, relative to the root, "" for the root) among these file paths,
    sorted. A directory below another project is part of that project, so a project at the root makes
    the repository a single-project one."""
    candidates = set()
    for path in blob_paths:
        directory, _, name = path.strip("/").rpartition("/")
        if name not in PROJECT_FILES:
            continue
        parts = directory.split("/") if directory else []
        if len(parts) > MAX_DEPTH or any(_skipped_dir(p) for p in parts):
            continue
        candidates.add(directory)

    def below_another(directory: str) -> bool:
        parts = directory.split("/") if directory else []
        ancestors = ["/".join(parts[:i]) for i in range(len(parts))]
        return any(a in candidates for a in ancestors)

    return tuple(sorted(d for d in candidates if not below_another(d)))


@dataclass(frozen=True)
class TreeRead:
    """What one read of a default branch's tree says: the tree's oid (unchanged oid: unchanged layout)
    and the file paths in it, or why the paths cannot be trusted."""

    oid: str
    paths: tuple[str, ...]
    truncated: bool = False


def tree_from_graphql(repository: Mapping[str, Any]) -> TreeRead | None:
    """The `defaultBranchRef { target { ... on Commit { tree { … } } } }` of a repository as the
    `DefaultBranchTrees` query returns it for each head commit (entries nested `MAX_DEPTH` + 1
    levels), or None for a repository without a default branch (empty)."""
    ref = repository.get("defaultBranchRef") or {}
    target = ref.get("target") or {}
    tree = target.get("tree")
    if not tree:
        return None
    paths: list[str] = []

    def walk(entries: Sequence[Mapping[str, Any]] | None) -> None:
        for entry in entries or ():
            if entry.get("type") == "tree":
                walk((entry.get("object") or {}).get("entries"))
            elif entry.get("type") == "blob":
                paths.append(str(entry["path"]))

    walk(tree.get("entries"))
    return TreeRead(str(tree["oid"]), tuple(sorted(paths)))


def tree_from_rest(payload: Mapping[str, Any]) -> TreeRead:
    """`GET /repos/{owner}/{repo}/git/trees/{sha}?recursive=1`: blobs only; `truncated` is GitHub's
    flag for a tree too large for one answer (more than 100,000 entries or 7 MB)."""
    paths = tuple(sorted(str(e["path"]) for e in payload.get("tree", ()) if e.get("type") == "blob"))
    return TreeRead(str(payload["sha"]), paths, bool(payload.get("truncated", False)))


@dataclass(frozen=True)
class SubProject:
    """A project of a repository, as tag mapping sees it."""

    path: str  # POSIX, relative to the repository root, "" for the root
    distribution: str | None = None  # the name its metadata gives, when known
    tag_pattern: str | None = None  # `[[repos."o/r".projects]] tag_pattern`: replaces the defaults

    @property
    def names(self) -> frozenset[str]:
        """Canonical names a default-convention tag may use for this project."""
        names = {canonicalize_name(self.path.rsplit("/", 1)[-1])} if self.path else set()
        if self.distribution:
            names.add(canonicalize_name(self.distribution))
        return frozenset(names)

    @property
    def label(self) -> str:
        return self.path or "(root)"


def _is_version(text: str) -> bool:
    if not text or text[0] in "vV" or text != text.strip():
        return False
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def names_a_project(tag: str) -> bool:
    """True when the tag has the shape of a default convention (`<name>-v<version>`, `<name>/v<version>`,
    `<name>-<version>`, `<name>/<version>`) for some name: it may release a project whose name is not
    known yet."""
    for separator in SEPARATORS:
        start = tag.find(separator)
        while start > 0:
            if _is_version(tag[start + len(separator) :]):
                return True
            start = tag.find(separator, start + 1)
    return False


def _default_match(tag: str, project: SubProject) -> str | None:
    names = project.names
    for separator in SEPARATORS:
        start = tag.find(separator)
        while start > 0:
            prefix, rest = tag[:start], tag[start + len(separator) :]
            if canonicalize_name(prefix) in names and _is_version(rest):
                return rest
            start = tag.find(separator, start + 1)
    return None


def _pattern_match(tag: str, pattern: str) -> str | None:
    match = compile_tag_pattern(pattern).fullmatch(tag)
    return match.group("version") if match else None


def tag_project(tag: str, projects: Sequence[SubProject]) -> tuple[SubProject, str] | str:
    """The project a tag releases and the tag's version text, or a skip reason naming the candidates.

    A project with its own `tag_pattern` matches by that pattern alone; the others by the default
    conventions. A tag two projects claim is skipped rather than guessed."""
    matches = []
    for project in projects:
        version = (
            _pattern_match(tag, project.tag_pattern)
            if project.tag_pattern is not None
            else _default_match(tag, project)
        )
        if version is not None:
            matches.append((project, version))
    if len(matches) == 1:
        return matches[0]
    if matches:
        both = ", ".join(p.label for p, _ in matches)
        return f"tag matches several projects of the repository: {both}"
    candidates = ", ".join(_describe(p) for p in projects) or "none"
    return f"tag names none of the repository's projects (candidates: {candidates})"


def _describe(project: SubProject) -> str:
    if project.tag_pattern is not None:
        return f"{project.label} by tag_pattern {project.tag_pattern!r}"
    return f"{project.label} as {'/'.join(sorted(project.names)) or '?'}"


def metadata_key(commit: str, path: str) -> str:
    """Where the metadata of the project at `path` at `commit` is kept: the commit itself for the
    root (as before monorepos), `<commit>:<path>` below it (a colon is never in a SHA)."""
    return f"{commit}:{path}" if path else commit


def is_single_root(projects: Sequence[SubProject]) -> bool:
    """A repository with one project at its root keeps the repository-wide tag rules."""
    return len(projects) == 1 and projects[0].path == "" and projects[0].tag_pattern is None


@dataclass(frozen=True)
class KnownTree:
    """A repository's default-branch tree as the previous build read it: while the tree's oid is
    the same, so are the projects found in it, and the tree is not read again."""

    oid: str
    projects: tuple[str, ...]  # project directories, as `discover_projects` gives them


def layout_for(
    discovered: Sequence[str],
    configured: Sequence[ProjectLayout],
    distributions: Mapping[str, str] | None = None,
) -> tuple[SubProject, ...]:
    """A repository's projects: the configured `[[repos."o/r".projects]]` when there are any (they
    replace discovery, which a maintainer configures precisely because it guessed wrong), else the
    discovered directories; `distributions` gives the name a directory's metadata declares."""
    names = distributions or {}
    if configured:
        return tuple(SubProject(p.path, names.get(p.path), p.tag_pattern) for p in configured)
    return tuple(SubProject(path, names.get(path)) for path in discovered)
