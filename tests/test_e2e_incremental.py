"""An incremental build writes what a cold build of the same input writes, byte for byte.

A seeded random walk over an organisation (tags added, moved and deleted; repositories added and
deleted; a repository in another language gaining a Python project) runs the real CLI against the fake
GitHub. After every step the build on top of the previous site and state (a full build, or `--repo`
for the one repository the step changed) is compared with a cold build of the same organisation into
an empty directory: every page byte-identical, and the same state but for its generation counter.
Then a rebuild with nothing changed must leave the site exactly as it is.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from indexgen.state import parse_state
from indexgen.write import STATE_FILE
from tests.e2e.cli import CliRun, cli_environ, run_indexgen, snapshot
from tests.fakegithub import FakeGitHub, FakeGitHubServer, FakeRepo, FakeTag, fake_sha, synthetic_org
from tests.fakegithub.gitload import synthetic_pyproject, synthetic_repo

pytestmark = pytest.mark.e2e

TOKEN = "incremental-token"
ORG = "walk"


@dataclass
class Walk:
    gh: FakeGitHub
    server: FakeGitHubServer
    root: Path
    rng: random.Random
    counter: int = 0

    def build(self, output: Path, *extra: str) -> CliRun:
        env = cli_environ(self.root / "home", {"GITHUB_TOKEN": TOKEN})
        run = run_indexgen(
            "build",
            "--org",
            ORG,
            "--output",
            str(output),
            "--api-url",
            self.server.base_url,
            "--no-pypi-check",
            "--allow-shrink",
            *extra,
            env=env,
            cwd=self.root,
        )
        assert run.returncode == 0, run.describe()
        return run

    def repos(self, python: bool) -> list[FakeRepo]:
        owner = self.gh.owners[ORG]
        return [
            r
            for r in owner.repos.values()
            if not r.empty and not r.fork and (r.language == "Python") == python and r.tags
        ]

    def fresh(self) -> str:
        self.counter += 1
        return fake_sha("walk", str(self.counter))


# Each step changes the organisation and returns the extra arguments of the incremental build: `--repo`
# when only one repository changed, and the moved tag it accepts.
Step = Callable[[Walk], list[str]]


def add_python_tag(walk: Walk) -> list[str]:
    repo = walk.rng.choice(walk.repos(python=True))
    version = f"{walk.rng.randint(2, 9)}.{walk.rng.randint(0, 99)}.{walk.counter}"
    commit = walk.fresh()
    repo.files[commit] = {"pyproject.toml": synthetic_pyproject(repo.name, version)}
    repo.tags.append(FakeTag(f"v{version}", commit))
    return ["--repo", repo.full_name]


def add_other_tag(walk: Walk) -> list[str]:
    repo = walk.rng.choice(walk.repos(python=False))
    repo.tags.append(FakeTag(f"v3.{walk.counter}.0", walk.fresh()))
    return ["--repo", repo.full_name]


def delete_tag(walk: Walk) -> list[str]:
    repo = walk.rng.choice(walk.repos(python=walk.rng.random() < 0.5))
    repo.tags.remove(walk.rng.choice(repo.tags))
    return []


def move_tag(walk: Walk) -> list[str]:
    """A tag pointed at a new commit: a Python release's move is accepted (else the previous build's
    commit stays published, which a cold build cannot know); another language's needs nothing."""
    python = walk.rng.random() < 0.5
    repo = walk.rng.choice(walk.repos(python=python))
    tag = walk.rng.choice(repo.tags)
    commit = walk.fresh()
    if python:
        version = tag.name.removeprefix("v")
        repo.files[commit] = {"pyproject.toml": synthetic_pyproject(repo.name, version)}
    repo.tags[repo.tags.index(tag)] = FakeTag(tag.name, commit)
    return ["--accept-moved-tag", f"{repo.full_name}@{tag.name}"] if python else []


def add_repository(walk: Walk) -> list[str]:
    owner = walk.gh.owners[ORG]
    index = 100 + walk.counter
    repo = synthetic_repo(ORG, index, walk.rng.randint(1, 3), name_format="new-{i:04d}")
    walk.counter += 1
    owner.repos[repo.name] = repo
    return []


def delete_repository(walk: Walk) -> list[str]:
    repo = walk.rng.choice(walk.repos(python=walk.rng.random() < 0.5))
    del walk.gh.owners[ORG].repos[repo.name]
    return []


def other_language_gains_python(walk: Walk) -> list[str]:
    """A repository without any project gets one at a new tag: its one skip becomes per-tag skips."""
    repo = walk.rng.choice(walk.repos(python=False))
    commit = walk.fresh()
    repo.files[commit] = {"pyproject.toml": synthetic_pyproject(repo.name, "5.0.0")}
    repo.tags.append(FakeTag("v5.0.0", commit))
    repo.language = "Python"
    return ["--repo", repo.full_name]


STEPS: list[Step] = [
    add_python_tag,
    add_other_tag,
    delete_tag,
    move_tag,
    add_repository,
    delete_repository,
    other_language_gains_python,
]


def comparable(files: dict[str, bytes]) -> tuple[dict[str, bytes], object]:
    """The pages, and the state without its generation (a cold build starts counting anew)."""
    pages = {name: data for name, data in files.items() if name != STATE_FILE}
    state = parse_state(files[STATE_FILE])
    assert state is not None
    return pages, dataclasses.replace(state, generation=0)


@pytest.fixture
def walk(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Walk]:
    gh = FakeGitHub()
    gh.add_token(TOKEN, "walker", orgs=[ORG])
    synthetic_org(ORG, 5, 3, gh=gh, other_repos=4, other_tags=3, empty_every=4)
    (tmp_path / "home").mkdir()
    with FakeGitHubServer(gh) as server:
        yield Walk(gh, server, tmp_path, random.Random(request.param))


def assert_same_as_cold(walk: Walk, site: Path, what: str, *, only_simple: bool = False) -> None:
    """`only_simple`: the PEP 503 pages alone. A `--repo` build knows the repositories of the previous
    state, which names only those holding a project: the others' skips (the problems page, the counts
    on the front page) come back with the next full build."""
    walk.counter += 1
    cold = walk.root / f"cold-{walk.counter}"
    walk.build(cold)
    (pages, state), (cold_pages, cold_state) = comparable(snapshot(site)), comparable(snapshot(cold))
    if only_simple:
        pages = {name: data for name, data in pages.items() if name.startswith("simple/")}
        cold_pages = {name: data for name, data in cold_pages.items() if name.startswith("simple/")}
    assert sorted(pages) == sorted(cold_pages), what
    assert [name for name in cold_pages if pages[name] != cold_pages[name]] == [], what
    if not only_simple:
        assert state == cold_state, what


@pytest.mark.parametrize("walk", [1, 2], indirect=True, ids=lambda seed: f"seed-{seed}")
def test_incremental_builds_write_what_a_cold_build_writes(walk: Walk) -> None:
    site = walk.root / "site"
    walk.build(site)
    for number in range(5):
        step = walk.rng.choice(STEPS)
        extra = step(walk)
        walk.build(site, *extra)
        what = f"step {number}: {step.__name__} {extra}"
        if "--accept-moved-tag" not in extra:  # an accepted move is reported once, by that build
            assert_same_as_cold(walk, site, what, only_simple="--repo" in extra)
        if extra:  # then the next full build, on top of the state `--repo` left
            walk.build(site)
            assert_same_as_cold(walk, site, f"{what}, then a full build")
        # Nothing changed since that full build: the next one keeps the site as it is, not a byte
        # or an inode touched (what it would have written is what the cold build above wrote).
        before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in site.rglob("*")}
        again = walk.build(site)
        assert "; nothing changed: kept " in again.stdout, f"{what}, then a rebuild: {again.stdout}"
        assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in site.rglob("*")} == before, what
