"""GitHub's published GraphQL schema for the tests that validate query documents against it.

The schema is the SDL of npm's `@octokit/graphql-schema` at a pinned version, checked against a pinned
sha256. It is taken from `../shared/github/schema.graphql` beside the repository when that copy exists
(and has the same hash), else from the pytest cache, else downloaded from the npm registry's tarball
once and cached (`.pytest_cache/d/github-schema/`). Without network the tests skip, except under
`CI=true`, where a check that cannot run is a failure.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import urllib.request
from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema

VERSION = "15.26.1"  # npm @octokit/graphql-schema; last schema change 2025-02-27
TARBALL = f"https://registry.npmjs.org/@octokit/graphql-schema/-/graphql-schema-{VERSION}.tgz"
SHA256 = "3c62d0526d133cee53221c89de9b455ade24db78b9e7ad56d642c4c15bce2654"  # of package/schema.graphql
BESIDE = Path(__file__).resolve().parents[2] / "shared" / "github" / "schema.graphql"


def _checked(data: bytes, where: str) -> bytes:
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        raise AssertionError(
            f"GitHub's schema from {where} has sha256 {digest}, expected {SHA256} ({VERSION})"
        )
    return data


def _download() -> bytes:
    with urllib.request.urlopen(TARBALL, timeout=60) as answer:
        tarball = answer.read()
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        member = archive.extractfile("package/schema.graphql")
        assert member is not None
        return _checked(member.read(), TARBALL)


def schema_sdl(cache_dir: Path) -> str:
    """The pinned schema's SDL: beside the repository, cached, or downloaded into `cache_dir`."""
    if BESIDE.is_file():
        return _checked(BESIDE.read_bytes(), str(BESIDE)).decode("utf-8")
    cached = cache_dir / f"graphql-schema-{VERSION}.graphql"
    if cached.is_file():
        return _checked(cached.read_bytes(), str(cached)).decode("utf-8")
    try:
        data = _download()
    except OSError as exc:
        message = f"cannot download GitHub's GraphQL schema ({TARBALL}): {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    cache_dir.mkdir(parents=True, exist_ok=True)
    temp = cached.with_suffix(".part")
    temp.write_bytes(data)
    temp.replace(cached)
    return data.decode("utf-8")


@pytest.fixture(scope="session")
def github_schema(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> GraphQLSchema:
    cache = getattr(request.config, "cache", None)
    cache_dir = (
        cache.mkdir("github-schema") if cache is not None else tmp_path_factory.mktemp("github-schema")
    )
    # The published SDL defines one field pair twice and has deprecation mismatches that graphql-core's
    # schema check rejects; they do not concern the queries, so it is built with those checks off.
    built = build_schema(schema_sdl(Path(cache_dir)), assume_valid=True, assume_valid_sdl=True)
    built._validation_errors = []
    return built
