"""`indexgen check`: what a build would publish and change, without writing anything.

It runs the pipeline `build` runs (`commands.plan_build`, scan → build → guards) as a dry run and
prints, against the previous build's state, the versions and projects added and removed, the commits
changed, the newly skipped tags with their reasons, name conflicts, PyPI twins and the shrink guard's
verdict. The exit code is the one the build would have: 0, or the refusing guard's (3, 4, 1).

"Newly skipped" is decided from what the previous state holds (it keeps no list of skips): a tag skipped
now is new when the previous build published its commit, or when the previous state lists its repository
but not the tag (a tag pushed since); a whole repository skipped now is new when the previous state lists
it. With no previous build every skip is new. Tags of repositories the previous state does not list
(those where no tag ever held a project) are never "newly" skipped: the full list is under `skipped`.

Everything here but `run_check` is pure.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .changes import Changes
from .commands import BuildPlan, plan_build, published_versions
from .github.scanner import Progress
from .guard import Shrink, shrink_refused
from .models import Index, MovedTag, RepoSnapshot, Skip
from .settings import Settings
from .state import BuildState

CHECK_FORMAT = 1
# The reason build.py gives a tag that loses a contested project name.
_CONFLICT_PREFIX = "project name "


@dataclass(frozen=True)
class TagFate:
    """What one tag of a repository asked about with `--repo` becomes."""

    repository: str
    tag: str
    commit: str
    fate: str  # "published", "hidden" (below min_version) or "skipped"
    project: str = ""
    version: str = ""
    reason: str = ""

    def __str__(self) -> str:
        if self.fate == "published":
            return f"{self.tag}: published as {self.project} {self.version}"
        if self.fate == "hidden":
            return f"{self.tag}: {self.project} {self.version}, hidden below min_version.{self.project}"
        return f"{self.tag}: skipped: {self.reason}"


@dataclass(frozen=True)
class Twin:
    project: str
    pypi_version: str
    acknowledged: bool


@dataclass(frozen=True)
class CheckReport:
    """Everything `check` found: what `format_text` and `format_json` print."""

    projects: int
    releases: int
    changes: Changes
    previous_commits: Mapping[tuple[str, str], str]  # (project, version) → commit, for recommitted
    current_commits: Mapping[tuple[str, str], str]
    skipped: tuple[Skip, ...]
    newly_skipped: tuple[Skip, ...]
    conflicts: tuple[Skip, ...]
    twins: tuple[Twin, ...]
    moved: tuple[MovedTag, ...]
    shrink: Shrink
    shrink_refused: bool
    shrink_allowed: bool
    warnings: tuple[str, ...]
    exit_code: int = 0
    error: str = ""
    tags: tuple[TagFate, ...] = field(default=())


def newly_skipped(previous: BuildState, skipped: Iterable[Skip]) -> tuple[Skip, ...]:
    """The skips that the previous build did not have, as the module docstring defines them."""
    skips = tuple(skipped)
    if previous.empty:
        return skips
    repos = {name.lower(): repo for name, repo in previous.repos.items()}
    published = {commit for versions in previous.published.values() for commit in versions.values()}
    new = []
    for skip in skips:
        repo = repos.get(skip.repository.lower())
        if skip.tag is None:
            if repo is not None:
                new.append(skip)
            continue
        if repo is None:
            continue
        commit = {t.name: t.commit for t in repo.tags}.get(skip.tag)
        if commit is None or commit in published:
            new.append(skip)
    return tuple(new)


def tag_fates(repos: Sequence[RepoSnapshot], index: Index, asked: Sequence[str]) -> tuple[TagFate, ...]:
    """Each tag of the repositories in `asked` and what it becomes, by repository then tag name."""
    wanted = {name.lower() for name in asked}
    releases = {(r.repository.lower(), r.tag): ("published", r) for p in index.projects for r in p.releases}
    releases.update({(r.repository.lower(), r.tag): ("hidden", r) for r in index.hidden})
    reasons = {(s.repository.lower(), s.tag): s.reason for s in index.skipped}
    fates = []
    for repo in sorted(repos, key=lambda r: r.full_name.lower()):
        key = repo.full_name.lower()
        if key not in wanted:
            continue
        if (key, None) in reasons:
            reason = reasons[(key, None)]
            fates += [TagFate(repo.full_name, t.name, t.commit, "skipped", reason=reason) for t in repo.tags]
            continue
        for tag in sorted(repo.tags, key=lambda t: t.name):
            found = releases.get((key, tag.name))
            if found is not None:
                fate, release = found
                fates.append(
                    TagFate(repo.full_name, tag.name, tag.commit, fate, release.project, release.version)
                )
            else:
                reason = reasons.get((key, tag.name), "no release and no reason recorded")
                fates.append(TagFate(repo.full_name, tag.name, tag.commit, "skipped", reason=reason))
    return tuple(fates)


def make_report(
    *,
    previous: BuildState,
    index: Index,
    changes: Changes,
    current: Mapping[str, Mapping[str, str]],
    shrink: Shrink,
    refused: bool,
    shrink_allowed: bool,
    public: Mapping[str, str],
    unacknowledged: Iterable[str],
    exit_code: int = 0,
    error: str = "",
    tags: tuple[TagFate, ...] = (),
) -> CheckReport:
    flagged = set(unacknowledged)
    return CheckReport(
        projects=len(index.projects),
        releases=index.release_count,
        changes=changes,
        previous_commits=_flatten(previous.published),
        current_commits=_flatten(current),
        skipped=index.skipped,
        newly_skipped=newly_skipped(previous, index.skipped),
        conflicts=tuple(s for s in index.skipped if s.reason.startswith(_CONFLICT_PREFIX)),
        twins=tuple(Twin(name, v, name not in flagged) for name, v in sorted(public.items())),
        moved=index.moved,
        shrink=shrink,
        shrink_refused=refused,
        shrink_allowed=shrink_allowed,
        warnings=index.warnings,
        exit_code=exit_code,
        error=error,
        tags=tags,
    )


def _flatten(published: Mapping[str, Mapping[str, str]]) -> dict[tuple[str, str], str]:
    return {(p, v): c for p, versions in published.items() for v, c in versions.items()}


def shrink_verdict(report: CheckReport) -> str:
    s = report.shrink
    lost = f"{len(s.lost_projects)} projects and {len(s.lost_releases)} of {s.previous_releases} releases"
    if report.shrink_refused:
        return f"refused: would drop {lost} (exit 3; --allow-shrink if intended)"
    if report.shrink_allowed and (s.lost_projects or s.lost_releases):
        return f"passed with --allow-shrink: drops {lost}"
    return f"passed: drops {lost}"


def _skip_line(skip: Skip) -> str:
    return f"  {skip.repository}{'@' + skip.tag if skip.tag is not None else ' (repository)'}: {skip.reason}"


def format_text(report: CheckReport) -> str:
    """The human report: one section per kind of finding, empty sections left out."""
    c = report.changes
    lines = [
        f"indexgen check: {report.projects} projects, {report.releases} releases, "
        f"{len(report.skipped)} skipped"
    ]
    if c.first_build:
        lines.append("no previous build to compare with: every release is new")
    changed = c.added or c.removed or c.recommitted or c.new_projects or c.gone_projects
    if not c.first_build and not changed:
        lines.append("no changes to the published versions" + ("" if c.pages_changed else " or pages"))
    sections: list[tuple[str, list[str]]] = [
        ("new projects", [f"  {n}" for n in c.new_projects]),
        ("projects gone", [f"  {n}" for n in c.gone_projects]),
        ("versions added", [f"  {p} {v}" for p, v in c.added]),
        ("versions removed", [f"  {p} {v}" for p, v in c.removed]),
        (
            "commits changed",
            [
                f"  {p} {v}: {report.previous_commits.get((p, v), '?')[:12]} -> "
                f"{report.current_commits.get((p, v), '?')[:12]}"
                for p, v in c.recommitted
            ],
        ),
        ("newly skipped", [_skip_line(s) for s in report.newly_skipped]),
        ("name conflicts", [_skip_line(s) for s in report.conflicts]),
        ("moved tags", [f"  {m}" for m in report.moved]),
        (
            "PyPI twins",
            [
                f"  {t.project} (PyPI has {t.pypi_version}): "
                + ("acknowledged" if t.acknowledged else "NOT acknowledged (exit 4; allow_public)")
                for t in report.twins
            ],
        ),
        ("warnings", [f"  {w}" for w in report.warnings]),
        ("tags", [f"  {f.repository} {f}" for f in report.tags]),
    ]
    for title, rows in sections:
        if rows:
            lines += [f"{title} ({len(rows)}):", *rows]
    lines.append(f"shrink guard: {shrink_verdict(report)}")
    if report.exit_code:
        lines.append(f"a build would fail (exit {report.exit_code}): {report.error}")
    else:
        lines.append("a build would succeed")
    return "\n".join(lines) + "\n"


def _skip_json(skip: Skip) -> dict[str, Any]:
    return {"repository": skip.repository, "tag": skip.tag, "reason": skip.reason}


def check_data(report: CheckReport) -> dict[str, Any]:
    """The `--format json` document. Its keys are a contract: add keys, never rename them."""
    c = report.changes
    s = report.shrink
    return {
        "format": CHECK_FORMAT,
        "ok": report.exit_code == 0,
        "exit_code": report.exit_code,
        "error": report.error or None,
        "projects": report.projects,
        "releases": report.releases,
        "first_build": c.first_build,
        "pages_changed": c.pages_changed,
        "new_projects": list(c.new_projects),
        "gone_projects": list(c.gone_projects),
        "added": [{"project": p, "version": v} for p, v in c.added],
        "removed": [{"project": p, "version": v} for p, v in c.removed],
        "commits_changed": [
            {
                "project": p,
                "version": v,
                "previous_commit": report.previous_commits.get((p, v)),
                "commit": report.current_commits.get((p, v)),
            }
            for p, v in c.recommitted
        ],
        "newly_skipped": [_skip_json(x) for x in report.newly_skipped],
        "skipped": [_skip_json(x) for x in report.skipped],
        "conflicts": [_skip_json(x) for x in report.conflicts],
        "moved_tags": [
            {
                "project": m.project,
                "version": m.version,
                "repository": m.repository,
                "tag": m.tag,
                "published_commit": m.published_commit,
                "new_commit": m.new_commit,
                "accepted": m.accepted,
            }
            for m in report.moved
        ],
        "pypi_twins": [
            {"project": t.project, "pypi_version": t.pypi_version, "acknowledged": t.acknowledged}
            for t in report.twins
        ],
        "shrink": {
            "verdict": "refused" if report.shrink_refused else "passed",
            "allowed": report.shrink_allowed,
            "lost_projects": list(s.lost_projects),
            "lost_releases": list(s.lost_releases),
            "previous_releases": s.previous_releases,
        },
        "warnings": list(report.warnings),
        "tags": [
            {
                "repository": f.repository,
                "tag": f.tag,
                "commit": f.commit,
                "fate": f.fate,
                "project": f.project or None,
                "version": f.version or None,
                "reason": f.reason or None,
            }
            for f in report.tags
        ],
    }


def format_json(report: CheckReport) -> str:
    return json.dumps(check_data(report), indent=2, sort_keys=True) + "\n"


def run_check(
    settings: Settings, environ: Mapping[str, str] | None = None, progress: Progress | None = None
) -> tuple[CheckReport, BuildPlan]:
    """The build's pipeline as a dry run, and its report. Writes nothing."""
    plan = plan_build(settings, environ, progress, dry_run=True)
    refusal = plan.refusal
    report = make_report(
        previous=plan.previous,
        index=plan.index,
        changes=plan.changes,
        current=published_versions(plan.index),
        shrink=plan.shrink,
        refused=not settings.allow_shrink and shrink_refused(plan.shrink),
        shrink_allowed=settings.allow_shrink,
        public=plan.public,
        unacknowledged=plan.unacknowledged,
        exit_code=refusal.exit_code if refusal is not None else 0,
        error=str(refusal) if refusal is not None else "",
        tags=tag_fates(plan.repos, plan.index, settings.repos),
    )
    return report, plan
