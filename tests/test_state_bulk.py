"""The state reader checks whole lists at once (tags, metadata, published positions, the unnamed
repositories' SHAs): a single bad item anywhere in a list still makes the state unreadable, with the
same one-line message as an item-by-item check, and every shape of tag list still reads back."""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from indexgen.models import MetadataProblem, MetadataResult, ProjectMetadata, RepoSnapshot, TagRef
from indexgen.state import StateUnreadable, dump_state, parse_state

from .state_samples import NO_METADATA, dump_state_v1

DATE = "2024-01-01T10:00:00Z"


def sha(*parts: object) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


def repo(name: str, *tags: TagRef) -> RepoSnapshot:
    return RepoSnapshot(
        f"acme/{name}",
        f"https://github.com/acme/{name}.git",
        f"https://github.com/acme/{name}",
        "2020-01-01T00:00:00Z",
        tags=tags,
    )


def sample() -> tuple[list[RepoSnapshot], dict[str, MetadataResult], dict[str, dict[str, str]]]:
    """Every shape of tag list: all dated (GraphQL), none dated (REST), two tags on one commit and
    dated and undated mixed; and three repositories without a project, one of them with two reasons."""
    dated = repo("dated", *(TagRef(f"v1.{t}", sha("dated", t), DATE) for t in range(4)))
    undated = repo("undated", *(TagRef(f"v1.{t}", sha("undated", t)) for t in range(4)))
    shared = sha("mixed", 0)
    mixed = repo(
        "mixed", TagRef("1.0", shared), TagRef("v1.0", shared, DATE), TagRef("v1.1", sha("mixed", 1))
    )
    others = [repo(f"other{i}", *(TagRef(f"r{t}", sha("other", i, t)) for t in range(5))) for i in range(3)]
    commits: dict[str, MetadataResult] = {}
    published: dict[str, dict[str, str]] = {}
    for r in (dated, undated, mixed):
        for tag in r.tags:
            version = tag.name.lstrip("v")
            commits[tag.commit] = ProjectMetadata(r.full_name[5:], version, ">=3.9")
            published.setdefault(r.full_name[5:], {})[version] = tag.commit
    for i, r in enumerate(others):
        for t, tag in enumerate(r.tags):
            reason = "no [project] name" if i == 1 and t % 2 else NO_METADATA
            commits[tag.commit] = MetadataProblem(reason)
    return [dated, undated, mixed, *others], commits, published


def document() -> dict[str, Any]:
    return json.loads(gzip.decompress(dump_state(*sample())))


def test_every_shape_of_tag_list_reads_back() -> None:
    repos, commits, published = sample()
    state = parse_state(dump_state(repos, commits, published))
    assert state.repos == {r.full_name: r for r in repos[:3]}
    assert state.commits == commits and state.published == published
    assert sorted(state.unlisted) == sorted(tuple(sorted(t.commit for t in r.tags)) for r in repos[3:])
    data = document()
    assert {type(t).__name__ for t in data["repos"]["acme/dated"]["tags"]} == {"list"}
    assert {type(t).__name__ for t in data["repos"]["acme/undated"]["tags"]} == {"str"}
    assert [len(t) for t in data["repos"]["acme/mixed"]["tags"] if isinstance(t, list)] == [3]
    assert len(data["unlisted"][1]) == 2  # two reasons in one unnamed repository


def test_equal_tag_names_dates_and_versions_are_one_string_each() -> None:
    """Each repository's v1.0 would otherwise be a string of its own, for as long as the build runs."""
    state = parse_state(dump_state(*sample()))
    first, second = state.repos["acme/dated"].tags[0], state.repos["acme/undated"].tags[0]
    assert first.name == second.name and first.name is second.name
    dates = [t.date for t in state.repos["acme/dated"].tags]
    assert all(d is dates[0] for d in dates)
    versions = [
        m.version for m in state.commits.values() if isinstance(m, ProjectMetadata) and m.version == "1.0"
    ]
    assert len(versions) == 3 and all(v is versions[0] for v in versions)


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for step in path[:-1]:
            data = data[step]
        data[path[-1]] = value

    return change


def _unlisted_digit(group: int, index: int, digit: str) -> Callable[[dict[str, Any]], None]:
    """One hex digit in the middle of an unnamed repository's SHAs replaced."""

    def change(data: dict[str, Any]) -> None:
        entry = data["unlisted"][group]
        reason = sorted(entry)[0]
        roots = entry[reason]
        entry[reason] = roots[:index] + digit + roots[index + 1 :]

    return change


def _drop_last_commit(data: dict[str, Any]) -> None:
    """The last SHA gone from the table, and the published version at it: only a tag needs it."""
    data["commits"] = data["commits"][:-40]
    data["meta"] = data["meta"][:-1]
    last = len(data["meta"])
    for versions in data["published"].values():
        for version in [v for v, at in versions.items() if at == last]:
            del versions[version]


CORRUPT = "a commit list is not 40-hex SHAs end to end"
CASES = {
    # The unnamed repositories' SHAs are checked by one regex over all of them, after the split.
    "a non-hex digit in the middle entry": (_unlisted_digit(1, 45, "g"), f"ValueError: {CORRUPT}"),
    "an upper-case digit in the last entry": (_unlisted_digit(2, 130, "A"), f"ValueError: {CORRUPT}"),
    "a SHA one digit short": (_unlisted_digit(1, 45, ""), f"ValueError: {CORRUPT}"),
    "a non-hex digit in the commit table": (
        lambda d: d.update(commits="z" + d["commits"][1:]),
        f"ValueError: {CORRUPT}",
    ),
    # Tags: a list of [name, date] pairs, or of names, is checked as a whole.
    "a dated tag's name that is a number": (
        _set(("repos", "acme/dated", "tags", 2, 0), 7),
        "TypeError: expected a string, got int",
    ),
    "a dated tag's date that is null": (
        _set(("repos", "acme/dated", "tags", 1, 1), None),
        "TypeError: expected a string, got NoneType",
    ),
    "an undated tag that is a number": (
        _set(("repos", "acme/undated", "tags", 2), 5),
        "TypeError: object of type 'int' has no len()",
    ),
    "tags that need more commits than the table holds": (
        _drop_last_commit,
        "ValueError: no commit at position",
    ),
    "a shared commit's position past the end": (
        _set(("repos", "acme/mixed", "tags", 1, 2), 99),
        "ValueError: no commit at position 99",
    ),
    # Published versions: the positions of a project are checked as a whole.
    "a published position past the end": (
        _set(("published", "dated", "1.2"), 99),
        "ValueError: no commit at position 99",
    ),
    "a negative published position": (
        _set(("published", "undated", "1.1"), -1),
        "ValueError: no commit at position -1",
    ),
    "a published position that is true": (
        _set(("published", "undated", "1.1"), True),
        "ValueError: no commit at position True",
    ),
    "a published position that is a string": (
        _set(("published", "mixed", "1.1"), "3"),
        "ValueError: no commit at position '3'",
    ),
    "published versions that are not an object": (
        _set(("published", "mixed"), [1, 2]),
        "AttributeError: 'list' object has no attribute 'items'",
    ),
    "named repositories that are not an object": (
        _set(("repos",), ["acme/dated"]),
        "AttributeError: 'list' object has no attribute 'items'",
    ),
    # Metadata entries: [record, version] inline, anything else item by item.
    "a version that is a number": (_set(("meta", 2), [0, 5]), "TypeError: expected a string, got int"),
    "a record past the end": (_set(("meta", 2), [99, "1"]), "IndexError: list index out of range"),
    "a record number that is true": (_set(("meta", 2), [True, "1"]), "ValueError: bad metadata entry"),
    "a reason that is a number": (_set(("reasons", 0), 1), "TypeError: expected a string, got int"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_one_bad_item_anywhere_makes_the_state_unreadable_with_the_same_message(case: str) -> None:
    change, problem = CASES[case]
    data = copy.deepcopy(document())
    change(data)
    with pytest.raises(StateUnreadable) as caught:
        parse_state(gzip.compress(json.dumps(data).encode(), mtime=0), "at site/state")
    assert str(caught.value).startswith(f"the build state at site/state is corrupt ({problem}")
    assert "\n" not in str(caught.value)


def test_the_position_past_the_table_is_named_as_an_item_by_item_check_names_it() -> None:
    data = document()
    _drop_last_commit(data)
    with pytest.raises(StateUnreadable, match=rf"no commit at position {len(data['meta'])}\)"):
        parse_state(gzip.compress(json.dumps(data).encode(), mtime=0))


def test_a_state_in_utf_16_is_still_read() -> None:
    """The JSON is decoded before it is parsed (so that its bytes can go first), with the encoding
    json.loads would detect."""
    repos, commits, published = sample()
    old = dump_state_v1(repos, commits, published)
    utf16 = json.dumps(json.loads(old)).encode("utf-16")
    assert parse_state(utf16).commits == parse_state(old).commits == commits


def test_the_json_written_for_a_fixed_input_is_what_the_item_by_item_writer_wrote() -> None:
    """The digests of the JSON (not of the gzip bytes, whose deflate settings changed since) that the
    writer this one replaced made for this input: a full build's state, and a `--repo` build's that
    carries the unnamed repositories over (one of them with two reasons)."""
    repos, commits, published = sample()
    full = dump_state(repos, commits, published, generation=3, digest="ab" * 32)
    assert hashlib.sha256(gzip.decompress(full)).hexdigest() == (
        "91ac6e6676d9937bf4b991528de63fa9e95d6b3424d472a8c0848493817b740b"
    )
    state = parse_state(full)
    again = dump_state([repos[0]], state.commits, state.published, generation=4, carry=state)
    assert hashlib.sha256(gzip.decompress(again)).hexdigest() == (
        "117b668efd8c96c9420533d0107b467710344718d5c422b938f716305887dbf7"
    )
