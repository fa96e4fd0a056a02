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


@pytest.mark.parametrize("lookups", [1, 2, 3, 100, 199, 200])
def test_a_query_of_aliased_lookups_is_valid_for_any_number_of_them(
    github_schema: graphql.GraphQLSchema, lookups: int
) -> None:
    """commit_referenced_files is written with one (commit, path) lookup and sent with as many as a
    batch holds (fewer when GitHub ran out of time on more): each is `f<i>`, with `$c<i>` and `$p<i>`."""
    document = graphql.parse(query_document("commit_referenced_files", lookups))
    assert graphql.validate(github_schema, document) == []
    (operation,) = [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    variables = [v.variable.name.value for v in operation.variable_definitions]
    assert variables == [f"{v}{i}" for i in range(lookups) for v in "cp"]
    aliases = [f.alias.value for f in operation.selection_set.selections if f.alias]  # type: ignore[union-attr]
    assert aliases == [f"f{i}" for i in range(lookups)]


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
