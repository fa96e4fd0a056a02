"""unchanged.py: the digest of a build's inputs, the digest of the pages an output directory holds, and
the fingerprint of the code."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import indexgen
from indexgen import commands
from indexgen.build import build_index
from indexgen.changes import site_digest
from indexgen.models import (
    Index,
    MetadataProblem,
    MovedTag,
    Project,
    ProjectMetadata,
    Release,
    RepoSnapshot,
    Skip,
    SourceFiles,
    TagRef,
)
from indexgen.monorepo import KnownTree
from indexgen.render import render_site
from indexgen.settings import Settings
from indexgen.unchanged import inputs_digest, live_pages_digest, package_fingerprint
from indexgen.write import STATE_FILE, write_site

A, B = "a" * 40, "b" * 40
REPO = RepoSnapshot(
    "acme/utils",
    "https://github.com/acme/utils.git",
    "https://github.com/acme/utils",
    "2020-01-01T00:00:00Z",
    tags=(TagRef("v1.0.0", A, "2024-01-01T00:00:00Z"), TagRef("v2.0.0", B, "2024-02-01T00:00:00Z")),
)
METADATA = {A: ProjectMetadata("acme-utils", None, ">=3.8"), B: ProjectMetadata("acme-utils", None, ">=3.9")}
TREES = {"acme/utils": KnownTree("c" * 40, ("",))}


def digest(repo: RepoSnapshot = REPO, **changes: object) -> str:
    parts: dict[str, object] = {
        "index": build_index([repo], METADATA),
        "repos": [repo],
        "trees": TREES,
        "site_url": "https://acme.github.io/index/",
        "public": {},
        **changes,
    }
    return inputs_digest(**parts)  # type: ignore[arg-type]


def test_the_same_inputs_give_the_same_digest() -> None:
    assert digest() == digest(repo=dataclasses.replace(REPO)) and len(digest()) == 64


@pytest.mark.parametrize(
    "change",
    [
        {"site_url": "https://elsewhere.example/"},
        {"site_url": None},
        {"public": {"acme-utils": "3.0"}},
        {"trees": {}},
        {"trees": {"acme/utils": KnownTree("d" * 40, ("",))}},
        {"repo": dataclasses.replace(REPO, description="new words")},
        {"repo": dataclasses.replace(REPO, topics=("python",))},
        {"repo": dataclasses.replace(REPO, archived=True)},
        {"repo": dataclasses.replace(REPO, tags=REPO.tags[:1])},
        {"repo": dataclasses.replace(REPO, tags=(REPO.tags[0], TagRef("v2.0.0", B, "2024-03-01T00:00:00Z")))},
        {"index": build_index([REPO], {**METADATA, B: ProjectMetadata("acme-utils", None, ">=3.10")})},
    ],
    ids=lambda change: next(iter(change)),
)
def test_any_change_of_input_changes_the_digest(change: dict[str, object]) -> None:
    assert digest(**change) != digest()


# One record of every kind the digest covers, each tuple of records non-empty, so that the test below
# reaches every field of every record (a field added to a record later is reached too).
RELEASE = Release("acme-utils", "1.0", "v1.0", A, "acme/utils", "git+https://x@" + A, ">=3.8", "d", ("a>=1",))
FULL_INDEX = Index(
    projects=(
        Project("acme-utils", "Acme-Utils", "acme/utils", "https://h", "words", (RELEASE,), "s", ("t",)),
    ),
    skipped=(Skip("acme/utils", "v0", "why"),),
    warnings=("a warning",),
    moved=(MovedTag("acme-utils", "1.0", "acme/utils", "v1.0", A, B, False),),
    hidden=(dataclasses.replace(RELEASE, version="0.1", yanked="bad"),),
)
FULL_INPUTS: dict[str, Any] = {
    "index": FULL_INDEX,
    "repos": [dataclasses.replace(REPO, topics=("python",), tree_oid="c" * 40)],
    "trees": TREES,
    "site_url": "https://acme.github.io/index/",
    "public": {"acme-utils": "3.0"},
}


def _changed(value: object) -> object:
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        return value + "~"
    if value is None:
        return ""
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        return (*value, "more")
    raise AssertionError(f"no change known for {value!r}: extend this test")


def _one_field_changed(record: Any) -> Iterator[tuple[str, type, Any]]:
    """(field path, record class, `record` with that one field changed) for every field below it."""
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            for path, kind, first in _one_field_changed(value[0]):
                yield f"{f.name}.{path}", kind, dataclasses.replace(record, **{f.name: (first, *value[1:])})
        else:
            yield f.name, type(record), dataclasses.replace(record, **{f.name: _changed(value)})


def _every_change() -> Iterator[tuple[str, type, dict[str, Any]]]:
    for path, kind, index in _one_field_changed(FULL_INPUTS["index"]):
        yield f"index.{path}", kind, {"index": index}
    for path, kind, repo in _one_field_changed(FULL_INPUTS["repos"][0]):
        yield f"repo.{path}", kind, {"repos": [repo]}
    (name, tree), *_ = FULL_INPUTS["trees"].items()
    for path, kind, changed in _one_field_changed(tree):
        yield f"tree.{path}", kind, {"trees": {name: changed}}
    yield "tree name", KnownTree, {"trees": {name + "~": tree}}
    yield "site_url", str, {"site_url": None}
    yield "public", str, {"public": {"acme-utils": "3.1"}}


def test_a_change_of_any_field_of_any_record_changes_the_digest() -> None:
    before = inputs_digest(**FULL_INPUTS)
    seen: dict[str, str] = {}
    for path, _, change in _every_change():
        after = inputs_digest(**{**FULL_INPUTS, **change})
        assert after != before, path
        assert after not in seen.values(), (path, seen)  # no two changes give the same digest either
        seen[path] = after
    kinds = {kind for _, kind, _ in _every_change()}
    assert {Index, Project, Release, Skip, MovedTag, RepoSnapshot, TagRef, KnownTree} <= kinds
    assert len(seen) > 50


def _fresh(value: Any) -> Any:
    """`value` rebuilt from new objects: equal, sharing nothing with it."""
    if isinstance(value, str):
        return "".join(list(value))
    if isinstance(value, tuple):
        return tuple(_fresh(v) for v in value)
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    if isinstance(value, dict):
        return {_fresh(k): _fresh(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return type(value)(**{f.name: _fresh(getattr(value, f.name)) for f in dataclasses.fields(value)})
    return value


def test_equal_inputs_give_the_same_digest_whatever_objects_they_share() -> None:
    shared = {**FULL_INPUTS, "repos": FULL_INPUTS["repos"] * 2}
    copied = _fresh(shared)
    assert copied["repos"][0].full_name is not shared["repos"][0].full_name
    assert inputs_digest(**copied) == inputs_digest(**shared)


def test_the_digest_of_a_written_site_is_the_digest_of_its_pages(tmp_path: Path) -> None:
    pages = render_site(build_index([REPO], METADATA), "https://acme.github.io/index/")
    site = tmp_path / "site"
    site.mkdir()
    (site / ".gitignore").write_text("*\n")  # kept by every build, so not a page
    write_site(site, {**pages, STATE_FILE: b"the state"})
    expected = site_digest(pages)
    assert live_pages_digest(site, frozenset({STATE_FILE})) == expected

    (site / "p" / "acme-utils" / "index.html").write_bytes(pages["p/acme-utils/index.html"] + b" ")
    assert live_pages_digest(site, frozenset({STATE_FILE})) != expected
    (site / "p" / "acme-utils" / "index.html").write_bytes(pages["p/acme-utils/index.html"])
    assert live_pages_digest(site, frozenset({STATE_FILE})) == expected

    (site / "simple" / "extra.html").write_text("")
    assert live_pages_digest(site, frozenset({STATE_FILE})) != expected
    (site / "simple" / "extra.html").unlink()
    (site / ".git").mkdir()  # a build would not keep a directory, dot or not
    assert live_pages_digest(site, frozenset({STATE_FILE})) != expected
    (site / ".git").rmdir()
    assert live_pages_digest(site, frozenset({STATE_FILE})) == expected

    os.unlink(site / "robots.txt")
    os.symlink(tmp_path / "elsewhere", site / "robots.txt")
    (tmp_path / "elsewhere").write_bytes(pages["robots.txt"])
    assert live_pages_digest(site, frozenset({STATE_FILE})) is None  # a build writes no links

    assert live_pages_digest(tmp_path / "absent", frozenset()) is None


def test_any_change_to_the_code_changes_its_fingerprint(tmp_path: Path) -> None:
    copy = tmp_path / "indexgen"
    shutil.copytree(Path(indexgen.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = package_fingerprint(copy)
    assert package_fingerprint(copy) == before
    (copy / "__pycache__").mkdir(exist_ok=True)
    (copy / "__pycache__" / "x.pyc").write_bytes(b"compiled")  # not code: ignored
    assert package_fingerprint(copy) == before
    template = copy / "templates" / "releases.html"
    template.write_text(template.read_text() + " ")
    assert package_fingerprint(copy) != before


def test_a_rendered_site_hashes_and_writes_the_streamed_catalogue_as_its_bytes(tmp_path: Path) -> None:
    """The catalogue comes a project at a time and is hashed from the file it was written to (or, for
    a dry run, spooled to): the digest is the one of the pages' bytes either way, the written file
    holds those bytes, and a render over a site that holds them links the live file."""
    index = build_index([REPO], METADATA)
    site_url = "https://acme.github.io/index/"
    pages = render_site(index, site_url)
    settings = Settings(owners=(), output=tmp_path / "site", site_url=site_url)
    none, dry = commands._render(settings, index, {}, dry_run=True)
    assert none is None and dry == site_digest(pages)
    assert list(tmp_path.iterdir()) == []  # a dry run writes nothing, not even beside the output
    staged, digest = commands._render(settings, index, {}, dry_run=False)
    assert staged is not None and digest == dry
    staged.commit()
    catalogue = tmp_path / "site" / "packages.json"
    assert catalogue.read_bytes() == pages["packages.json"]
    inode = catalogue.stat().st_ino
    again, digest = commands._render(settings, index, {}, dry_run=False)
    assert again is not None and digest == dry
    again.commit()
    assert catalogue.stat().st_ino == inode  # the live file, linked rather than written again
    changed, digest = commands._render(settings, index, {"acme-utils": "9.0"}, dry_run=False)
    assert changed is not None and digest != dry
    changed.commit()
    assert catalogue.stat().st_ino != inode
    assert catalogue.read_bytes() == render_site(index, site_url, {"acme-utils": "9.0"})["packages.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_each_metadata_file_set_is_dropped_as_it_is_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold build reads hundreds of thousands of commits' files: `_parsed` holds each set only until it
    is parsed, and keeps the previous build's results first, then the new ones in the order read."""
    known = {"0" * 40: MetadataProblem("no pyproject.toml, setup.cfg or setup.py")}
    files = {
        "a" * 40: SourceFiles(pyproject_toml='[project]\nname = "one"\nversion = "1.0"\n'),
        f"{'b' * 40}:libs/two": SourceFiles(pyproject_toml='[project]\nname = "two"\nversion = "2.0"\n'),
        "c" * 40: SourceFiles(),
    }
    left: list[list[str]] = []
    parse = commands.parse_metadata

    def watched(found: SourceFiles, directory: str = "") -> Any:
        left.append(list(files))  # what is still held while this set is parsed
        assert found not in files.values()
        return parse(found, directory)

    monkeypatch.setattr(commands, "parse_metadata", watched)
    keys = list(files)
    metadata = commands._parsed(known, files)
    assert files == {} and left == [keys[1:], keys[2:], []]
    assert list(metadata) == ["0" * 40, *keys]
    assert [getattr(m, "name", None) for m in metadata.values()] == [None, "one", "two", None]
