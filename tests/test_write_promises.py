"""The writer's promises (write.py, README "Exit codes"), each held through the real CLI: a directory
that is not a site is never replaced, top-level dotfiles survive a rebuild, and a build that cannot
write (a read-only parent, a full disk, a report that cannot be written) exits 1 with one `error:`
line, removes its staging directory and leaves the previous site byte for byte as it was.

Faults the machine cannot produce on demand (a full disk; a read-only directory when the tests run as
root, who may write anywhere) come from the test hook in tests/writefaults.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cli import snapshot
from tests.test_reliability import (
    KillScene,
    assert_clean_failure,
    build_with_write_fault,
    kill_scene,
    leftovers,
    site_state,
    small_world,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KillScene]:
    with kill_scene(tmp_path_factory.mktemp("writer"), small_world) as scene:
        yield scene


def test_a_directory_that_does_not_look_like_a_site_is_never_replaced(
    scene: KillScene, tmp_path: Path
) -> None:
    output = tmp_path / "docs"
    output.mkdir()
    (output / "notes.txt").write_text("my notes\n")
    (output / "sub").mkdir()
    (output / "sub" / "more.txt").write_text("more\n")
    before = snapshot(output)
    run = scene.indexgen.build(output)
    error = assert_clean_failure(run, 1)
    assert "does not look like an indexgen site" in error and str(output) in error, error
    assert snapshot(output) == before
    assert leftovers(output) == []


def test_top_level_dotfiles_survive_a_rebuild(scene: KillScene) -> None:
    site = scene.fresh_site("dotfiles")
    (site / ".gitignore").write_bytes(b"*\n!.gitignore\n")
    (site / ".nojekyll").write_bytes(b"")
    (site / "simple" / ".deep-dotfile").write_bytes(b"not kept: only the top level is\n")
    run = scene.indexgen.build(site)
    assert run.returncode == 0, run.describe()
    after = snapshot(site)
    assert after.pop(".gitignore") == b"*\n!.gitignore\n"
    assert after.pop(".nojekyll") == b""
    assert after == scene.new
    assert leftovers(site) == []


def test_a_read_only_parent_fails_cleanly_and_changes_nothing(scene: KillScene) -> None:
    site = scene.fresh_site("read-only")
    parent = site.parent
    parent.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        # root may write into a read-only directory: the hook makes creating the staging directory
        # there fail as a read-only file system does.
        fault = {"readonly": str(parent)} if os.geteuid() == 0 else {}
        done = build_with_write_fault(scene.indexgen, site, fault, marker_dir=parent.parent)
    finally:
        parent.chmod(0o755)
    error = assert_clean_failure(done.run, 1)
    assert str(parent) in error and ("Read-only file system" in error or "Permission denied" in error), error
    assert site_state(scene, site) == "old"
    assert leftovers(site) == []


@pytest.mark.parametrize("nth", [1, 4])
def test_a_full_disk_while_writing_removes_the_staging_directory(scene: KillScene, nth: int) -> None:
    site = scene.fresh_site(f"full-disk-{nth}")
    report = site.parent / "report.json"
    done = build_with_write_fault(scene.indexgen, site, {"enospc_at": nth}, "--report", str(report))
    assert any(m.startswith("ENOSPC writing") for m in done.marks), done.marks
    error = assert_clean_failure(done.run, 1)
    assert "No space left on device" in error, error
    assert site_state(scene, site) == "old"
    assert leftovers(site) == [], "the staging directory must be removed"
    assert not report.exists()
    assert [p.name for p in site.parent.iterdir() if p.name.startswith(".report")] == []
    scene.assert_next_build_recovers(site)


@pytest.mark.parametrize("where", ["parent-is-a-file", "is-a-directory"])
def test_a_report_that_cannot_be_written_fails_before_the_site_changes(scene: KillScene, where: str) -> None:
    site = scene.fresh_site(f"report-{where}")
    if where == "parent-is-a-file":
        (site.parent / "blocker").write_text("a file where the report's directory should be\n")
        report = site.parent / "blocker" / "report.json"
    else:
        report = site.parent / "reports"
        report.mkdir()
    run = scene.indexgen.build(site, "--report", str(report))
    error = assert_clean_failure(run, 1)
    assert str(report) in error, error
    assert site_state(scene, site) == "old"
    assert leftovers(site) == []
    assert sorted(p.name for p in site.parent.iterdir()) == sorted(
        ["site", "blocker" if where == "parent-is-a-file" else "reports"]
    )


def test_a_failing_second_rename_puts_the_previous_site_back(scene: KillScene) -> None:
    """The two-rename fallback: when moving the new site in fails after the previous one was moved
    aside, the previous one is moved back and the build fails cleanly."""
    site = scene.fresh_site("second-rename-fails")
    done = build_with_write_fault(scene.indexgen, site, {"two_renames": True, "fail_rename": 2})
    assert any(m.startswith("EXDEV at rename #2") for m in done.marks), done.marks
    error = assert_clean_failure(done.run, 1)
    assert "Invalid cross-device link" in error, error
    assert site_state(scene, site) == "old"
    assert leftovers(site) == []


def test_the_published_site_is_world_readable(scene: KillScene) -> None:
    """The staging directory is created private (mkdtemp: 0700); the site must not stay so."""
    site = scene.fresh_site("mode")
    assert scene.indexgen.build(site).returncode == 0
    assert stat.S_IMODE(site.stat().st_mode) == 0o755
