"""The pure part of `indexgen check`: newly skipped tags, each tag's fate, and both report formats."""

from __future__ import annotations

import json

import pytest

from indexgen.changes import Changes, compare_builds
from indexgen.check import (
    TagFate,
    check_data,
    format_json,
    format_text,
    make_report,
    newly_skipped,
    tag_fates,
)
from indexgen.guard import Shrink
from indexgen.models import Index, MovedTag, Project, Release, RepoSnapshot, Skip, TagRef
from indexgen.state import BuildState

A, B, C = "a" * 40, "b" * 40, "c" * 40


def repo(name: str, *tags: tuple[str, str]) -> RepoSnapshot:
    return RepoSnapshot(
        name,
        f"https://x/{name}.git",
        f"https://x/{name}",
        "2020-01-01T00:00:00Z",
        tags=tuple(TagRef(*t) for t in tags),
    )


PREVIOUS = BuildState(
    repos={"acme/alpha": repo("acme/alpha", ("v1.0", A), ("v2.0", B), ("junk", C))},
    commits={A: object(), B: object()},  # type: ignore[dict-item]
    published={"alpha": {"1.0": A, "2.0": B}},
)


@pytest.mark.parametrize(
    ("skip", "new"),
    [
        (Skip("acme/alpha", "v1.0", "excluded"), True),  # its commit was published
        (Skip("ACME/Alpha", "v2.0", "excluded"), True),  # repository names compare case-insensitively
        (Skip("acme/alpha", "junk", "not a version"), False),  # listed before, never published
        (Skip("acme/alpha", "v3.0", "not a version"), True),  # a tag the previous state did not list
        (Skip("acme/alpha", None, "matched by exclude"), True),  # a repository the state lists
        (Skip("acme/other", "v1.0", "no metadata"), False),  # a repository the state never listed
        (Skip("acme/other", None, "archived"), False),
    ],
)
def test_newly_skipped(skip: Skip, new: bool) -> None:
    assert newly_skipped(PREVIOUS, [skip]) == ((skip,) if new else ())


def test_without_a_previous_build_every_skip_is_new() -> None:
    skips = (Skip("acme/other", "junk", "not a version"), Skip("acme/x", None, "archived"))
    assert newly_skipped(BuildState(), skips) == skips


def release(version: str, tag: str, commit: str, repository: str = "acme/alpha") -> Release:
    return Release("alpha", version, tag, commit, repository, f"git+https://x@{commit}")


def project(*releases: Release) -> Project:
    return Project("alpha", "alpha", "acme/alpha", "https://x", "", releases)


INDEX = Index(
    projects=(project(release("2.0", "v2.0", B)),),
    skipped=(
        Skip("acme/alpha", "junk", "not a version"),
        Skip("acme/alpha", "v4.0", "not a version"),  # pushed since the previous build
        Skip("acme/beta", None, "matched by exclude"),
    ),
    hidden=(release("1.0", "v1.0", A),),
)


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        (
            ["acme/alpha"],
            [
                TagFate("acme/alpha", "junk", C, "skipped", reason="not a version"),
                TagFate("acme/alpha", "v1.0", A, "hidden", "alpha", "1.0"),
                TagFate("acme/alpha", "v2.0", B, "published", "alpha", "2.0"),
                TagFate("acme/alpha", "v3.0", C, "skipped", reason="no release and no reason recorded"),
            ],
        ),
        (["ACME/BETA"], [TagFate("acme/beta", "v1.0", A, "skipped", reason="matched by exclude")]),
        (["acme/nowhere"], []),
    ],
)
def test_tag_fates(asked: list[str], expected: list[TagFate]) -> None:
    repos = [
        repo("acme/alpha", ("v2.0", B), ("v1.0", A), ("junk", C), ("v3.0", C)),
        repo("acme/beta", ("v1.0", A)),
    ]
    assert list(tag_fates(repos, INDEX, asked)) == expected


@pytest.mark.parametrize(
    ("fate", "text"),
    [
        (TagFate("r", "v1", A, "published", "p", "1"), "v1: published as p 1"),
        (TagFate("r", "v1", A, "hidden", "p", "1"), "v1: p 1, hidden below min_version.p"),
        (TagFate("r", "v1", A, "skipped", reason="why"), "v1: skipped: why"),
    ],
)
def test_tag_fate_text(fate: TagFate, text: str) -> None:
    assert str(fate) == text


def report(**overrides: object):  # type: ignore[no-untyped-def]
    current = overrides.pop("current", {"alpha": {"2.0": C, "3.0": A}})
    changes = compare_builds(PREVIOUS.published, current)  # type: ignore[arg-type]
    values: dict[str, object] = {
        "previous": PREVIOUS,
        "index": INDEX,
        "changes": changes,
        "current": current,
        "shrink": Shrink((), ("alpha==1.0",), 2),
        "refused": False,
        "shrink_allowed": False,
        "public": {},
        "unacknowledged": (),
    }
    values.update(overrides)
    return make_report(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "present", "absent"),
    [
        (
            {},
            [
                "indexgen check: 1 projects, 1 releases, 3 skipped\n",
                "versions added (1):\n  alpha 3.0\n",
                "versions removed (1):\n  alpha 1.0\n",
                f"commits changed (1):\n  alpha 2.0: {B[:12]} -> {C[:12]}\n",
                "newly skipped (1):\n  acme/alpha@v4.0: not a version\n",
                "shrink guard: passed: drops 0 projects and 1 of 2 releases\n",
                "a build would succeed\n",
            ],
            ["no changes", "PyPI twins", "name conflicts", "a build would fail"],
        ),
        (
            {"current": PREVIOUS.published, "changes": Changes(pages_changed=False)},
            ["no changes to the published versions or pages\n"],
            ["versions added", "commits changed"],
        ),
        (
            {"current": PREVIOUS.published, "changes": Changes(pages_changed=True)},
            ["no changes to the published versions\n"],
            ["or pages"],
        ),
        (
            {"changes": Changes(added=(("alpha", "2.0"),), first_build=True)},
            ["no previous build to compare with: every release is new\n"],
            ["no changes"],
        ),
        (
            {"refused": True, "exit_code": 3, "error": "refusing to publish"},
            [
                "shrink guard: refused: would drop 0 projects and 1 of 2 releases (exit 3; --allow-shrink",
                "a build would fail (exit 3): refusing to publish\n",
            ],
            ["a build would succeed"],
        ),
        (
            {"shrink_allowed": True},
            ["shrink guard: passed with --allow-shrink: drops 0 projects and 1 of 2 releases\n"],
            [],
        ),
        (
            {
                "public": {"alpha": "9.0", "beta": "1.0"},
                "unacknowledged": ["beta"],
                "exit_code": 4,
                "error": "e",
            },
            [
                "PyPI twins (2):\n  alpha (PyPI has 9.0): acknowledged\n  beta (PyPI has 1.0): NOT acknowledged",
                "a build would fail (exit 4): e\n",
            ],
            [],
        ),
        (
            {
                "index": Index(
                    (), (Skip("acme/b", "v1", "project name 'alpha' belongs to acme/alpha, created first"),)
                )
            },
            ["name conflicts (1):\n  acme/b@v1: project name 'alpha' belongs to acme/alpha, created first\n"],
            [],
        ),
        (
            {"index": Index((), moved=(MovedTag("alpha", "1.0", "acme/alpha", "v1.0", A, B, False),))},
            ["moved tags (1):\n  tag v1.0 of acme/alpha (alpha 1.0) moved from"],
            [],
        ),
    ],
)
def test_format_text(overrides: dict[str, object], present: list[str], absent: list[str]) -> None:
    text = format_text(report(**overrides))
    for part in present:
        assert part in text, text
    for part in absent:
        assert part not in text, text


def test_json_keys_are_the_documented_contract_and_sorted() -> None:
    r = report(
        public={"beta": "1.0"},
        unacknowledged=["beta"],
        exit_code=4,
        error="twins",
        tags=(TagFate("acme/alpha", "v2.0", B, "published", "alpha", "2.0"),),
    )
    text = format_json(r)
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True) + "\n"
    assert set(data) == {
        "added", "commits_changed", "conflicts", "error", "exit_code", "first_build", "format", "gone_projects",
        "moved_tags", "new_projects", "newly_skipped", "ok", "pages_changed", "projects", "pypi_twins",
        "releases", "removed", "shrink", "skipped", "tags", "warnings",
    }  # fmt: skip
    assert data["ok"] is False and data["exit_code"] == 4 and data["error"] == "twins"
    assert data["added"] == [{"project": "alpha", "version": "3.0"}]
    assert data["commits_changed"] == [
        {"project": "alpha", "version": "2.0", "previous_commit": B, "commit": C}
    ]
    assert data["newly_skipped"] == [{"repository": "acme/alpha", "tag": "v4.0", "reason": "not a version"}]
    assert len(data["skipped"]) == 3
    assert data["pypi_twins"] == [{"project": "beta", "pypi_version": "1.0", "acknowledged": False}]
    assert data["shrink"]["verdict"] == "passed" and data["shrink"]["lost_releases"] == ["alpha==1.0"]
    assert data["tags"] == [
        {
            "repository": "acme/alpha",
            "tag": "v2.0",
            "commit": B,
            "fate": "published",
            "project": "alpha",
            "version": "2.0",
            "reason": None,
        }
    ]
    assert check_data(report())["ok"] is True
