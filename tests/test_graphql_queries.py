"""Every GraphQL document indexgen sends is valid against GitHub's published schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexgen.github.graphql import QUERY_NAMES, query_document

graphql = pytest.importorskip("graphql")

# GitHub's public schema (octokit/graphql-schema) sits next to the repository in our workspace; a fresh
# clone of the project alone does not have it.
SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "github" / "schema.graphql"


@pytest.fixture(scope="module")
def schema() -> graphql.GraphQLSchema:
    if not SCHEMA.exists():
        pytest.skip(f"GitHub's GraphQL schema is not at {SCHEMA.name} beside the repository; cannot validate")
    built = graphql.build_schema(SCHEMA.read_text(encoding="utf-8"), assume_valid_sdl=True)
    # The published SDL has a few deprecation mismatches that graphql-core's schema check rejects;
    # they do not concern our queries, so the schema is taken as valid (as build_schema was told).
    built._validation_errors = []
    return built


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_is_valid_against_githubs_schema(schema: graphql.GraphQLSchema, name: str) -> None:
    errors = graphql.validate(schema, graphql.parse(query_document(name)))
    assert errors == [], [e.message for e in errors]


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_asks_for_its_cost(name: str) -> None:
    assert "...RateLimitFields" in query_document(name)


def test_query_files_ship_with_the_package() -> None:
    from importlib import resources

    files = {p.name for p in resources.files("indexgen.github").joinpath("queries").iterdir()}
    assert {f"{name}.graphql" for name in QUERY_NAMES} | {"fragments.graphql"} <= files
