"""The build at an organisation's scale: one skip for a repository without a Python project at any tag,
version parsing cached per tag name, and the same index however often it is built."""

from __future__ import annotations

import pytest

from indexgen.build import BuildOptions, build_index
from indexgen.metadata import NO_METADATA_FILES, parse_metadata
from indexgen.models import MetadataProblem, ProjectMetadata, RepoSnapshot, SourceFiles, TagRef
from indexgen.rules import RepoRules, Rules
from indexgen.versions import parse_tag_version

A, B, C = ("a" * 40, "b" * 40, "c" * 40)
NOTHING = MetadataProblem(NO_METADATA_FILES)


def repo(name: str, *tags: tuple[str, str]) -> RepoSnapshot:
    return RepoSnapshot(
        full_name=f"acme/{name}",
        clone_url=f"https://github.com/acme/{name}.git",
        html_url=f"https://github.com/acme/{name}",
        created_at="2020-01-01T00:00:00Z",
        tags=tuple(TagRef(t, c) for t, c in tags),
    )


def test_the_reason_is_the_one_parse_metadata_gives_for_a_commit_without_packaging_files() -> None:
    assert parse_metadata(SourceFiles()) == NOTHING


def test_a_repository_without_a_project_at_any_tag_is_one_skip_naming_how_many_tags() -> None:
    tags = [(f"v1.{i}.0", f"{i:040x}") for i in range(30)]
    index = build_index([repo("go-tool", *tags)], {c: NOTHING for _, c in tags})
    assert index.projects == ()
    (skip,) = index.skipped
    assert (skip.repository, skip.tag) == ("acme/go-tool", None)
    assert skip.reason == "no Python project at any of its 30 tags (no pyproject.toml, setup.cfg or setup.py)"


@pytest.mark.parametrize(
    ("metadata", "tagged"),
    [
        # one tag's commit holds a project: the others keep their own reasons
        ({A: NOTHING, B: ProjectMetadata("go-tool", None)}, ("v1.0", "v2.0")),
        # a commit that was not read (a tag no pattern makes a version): no claim about it is made
        ({A: NOTHING}, ("latest", "v2.0")),
        # a broken project is a project: its own reason stays visible
        ({A: NOTHING, B: MetadataProblem("pyproject.toml is not valid TOML")}, ("v1.0", "v2.0")),
    ],
    ids=["one-python-tag", "one-unread-tag", "one-broken-project"],
)
def test_any_other_repository_keeps_a_reason_per_tag(
    metadata: dict[str, ProjectMetadata | MetadataProblem], tagged: tuple[str, str]
) -> None:
    index = build_index([repo("go-tool", ("v1.0", A), ("v2.0", B), ("latest", C))], metadata)
    skipped_tags = {s.tag for s in index.skipped}
    assert None not in skipped_tags
    assert set(tagged) <= skipped_tags | {r.tag for p in index.projects for r in p.releases}


def test_a_repository_with_one_tag_says_so() -> None:
    (skip,) = build_index([repo("site", ("v1.0", A))], {A: NOTHING}).skipped
    assert (skip.tag, skip.reason) == (None, f"no Python project at its only tag ({NO_METADATA_FILES})")


def test_a_repository_without_tags_is_no_skip_at_all() -> None:
    assert build_index([repo("fresh")], {}).skipped == ()


def test_the_one_skip_applies_under_any_tag_rules() -> None:
    rules = Rules(repos={"acme/go-tool": RepoRules(tag_pattern=r"^release-(?P<version>.+)$")})
    tags = [("release-1.0", A), ("nightly", B)]
    index = build_index([repo("go-tool", *tags)], {A: NOTHING, B: NOTHING}, BuildOptions(rules=rules))
    assert [(s.tag, s.reason[:33]) for s in index.skipped] == [(None, "no Python project at any of its 2")]


def test_a_tag_name_is_parsed_once_per_pattern_and_gives_the_same_answer() -> None:
    first = parse_tag_version("v3.1.4", r"^v?(?P<version>.+)$")
    assert str(first) == "3.1.4"
    assert parse_tag_version("v3.1.4", r"^v?(?P<version>.+)$") is first  # the cached Version itself
    assert parse_tag_version("v3.1.4", r"^(?P<version>.+)$") == "not a version"  # another pattern


def test_equal_versions_of_different_spellings_keep_their_own_text() -> None:
    """Version("1") == Version("1.0"): a cache keyed by Version would give one of them the other's text."""
    index = build_index(
        [repo("one", ("v1", A)), repo("two", ("v1.0", B))],
        {A: ProjectMetadata("one", None), B: ProjectMetadata("two", None)},
    )
    links = {r.version: r.url.rsplit("#egg=", 1)[1] for p in index.projects for r in p.releases}
    assert links == {"1": "one-1", "1.0": "two-1.0"}
