"""Filling the fake GitHub with repositories: from real git repositories on disk, or synthetic ones.

:func:`load_git_repo` reads tags (peeling annotated ones), commit dates and the Python packaging files
(``pyproject.toml``, ``setup.cfg``, ``setup.py`` at the root and up to two directories down) of every tagged
commit with the real ``git`` CLI.  :func:`synthetic_org` builds an organization of N repositories x T tags
whose files are generated on access, so 1000 x 50 stays small in memory.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, MutableMapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .model import DEFAULT_CLONE_BASE, FakeGitHub, FakeOwner, FakeRepo, FakeTag, fake_sha

PACKAGING_FILES = ("pyproject.toml", "setup.cfg", "setup.py")


def _git(path: Path, *args: str, stdin: bytes | None = None, check: bool = True) -> bytes:
    proc = subprocess.run(["git", "-C", str(path), *args], input=stdin, capture_output=True, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {path}: {proc.stderr.decode(errors='replace')}")
    return proc.stdout if proc.returncode == 0 else b""


def is_packaging_path(path: str, max_depth: int = 2) -> bool:
    """``pyproject.toml``/``setup.cfg``/``setup.py`` at the root or at most ``max_depth`` directories down."""
    parts = path.split("/")
    return parts[-1] in PACKAGING_FILES and len(parts) - 1 <= max_depth


def _read_blobs(path: Path, specs: list[str]) -> dict[str, bytes]:
    """Contents of ``COMMIT:PATH`` specs via one ``git cat-file --batch``."""
    if not specs:
        return {}
    out = _git(path, "cat-file", "--batch", stdin="".join(s + "\n" for s in specs).encode())
    result: dict[str, bytes] = {}
    pos = 0
    for spec in specs:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            result[spec] = out[pos : pos + size]
            pos += size + 1
        elif len(header) == 3:
            pos += int(header[2]) + 1
    return result


def load_git_repo(
    path: Path, owner: str, name: str, *, max_depth: int = 2, every_file: bool = False, **repo_fields: Any
) -> FakeRepo:
    """A :class:`FakeRepo` mirroring the git repository at ``path`` (tags, packaging files, dates).

    ``every_file``: every file of the tagged commits, not only the packaging files (for metadata that
    refers to a version module or a VERSION file).
    ``repo_fields`` are passed to :class:`FakeRepo` (``private=True``, ``description=...``, ...).
    """
    path = Path(path)
    fmt = "%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)%00%(subject)"
    raw = _git(path, "for-each-ref", "refs/tags", f"--format={fmt}").decode("utf-8", "replace")
    tags: list[FakeTag] = []
    for line in raw.splitlines():
        if not line:
            continue
        tag_name, obj_type, obj_sha, peeled_type, peeled_sha, subject = (line.split("\0") + [""] * 6)[:6]
        if obj_type == "commit":
            tags.append(FakeTag(tag_name, obj_sha))
        elif obj_type == "tag":
            commit = peeled_sha if peeled_type == "commit" else ""
            if not commit:  # a tag of a tag, or of a tree/blob: peel all the way or skip
                commit = _git(
                    path, "rev-parse", "-q", "--verify", f"{obj_sha}^{{commit}}", check=False
                ).decode()
                commit = commit.strip()
            if commit:
                tags.append(FakeTag(tag_name, commit, True, obj_sha, (subject + "\n") if subject else None))
    head = _git(path, "rev-parse", "-q", "--verify", "HEAD^{commit}", check=False).decode().strip() or None
    branch = _git(path, "symbolic-ref", "--short", "-q", "HEAD", check=False).decode().strip() or "main"
    commits = sorted({t.commit for t in tags} | ({head} if head else set()))
    dates: dict[str, str] = {}
    if commits:
        log = _git(
            path, "log", "--no-walk=unsorted", "--stdin", "--format=%H %cI", stdin="\n".join(commits).encode()
        )
        for line in log.decode().splitlines():
            sha, _, when = line.partition(" ")
            if when:
                dates[sha] = (
                    datetime.fromisoformat(when).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                )
    specs: list[str] = []
    for commit in commits:
        listing = _git(path, "ls-tree", "-r", "--name-only", "-z", commit).decode("utf-8", "replace")
        specs.extend(
            f"{commit}:{p}"
            for p in listing.split("\0")
            if p and (every_file or is_packaging_path(p, max_depth))
        )
    files: dict[str, MutableMapping[str, bytes]] = {commit: {} for commit in commits}
    for spec, data in _read_blobs(path, specs).items():
        commit, _, file_path = spec.partition(":")
        files[commit][file_path] = data
    fields: dict[str, Any] = {"default_branch": branch, "head": head, "empty": head is None and not tags}
    if dates:
        fields["pushed_at"] = max(dates.values())
        fields["created_at"] = min(dates.values())
    fields.update(repo_fields)
    return FakeRepo(owner, name, tags=tags, files=files, commit_dates=dates, **fields)


# ---------------------------------------------------------------------------------------------- synthetic
_EPOCH = datetime(2020, 1, 1, tzinfo=timezone.utc)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def synthetic_pyproject(project: str, version: str) -> bytes:
    return (
        f'[project]\nname = "{project}"\nversion = "{version}"\nrequires-python = ">=3.8"\n\n'
        '[build-system]\nrequires = ["setuptools>=69"]\nbuild-backend = "setuptools.build_meta"\n'
    ).encode()


class _SyntheticFiles(MutableMapping[str, MutableMapping[str, bytes]]):
    """``files`` of a synthetic repository: ``pyproject.toml`` generated on access for each tagged commit.

    Reading ``files[sha]`` returns a fresh dict; to change a synthetic repository's files assign a whole
    mapping (``repo.files[sha] = {...}``), which is then kept as an override.
    """

    def __init__(self, project: str, versions: dict[str, str]) -> None:
        self.project = project
        self.versions = versions  # commit sha -> version
        self.overrides: dict[str, MutableMapping[str, bytes]] = {}
        self.deleted: set[str] = set()

    def __getitem__(self, commit: str) -> MutableMapping[str, bytes]:
        if commit in self.overrides:
            return self.overrides[commit]
        if commit in self.deleted or commit not in self.versions:
            raise KeyError(commit)
        return {"pyproject.toml": synthetic_pyproject(self.project, self.versions[commit])}

    def __setitem__(self, commit: str, value: MutableMapping[str, bytes]) -> None:
        self.overrides[commit] = value
        self.deleted.discard(commit)

    def __delitem__(self, commit: str) -> None:
        if commit not in self:
            raise KeyError(commit)
        self.overrides.pop(commit, None)
        self.deleted.add(commit)

    def __contains__(self, commit: object) -> bool:
        return isinstance(commit, str) and (
            commit in self.overrides or (commit in self.versions and commit not in self.deleted)
        )

    def __iter__(self) -> Iterator[str]:
        yield from self.overrides
        yield from (c for c in self.versions if c not in self.overrides and c not in self.deleted)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _SyntheticDates(MutableMapping[str, str]):
    """``commit_dates`` of a synthetic repository: tag ``t`` is committed ``t`` days after creation."""

    def __init__(self, start: datetime, index: dict[str, int]) -> None:
        self.start = start
        self.index = index
        self.overrides: dict[str, str] = {}

    def __getitem__(self, commit: str) -> str:
        if commit in self.overrides:
            return self.overrides[commit]
        return _stamp(self.start + timedelta(days=self.index[commit]))

    def __setitem__(self, commit: str, value: str) -> None:
        self.overrides[commit] = value

    def __delitem__(self, commit: str) -> None:
        del self.overrides[commit]

    def __iter__(self) -> Iterator[str]:
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)


def synthetic_repo(
    owner: str,
    index: int,
    n_tags: int,
    *,
    name_format: str = "pkg-{i:04d}",
    private: bool = False,
    annotated: bool = False,
    clone_url_base: str = DEFAULT_CLONE_BASE,
    python: bool = True,
    fork: bool = False,
    archived: bool = False,
) -> FakeRepo:
    """Repository number ``index``: tags ``v1.0.0`` ... ``v1.{T-1}.0``, a ``pyproject.toml`` at each.

    ``python=False``: the same tags on commits that hold no packaging file (a repository in another
    language, whose release tags still look like versions).
    """
    name = name_format.format(i=index)
    created = _EPOCH + timedelta(minutes=index)
    tags: list[FakeTag] = []
    versions: dict[str, str] = {}
    order: dict[str, int] = {}
    for t in range(n_tags):
        tag_name = f"v1.{t}.0"
        commit = fake_sha("commit", owner, name, tag_name)
        tags.append(FakeTag(tag_name, commit, annotated))
        versions[commit] = tag_name[1:]
        order[commit] = t
    pushed = created + timedelta(days=max(n_tags - 1, 0))
    return FakeRepo(
        owner,
        name,
        private=private,
        description=f"Synthetic package {name}",
        created_at=_stamp(created),
        pushed_at=_stamp(pushed),
        tags=tags,
        files=_SyntheticFiles(name, versions if python else {}),
        clone_url_base=clone_url_base,
        commit_dates=_SyntheticDates(created, order),
        empty=n_tags == 0,
        fork=fork,
        archived=archived,
        language="Python" if python else "Go",
    )


def synthetic_org(
    login: str,
    n_repos: int,
    n_tags: int,
    *,
    gh: FakeGitHub | None = None,
    private_every: int = 0,
    annotated_every: int = 0,
    name_format: str = "pkg-{i:04d}",
    clone_url_base: str = DEFAULT_CLONE_BASE,
    other_repos: int = 0,
    other_tags: int = 20,
    other_name_format: str = "other-{i:05d}",
    empty_every: int = 0,
    fork_every: int = 0,
    archived_every: int = 0,
) -> FakeOwner:
    """An organization of ``n_repos`` repositories x ``n_tags`` tags (added to ``gh`` when given).

    Every ``private_every``-th repository is private and every ``annotated_every``-th has annotated tags
    (0 = none).  Commit ids are deterministic (sha1 of owner, repository and tag).

    ``other_repos`` more repositories (named by ``other_name_format``) hold no Python project at any of
    their ``other_tags`` version-like tags; of those, every ``empty_every``-th is empty, every
    ``fork_every``-th a fork and every ``archived_every``-th archived (0 = none).
    """
    owner = gh.add_owner(login) if gh is not None else FakeOwner(login)
    for i in range(n_repos):
        repo = synthetic_repo(
            owner.login,
            i,
            n_tags,
            name_format=name_format,
            private=bool(private_every) and i % private_every == private_every - 1,
            annotated=bool(annotated_every) and i % annotated_every == annotated_every - 1,
            clone_url_base=clone_url_base,
        )
        owner.repos[repo.name] = repo

    def every(n: int, i: int) -> bool:
        return bool(n) and i % n == n - 1

    for i in range(other_repos):
        repo = synthetic_repo(
            owner.login,
            n_repos + i,
            0 if every(empty_every, i) else other_tags,
            # numbered from 0 in their own names, after the Python ones in creation order
            name_format=other_name_format.format(i=i).replace("{", "{{").replace("}", "}}"),
            clone_url_base=clone_url_base,
            python=False,
            fork=every(fork_every, i),
            archived=every(archived_every, i),
        )
        owner.repos[repo.name] = repo
    return owner
