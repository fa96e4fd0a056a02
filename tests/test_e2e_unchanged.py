"""End to end: a rebuild that finds nothing new reuses the previous build's state and, when the output
directory still holds its pages, leaves the site exactly as it is; anything else is a full build.
The real CLI against the fake GitHub."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexgen.state import parse_state
from tests.e2e.cli import CliRun, snapshot
from tests.fakegithub import FakeTag, fake_sha
from tests.test_e2e_state import ORG, STATE, Org, small_org

pytestmark = pytest.mark.e2e

KEPT = "; nothing changed: kept "
SITE_URL = "--site-url=https://acme.github.io/index/"


@pytest.fixture
def org(tmp_path: Path) -> Iterator[Org]:
    with small_org(tmp_path, ("website",)) as made:
        yield made


def files_on_disk(site: Path) -> dict[Path, tuple[int, int]]:
    """Every path under `site` with its inode and modification time: a write or a link changes them."""
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in [site, *site.rglob("*")]}


def build(org: Org, *args: str, output: Path | None = None) -> CliRun:
    return org.build("--org", ORG, SITE_URL, *args, output=output)


@pytest.mark.parametrize("scanner", ["graphql", "rest"])
def test_a_rebuild_with_nothing_new_keeps_the_site_and_writes_the_same_report(org: Org, scanner: str) -> None:
    report = org.root / "report.json"
    first = org.build("--org", ORG, SITE_URL, "--report", str(report), scanner=scanner)
    assert KEPT not in first.stdout
    first_report = report.read_bytes()
    report.unlink()
    warm_cost = None
    on_disk = files_on_disk(org.site)
    for _ in range(2):
        again = org.build("--org", ORG, SITE_URL, "--report", str(report), scanner=scanner)
        assert again.stdout.rstrip().endswith(f"{KEPT}{org.site}"), again.stdout
        assert files_on_disk(org.site) == on_disk  # not one file written, linked or replaced
        assert report.read_bytes() == first_report
        assert warm_cost in (None, org.cost)  # what a warm build costs: the listing, no file read
        warm_cost = org.cost


def test_a_damaged_site_is_written_again_from_the_same_state(org: Org) -> None:
    build(org)
    pages = snapshot(org.site)
    (org.site / "simple" / "index.html").write_text("defaced")
    (org.site / "p" / "stray.html").write_text("not ours")
    again = build(org)
    assert KEPT not in again.stdout
    assert snapshot(org.site) == pages  # the state's bytes too: reused, not dumped again


def test_an_output_holding_only_the_state_gets_the_whole_site(org: Org) -> None:
    """The publishing workflow's case: the state comes back from the Actions cache, into an empty
    output directory. The pages are made again; the state is the previous one, byte for byte."""
    build(org)
    pages = snapshot(org.site)
    fresh = org.root / "fresh"
    fresh.mkdir()
    shutil.copy2(org.site / STATE, fresh / STATE)
    again = build(org, output=fresh)
    assert KEPT not in again.stdout
    assert snapshot(fresh) == pages


def test_a_state_from_previous_that_the_output_lacks_is_written(org: Org) -> None:
    """The newest state is at --previous; the output holds an older site: both are written anew."""
    build(org)
    older = org.root / "older"
    shutil.copytree(org.site, older)
    repo = org.gh.get_repo(ORG, "pkg-0001")
    assert repo is not None
    commit = fake_sha(ORG, "pkg-0001", "new")
    repo.files[commit] = {"pyproject.toml": b'[project]\nname = "pkg-0001"\ndynamic = ["version"]\n'}
    repo.tags.append(FakeTag("v7.0.0", commit))
    build(org)  # the newest site and state, with 7.0.0
    again = build(org, "--previous", str(org.site), output=older)
    assert KEPT not in again.stdout
    assert snapshot(older) == snapshot(org.site)


def test_any_change_of_input_makes_a_full_build(org: Org) -> None:
    build(org)
    # Another site URL: the same index, other pages.
    moved = org.build("--org", ORG, "--site-url=https://elsewhere.example/index/")
    assert KEPT not in moved.stdout
    assert "https://elsewhere.example/index/simple/" in (org.site / "index.html").read_text()
    assert KEPT in org.build("--org", ORG, "--site-url=https://elsewhere.example/index/").stdout
    # A new tag: a new release.
    repo = org.gh.get_repo(ORG, "pkg-0002")
    assert repo is not None
    commit = fake_sha(ORG, "pkg-0002", "new")
    repo.files[commit] = {"pyproject.toml": b'[project]\nname = "pkg-0002"\ndynamic = ["version"]\n'}
    repo.tags.append(FakeTag("v8.0.0", commit))
    tagged = build(org)
    assert KEPT not in tagged.stdout
    assert "pkg-0002-8.0.0" in (org.site / "simple" / "pkg-0002" / "index.html").read_text()
    # A description edited on GitHub: the listing changed, the home page with it.
    repo.description = "Now with a description"
    described = build(org)
    assert KEPT not in described.stdout
    assert KEPT in build(org).stdout


def test_a_repo_build_stores_no_inputs_so_the_next_full_build_is_complete(org: Org) -> None:
    build(org)
    assert parse_state((org.site / STATE).read_bytes()).inputs
    rescan = build(org, "--repo", f"{ORG}/pkg-0000")
    assert KEPT not in rescan.stdout
    assert parse_state((org.site / STATE).read_bytes()).inputs == ""
    full = build(org)
    assert KEPT not in full.stdout
    assert KEPT in build(org).stdout


def test_a_kept_site_still_gives_the_actions_outputs(org: Org, tmp_path: Path) -> None:
    build(org)
    outputs = tmp_path / "outputs"
    summary = tmp_path / "summary.md"
    again = org.build(
        "--org",
        ORG,
        SITE_URL,
        "--report",
        str(tmp_path / "report.json"),
        env={"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert KEPT in again.stdout
    pattern = re.compile(r"^(\w+)<<(\S+)\n(.*?)\n\2$", re.M | re.S)
    found = {name: value for name, _delimiter, value in pattern.findall(outputs.read_text())}
    assert found["changed"] == "false" and found["releases"] == "6" and found["projects"] == "3", found
    assert "Nothing changed since the previous build" in summary.read_text()
    assert len(json.loads((tmp_path / "report.json").read_text())["projects"]) == 3


SKIPPED = "; nothing changed: wrote nothing to "


def test_skip_unchanged_makes_no_pages_for_an_output_holding_only_the_state(org: Org, tmp_path: Path) -> None:
    """The publishing workflow's hourly run: the state restored into a fresh output directory, nothing
    new. With --skip-unchanged no page is made, and the outputs still say `changed=false`; once
    something changes, the whole site is written, as without the flag."""
    report = tmp_path / "report.json"
    build(org, "--report", str(report))
    first_report = report.read_bytes()
    fresh = org.root / "fresh"
    fresh.mkdir()
    shutil.copy2(org.site / STATE, fresh / STATE)
    on_disk = files_on_disk(fresh)
    outputs = tmp_path / "outputs"
    again = org.build(
        "--org",
        ORG,
        SITE_URL,
        "--skip-unchanged",
        "--report",
        str(report),
        output=fresh,
        env={
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(outputs),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "s"),
        },
    )
    assert again.stdout.rstrip().endswith(f"{SKIPPED}{fresh} (--skip-unchanged)"), again.stdout
    assert files_on_disk(fresh) == on_disk  # the state alone, not rewritten
    assert json.loads(report.read_bytes())["projects"] == json.loads(first_report)["projects"]
    assert re.search(r"^changed<<(\S+)\nfalse\n\1$", outputs.read_text(), re.M), outputs.read_text()

    # An output directory that holds the pages keeps them, as without the flag.
    kept = build(org, "--skip-unchanged")
    assert kept.stdout.rstrip().endswith(f"{KEPT}{org.site}"), kept.stdout

    # Something new: the whole site, the same bytes as a build without the flag.
    repo = org.gh.get_repo(ORG, "pkg-0001")
    assert repo is not None
    commit = fake_sha(ORG, "pkg-0001", "new")
    repo.files[commit] = {"pyproject.toml": b'[project]\nname = "pkg-0001"\ndynamic = ["version"]\n'}
    repo.tags.append(FakeTag("v7.0.0", commit))
    tagged = build(org, "--skip-unchanged", output=fresh)
    assert SKIPPED not in tagged.stdout and KEPT not in tagged.stdout
    build(org)
    assert snapshot(fresh) == snapshot(org.site)
