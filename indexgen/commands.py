"""The `build` command: scan → build → render → write, and the numbers for its summary line."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .build import BuildOptions, build_index, with_skips
from .changes import Changes, SiteDigest, compare_builds
from .errors import ConfigError, IndexgenError
from .github.auth import Token, discover_token
from .github.bulk import GraphQLScanner
from .github.graphql import GraphQLClient
from .github.http import ApiUsage
from .github.scanner import NoProgress, Progress, Scanner, ScanResult
from .guard import Shrink, ShrinkRefused, find_shrink, shrink_refused
from .heap import without_cycle_collection
from .layouts import Discovery, build_layouts, project_dir
from .metadata import parse_metadata
from .models import Index, MetadataResult, ProjectMetadata, RepoSnapshot, SourceFiles, TagRef
from .monorepo import metadata_key
from .previous import fetch_previous_state
from .pypi import PublicNameCollision, PyPIUnreachable, fetch_public_versions
from .render import json_chunks, report_data, site_pages
from .rules import ProjectLayout, repository_exclusion
from .settings import Settings, config_report
from .state import BuildState, dump_state, parse_state
from .unchanged import inputs_digest, live_pages_digest
from .versions import parse_tag_version
from .write import LEGACY_STATE_FILE, STATE_FILE, StagedSite, recover_interrupted_swap, spooled, stage_file

log = logging.getLogger("indexgen")


@dataclass(frozen=True)
class BuildOutcome:
    index: Index
    usage: ApiUsage
    output: Path
    changes: Changes = field(default_factory=Changes)  # against the previous build's state
    public: Mapping[str, str] = field(default_factory=dict)  # acknowledged PyPI twins: name → version
    written: bool = True  # False when the output already held this very site, left as it was
    held: bool = True  # False when nothing changed and --skip-unchanged wrote no pages into the output


def read_previous_state(settings: Settings) -> BuildState:
    """The state of the previous build: the newest (highest generation) of the one in the output
    directory, where a build or the Actions cache left it, and the one at `--previous` (a directory or
    the deployed site's URL, which a CDN may serve stale). At each place the compact state is looked
    for first, then the format-1 file of older versions (read once, to migrate).

    Missing: a cold build. Present but corrupt, foreign or too large: StateUnreadable, an error."""
    locations = [str(settings.output)]
    if settings.previous:
        locations.append(settings.previous)
    newest: BuildState | None = None
    for location in locations:
        for name in (STATE_FILE, LEGACY_STATE_FILE):
            raw = fetch_previous_state(location, name)
            if raw is None:
                continue
            if newest is not None and raw == newest.raw:
                break  # the same state twice (the workflow's cache and its site): parsed once
            where = f"at {location.rstrip('/')}/{name}"
            state = parse_state(raw, where)
            if newest is None or state.generation > newest.generation:
                newest = state
            break
    if newest is not None:
        return newest
    if settings.previous:
        log.warning(
            "no previous build state at %s: reading every tag's metadata, and the shrink and moved-tag "
            "checks have nothing to compare with",
            settings.previous,
        )
    return BuildState()


def _parsed(known: Mapping[str, MetadataResult], files: dict[str, SourceFiles]) -> dict[str, MetadataResult]:
    """The previous build's metadata and that of the files this build read, in that order. Each file
    set is dropped from `files` as it is parsed: a cold build's hundreds of thousands of metadata
    files are not all held until the end of the build beside what they parse to."""
    metadata = dict(known)
    for key in list(files):
        metadata[key] = parse_metadata(files.pop(key), project_dir(key))
    return metadata


def make_scanner(settings: Settings, token: Token | None) -> Scanner:
    """GraphQL whenever there is a token (it needs one), REST for anonymous runs or when asked."""
    usage = ApiUsage()
    if token is not None and settings.scanner != "rest":
        client = GraphQLClient(
            settings.graphql_url, token, usage, max_wait=settings.max_wait, backoff=settings.retry_backoff
        )
        return GraphQLScanner(client)
    if settings.scanner == "graphql":
        log.warning("the GraphQL API needs a token: scanning with the REST API")
    from .github.rest import RestScanner  # PyGithub's client: only REST scans need it

    return RestScanner(
        settings.api_url,
        token,
        max_wait=settings.max_wait,
        backoff=settings.retry_backoff,
        usage=usage,
    )


def published_versions(index: Index) -> dict[str, dict[str, str]]:
    """Every release's commit, those hidden below a `min_version` included: they stay installable by
    URL, so their commits stay pinned."""
    published: dict[str, dict[str, str]] = {}
    for release in (*(r for p in index.projects for r in p.releases), *index.hidden):
        published.setdefault(release.project, {})[release.version] = release.commit
    return published


def _scan(settings: Settings, scanner: Scanner, previous: BuildState, progress: Progress) -> ScanResult:
    """Scan the owners, or with `--repo` just those repositories on top of the previous state."""
    known = previous.commits
    rules = settings.rules
    # A tag may be a release under any pattern in force: the scanners do not say which repository a
    # tag is of, so a tag matching another repository's pattern has its commit read once, then kept.
    patterns = sorted(rules.tag_patterns)

    def need_files(tag: TagRef) -> bool:
        return tag.commit not in known and any(
            not isinstance(parse_tag_version(tag.name, pattern), str) for pattern in patterns
        )

    def select(repo: RepoSnapshot) -> bool:
        # Excluded repositories cost no tag or file requests; build.py gives the reason.
        return repository_exclusion(repo, rules.repo_filter) is None

    # Projects below a repository's root: their metadata is known under `<sha>:<dir>` keys. (A
    # commit, which has no colon, is seen when it is a key or the commit of such a key.)
    below = {key.partition(":")[0] for key in known if ":" in key}
    discovery = Discovery(
        previous.trees,
        _configured_projects(settings),
        need=lambda tag, directory: metadata_key(tag.commit, directory) not in known,
        fresh=lambda tag: tag.commit not in known and tag.commit not in below,
        rooted=lambda tag: isinstance(known.get(tag.commit), ProjectMetadata),
    )
    if not settings.repos:
        earlier = {name.lower(): repo for name, repo in previous.repos.items()}
        return scanner.scan_owners(
            settings.owners, need_files, progress, select=select, discovery=discovery, known=earlier
        )
    if previous.empty:
        raise ConfigError(
            ("--repo rescans on top of a previous build: none found in --output or --previous",)
        )
    # The scanner may take a repository's older tags from the previous build; not where a moved tag
    # is accepted, since the move must be seen.
    accepting = {moved.partition("@")[0] for moved in settings.accept_moved}
    snapshots = {n.lower(): r for n, r in previous.repos.items() if n.lower() not in accepting}
    rescanned = scanner.scan_repos(
        settings.repos, need_files, progress, select=select, discovery=discovery, known=snapshots
    )
    fresh = {r.full_name.lower(): r for r in rescanned.repos}
    kept = [r for name, r in sorted(previous.repos.items()) if name.lower() not in fresh]
    trees = {**{n: t for n, t in previous.trees.items() if n.lower() not in fresh}, **rescanned.trees}
    return ScanResult((*kept, *rescanned.repos), rescanned.files, rescanned.skipped, trees)


def _configured_projects(settings: Settings) -> dict[str, tuple[ProjectLayout, ...]]:
    """`[[repos."o/r".projects]]`: lower-cased full name → the projects that replace discovery."""
    return {name: own.projects for name, own in settings.rules.repos.items() if own.projects}


@dataclass(frozen=True)
class BuildPlan:
    """What a build found before writing anything: `build` writes it, `check` prints it."""

    previous: BuildState
    repos: tuple[RepoSnapshot, ...]  # every repository scanned, with its tags
    index: Index
    usage: ApiUsage
    shrink: Shrink  # what the previous build published that this one lacks
    public: Mapping[str, str]  # every PyPI twin found, acknowledged or not: name → PyPI's version
    # The pages (the state excluded) written into a staging directory beside the output, ready to be
    # swapped in; None for a dry run, and when the output directory already holds exactly them.
    staged: StagedSite | None
    changes: Changes
    state: bytes  # the state this build would write
    unacknowledged: tuple[str, ...] = ()  # the twins not acknowledged with `allow_public`, sorted
    refusal: IndexgenError | None = None  # the first guard that refuses this build (a dry run's only)
    held: bool = True  # False when nothing changed and `skip_unchanged` left pages out of the output


@without_cycle_collection  # millions of long-lived acyclic records: see heap.py
def plan_build(
    settings: Settings,
    environ: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    *,
    dry_run: bool = False,
) -> BuildPlan:
    """The pipeline `build` and `check` share: scan → build → guards → pages, replacing nothing.

    A build (`dry_run=False`) first puts back a site an interrupted build left aside, raises at the
    first guard that refuses, and writes the pages into a staging directory as they are rendered
    (`run_build` swaps it in, or drops it). A dry run touches no file and records every verdict
    instead, so `check` can show all it found; only failures that leave nothing to show (API,
    config) raise."""
    env = os.environ if environ is None else environ
    token = discover_token(settings.api_url, env)
    if token is None:
        log.warning(
            "no GitHub token (GITHUB_TOKEN, GH_TOKEN or `gh auth token`): scanning public repositories "
            "only, anonymously, within 60 requests per hour"
        )
    if not dry_run:
        recover_interrupted_swap(settings.output)
    previous = read_previous_state(settings)
    scanner = make_scanner(settings, token)

    scan = _scan(settings, scanner, previous, progress or NoProgress())
    files = dict(scan.files)
    scan = dataclasses.replace(scan, files={})
    read_any = bool(files)
    metadata = _parsed(previous.commits, files)
    options = BuildOptions(
        tag_pattern=settings.tag_pattern,
        include_forks=settings.include_forks,
        link_style=settings.link_style,
        accept_moved=settings.accept_moved,
        rules=settings.rules,
        yanked=settings.yanked,
        names=settings.names,
        min_version=settings.min_version,
        layouts=build_layouts(scan.repos, scan.trees, _configured_projects(settings), metadata),
    )
    index = with_skips(build_index(scan.repos, metadata, options, previous.published), scan.skipped)
    _log_findings(index)

    refusal: IndexgenError | None = None
    shrink = find_shrink(previous.published, index)
    if not settings.allow_shrink and shrink_refused(shrink):
        refusal = ShrinkRefused(shrink)
        if not dry_run:
            raise refusal
    try:
        public = _public_names(settings, index)
    except PyPIUnreachable as exc:
        if not dry_run:
            raise
        public, refusal = {}, refusal or exc
    unacknowledged = {name: v for name, v in public.items() if name not in settings.allow_public}
    if unacknowledged:
        collision = PublicNameCollision(unacknowledged)
        if not dry_run:
            raise collision
        refusal = refusal or collision
    acknowledged = {name: v for name, v in public.items() if name not in unacknowledged}
    for name, version in sorted(acknowledged.items()):
        log.info("%s also exists on PyPI (%s): acknowledged with --allow-public", name, version)

    published = published_versions(index)
    inputs = (
        ""
        if settings.repos
        else inputs_digest(index, scan.repos, scan.trees, settings.site_url, acknowledged)
    )
    # Nothing new since the previous full build: its state's bytes are this build's, and so are its
    # pages, which need not be made again when the output directory still holds them (unchanged.py).
    same = bool(inputs) and not read_any and inputs == previous.inputs and previous.raw[:2] == b"\x1f\x8b"
    staged: StagedSite | None = None
    held = dry_run or (same and _holds_pages_of(settings.output, previous))
    if same and (held or settings.skip_unchanged):
        # With --skip-unchanged, an output directory without the pages stays without them: the
        # published site is this very one, which a workflow deploying on `changed` leaves in place.
        digest = previous.digest
    else:
        staged, digest = _render(settings, index, acknowledged, dry_run)
    try:
        changes = compare_builds(
            previous.published,
            published,
            previous_digest=previous.digest,
            current_digest=digest,
            first_build=previous.empty,
        )
        if same and digest == previous.digest:
            state = previous.raw
        else:
            # The generation moves only with the pages: an unchanged rebuild writes the same bytes.
            generation = previous.generation + (1 if changes.pages_changed else 0)
            # A `--repo` build carries over what it did not rescan (the unnamed repositories' commits).
            carry = previous if settings.repos else None
            state = dump_state(
                scan.repos,
                metadata,
                published,
                generation=generation,
                digest=digest,
                trees=scan.trees,
                carry=carry,
                inputs=inputs,
            )
    except BaseException:
        if staged is not None:
            staged.discard()
        raise
    return BuildPlan(
        previous,
        tuple(scan.repos),
        index,
        scanner.usage,
        shrink,
        public,
        staged,
        changes,
        state,
        tuple(sorted(unacknowledged)),
        refusal,
        held=held or staged is not None,
    )


@without_cycle_collection  # the report and the write walk the same records: see heap.py
def run_build(
    settings: Settings, environ: Mapping[str, str] | None = None, progress: Progress | None = None
) -> BuildOutcome:
    plan = plan_build(settings, environ, progress)
    # The report is written in full before the swap, so that a report that cannot be written leaves
    # the previous site untouched, and put in place only once the new site is.
    report = None
    try:
        if settings.report:
            data = report_data(plan.index, plan.public, config_report(settings))
            report = stage_file(settings.report, json_chunks(data))
        if plan.staged is not None:
            plan.staged.add(STATE_FILE, plan.state)
            plan.staged.commit()
    except BaseException:
        if report is not None:
            report.discard()
        if plan.staged is not None:
            plan.staged.discard()
        raise
    if report is not None:
        report.commit()
    return BuildOutcome(
        plan.index,
        plan.usage,
        settings.output,
        plan.changes,
        plan.public,
        written=plan.staged is not None,
        held=plan.held,
    )


def _render(
    settings: Settings, index: Index, public: Mapping[str, str], dry_run: bool
) -> tuple[StagedSite | None, str]:
    """The pages rendered one at a time, each hashed into the site's digest and (but for a dry run)
    written into a staging directory beside the output: the site is never whole in memory."""
    digest = SiteDigest()
    staged = None if dry_run else StagedSite(settings.output)
    try:
        for path, data in site_pages(index, settings.site_url, public):
            if isinstance(data, bytes):
                digest.add(path, data)
                if staged is not None:
                    staged.add(path, data)
                continue
            # Made a piece at a time (the catalogue): written as it comes, then hashed from the file
            # (its digest entry starts with its size), so that it is never whole in memory.
            with _written(staged, path, data) as file:
                digest.add_file(path, file)
    except BaseException:
        if staged is not None:
            staged.discard()
        raise
    return staged, digest.hexdigest()


@contextlib.contextmanager
def _written(staged: StagedSite | None, path: str, pieces: Iterable[bytes]) -> Iterator[BinaryIO]:
    """The pieces' bytes as a file open at its start: the staged file, or for a dry run an anonymous
    temporary one."""
    if staged is not None:
        with open(staged.add_streamed(path, pieces), "rb") as file:
            yield file
        return
    with spooled(pieces) as spool:
        yield spool


def _holds_pages_of(output: Path, previous: BuildState) -> bool:
    """True when `output` holds the previous build's site as it wrote it: its state (those very
    bytes) and pages whose digest is the one that state records."""
    try:
        state = (output / STATE_FILE).read_bytes()
    except OSError:
        return False
    if state != previous.raw or not previous.digest:
        return False
    return live_pages_digest(output.resolve(), frozenset({STATE_FILE})) == previous.digest


def _log_findings(index: Index) -> None:
    for skip in index.skipped:
        log.info("skipped %s%s: %s", skip.repository, f"@{skip.tag}" if skip.tag else "", skip.reason)
    for warning in index.warnings:
        log.warning("%s", warning)
    for moved in index.moved:
        log.warning("%s", moved)


def _public_names(settings: Settings, index: Index) -> dict[str, str]:
    """The private names PyPI also has, with PyPI's highest version (none without the check)."""
    if not settings.pypi_check:
        return {}
    return fetch_public_versions([p.name for p in index.projects], settings.pypi_url)
