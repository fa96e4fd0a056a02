"""unchanged.py: the digest of a build's inputs, the digest of the pages an output directory holds, and
the fingerprint of the code."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

import indexgen
from indexgen.build import build_index
from indexgen.changes import site_digest
from indexgen.models import ProjectMetadata, RepoSnapshot, TagRef
from indexgen.monorepo import KnownTree
from indexgen.render import render_site
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
