"""Monorepo discovery from a tree's file paths, and which project a tag releases: tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexgen.monorepo import (
    SubProject,
    TreeRead,
    discover_projects,
    is_single_root,
    tag_project,
    tree_from_graphql,
    tree_from_rest,
)

DISCOVERY = [
    # (files in the default branch's tree, projects found)
    (["pyproject.toml", "src/a/__init__.py"], [""]),
    (["setup.py"], [""]),
    (["setup.cfg", "README.md"], []),
    (["libs/core/pyproject.toml", "apps/cli/setup.py", "README.md"], ["apps/cli", "libs/core"]),
    # Depth 3 is the deepest a project may sit; depth 4 is not looked at.
    (["a/b/c/pyproject.toml", "a/b/c/d/pyproject.toml", "w/x/y/z/setup.py"], ["a/b/c"]),
    # tests/, docs/, examples/ and hidden directories hold fixtures, not projects.
    (
        [
            "tests/data/pyproject.toml",
            "docs/pyproject.toml",
            "examples/demo/setup.py",
            ".github/tool/pyproject.toml",
            "libs/.cache/pyproject.toml",
            "libs/core/pyproject.toml",
        ],
        ["libs/core"],
    ),
    # Below a project is part of it: a vendored copy, a project's own test fixture.
    (["libs/core/pyproject.toml", "libs/core/vendor/x/setup.py"], ["libs/core"]),
    # A project at the root makes the repository a single-project one.
    (["pyproject.toml", "plugins/p1/pyproject.toml"], [""]),
    # `tests` only as a whole directory name.
    (["contests/pyproject.toml", "libs/tests-kit/setup.py"], ["contests", "libs/tests-kit"]),
    ([], []),
]


@pytest.mark.parametrize(("paths", "expected"), DISCOVERY)
def test_discovery(paths: list[str], expected: list[str]) -> None:
    assert discover_projects(paths) == tuple(expected)


CORE = SubProject("libs/core", "acme-core")
CLI = SubProject("apps/cli", "acme-cli")
PLUGIN = SubProject("plugins/Foo_Bar")  # distribution name not known: its directory's name
PINNED = SubProject("tools/gen", "acme-gen", tag_pattern=r"^gen@(?P<version>.+)$")
LAYOUT = [CORE, CLI, PLUGIN, PINNED]

TAGS = [
    # (tag, project path, version text)
    ("acme-core-v1.2.0", "libs/core", "1.2.0"),
    ("acme-core/v1.2.0", "libs/core", "1.2.0"),
    ("acme-core-1.2.0", "libs/core", "1.2.0"),
    ("acme-core/1.2.0", "libs/core", "1.2.0"),
    ("core-v1.1", "libs/core", "1.1"),  # the directory's name
    ("core/1.1", "libs/core", "1.1"),
    ("Acme_Core-1.1rc1", "libs/core", "1.1rc1"),  # PEP 503: case, `_` and `.` are `-`
    ("acme.core/v2", "libs/core", "2"),
    ("acme-cli-v0.3.0", "apps/cli", "0.3.0"),
    ("cli/0.3.0", "apps/cli", "0.3.0"),
    ("foo-bar-v1.0", "plugins/Foo_Bar", "1.0"),
    ("foo.bar/1.0", "plugins/Foo_Bar", "1.0"),
    ("gen@3.0", "tools/gen", "3.0"),  # own pattern
]


@pytest.mark.parametrize(("tag", "path", "version"), TAGS)
def test_tag_names_its_project(tag: str, path: str, version: str) -> None:
    found = tag_project(tag, LAYOUT)
    assert not isinstance(found, str), found
    assert (found[0].path, found[1]) == (path, version)


SKIPPED = [
    # (tag, words the reason must carry)
    ("v1.0", "names none of the repository's projects"),  # no name: which project?
    ("acme-v1.0", "candidates: libs/core as acme-core/core"),
    ("acme-gen-v1.0", "tools/gen by tag_pattern"),  # own pattern replaces the defaults
    ("acme-core-latest", "names none"),
    ("acme-core-vv1.0", "names none"),
    ("core-", "names none"),
]


@pytest.mark.parametrize(("tag", "reason"), SKIPPED)
def test_tag_naming_no_project_is_skipped_with_the_candidates(tag: str, reason: str) -> None:
    found = tag_project(tag, LAYOUT)
    assert isinstance(found, str)
    assert reason in found
    assert "apps/cli as acme-cli/cli" in found


def test_a_tag_two_projects_claim_is_not_guessed() -> None:
    layout = [SubProject("a/core", "core"), SubProject("b/core", "b-core")]
    found = tag_project("core-v1.0", layout)
    assert found == "tag matches several projects of the repository: a/core, b/core"


def test_a_name_with_dashes_is_not_cut_short() -> None:
    """`acme-core-1.0` must not be `acme` + `core-1.0` when a project is called `acme`."""
    layout = [SubProject("acme", "acme"), SubProject("libs/core", "acme-core")]
    found = tag_project("acme-core-1.0", layout)
    assert not isinstance(found, str)
    assert found[0].path == "libs/core"


@pytest.mark.parametrize(
    ("projects", "single"),
    [
        ([SubProject("")], True),
        ([SubProject("", tag_pattern=r"^r(?P<version>.+)$")], False),
        ([SubProject("libs/core")], False),
        ([SubProject(""), SubProject("x")], False),
    ],
)
def test_single_root_project_keeps_todays_rules(projects: list[SubProject], single: bool) -> None:
    assert is_single_root(projects) is single


def test_tree_from_graphql_walks_nested_entries() -> None:
    repository = {
        "defaultBranchRef": {
            "target": {
                "oid": "c" * 40,
                "tree": {
                    "oid": "t" * 40,
                    "entries": [
                        {"name": "README.md", "type": "blob", "path": "README.md", "object": {}},
                        {
                            "name": "libs",
                            "type": "tree",
                            "path": "libs",
                            "object": {
                                "entries": [
                                    {
                                        "name": "core",
                                        "type": "tree",
                                        "path": "libs/core",
                                        "object": {
                                            "entries": [
                                                {
                                                    "name": "pyproject.toml",
                                                    "type": "blob",
                                                    "path": "libs/core/pyproject.toml",
                                                    "object": {},
                                                }
                                            ]
                                        },
                                    }
                                ]
                            },
                        },
                        {"name": "sub", "type": "commit", "path": "sub", "object": {}},  # a submodule
                    ],
                },
            }
        }
    }
    tree = tree_from_graphql(repository)
    assert tree == TreeRead("t" * 40, ("README.md", "libs/core/pyproject.toml"))
    assert discover_projects(tree.paths) == ("libs/core",)


def test_tree_from_graphql_empty_repository() -> None:
    assert tree_from_graphql({"defaultBranchRef": None}) is None


def test_tree_from_rest_keeps_the_truncated_flag() -> None:
    payload = {
        "sha": "s" * 40,
        "truncated": True,
        "tree": [
            {"path": "libs", "type": "tree"},
            {"path": "libs/core/setup.py", "type": "blob"},
        ],
    }
    assert tree_from_rest(payload) == TreeRead("s" * 40, ("libs/core/setup.py",), truncated=True)


def test_the_tree_query_against_the_fake_github_finds_the_projects() -> None:
    """The `DefaultBranchTrees` document, executed by the fake GitHub's schema and resolvers, answers
    in the shape `tree_from_graphql` reads, down to the files of a directory three deep."""
    from indexgen.github.graphql import query_document
    from tests.fakegithub.graphql_api import run_query
    from tests.fakegithub.model import FakeGitHub, FakeRepo, FakeTag, fake_sha, legacy_node_id

    head = fake_sha("mono-head")
    gh = FakeGitHub()
    token = gh.add_token("ghp_t", "alice", orgs=["acme"])
    files = {
        "README.md": b"# mono\n",
        "libs/core/pyproject.toml": b'[project]\nname = "acme-core"\n',
        "apps/cli/setup.py": b"from setuptools import setup\nsetup()\n",
        "a/b/c/pyproject.toml": b"",
        "a/b/c/d/setup.py": b"",
        "tests/fixture/pyproject.toml": b"",
    }
    repo = gh.add_repo(
        FakeRepo("acme", "mono", tags=[FakeTag("acme-core-v1.0", head)], head=head, files={head: files})
    )
    ids = [legacy_node_id("Commit", f"{repo.id}:{head}")]
    payload = {"query": query_document("default_branch_trees"), "variables": {"ids": ids}}
    outcome = run_query(gh, token, payload, "req-1")
    assert outcome.status == 200 and "errors" not in outcome.body, outcome.body
    (commit,) = outcome.body["data"]["nodes"]
    tree = tree_from_graphql({"defaultBranchRef": {"target": commit}})
    assert tree is not None
    from tests.fakegithub.model import git_tree_sha

    assert tree.oid == git_tree_sha(files)
    assert set(tree.paths) == set(files) - {"a/b/c/d/setup.py"}  # five levels deep: not read
    assert discover_projects(tree.paths) == ("a/b/c", "apps/cli", "libs/core")


def test_layout_configured_projects_replace_discovery() -> None:
    from indexgen.monorepo import layout_for
    from indexgen.rules import ProjectLayout

    discovered = ("apps/cli", "libs/core")
    names = {"libs/core": "acme-core"}
    assert layout_for(discovered, (), names) == (SubProject("apps/cli"), SubProject("libs/core", "acme-core"))
    configured = (ProjectLayout("libs/core", r"^core/v(?P<version>.+)$"),)
    assert layout_for(discovered, configured, names) == (
        SubProject("libs/core", "acme-core", r"^core/v(?P<version>.+)$"),
    )


def test_state_keeps_trees_and_directory_metadata_and_loads_old_states() -> None:
    import gzip
    import json

    from indexgen.models import ProjectMetadata, RepoSnapshot, TagRef
    from indexgen.monorepo import KnownTree, metadata_key
    from indexgen.state import dump_state, parse_state

    from .state_samples import dump_state_v1

    sha, gone = "a" * 40, "b" * 40
    mono = RepoSnapshot("acme/mono", "u", "h", "t", tags=(TagRef("core-v1.0", sha),))
    other = RepoSnapshot("acme/docs", "u", "h", "t")  # no project at any tag: never named in the state
    commits = {
        sha: ProjectMetadata("workspace", None),
        metadata_key(sha, "libs/core"): ProjectMetadata("acme-core", None),
        metadata_key(gone, "libs/core"): ProjectMetadata("acme-core", None),  # no tag points here now
    }
    trees = {"acme/mono": KnownTree("c" * 40, ("libs/core",)), "acme/docs": KnownTree("d" * 40, ())}
    raw = dump_state([mono, other], commits, {}, trees=trees)
    state = parse_state(raw)
    assert state is not None
    assert state.trees == {"acme/mono": KnownTree("c" * 40, ("libs/core",))}
    assert set(state.commits) == {sha, f"{sha}:libs/core"}
    assert "acme/docs" not in gzip.decompress(raw).decode()
    assert parse_state(dump_state_v1([mono, other], commits, {}, trees=trees)) == state  # format 1

    old = json.loads(gzip.decompress(dump_state([mono], {sha: ProjectMetadata("x", None)}, {})))
    assert "trees" not in old  # no monorepo: the state reads as before
    loaded = parse_state(json.dumps(old))
    assert loaded is not None and loaded.trees == {}


def test_the_fake_githubs_tree_oid_is_gits(tmp_path: Path) -> None:
    """Content-addressed like git's: the oid real git gives the same files, unchanged across commits
    that leave the tree alone (what lets a warm rebuild skip re-reading a tree)."""
    import subprocess

    from tests.fakegithub.model import git_tree_sha

    files = {
        "pyproject.toml": b"[project]\n",
        "libs/core/pyproject.toml": b'[project]\nname = "acme-core"\n',
        "libs/core-extra/x.py": b"",  # sorts between `core` and `core/` in git's order
        "libs/core.txt": b"t\n",
        "a/b/c/d/e.txt": b"deep\n",
    }
    for path, data in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(data)

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True, text=True).stdout

    git("init", "-q")
    git("add", "-A")
    assert git_tree_sha(files) == git("write-tree").strip()
    assert git_tree_sha(files, "libs") == git("rev-parse", f"{git('write-tree').strip()}:libs").strip()


def test_rest_recursive_tree_through_the_fake_github(monkeypatch: pytest.MonkeyPatch) -> None:
    """`GET git/trees/{ref}?recursive=1` as GitHub answers it: every blob and tree below, the root
    tree's git oid, and `truncated` when the answer exceeds the entry limit."""
    import requests

    from tests.fakegithub import rest as fake_rest
    from tests.fakegithub.model import FakeGitHub, FakeRepo, FakeTag, fake_sha, git_tree_sha
    from tests.fakegithub.server import FakeGitHubServer

    head = fake_sha("mono-head")
    files = {
        "README.md": b"# mono\n",
        "libs/core/pyproject.toml": b'[project]\nname = "acme-core"\n',
        "apps/cli/setup.py": b"",
        "tests/fixture/pyproject.toml": b"",
    }
    gh = FakeGitHub()
    gh.add_token("ghp_t", "alice", orgs=["acme"])
    gh.add_repo(FakeRepo("acme", "mono", tags=[FakeTag("core-v1.0", head)], head=head, files={head: files}))
    with FakeGitHubServer(gh) as srv:

        def get(path: str) -> dict[str, object]:
            resp = requests.get(f"{srv.base_url}{path}", headers={"Authorization": "token ghp_t"}, timeout=10)
            assert resp.status_code == 200, resp.text
            body: dict[str, object] = resp.json()
            return body

        body = get("/repos/acme/mono/git/trees/main?recursive=1")
        tree = tree_from_rest(body)
        assert tree == TreeRead(git_tree_sha(files), tuple(sorted(files)))
        assert discover_projects(tree.paths) == ("apps/cli", "libs/core")
        # By the tree's own SHA too, and without `recursive` only the top level.
        top = get(f"/repos/acme/mono/git/trees/{tree.oid}")["tree"]
        assert isinstance(top, list)
        assert [e["path"] for e in top] == ["README.md", "apps", "libs", "tests"]
        monkeypatch.setattr(fake_rest, "TREE_RECURSIVE_LIMIT", 3)
        assert tree_from_rest(get("/repos/acme/mono/git/trees/main?recursive=1")).truncated


def test_rest_scanner_reads_a_tree_in_one_request_through_the_fake_github() -> None:
    from indexgen.github.auth import Token
    from indexgen.github.rest import RestScanner
    from tests.fakegithub.model import FakeGitHub, FakeRepo, FakeTag, fake_sha, git_tree_sha
    from tests.fakegithub.server import FakeGitHubServer

    head = fake_sha("mono-head")
    files = {"libs/core/pyproject.toml": b"", "apps/cli/setup.py": b"", "README.md": b""}
    gh = FakeGitHub()
    gh.add_token("ghp_t", "alice", orgs=["acme"])
    gh.add_repo(FakeRepo("acme", "mono", tags=[FakeTag("core-v1.0", head)], head=head, files={head: files}))
    gh.add_repo(FakeRepo("acme", "void", empty=True))
    with FakeGitHubServer(gh) as srv:
        scanner = RestScanner(srv.base_url, Token("ghp_t", "GITHUB_TOKEN"), max_wait=0, spacing=0)
        tree = scanner.read_tree("acme/mono")
        assert tree == TreeRead(git_tree_sha(files), tuple(sorted(files)))
        assert scanner.usage.rest_requests == 1
        assert scanner.read_tree("acme/void") is None
