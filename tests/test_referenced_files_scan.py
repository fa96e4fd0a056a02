"""Both scanners read the files the metadata refers to in rounds, against the local fake GitHub: the
same files and results from GraphQL and REST, only for the commits that need them, and what it costs."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from indexgen.github.auth import Token
from indexgen.github.bulk import REFERENCED_SLOTS, GraphQLScanner
from indexgen.github.graphql import GraphQLClient
from indexgen.github.http import ApiUsage
from indexgen.github.rest import RestScanner
from indexgen.github.scanner import NoProgress, ScanResult
from indexgen.metadata import parse_metadata
from indexgen.models import Owner, OwnerKind, ProjectMetadata
from tests.fakegithub import FakeGitHub, FakeGitHubServer, FakeRepo, FakeTag

ORG = Owner("acme", OwnerKind.ORG)
TOKEN = "ghp_referencedFilesTest000000000000000000"

EXEC_SETUP = (
    b"import os\nfrom setuptools import setup\nabout = {}\n"
    b"with open(os.path.join('pkg', '__version__.py')) as f:\n    exec(f.read(), about)\n"
    b"setup(name=about['__title__'], version=about['__version__'])\n"
)
CHAIN_SETUP = b"from setuptools import setup\nimport pkg\nsetup(name='chain', version=pkg.__version__)\n"


_COMMITS = itertools.count(1)


def sha(n: int) -> str:
    return f"{n:040x}"


def add(gh: FakeGitHub, name: str, versions: dict[str, dict[str, bytes]]) -> None:
    tags, files = [], {}
    for version, tree in versions.items():
        commit = sha(next(_COMMITS))
        tags.append(FakeTag(f"v{version}", commit))
        files[commit] = tree
    gh.add_repo(FakeRepo("acme", name, tags=tags, files=files))


@pytest.fixture
def server() -> Iterator[FakeGitHubServer]:
    gh = FakeGitHub()
    gh.add_token(TOKEN, "bot", orgs=["acme"])
    static = b'[project]\nname = "static"\nversion = "%s"\n'
    add(gh, "static", {v: {"pyproject.toml": static % v.encode()} for v in ("1.0", "1.1", "1.2")})
    add(
        gh,
        "execver",
        {
            v: {
                "setup.py": EXEC_SETUP,
                "pkg/__version__.py": b"__title__ = 'execver'\n__version__ = '%s'\n" % v.encode(),
            }
            for v in ("2.0", "2.1")
        },
    )
    add(
        gh,
        "chain",
        {
            "3.0": {
                "setup.py": CHAIN_SETUP,
                "src/pkg/__init__.py": b"from ._version import __version__\n",
                "src/pkg/_version.py": b"__version__ = '3.0'\n",
            }
        },
    )
    add(
        gh,
        "missing",
        {
            "4.0": {
                "setup.py": b"from setuptools import setup\nsetup(name='m', version=open('VERSION').read())"
            }
        },
    )
    with FakeGitHubServer(gh) as running:
        yield running


def graphql_scan(server: FakeGitHubServer) -> tuple[ScanResult, list[str]]:
    client = GraphQLClient(server.graphql_url, Token(TOKEN, "GITHUB_TOKEN"), ApiUsage(), backoff=0)
    names: list[str] = []
    query = client.query

    def counted(name: str, variables: Any, **kwargs: Any) -> Any:
        names.append(name)
        return query(name, variables, **kwargs)

    client.query = counted  # type: ignore[method-assign]
    return GraphQLScanner(client).scan_owners([ORG], lambda tag: True, NoProgress()), names


def rest_scan(server: FakeGitHubServer) -> ScanResult:
    scanner = RestScanner(server.base_url, Token(TOKEN, "GITHUB_TOKEN"), backoff=0, spacing=0)
    return scanner.scan_owners([ORG], lambda tag: True, NoProgress())


def results(scan: ScanResult) -> dict[str, object]:
    return {sha: parse_metadata(files) for sha, files in scan.files.items()}


def test_both_scanners_read_the_same_referenced_files_and_agree(server: FakeGitHubServer) -> None:
    graphql, _ = graphql_scan(server)
    rest = rest_scan(server)
    assert graphql.files == rest.files
    parsed = results(graphql)
    versions = sorted((m.name, m.version) for m in parsed.values() if isinstance(m, ProjectMetadata))
    assert versions == [
        ("chain", "3.0"),
        ("execver", "2.0"),
        ("execver", "2.1"),
        ("static", "1.0"),
        ("static", "1.1"),
        ("static", "1.2"),
    ]
    (missing,) = [m for m in parsed.values() if not isinstance(m, ProjectMetadata)]
    assert "VERSION is absent" in missing.reason  # type: ignore[attr-defined]
    # only the commits that refer to a file carry referenced files
    static = [f for f in graphql.files.values() if f.pyproject_toml is not None]
    assert all(f.referenced == () for f in static)


def test_graphql_costs_one_query_per_round(server: FakeGitHubServer) -> None:
    _, names = graphql_scan(server)
    # round 1: execver ×2, chain's four candidate places, missing's VERSION; round 2: chain's _version
    assert names.count("commit_referenced_files") == 2
    assert names.count("commit_files") == 1


def test_rest_costs_one_request_per_referenced_file(server: FakeGitHubServer) -> None:
    gh = server.gh
    gh.reset_counters()
    scan = rest_scan(server)
    referenced = sum(len(f.referenced) for f in scan.files.values())
    assert referenced == 2 + 4 + 2 + 1
    contents = [r for r in gh.log if "/contents/" in r.path]
    root_reads = [
        r
        for r in contents
        if r.path.split("/contents/")[1].split("?")[0] in ("pyproject.toml", "setup.cfg", "setup.py")
    ]
    assert len(contents) - len(root_reads) == referenced


def version_files(gh: FakeGitHub, n: int) -> dict[str, dict[str, bytes]]:
    """A repository of `n` releases whose setup.py reads a VERSION file: one lookup each."""
    gh.add_token(TOKEN, "bot", orgs=["acme"])
    versions = {
        f"1.{i}": {
            "setup.py": b"from setuptools import setup\nsetup(name='v', version=open('VERSION').read())",
            "VERSION": b"1.%d\n" % i,
        }
        for i in range(n)
    }
    add(gh, "many", versions)
    return versions


def test_more_pairs_than_a_query_holds_are_split() -> None:
    gh = FakeGitHub()
    versions = version_files(gh, REFERENCED_SLOTS + 5)
    asked: list[int] = []
    with FakeGitHubServer(gh) as running:
        client = GraphQLClient(running.graphql_url, Token(TOKEN, "GITHUB_TOKEN"), ApiUsage(), backoff=0)
        post = client._session.post

        def counted(url: str, json: dict[str, Any], **kwargs: Any) -> Any:
            if "CommitReferencedFiles" in json["query"]:
                lookups = json["query"].count(": node(id: $c")
                assert sorted(json["variables"]) == sorted(f"{v}{i}" for i in range(lookups) for v in "cp")
                asked.append(lookups)
            return post(url, json=json, **kwargs)

        client._session.post = counted  # type: ignore[method-assign]
        scan = GraphQLScanner(client).scan_owners([ORG], lambda tag: True, NoProgress())
    # The last query asks for the 5 pairs left, not 200 padded with repeats of one of them.
    assert asked == [REFERENCED_SLOTS, 5]
    parsed = results(scan)
    assert sorted(str(m.version) for m in parsed.values() if isinstance(m, ProjectMetadata)) == sorted(
        versions
    )
