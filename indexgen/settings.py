"""One frozen `Settings` for a build, from flags and environment; every problem reported at once.

Precedence: a flag given on the command line, else the environment (`GITHUB_API_URL` and
`GITHUB_GRAPHQL_URL`, which GitHub Actions sets), else the default.
"""

from __future__ import annotations

import argparse
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from .errors import ConfigError
from .github.auth import DEFAULT_API_URL, graphql_url_for
from .models import Owner, OwnerKind
from .pypi import DEFAULT_PYPI_URL
from .versions import DEFAULT_TAG_PATTERN, compile_tag_pattern

# GitHub logins: alphanumerics and single hyphens, no leading hyphen, at most 39 characters.
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_REPO_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


@dataclass(frozen=True)
class Settings:
    owners: tuple[Owner, ...]
    output: Path = Path("site")
    api_url: str = DEFAULT_API_URL
    graphql_url: str = DEFAULT_API_URL + "/graphql"
    report: Path | None = None
    verbose: int = 0
    site_url: str | None = None
    link_style: str = "https"
    include_forks: bool = False
    tag_pattern: str = DEFAULT_TAG_PATTERN
    max_wait: float = 900.0  # seconds
    retry_backoff: float = 1.0
    scanner: str = "auto"  # auto: GraphQL with a token, REST without; or "graphql", "rest"
    previous: str | None = None
    repos: tuple[str, ...] = ()
    allow_shrink: bool = False
    accept_moved: frozenset[str] = frozenset()  # "owner/repo@tag", lower-cased
    pypi_check: bool = True
    pypi_url: str = DEFAULT_PYPI_URL
    allow_public: frozenset[str] = frozenset()  # canonical project names


def _check_url(value: str, what: str, problems: list[str]) -> str:
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(f"{what} must be an http(s) URL, not {value[:80]!r}")
    return value.rstrip("/")


def settings_from(args: argparse.Namespace, environ: Mapping[str, str]) -> Settings:
    problems: list[str] = []
    owners: list[Owner] = []
    for kind, logins in ((OwnerKind.ORG, args.org or []), (OwnerKind.USER, args.user or [])):
        for login in logins:
            if not _LOGIN.match(login):
                problems.append(f"{login[:80]!r} is not a GitHub {kind.value} name")
            owners.append(Owner(login, kind))
    repos = tuple(dict.fromkeys(args.repo or []))
    problems += [f"--repo takes OWNER/NAME, not {r[:80]!r}" for r in repos if not is_repo_name(r)]
    if not owners and not repos:
        problems.append("name at least one --org or --user to scan")
    # With owners named, --repo must be one of theirs: in a workflow it may come from an untrusted event.
    logins = {o.login.lower() for o in owners}
    problems += [
        f"--repo {r[:80]!r} is not under the scanned owners ({', '.join(sorted(logins))})"
        for r in repos
        if logins and is_repo_name(r) and r.partition("/")[0].lower() not in logins
    ]

    api_url = _check_url(
        args.api_url or environ.get("GITHUB_API_URL") or DEFAULT_API_URL, "the API URL", problems
    )
    graphql_env = environ.get("GITHUB_GRAPHQL_URL")
    # GITHUB_GRAPHQL_URL belongs with GITHUB_API_URL: an explicit --api-url elsewhere derives its own.
    graphql_url = graphql_env if graphql_env and not args.api_url else graphql_url_for(api_url)
    graphql_url = _check_url(graphql_url, "the GraphQL URL", problems)
    site_url = _check_url(args.site_url, "--site-url", problems) if args.site_url else None
    try:
        compile_tag_pattern(args.tag_pattern)
    except ValueError as exc:
        problems.append(f"--tag-pattern: {exc}")
    accept_moved = frozenset(m.lower() for m in args.accept_moved_tag or [])
    problems += [
        f"--accept-moved-tag takes OWNER/REPO@TAG, not {m[:80]!r}"
        for m in accept_moved
        if "@" not in m or not is_repo_name(m.split("@", 1)[0])
    ]
    pypi_url = _check_url(
        args.pypi_url or environ.get("INDEXGEN_PYPI_URL") or DEFAULT_PYPI_URL, "the PyPI URL", problems
    )
    if args.max_wait < 0:
        problems.append("--max-wait cannot be negative")
    backoff = environ.get("INDEXGEN_RETRY_BACKOFF") or "1"
    try:
        retry_backoff = float(backoff)
    except ValueError:
        problems.append(f"INDEXGEN_RETRY_BACKOFF must be a number of seconds, not {backoff[:20]!r}")
        retry_backoff = 1.0

    if problems:
        raise ConfigError(tuple(problems))
    return Settings(
        owners=tuple(dict.fromkeys(owners)),
        output=Path(args.output),
        api_url=api_url,
        graphql_url=graphql_url,
        report=Path(args.report) if args.report else None,
        verbose=args.verbose,
        site_url=site_url,
        link_style=args.link_style,
        include_forks=args.include_forks,
        tag_pattern=args.tag_pattern,
        max_wait=float(args.max_wait) * 60,
        retry_backoff=retry_backoff,
        scanner=args.scanner,
        previous=args.previous,
        repos=repos,
        allow_shrink=args.allow_shrink,
        accept_moved=accept_moved,
        pypi_check=not args.no_pypi_check,
        pypi_url=pypi_url,
        allow_public=frozenset(canonicalize_name(n) for n in args.allow_public or []),
    )


def is_repo_name(value: str) -> bool:
    owner, _, name = value.partition("/")
    return bool(_LOGIN.match(owner) and _REPO_NAME.match(name))


def is_login(value: str) -> bool:
    return bool(_LOGIN.match(value))
