"""The command line. The only module that prints.

Exit codes: 0 success; 1 an expected failure (one `error: …` line); 2 a usage error.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__, actions
from .bridge.command import add_bridge_parser, banner, bridge_settings, open_bridge
from .check import format_json, format_text, run_check
from .commands import BuildOutcome, run_build
from .errors import IndexgenError, redact
from .init import render_init_files, write_init_files
from .progress import StreamProgress
from .pypi import DEFAULT_PYPI_URL
from .serve import DEFAULT_HOST, DEFAULT_PORT, is_loopback, make_server, server_url
from .settings import Settings, settings_from
from .versions import DEFAULT_TAG_PATTERN


class _Formatter(logging.Formatter):
    def __init__(self, in_actions: bool = False) -> None:
        super().__init__()
        self.in_actions = in_actions

    def format(self, record: logging.LogRecord) -> str:
        message = redact(record.getMessage())
        if self.in_actions:  # warnings show on the run's page; no log line can start a command
            if record.levelno >= logging.WARNING:
                kind = "error" if record.levelno >= logging.ERROR else "warning"
                return actions.workflow_command(kind, message)
            return actions.escape_data(message)
        if record.levelno >= logging.ERROR:
            return f"error: {message}"
        if record.levelno >= logging.WARNING:
            return f"warning: {message}"
        return message


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="indexgen",
        description="Serve an organisation's private Python packages from GitHub as a static PEP 503 index.",
    )
    parser.add_argument("--version", action="version", version=f"indexgen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    build = commands.add_parser(
        "build",
        help="scan GitHub and write the index",
        description=(
            "Scan the repositories of GitHub organisations and users, turn their release tags into "
            "versions and write a static PEP 503 index of commit-pinned git links. The token comes from "
            "GITHUB_TOKEN, else GH_TOKEN, else `gh auth token`; without one only public repositories "
            "are scanned."
        ),
    )
    build.add_argument(
        "--config",
        metavar="FILE",
        help="the configuration file (default: $INDEXGEN_CONFIG, else indexgen.toml in the working "
        "directory, else [tool.indexgen] in its pyproject.toml)",
    )
    scope = build.add_argument_group("what to scan")
    scope.add_argument("--org", action="append", metavar="ORG", help="an organisation to scan (repeatable)")
    scope.add_argument("--user", action="append", metavar="USER", help="a user account to scan (repeatable)")
    scope.add_argument(
        "--repo",
        action="append",
        metavar="OWNER/NAME",
        help="rescan just this repository on top of the previous build's state (repeatable)",
    )
    scope.add_argument(
        "--include-forks",
        action="store_true",
        default=None,
        help="publish releases of forked repositories too (config: forks = true)",
    )
    scope.add_argument(
        "--tag-pattern",
        default=None,
        metavar="REGEX",
        help="regular expression a release tag must match, with a (?P<version>…) group "
        f"(default: the config file's tag_pattern, else {DEFAULT_TAG_PATTERN})",
    )
    out = build.add_argument_group("output")
    out.add_argument(
        "--output", "-o", default="site", metavar="DIR", help="the site directory (default: site)"
    )
    out.add_argument("--report", metavar="FILE", help="also write a JSON report of releases and skipped tags")
    out.add_argument(
        "--previous",
        metavar="URL|DIR",
        help="where the previous build's site is (the deployed Pages URL in a workflow): its state saves "
        "reading metadata again when --output holds no previous build",
    )
    out.add_argument(
        "--site-url", metavar="URL", help="where the site is published, for the install commands it shows"
    )
    out.add_argument(
        "--skip-unchanged",
        action="store_true",
        help="when nothing changed since the previous build, write no pages into --output, which may then "
        "hold only the state: for a workflow that deploys only when the pages changed (the `changed` "
        "output), never for one that always publishes --output",
    )
    out.add_argument(
        "--link-style",
        choices=("https", "ssh"),
        default=None,
        help="clone URLs in the links: https (default; SSH users can rewrite with insteadOf) or ssh",
    )
    api = build.add_argument_group("GitHub API")
    api.add_argument(
        "--api-url",
        metavar="URL",
        help="REST API base URL (default: $GITHUB_API_URL, else https://api.github.com); GraphQL is "
        "$GITHUB_GRAPHQL_URL or derived from it, so GitHub Enterprise Server works unchanged",
    )
    api.add_argument(
        "--max-wait",
        type=float,
        default=15.0,
        metavar="MINUTES",
        help="wait at most this long for a rate limit to reset before failing (default: 15)",
    )
    api.add_argument(
        "--scanner",
        choices=("auto", "graphql", "rest"),
        default="auto",
        help="auto (default): the GraphQL bulk scanner when there is a token, else REST",
    )
    safety = build.add_argument_group("safety")
    safety.add_argument(
        "--allow-shrink",
        action="store_true",
        help="publish even when projects, or more than 10%% of the releases, would vanish "
        "(default: refuse, exit 3)",
    )
    safety.add_argument(
        "--accept-moved-tag",
        action="append",
        metavar="OWNER/REPO@TAG",
        help="publish the new commit of a moved release tag (default: keep the published commit; repeatable)",
    )
    safety.add_argument(
        "--pypi-url",
        metavar="URL",
        help="where to check private names for public twins "
        f"(default: $INDEXGEN_PYPI_URL, else {DEFAULT_PYPI_URL})",
    )
    safety.add_argument(
        "--allow-public",
        action="append",
        metavar="NAME",
        help="acknowledge that this private project's name also exists on PyPI (repeatable)",
    )
    safety.add_argument(
        "--no-pypi-check",
        action="store_true",
        help="skip the dependency-confusion check against PyPI",
    )
    build.add_argument("-v", "--verbose", action="count", default=0, help="log every skipped tag and why")
    # `check` takes every flag of `build` (its own -h replaces the copied one) and writes nothing.
    check = commands.add_parser(
        "check",
        parents=[build],
        conflict_handler="resolve",
        help="show what a build would publish and change, writing nothing",
        description="Run the scan and every check of `build` without writing anything, and print what "
        "would change against the previous build (--output or --previous): versions and projects added "
        "and removed, commits changed, newly skipped tags and why, name conflicts, PyPI twins and the "
        "shrink guard's verdict. Exits with the code the build would have. With --repo, also every tag "
        "of that repository and what it becomes.",
    )
    check.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or json, on stdout"
    )
    init = commands.add_parser(
        "init",
        help="write the files of an index repository",
        description="Write the publish workflow and README of an organisation's index repository into "
        "DIR. Existing files are never overwritten.",
    )
    init.add_argument("directory", nargs="?", default=".", metavar="DIR", help="default: the current one")
    init.add_argument(
        "--owner",
        action="append",
        metavar="OWNER",
        help="organisation to scan, user:LOGIN for a user (repeatable; default: the index "
        "repository's owner)",
    )
    add_bridge_parser(commands)
    _add_serve_parser(commands)
    return parser


def _init(args: argparse.Namespace) -> int:
    try:
        written = write_init_files(Path(args.directory), render_init_files(args.owner or ()))
    except (IndexgenError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


def _add_serve_parser(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="preview a built site on this machine",
        description="Serve a built site the way GitHub Pages does, on loopback unless --host says otherwise.",
    )
    serve.add_argument("directory", nargs="?", default="site", metavar="DIR", help="the site (default: site)")
    serve.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        metavar="N",
        help="port (default: %(default)s; 0: any free one)",
    )
    serve.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="address to listen on (default: %(default)s); anything else exposes the site to the network",
    )
    serve.add_argument("-v", "--verbose", action="count", default=0, help="log every request")


def run_serve_command(args: argparse.Namespace) -> int:
    server = None
    # Ctrl-C stops it cleanly from the moment the server exists, also while the banner is printed.
    try:
        server = make_server(Path(args.directory), args.host, args.port)
        url = server_url(server)
        if not is_loopback(args.host):
            print(f"warning: listening on {args.host}: other machines can reach this site", file=sys.stderr)
        print(f"Serving {args.directory} at {url} (Ctrl-C to stop)", flush=True)
        print(f"  pip install --extra-index-url {url}simple/ PACKAGE", flush=True)
        server.serve_forever()
    except IndexgenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        if server is not None:
            server.server_close()
    return 0


def _configure_logging(verbose: int, in_actions: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(in_actions))
    logger = logging.getLogger("indexgen")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    # PyGithub's own log lines are silenced where it is imported (github/rest.py), for REST scans only.


def summary(outcome: BuildOutcome) -> str:
    index = outcome.index
    skipped_tags = sum(1 for s in index.skipped if s.tag is not None)
    skipped_repos = len(index.skipped) - skipped_tags
    return (
        f"indexgen: {len(index.projects)} projects, {index.release_count} releases, "
        f"{skipped_tags} skipped tags, {skipped_repos} skipped repositories; "
        f"{outcome.usage.summary()}; {_what_was_written(outcome)}"
    )


def _what_was_written(outcome: BuildOutcome) -> str:
    if outcome.written:
        return f"wrote {outcome.output}"
    if outcome.held:
        return f"nothing changed: kept {outcome.output}"
    return f"nothing changed: wrote nothing to {outcome.output} (--skip-unchanged)"


def _failed(exc: IndexgenError, in_actions: bool) -> int:
    """Print a failed build's or check's one error line (a workflow command in Actions): its exit code."""
    line = actions.report_failure(os.environ, str(exc)) if in_actions else f"error: {redact(str(exc))}"
    print(line, file=sys.stderr)
    return exc.exit_code


def _check(settings: Settings, output_format: str, progress: StreamProgress, in_actions: bool) -> int:
    try:
        report, plan = run_check(settings, progress=progress)
    except IndexgenError as exc:
        return _failed(exc, in_actions)
    except KeyboardInterrupt:
        print("error: interrupted; nothing was written", file=sys.stderr)
        return 130
    print(redact(format_json(report) if output_format == "json" else format_text(report)), end="")
    if report.exit_code:
        line = f"error: {redact(report.error)}"
        if in_actions:
            line = actions.report_failure(os.environ, report.error)
        print(line, file=sys.stderr)
    elif in_actions:
        summary = actions.render_summary(plan.index, plan.changes, plan.public, plan.usage.summary())
        actions.append_to(
            os.environ, "GITHUB_STEP_SUMMARY", "# indexgen check (nothing written)\n\n" + summary
        )
    return report.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "init":
        return _init(args)
    if args.command == "bridge":
        return _run_bridge(parser, args)
    if args.command == "serve":
        _configure_logging(args.verbose)
        return run_serve_command(args)
    if args.command not in ("build", "check"):
        parser.print_help(sys.stderr)
        return 2
    if args.command == "check" and args.report:
        parser.exit(2, "indexgen check: error: check writes nothing: --report is an option of build\n")
    in_actions = actions.enabled(os.environ)
    _configure_logging(args.verbose, in_actions)
    try:
        settings = settings_from(args, os.environ)
    except IndexgenError as exc:
        if in_actions:
            print(actions.report_failure(os.environ, str(exc)), file=sys.stderr)
            return exc.exit_code
        parser.exit(2, f"indexgen {args.command}: error: {exc}\n")
    progress = StreamProgress(sys.stderr, interval=15.0)
    if args.command == "check":
        return _check(settings, args.format, progress, in_actions)
    try:
        outcome = run_build(settings, progress=progress)
    except IndexgenError as exc:
        return _failed(exc, in_actions)
    except KeyboardInterrupt:
        # The swap is atomic and defers signals: the site is the previous one or the whole new one.
        print("error: interrupted; the site is the previous one or the complete new one", file=sys.stderr)
        return 130
    print(summary(outcome))
    if in_actions:
        actions.report_success(os.environ, outcome, settings.report)
    return 0


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _run_bridge(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Serve until Ctrl-C or SIGTERM (a CI job's end), then stop cleanly with exit 0."""
    _configure_logging(args.verbose + 2 if args.verbose else 1)
    try:
        settings = bridge_settings(args, os.environ)
    except IndexgenError as exc:
        parser.exit(2, f"indexgen bridge: error: {exc}\n")
    try:
        server = open_bridge(settings)
    except IndexgenError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    print(banner(server, settings), flush=True)
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    print("indexgen bridge: stopped", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
