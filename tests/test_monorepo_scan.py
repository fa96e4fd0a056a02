"""Monorepo discovery in both scanners at the HTTP boundary (`responses` answering like GitHub), and
the pure decisions of `indexgen.layouts`: trees are read only when their oid changed and a new tag
could be a release, subdirectory files are read per (commit, directory), request counts stay put."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import responses
from requests import PreparedRequest
from responses import matchers

from indexgen.github.auth import Token
from indexgen.github.bulk import GraphQLScanner
from indexgen.github.graphql import GraphQLClient
from indexgen.github.http import ApiUsage
from indexgen.github.rest import RestScanner
from indexgen.github.scanner import NoProgress
from indexgen.layouts import Discovery, build_layouts, file_reads, needs_tree_read
from indexgen.models import Owner, OwnerKind, ProjectMetadata, RepoSnapshot, TagRef
from indexgen.monorepo import KnownTree, SubProject, metadata_key, names_a_project
from indexgen.rules import ProjectLayout
from tests.payloads import (
    API,
    NOT_FOUND,
    content_json,
    org_json,
    owner_page,
    rate_headers,
    rate_limit_json,
    refs_json,
    repo_json,
    repo_node,
    tag_json,
)

GQL = "https://api.github.com/graphql"
URL = API.replace("github.com", "github.com:443")
ACME = Owner("acme", OwnerKind.ORG)
A, B, C, D = "a" * 40, "b" * 40, "c" * 40, "d" * 40
T1, T2 = "1" * 40, "2" * 40
CORE = '[project]\nname = "acme-core"\nversion = "{v}"\n'
CLI = '[project]\nname = "acme-cli"\nversion = "0.1"\ndependencies = ["acme-core>=1.1"]\n'
TREE_PATHS = ("README.md", "libs/core/pyproject.toml", "libs/cli/pyproject.toml", "tests/pyproject.toml")


def discovery(
    known: Iterable[str] = (),
    trees: dict[str, KnownTree] | None = None,
    **configured: tuple[ProjectLayout, ...],
) -> Discovery:
    keys = set(known)
    seen = {k.partition(":")[0] for k in keys}
    return Discovery(
        trees or {},
        {name.replace("__", "/"): c for name, c in configured.items()},
        need=lambda tag, d: metadata_key(tag.commit, d) not in keys,
        fresh=lambda tag: tag.commit not in seen,
    )


def root_need(known: Iterable[str] = ()) -> Callable[[TagRef], bool]:
    keys = set(known)
    return lambda tag: tag.commit not in keys and bool(re.fullmatch(r"v?\d[\d.]*", tag.name))


# -- pure decisions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("core/v1.0", True),
        ("acme-core-1.2.3", True),
        ("release-2.0", True),
        ("v1.0", False),
        ("latest", False),
        ("1.0-rc1", False),
        ("core/vnext", False),
    ],
)
def test_names_a_project(tag: str, expected: bool) -> None:
    assert names_a_project(tag) is expected


LAYOUT = (SubProject("libs/cli"), SubProject("libs/core"))


def repo(*tags: TagRef, oid: str = T1) -> RepoSnapshot:
    return RepoSnapshot("acme/tools", "", "", "", tags=tags, tree_oid=oid)


@pytest.mark.parametrize(
    ("tags", "known", "expected"),
    [
        # the directory a tag names
        ([TagRef("core/v1.0", A)], (), [("core/v1.0", "libs/core")]),
        ([TagRef("cli-v0.1", B)], (), [("cli-v0.1", "libs/cli")]),
        # already known at that directory: nothing
        ([TagRef("core/v1.0", A)], (f"{A}:libs/core",), []),
        # may name a distribution: every directory
        (
            [TagRef("acme-core-v1.0", A)],
            (),
            [("acme-core-v1.0", "libs/cli"), ("acme-core-v1.0", "libs/core")],
        ),
        # cannot name a project: no read
        ([TagRef("latest", C), TagRef("v3.0", C)], (), []),
        # two tags on one commit and directory: one read
        ([TagRef("core/1.0", A), TagRef("core/v1.0", A)], (), [("core/1.0", "libs/core")]),
    ],
)
def test_file_reads_in_a_monorepo(
    tags: list[TagRef], known: tuple[str, ...], expected: list[tuple[str, str]]
) -> None:
    reads = file_reads(repo(*tags), LAYOUT, discovery(known), root_need(known))
    assert [(t.name, d) for t, d in reads] == expected


def test_file_reads_at_the_root_only_for_never_read_project_shaped_tags() -> None:
    tags = (TagRef("v1.0", A), TagRef("release-2.0", B), TagRef("release-1.0", C), TagRef("latest", D))
    reads = file_reads(repo(*tags), (SubProject(""),), discovery([C]), root_need([C]), tree_read=True)
    # v1.0 is the root read the scan makes anyway; release-1.0's commit is known already.
    assert [(t.name, d) for t, d in reads] == [("release-2.0", "")]
    # Without a tree read in this scan (a root project, an unchanged tree): today's reads alone.
    assert file_reads(repo(*tags), (SubProject(""),), discovery([C]), root_need([C])) == []


@pytest.mark.parametrize(
    ("oid", "known", "trees", "configured", "expected"),
    [
        (T1, (), {}, (), True),  # never seen: read
        (T1, (), {"acme/tools": KnownTree(T1, ("libs/core",))}, (), False),  # same oid
        (T2, (), {"acme/tools": KnownTree(T1, ("libs/core",))}, (), True),  # changed, new tag
        (T2, (A,), {"acme/tools": KnownTree(T1, ("libs/core",))}, (), False),  # changed, nothing new
        (T1, (), {}, (ProjectLayout("libs/core"),), False),  # configured: discovery replaced
        ("", (), {"acme/tools": KnownTree(T1, ("libs/core",))}, (), True),  # REST: no oid, new tag
    ],
)
def test_needs_tree_read(
    oid: str,
    known: tuple[str, ...],
    trees: dict[str, KnownTree],
    configured: tuple[ProjectLayout, ...],
    expected: bool,
) -> None:
    d = (
        discovery([f"{k}:libs/core" for k in known], trees, acme__tools=configured)
        if configured
        else discovery([f"{k}:libs/core" for k in known], trees)
    )
    assert needs_tree_read(repo(TagRef("core/v1.0", A), oid=oid), d) is expected


def test_a_repository_tagged_without_project_names_needs_no_tree_read() -> None:
    """`v1.0` or `latest` cannot release a project below the root: no tree read, even when cold."""
    assert not needs_tree_read(repo(TagRef("v1.0", A), TagRef("latest", B)), discovery())


def test_build_layouts_learn_distribution_names_and_leave_single_roots_alone() -> None:
    tools = repo(TagRef("core/v1.0", A), TagRef("acme-core-v1.1", B))
    solo = RepoSnapshot("acme/solo", "", "", "", tags=(TagRef("v1", C),))
    metadata = {
        f"{A}:libs/core": ProjectMetadata("acme-core", "1.0", None),
        f"{B}:libs/core": ProjectMetadata("Acme_Core", "1.1", None),
        f"{B}:libs/cli": ProjectMetadata("acme-cli", "0.1", None),
    }
    trees = {"acme/tools": KnownTree(T1, ("libs/cli", "libs/core")), "acme/solo": KnownTree(T2, ("",))}
    layouts = build_layouts([tools, solo], trees, {}, metadata)
    assert layouts == {
        "acme/tools": (SubProject("libs/cli", "acme-cli"), SubProject("libs/core", "acme-core")),
    }
    configured = {"acme/tools": (ProjectLayout("libs/core", r"^c(?P<version>.+)$"),)}
    assert build_layouts([tools], trees, configured, metadata) == {
        "acme/tools": (SubProject("libs/core", "acme-core", r"^c(?P<version>.+)$"),)
    }


# -- GraphQL ------------------------------------------------------------------------------------------


def gql_scanner() -> GraphQLScanner:
    client = GraphQLClient(GQL, Token("ghs_secret", "GITHUB_TOKEN"), ApiUsage(), max_wait=0, backoff=0)
    return GraphQLScanner(client)


def head(
    oid: str, names: Iterable[tuple[str, str]] = (("README.md", "blob"), ("libs", "tree"))
) -> dict[str, Any]:
    entries = [{"name": n, "type": t} for n, t in names]
    return {"target": {"__typename": "Commit", "id": "HEAD_" + oid, "tree": {"oid": oid, "entries": entries}}}


def nested(paths: Iterable[str], prefix: str = "") -> list[dict[str, Any]]:
    """GraphQL `Tree.entries` for these file paths, nested as the query asks."""
    children: dict[str, list[str]] = {}
    for path in paths:
        first, _, rest = path.partition("/")
        children.setdefault(first, []).append(rest)
    out = []
    for name, rests in sorted(children.items()):
        full = f"{prefix}{name}"
        if rests == [""]:
            out.append({"name": name, "type": "blob", "path": full})
        else:
            sub = nested([r for r in rests if r], full + "/")
            out.append({"name": name, "type": "tree", "path": full, "object": {"entries": sub}})
    return out


def text(value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    size = len(value.encode())
    return {
        "object": {
            "__typename": "Blob",
            "text": value,
            "byteSize": size,
            "isBinary": False,
            "isTruncated": False,
        }
    }


def serve(
    listing: list[dict[str, Any]], tree_paths: dict[str, tuple[str, ...]], blobs: dict[tuple[str, str], str]
) -> list[tuple[str, dict[str, Any]]]:
    """GitHub's GraphQL API for one listing page, the trees by head node ID and blobs by (commit, path)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def callback(request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body or "{}")
        operation = re.search(r"^query (\w+)", body["query"], re.M).group(1)  # type: ignore[union-attr]
        variables = body["variables"]
        calls.append((operation, variables))
        data: dict[str, Any]
        if operation == "OwnerRepositories":
            payload = owner_page("acme", listing)
        elif operation == "DefaultBranchTrees":
            nodes = [
                {"oid": "x", "tree": {"oid": i.removeprefix("HEAD_"), "entries": nested(tree_paths[i])}}
                for i in variables["ids"]
            ]
            payload = {"data": {"rateLimit": rate_limit_json(), "nodes": nodes}}
        elif operation == "CommitReferencedFiles":
            data = {"rateLimit": rate_limit_json()}
            for key, node_id in variables.items():
                if key.startswith("c"):
                    i = key[1:]
                    sha = node_id.removeprefix("C_")
                    data[f"f{i}"] = {"oid": sha, "file": text(blobs.get((sha, variables[f"p{i}"])))}
            payload = {"data": data}
        elif operation == "CommitFiles":
            data = {"rateLimit": rate_limit_json()}
            for slot in "abcde":
                data[slot] = [
                    {
                        "oid": i[2:],
                        "pyproject": text(blobs.get((i[2:], "pyproject.toml"))),
                        "setupCfg": None,
                        "setupPy": None,
                    }
                    for i in variables[slot]
                ]
            payload = {"data": data}
        else:  # pragma: no cover - a query this test does not expect
            raise AssertionError(operation)
        return 200, rate_headers(resource="graphql"), json.dumps(payload)

    responses.add_callback(responses.POST, GQL, callback=callback)
    return calls


def tools_node(
    oid: str, tags: list[tuple[str, str]], names: Iterable[tuple[str, str]] | None = None
) -> dict[str, Any]:
    refs = refs_json([(name, {"__typename": "Commit", "oid": sha, "id": "C_" + sha}) for name, sha in tags])
    return repo_node("acme", "tools", refs, defaultBranchRef=head(oid, *(() if names is None else (names,))))


MONO_BLOBS = {
    (A, "libs/core/pyproject.toml"): CORE.format(v="1.0"),
    (B, "libs/cli/pyproject.toml"): CLI,
    (B, "libs/core/pyproject.toml"): CORE.format(v="1.0"),
    (D, "libs/core/pyproject.toml"): CORE.format(v="1.2"),
}


@responses.activate
def test_graphql_cold_scan_reads_the_tree_once_and_each_directory_at_its_tags() -> None:
    tags = [("cli-v0.1", B), ("core/v1.0", A), ("latest", C)]
    calls = serve([tools_node(T1, tags)], {"HEAD_" + T1: TREE_PATHS}, MONO_BLOBS)
    result = gql_scanner().scan_owners([ACME], root_need(), NoProgress(), discovery=discovery())
    assert [op for op, _ in calls] == ["OwnerRepositories", "DefaultBranchTrees", "CommitReferencedFiles"]
    assert result.trees == {"acme/tools": KnownTree(T1, ("libs/cli", "libs/core"))}
    assert result.repos[0].tree_oid == T1
    assert set(result.files) == {f"{A}:libs/core", f"{B}:libs/cli"}  # `latest`: nothing read
    assert result.files[f"{A}:libs/core"].pyproject_toml == CORE.format(v="1.0")
    assert result.files[f"{B}:libs/cli"].setup_py is None
    looked_up = {
        (v[f"c{i}"], v[f"p{i}"]) for op, v in calls if op == "CommitReferencedFiles" for i in range(6)
    }
    assert ("C_" + A, "libs/core/setup.py") in looked_up


@responses.activate
def test_graphql_warm_scan_reads_no_tree_and_no_file() -> None:
    tags = [("cli-v0.1", B), ("core/v1.0", A), ("latest", C)]
    calls = serve([tools_node(T1, tags)], {}, MONO_BLOBS)
    known = (f"{A}:libs/core", f"{B}:libs/cli")
    trees = {"acme/tools": KnownTree(T1, ("libs/cli", "libs/core"))}
    result = gql_scanner().scan_owners(
        [ACME], root_need(known), NoProgress(), discovery=discovery(known, trees)
    )
    assert [op for op, _ in calls] == ["OwnerRepositories"]
    assert result.trees == trees and result.files == {}


@responses.activate
def test_graphql_changed_tree_without_a_new_tag_is_not_read() -> None:
    calls = serve([tools_node(T2, [("core/v1.0", A)])], {}, MONO_BLOBS)
    known = (f"{A}:libs/core",)
    trees = {"acme/tools": KnownTree(T1, ("libs/core",))}
    result = gql_scanner().scan_owners(
        [ACME], root_need(known), NoProgress(), discovery=discovery(known, trees)
    )
    assert [op for op, _ in calls] == ["OwnerRepositories"]
    assert result.trees == trees  # kept with its old oid: the next new tag reads it again


@responses.activate
def test_graphql_new_tag_on_a_changed_tree_reads_it_and_only_the_new_commit() -> None:
    calls = serve(
        [tools_node(T2, [("core/v1.0", A), ("core/v1.2", D)])], {"HEAD_" + T2: TREE_PATHS}, MONO_BLOBS
    )
    known = (f"{A}:libs/core",)
    trees = {"acme/tools": KnownTree(T1, ("libs/core",))}
    result = gql_scanner().scan_owners(
        [ACME], root_need(known), NoProgress(), discovery=discovery(known, trees)
    )
    assert [op for op, _ in calls] == ["OwnerRepositories", "DefaultBranchTrees", "CommitReferencedFiles"]
    assert result.trees == {"acme/tools": KnownTree(T2, ("libs/cli", "libs/core"))}
    assert set(result.files) == {f"{D}:libs/core"}


@responses.activate
def test_graphql_root_project_needs_no_tree_read_and_reads_as_before() -> None:
    names = (("pyproject.toml", "blob"), ("src", "tree"))
    calls = serve([tools_node(T1, [("v1.0", A)], names)], {}, {(A, "pyproject.toml"): CORE.format(v="1.0")})
    result = gql_scanner().scan_owners([ACME], root_need(), NoProgress(), discovery=discovery())
    assert [op for op, _ in calls] == ["OwnerRepositories", "CommitFiles"]
    assert result.trees == {}  # nothing to keep: the listing says so on every build
    assert set(result.files) == {A}


@responses.activate
def test_graphql_configured_projects_replace_the_tree_read() -> None:
    calls = serve([tools_node(T1, [("c1.0", A)])], {}, MONO_BLOBS)
    d = discovery(acme__tools=(ProjectLayout("libs/core", r"^c(?P<version>.+)$"),))
    result = gql_scanner().scan_owners([ACME], root_need(), NoProgress(), discovery=d)
    assert [op for op, _ in calls] == ["OwnerRepositories", "CommitReferencedFiles"]
    assert set(result.files) == {f"{A}:libs/core"} and result.trees == {}


# -- REST ---------------------------------------------------------------------------------------------


def rest_scanner() -> RestScanner:
    return RestScanner(API, Token("ghp_secret", "GITHUB_TOKEN"), max_wait=0, spacing=0)


def rest_org(tags: list[tuple[str, str]]) -> None:
    responses.get(f"{URL}/orgs/acme", json=org_json("acme"), headers=rate_headers())
    responses.get(f"{URL}/orgs/acme/repos", json=[repo_json("acme", "tools")], headers=rate_headers())
    responses.get(
        f"{URL}/repos/acme/tools/tags",
        json=[tag_json("acme/tools", name, sha) for name, sha in tags],
        headers=rate_headers(),
    )


def rest_tree(paths: Iterable[str], *, truncated: bool = False, sha: str = T1) -> None:
    tree = [
        {
            "path": p,
            "mode": "100644",
            "type": "blob",
            "sha": "e" * 40,
            "size": 10,
            "url": f"{API}/repos/acme/tools/git/blobs/{'e' * 40}",
        }
        for p in paths
    ]
    responses.get(
        f"{URL}/repos/acme/tools/git/trees/HEAD",
        json={
            "sha": sha,
            "url": f"{API}/repos/acme/tools/git/trees/{sha}",
            "tree": tree,
            "truncated": truncated,
        },
        headers=rate_headers(),
        match=[matchers.query_param_matcher({"recursive": "1"})],
    )


def rest_files(blobs: dict[tuple[str, str], str]) -> None:
    for (sha, path), body in blobs.items():
        responses.get(
            f"{URL}/repos/acme/tools/contents/{path}",
            json=content_json("acme/tools", path, body, sha),
            headers=rate_headers(),
            match=[matchers.query_param_matcher({"ref": sha})],
        )
    responses.get(re.compile(rf"{re.escape(URL)}/repos/acme/tools/contents/.*"), status=404, json=NOT_FOUND)


def paths_called() -> list[str]:
    return [c.request.url.split("github.com:443", 1)[1] for c in responses.calls]  # type: ignore[union-attr]


@responses.activate
def test_rest_cold_scan_reads_the_tree_and_each_directory() -> None:
    rest_org([("cli-v0.1", B), ("core/v1.0", A), ("latest", C)])
    rest_tree(TREE_PATHS)
    rest_files(MONO_BLOBS)
    result = rest_scanner().scan_owners([ACME], root_need(), NoProgress(), discovery=discovery())
    called = paths_called()
    # org, listing, tags, tree, one pyproject.toml each (it decides: no setup.cfg/setup.py read)
    assert len(called) == 6, called
    assert "/repos/acme/tools/git/trees/HEAD?recursive=1" in called
    assert result.trees == {"acme/tools": KnownTree(T1, ("libs/cli", "libs/core"))}
    assert set(result.files) == {f"{A}:libs/core", f"{B}:libs/cli"}


@responses.activate
def test_rest_warm_scan_makes_todays_three_requests() -> None:
    rest_org([("cli-v0.1", B), ("core/v1.0", A), ("latest", C)])
    known = (f"{A}:libs/core", f"{B}:libs/cli")
    trees = {"acme/tools": KnownTree(T1, ("libs/cli", "libs/core"))}
    result = rest_scanner().scan_owners(
        [ACME], root_need(known), NoProgress(), discovery=discovery(known, trees)
    )
    assert len(responses.calls) == 3, paths_called()
    assert result.trees == trees and result.files == {}


@responses.activate
def test_rest_truncated_tree_falls_back_to_the_root_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    rest_org([("core/v1.0", A)])
    rest_tree(TREE_PATHS, truncated=True)
    rest_files(MONO_BLOBS)
    with caplog.at_level(logging.WARNING, logger="indexgen"):
        result = rest_scanner().scan_owners([ACME], root_need(), NoProgress(), discovery=discovery())
    assert result.trees == {"acme/tools": KnownTree(T1, ())}
    assert not any("/contents/libs/" in p for p in paths_called())  # nothing below the root is trusted
    assert "truncated" in caplog.text and 'repos."acme/tools".projects' in caplog.text


@responses.activate
def test_rest_root_project_at_the_tag_needs_no_tree_read() -> None:
    rest_org([("v1.0", A)])
    rest_files({(A, "pyproject.toml"): CORE.format(v="1.0")})
    result = rest_scanner().scan_owners([ACME], root_need(), NoProgress(), discovery=discovery())
    assert not any("/git/trees/" in p for p in paths_called())
    assert result.trees == {} and set(result.files) == {A}


@responses.activate
def test_rest_rebuild_of_a_root_project_reads_no_tree_for_a_new_name_shaped_tag() -> None:
    """A rebuild knows what the cold build read: a root project at `v1.0`. A new `nightly-20240101`
    tag (shaped like `<name>-<version>`, not a release under the default pattern) must not make the
    REST scanner read a tree the cold build did not read, or the rebuild's state differs from it."""
    rest_org([("v1.0", A), ("nightly-20240101", B)])
    rest_tree(TREE_PATHS)
    rest_files({})
    cold = discovery()
    rooted = dataclasses.replace(cold, fresh=lambda tag: tag.commit != A, rooted=lambda tag: tag.commit == A)
    result = rest_scanner().scan_owners([ACME], root_need((A,)), NoProgress(), discovery=rooted)
    assert not any("/git/trees/" in p for p in paths_called()), paths_called()
    assert result.trees == {} and result.files == {}
    # Without that knowledge the same scan reads the tree: the test can fail.
    responses.calls.reset()  # type: ignore[no-untyped-call]
    unaware = dataclasses.replace(rooted, rooted=lambda tag: False)
    rest_scanner().scan_owners([ACME], root_need((A,)), NoProgress(), discovery=unaware)
    assert "/repos/acme/tools/git/trees/HEAD?recursive=1" in paths_called()
