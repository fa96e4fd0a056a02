"""bulk.py's inline peeling of the common tag shapes (`_listed_all`) against the general one
(`_listed`, through `_peel`): the same tags, node IDs, dates and skip reasons, in the same order, or
the same exception, whatever shape GitHub's answer takes."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from hypothesis import given, settings
from hypothesis import strategies as st

from indexgen.github.bulk import _listed, _listed_all
from indexgen.github.scanner import NoProgress
from indexgen.models import Owner, OwnerKind, Skip, TagRef
from tests.payloads import owner_page, refs_json, repo_node
from tests.test_bulk_scanner import make_scanner, serve

A, B, C = "a" * 40, "b" * 40, "c" * 40


def obj(typename: str | None, oid: str | None = None, **fields: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"oid": oid, **fields}
    if typename is not None:
        node["__typename"] = typename
    return node


def commit(oid: str, **fields: Any) -> dict[str, Any]:
    return obj("Commit", oid, **{"id": "C_" + oid, "committedDate": "2024-01-02T00:00:00Z", **fields})


ODD_TARGETS: list[Any] = [
    commit(A),  # the common shapes first
    obj("Tag", "1" * 40, tagger={"date": "2024-03-04T05:06:07+01:00"}, target=commit(B)),
    obj("Tag", "1" * 40, target=commit(B)),  # no tagger asked for: the commit's date
    obj("Tag", "1" * 40, tagger=None, target=commit(B)),  # a tag object without a tagger
    obj("Tag", "1" * 40, tagger={}, target=commit(B)),
    obj("Tag", "1" * 40, tagger={"date": None}, target=commit(B)),
    obj("Tag", "1" * 40, tagger={"date": ""}, target=commit(B, committedDate=None)),
    obj("Commit", A),  # no node ID, no date
    obj("Commit", A, id=None, committedDate=None),
    obj("Tag", "1" * 40, target=obj("Tag", "2" * 40, target=commit(C))),  # two levels
    obj("Tag", "1" * 40, target=obj("Tag", "2" * 40, target=obj("Tag", "3" * 40))),  # three
    obj("Tag", "1" * 40, target=obj("Tag", "2" * 40, target=obj("Tree", "4" * 40))),
    obj("Tag", "1" * 40, target=obj("Tag", "2" * 40, target=None)),
    obj("Tag", "1" * 40),  # no target field: a chain longer than the query follows
    obj("Tag", "1" * 40, target=None),
    obj("Tag", "1" * 40, target={}),
    obj("Tag", "1" * 40, target=obj("Blob", "5" * 40)),
    obj("Tag", "1" * 40, target=obj(None, "6" * 40)),
    obj("Tree", "4" * 40),
    obj("Blob", None),
    obj(None, "7" * 40),  # no __typename
    obj("Tree", "4" * 40, target=commit(A)),  # only a tag object's target is followed
    obj(None, "7" * 40, target=commit(A)),
    {},
    None,
]


def test_the_inline_peel_gives_what_the_general_one_gives_for_odd_shapes() -> None:
    refs = [{"name": f"v{i}", "target": target} for i, target in enumerate(ODD_TARGETS)]
    refs.append({"name": "no-target"})
    refs.append({"name": 7, "target": commit(A)})  # a name that is not a string
    expected = [_listed(ref) for ref in refs]
    assert _listed_all(refs) == expected
    assert [_listed_all([ref]) for ref in refs] == [[e] for e in expected]
    # Every kind of answer is among them: commits with and without dates, and skips.
    assert expected[0] == ("v0", (TagRef("v0", A, "2024-01-02T00:00:00Z"), "C_" + A))
    assert expected[1] == ("v1", (TagRef("v1", B, "2024-03-04T05:06:07+01:00"), "C_" + B))
    assert expected[7] == ("v7", (TagRef("v7", A, ""), ""))
    assert {type(tag) for _, tag in expected} == {tuple, str}


@pytest.mark.parametrize(
    "ref",
    [
        {"name": "v1", "target": {"__typename": "Commit", "id": "C_x"}},  # no oid
        {"name": "v1", "target": {"__typename": "Tag", "target": {"__typename": "Commit"}}},
        {"target": commit(A)},  # no name
        None,
    ],
)
def test_a_malformed_ref_fails_as_the_general_peel_fails(ref: Any) -> None:
    with pytest.raises(Exception) as general:
        _listed(ref)
    with pytest.raises(type(general.value)):
        _listed_all([{"name": "v0", "target": commit(A)}, ref])


SCALARS = st.one_of(st.none(), st.sampled_from(["", A, "2024-01-02T00:00:00Z"]), st.integers(0, 2))
TYPENAMES = st.sampled_from(["Commit", "Tag", "Tree", "Blob", "", None])


def _maybe(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts holding any subset of `fields`: GitHub's answer with keys missing or null."""
    return st.fixed_dictionaries({}, optional=fields)


TARGETS = st.recursive(
    st.one_of(
        st.none(), _maybe({"__typename": TYPENAMES, "oid": SCALARS, "id": SCALARS, "committedDate": SCALARS})
    ),
    lambda inner: _maybe(
        {
            "__typename": TYPENAMES,
            "oid": SCALARS,
            "id": SCALARS,
            "committedDate": SCALARS,
            "tagger": st.one_of(st.none(), _maybe({"date": SCALARS})),
            "target": inner,
        }
    ),
    max_leaves=4,
)
REFS = _maybe({"name": st.sampled_from(["v1.0", "", "x"]), "target": TARGETS})


@settings(max_examples=400, deadline=None)
@given(st.lists(REFS, max_size=4))
def test_the_inline_peel_gives_what_the_general_one_gives_for_any_shape(refs: list[Any]) -> None:
    try:
        expected = [_listed(ref) for ref in refs]
    except Exception as exc:  # noqa: BLE001 - whichever the general peel raises
        with pytest.raises(type(exc)):
            _listed_all(refs)
        return
    assert _listed_all(refs) == expected


@responses.activate
def test_a_scan_keeps_and_skips_the_tags_the_general_peel_keeps_and_skips() -> None:
    refs = [(f"v{i:02}", target) for i, target in enumerate(ODD_TARGETS)][::-1]  # not in name order
    page = owner_page("acme", [repo_node("acme", "utils", refs_json(refs))])
    serve(lambda op, v: page)
    wanted: list[str] = []

    def need_files(tag: TagRef) -> bool:
        wanted.append(tag.name)
        return False

    result = make_scanner().scan_owners([Owner("acme", OwnerKind.ORG)], need_files, NoProgress())
    listed = [_listed({"name": name, "target": target}) for name, target in refs]
    kept = [tag[0] for _, tag in listed if not isinstance(tag, str)]
    assert result.repos[0].tags == tuple(sorted(kept, key=lambda t: t.name))
    assert list(result.skipped) == [
        Skip("acme/utils", name, tag) for name, tag in listed if isinstance(tag, str)
    ]
    assert wanted == [t.name for t in kept]  # asked once per kept tag, in listing order
    assert len(kept) >= 10 and len(result.skipped) >= 10
