"""The `build` command: scan → build → render → write, and the numbers for its summary line."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .build import BuildOptions, build_index
from .github.auth import Token, discover_token
from .github.http import ApiUsage
from .github.rest import RestScanner
from .github.scanner import NoProgress, Progress, Scanner
from .metadata import parse_metadata
from .models import Index, MetadataResult, TagRef
from .render import render_json, render_site, report_data
from .settings import Settings
from .state import BuildState, dump_state, parse_state
from .versions import parse_tag_version
from .write import STATE_FILE, write_file, write_site

log = logging.getLogger("indexgen")


@dataclass(frozen=True)
class BuildOutcome:
    index: Index
    usage: ApiUsage
    output: Path


def read_previous_state(output: Path) -> BuildState:
    """The state a previous build left in the output directory; none when absent or unreadable."""
    try:
        return parse_state((output / STATE_FILE).read_bytes())
    except OSError:
        return BuildState()


def make_scanner(settings: Settings, token: Token | None) -> Scanner:
    return RestScanner(settings.api_url, token, max_wait=settings.max_wait, backoff=settings.retry_backoff)


def published_versions(index: Index) -> dict[str, dict[str, str]]:
    return {p.name: {r.version: r.commit for r in p.releases} for p in index.projects}


def run_build(
    settings: Settings, environ: Mapping[str, str] | None = None, progress: Progress | None = None
) -> BuildOutcome:
    env = os.environ if environ is None else environ
    token = discover_token(settings.api_url, env)
    if token is None:
        log.warning(
            "no GitHub token (GITHUB_TOKEN, GH_TOKEN or `gh auth token`): scanning public repositories "
            "only, anonymously, within 60 requests per hour"
        )
    previous = read_previous_state(settings.output)
    known: Mapping[str, MetadataResult] = previous.commits
    scanner = make_scanner(settings, token)

    def need_files(tag: TagRef) -> bool:
        return tag.commit not in known and not isinstance(parse_tag_version(tag.name, settings.tag_pattern), str)

    scan = scanner.scan_owners(settings.owners, need_files, progress or NoProgress())
    metadata = {**known, **{sha: parse_metadata(files) for sha, files in scan.files.items()}}
    options = BuildOptions(
        tag_pattern=settings.tag_pattern, include_forks=settings.include_forks, link_style=settings.link_style
    )
    index = build_index(scan.repos, metadata, options)

    for skip in index.skipped:
        log.info("skipped %s%s: %s", skip.repository, f"@{skip.tag}" if skip.tag else "", skip.reason)
    for warning in index.warnings:
        log.warning("%s", warning)

    files = render_site(index, settings.site_url)
    files[STATE_FILE] = dump_state(scan.repos, metadata, published_versions(index))
    write_site(settings.output, files)
    if settings.report:
        write_file(settings.report, render_json(report_data(index)))
    return BuildOutcome(index, scanner.usage, settings.output)
