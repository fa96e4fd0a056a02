"""Every GraphQL document indexgen sends is valid against GitHub's published schema."""

from __future__ import annotations

from pathlib import Path

import graphql
import pytest

from indexgen.github.graphql import QUERY_NAMES, query_document


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_is_valid_against_githubs_schema(github_schema: graphql.GraphQLSchema, name: str) -> None:
    """Against the pinned @octokit/graphql-schema (tests/githubschema.py), never skipped in CI."""
    errors = graphql.validate(github_schema, graphql.parse(query_document(name)))
    assert errors == [], [e.message for e in errors]


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_asks_for_its_cost(name: str) -> None:
    assert "...RateLimitFields" in query_document(name)


def test_query_files_ship_with_the_package() -> None:
    from importlib import resources

    files = {p.name for p in resources.files("indexgen.github").joinpath("queries").iterdir()}
    assert {f"{name}.graphql" for name in QUERY_NAMES} | {"fragments.graphql"} <= files


def test_the_schema_is_refused_when_its_hash_differs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pin holds: a cached (or neighbouring) schema of other content is an error, not a schema."""
    from tests import githubschema

    monkeypatch.setattr(githubschema, "BESIDE", tmp_path / "absent.graphql")
    (tmp_path / f"graphql-schema-{githubschema.VERSION}.graphql").write_text("type Query { a: Int }\n")
    with pytest.raises(AssertionError, match="expected " + githubschema.SHA256):
        githubschema.schema_sdl(tmp_path)
