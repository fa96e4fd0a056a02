"""One frozen `Settings` for a build, from flags, environment and the configuration file; every
problem reported at once.

Precedence: a flag given on the command line, else the environment (`GITHUB_API_URL` and
`GITHUB_GRAPHQL_URL`, which GitHub Actions sets), else the configuration file (`config.py`), else the
default. `--org`, `--user` and `--allow-public` add to the file's `owners` and `allow_public`.
`sources` records where each resolved value came from, for the report.
"""

from __future__ import annotations

import argparse
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from .config import ConfigFile, find_config, is_login, is_repo_name, load_config
from .errors import ConfigError
from .github.auth import DEFAULT_API_URL, graphql_url_for
from .models import Owner, OwnerKind
from .pypi import DEFAULT_PYPI_URL
from .rules import RepoFilter, RepoRules, Rules
from .versions import DEFAULT_TAG_PATTERN, check_tag_pattern

__all__ = ["Settings", "config_report", "is_repo_name", "settings_from"]


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
    # Nothing changed since the previous build: write no pages (for a workflow that deploys on a change only).
    skip_unchanged: bool = False
    accept_moved: frozenset[str] = frozenset()  # "owner/repo@tag", lower-cased
    pypi_check: bool = True
    pypi_url: str = DEFAULT_PYPI_URL
    allow_public: frozenset[str] = frozenset()  # canonical project names
    # From the configuration file (see config.py), defaults when there is none:
    include: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    archived: bool = True
    private: bool = True
    prereleases: bool = True
    repo_rules: Mapping[str, RepoRules] = field(default_factory=dict)  # lower-cased owner/name
    yanked: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # project → version → reason
    names: Mapping[str, str] = field(default_factory=dict)  # canonical project → owning owner/name
    min_version: Mapping[str, str] = field(default_factory=dict)  # canonical project → version
    config_file: Path | None = None
    sources: Mapping[str, str] = field(default_factory=dict)  # setting → flag/environment/<file>/default

    @property
    def rules(self) -> Rules:
        return Rules(
            repo_filter=RepoFilter(
                self.include, self.exclude, self.topics, self.include_forks, self.archived, self.private
            ),
            tag_pattern=self.tag_pattern,
            prereleases=self.prereleases,
            repos=self.repo_rules,
        )


def _check_url(value: str, what: str, problems: list[str]) -> str:
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(f"{what} must be an http(s) URL, not {value[:80]!r}")
    return value.rstrip("/")


class _Resolver:
    """Picks each value by precedence and remembers where it came from."""

    def __init__(self, config: ConfigFile | None, environ: Mapping[str, str]) -> None:
        self.config = config
        self.environ = environ
        self.sources: dict[str, str] = {}

    def pick(self, key: str, flag: object, default: object, env: str = "") -> object:
        if flag is not None:
            self.sources[key] = "flag"
            return flag
        if env and self.environ.get(env):
            self.sources[key] = f"environment ({env})"
            return self.environ[env]
        if self.config is not None and key in self.config.values:
            self.sources[key] = self.config.label
            return self.config.values[key]
        self.sources[key] = "default"
        return default

    def union(self, key: str, flags: list[str] | None) -> tuple[str, ...]:
        """The file's list followed by the flags' (`--org`, `--allow-public` add to the file)."""
        from_file: tuple[str, ...] = self.config.values.get(key, ()) if self.config else ()
        parts = [*([self.config.label] if self.config and from_file else []), *(["flag"] if flags else [])]
        self.sources[key] = "+".join(parts) or "default"
        return (*from_file, *(flags or []))

    def table(self, key: str) -> None:
        has = self.config is not None and self.config.has(key)
        self.sources[key] = self.config.label if has and self.config else "default"

    def flag_only(self, args: argparse.Namespace) -> None:
        for key, (attr, default) in _FLAG_ONLY.items():
            self.sources[key] = "default" if getattr(args, attr, None) in (default, None) else "flag"


# Settings only a flag sets: report key → (argument, the parser's default). The report says whether
# each was given.
_FLAG_ONLY: dict[str, tuple[str, object]] = {
    "output": ("output", "site"),
    "previous": ("previous", None),
    "report": ("report", None),
    "scanner": ("scanner", "auto"),
    "max_wait": ("max_wait", 15.0),
    "allow_shrink": ("allow_shrink", False),
    "skip_unchanged": ("skip_unchanged", False),
    "accept_moved": ("accept_moved_tag", None),
    "pypi_check": ("no_pypi_check", False),
    "rescan": ("repo", None),
}


def _read_config(
    args: argparse.Namespace, environ: Mapping[str, str], cwd: Path, problems: list[str]
) -> tuple[ConfigFile | None, str]:
    """The configuration file's contents (None without one) and how it was found."""
    flag = getattr(args, "config", None)
    path = find_config(flag, environ, cwd)
    if path is None:
        return None, "default"
    found = (
        "flag"
        if flag
        else "environment (INDEXGEN_CONFIG)"
        if environ.get("INDEXGEN_CONFIG")
        else "working directory"
    )
    config, config_problems = load_config(path, cwd)
    problems += config_problems
    return config, found


def _owners(args: argparse.Namespace, pick: _Resolver, problems: list[str]) -> tuple[Owner, ...]:
    """The file's `owners` (either kind) and the `--org`/`--user` flags; a flag names the kind, so it
    replaces the file's entry for the same login."""
    flagged: list[Owner] = []
    for kind, logins in ((OwnerKind.ORG, args.org or []), (OwnerKind.USER, args.user or [])):
        for login in logins:
            if not is_login(login):
                problems.append(f"{login[:80]!r} is not a GitHub {kind.value} name")
            flagged.append(Owner(login, kind))
    everyone = pick.union("owners", [o.login for o in flagged])  # records the sources too
    named = {o.login.lower() for o in flagged}
    from_file = [login for login in everyone[: len(everyone) - len(flagged)] if login.lower() not in named]
    return tuple(dict.fromkeys([*(Owner(login, OwnerKind.ANY) for login in from_file), *flagged]))


def settings_from(args: argparse.Namespace, environ: Mapping[str, str], cwd: Path | None = None) -> Settings:
    problems: list[str] = []
    config, config_found = _read_config(args, environ, cwd or Path.cwd(), problems)
    pick = _Resolver(config, environ)
    pick.sources["config_file"] = config_found
    pick.flag_only(args)
    owners = _owners(args, pick, problems)
    repos = tuple(dict.fromkeys(args.repo or []))
    problems += [f"--repo takes OWNER/NAME, not {r[:80]!r}" for r in repos if not is_repo_name(r)]
    if not owners and not repos:
        problems.append("name at least one --org or --user to scan (or `owners` in indexgen.toml)")
    # With owners named, --repo must be one of theirs: in a workflow it may come from an untrusted event.
    logins = {o.login.lower() for o in owners}
    problems += [
        f"--repo {r[:80]!r} is not under the scanned owners ({', '.join(sorted(logins))})"
        for r in repos
        if logins and is_repo_name(r) and r.partition("/")[0].lower() not in logins
    ]

    api_url = _check_url(
        str(pick.pick("api_url", args.api_url, DEFAULT_API_URL, "GITHUB_API_URL")), "the API URL", problems
    )
    graphql_env = environ.get("GITHUB_GRAPHQL_URL")
    # GITHUB_GRAPHQL_URL belongs with GITHUB_API_URL: an explicit --api-url elsewhere derives its own.
    use_env = bool(graphql_env) and not args.api_url
    graphql_url = graphql_env if graphql_env and use_env else graphql_url_for(api_url)
    pick.sources["graphql_url"] = "environment (GITHUB_GRAPHQL_URL)" if use_env else "derived from api_url"
    graphql_url = _check_url(graphql_url, "the GraphQL URL", problems)
    # The file's values are checked in config.py; flags here.
    site_url = pick.pick("site_url", args.site_url, None)
    if args.site_url:
        site_url = _check_url(args.site_url, "--site-url", problems)
    tag_pattern = str(pick.pick("tag_pattern", args.tag_pattern, DEFAULT_TAG_PATTERN))
    if args.tag_pattern is not None:
        try:
            check_tag_pattern(tag_pattern)
        except ValueError as exc:
            problems.append(f"--tag-pattern: {exc}")
    link_style = str(pick.pick("link_style", args.link_style, "https"))
    include_forks = bool(pick.pick("forks", args.include_forks, False))
    accept_moved = frozenset(m.lower() for m in args.accept_moved_tag or [])
    problems += [
        f"--accept-moved-tag takes OWNER/REPO@TAG, not {m[:80]!r}"
        for m in accept_moved
        if "@" not in m or not is_repo_name(m.split("@", 1)[0])
    ]
    pypi_url = _check_url(
        str(pick.pick("pypi_url", args.pypi_url, DEFAULT_PYPI_URL, "INDEXGEN_PYPI_URL")),
        "the PyPI URL",
        problems,
    )
    if args.max_wait < 0:
        problems.append("--max-wait cannot be negative")
    backoff = str(pick.pick("retry_backoff", None, "1", "INDEXGEN_RETRY_BACKOFF"))
    try:
        retry_backoff = float(backoff)
    except ValueError:
        problems.append(f"INDEXGEN_RETRY_BACKOFF must be a number of seconds, not {backoff[:20]!r}")
        retry_backoff = 1.0
    allow_public = frozenset(canonicalize_name(n) for n in pick.union("allow_public", args.allow_public))
    defaults = {
        "include": ("*",),
        "exclude": (),
        "topics": (),
        "archived": True,
        "private": True,
        "prereleases": True,
    }
    filters = {key: pick.pick(key, None, default) for key, default in defaults.items()}
    for key in ("repos", "yanked", "names", "min_version"):
        pick.table(key)

    if problems:
        raise ConfigError(tuple(problems))
    return Settings(
        owners=tuple(dict.fromkeys(owners)),
        output=Path(args.output),
        api_url=api_url,
        graphql_url=graphql_url,
        report=Path(args.report) if args.report else None,
        verbose=args.verbose,
        site_url=str(site_url) if site_url else None,
        link_style=link_style,
        include_forks=include_forks,
        tag_pattern=tag_pattern,
        max_wait=float(args.max_wait) * 60,
        retry_backoff=retry_backoff,
        scanner=args.scanner,
        previous=args.previous,
        repos=repos,
        allow_shrink=args.allow_shrink,
        skip_unchanged=args.skip_unchanged,
        accept_moved=accept_moved,
        pypi_check=not args.no_pypi_check,
        pypi_url=pypi_url,
        allow_public=allow_public,
        include=tuple(filters["include"]),  # type: ignore[arg-type]
        exclude=tuple(filters["exclude"]),  # type: ignore[arg-type]
        topics=tuple(filters["topics"]),  # type: ignore[arg-type]
        archived=bool(filters["archived"]),
        private=bool(filters["private"]),
        prereleases=bool(filters["prereleases"]),
        repo_rules=dict(config.repos) if config else {},
        yanked=dict(config.yanked) if config else {},
        names=dict(config.names) if config else {},
        min_version=dict(config.min_version) if config else {},
        config_file=config.path if config else None,
        sources=pick.sources,
    )


def _rules_json(rules: RepoRules) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if rules.tag_pattern is not None:
        data["tag_pattern"] = rules.tag_pattern
    if rules.include:
        data["include"] = list(rules.include)
    if rules.exclude:
        data["exclude"] = list(rules.exclude)
    if rules.prereleases is not None:
        data["prereleases"] = rules.prereleases
    if rules.projects:
        data["projects"] = [
            {"path": p.path, **({"tag_pattern": p.tag_pattern} if p.tag_pattern else {})}
            for p in rules.projects
        ]
    return data


def config_report(settings: Settings) -> dict[str, Any]:
    """The `config` block of the report: each setting's resolved value and where it came from (flag,
    environment, the configuration file, default), so a surprised maintainer can see why a tag was
    skipped. Never a credential: the token is not a setting."""
    values: dict[str, Any] = {
        "owners": [
            o.login if o.kind is OwnerKind.ANY else f"{o.kind.value}:{o.login}" for o in settings.owners
        ],
        "include": list(settings.include),
        "exclude": list(settings.exclude),
        "topics": list(settings.topics),
        "forks": settings.include_forks,
        "archived": settings.archived,
        "private": settings.private,
        "tag_pattern": settings.tag_pattern,
        "prereleases": settings.prereleases,
        "link_style": settings.link_style,
        "site_url": settings.site_url,
        "allow_public": sorted(settings.allow_public),
        "repos": {name: _rules_json(rules) for name, rules in sorted(settings.repo_rules.items())},
        "yanked": {name: dict(sorted(v.items())) for name, v in sorted(settings.yanked.items())},
        "names": dict(sorted(settings.names.items())),
        "min_version": dict(sorted(settings.min_version.items())),
        "api_url": settings.api_url,
        "graphql_url": settings.graphql_url,
        "pypi_url": settings.pypi_url,
        "retry_backoff": settings.retry_backoff,
        "output": str(settings.output),
        "previous": settings.previous,
        "report": str(settings.report) if settings.report else None,
        "scanner": settings.scanner,
        "max_wait": settings.max_wait / 60,  # minutes, as --max-wait takes it
        "allow_shrink": settings.allow_shrink,
        "skip_unchanged": settings.skip_unchanged,
        "accept_moved": sorted(settings.accept_moved),
        "pypi_check": settings.pypi_check,
        "rescan": list(settings.repos),
    }
    config = {
        key: {"value": value, "source": settings.sources.get(key, "default")} for key, value in values.items()
    }
    config["config_file"] = {
        "value": str(settings.config_file) if settings.config_file else None,
        "source": settings.sources.get("config_file", "default"),
    }
    return config
