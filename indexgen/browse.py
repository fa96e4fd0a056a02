"""The browse site for people, beside (never inside) `simple/`: home, a page per project, problems,
a 404 page, `robots.txt` and the `packages.json` catalogue. Pure: pages come back as text by path.

Everything a page shows is computed here into small frozen records; the templates only loop and print
(autoescape on, `StrictUndefined`). URLs are built and quoted here. No timestamps: identical input
gives identical bytes. The install snippets say plainly what each tool can and cannot do with the
index (DESIGN.md §6).
"""

from __future__ import annotations

import functools
import heapq
import json
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
from markupsafe import Markup, escape

from .models import Index, Project, Release
from .snippets import (
    Snippet,
    install_snippets,
    named_requirement,
    parse_version,
    pins,
    private_closure,
    setup_snippets,
    source_snippets,
)

HOME = "index.html"
PROBLEMS = "problems/index.html"
NOT_FOUND = "404.html"
ROBOTS = "robots.txt"
CATALOGUE = "packages.json"
CATALOGUE_FORMAT = 1
ASSETS_JS = "assets/site.js"
ASSETS_CSS = "assets/site.css"
PLACEHOLDER_INDEX = "https://YOUR-PAGES-SITE/simple/"
RECENT_COUNT = 6
# Search engines keep out: an organisation's package names are its own business.
ROBOTS_TXT = "User-agent: *\nDisallow: /\n"

# One environment for the whole site (render.py uses it too): each template is compiled once.
environment = jinja2.Environment(
    loader=jinja2.PackageLoader("indexgen", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    auto_reload=False,  # templates ship with the package: no stat() of them on every page
)


def escape_all(values: Sequence[str]) -> list[str]:
    """Every value HTML-escaped, as `escape` would, in one pass: the values are joined with NUL (which
    escaping leaves alone), escaped together and split again. Tables of 50,000 rows print six values a
    row, and one call per value cost a third of the site's render time. Values that hold a NUL
    themselves are escaped one by one."""
    parts = str(escape("\0".join(values))).split("\0")
    return parts if len(parts) == len(values) else [str(escape(v)) for v in values]


@functools.cache
def template(name: str) -> jinja2.Template:
    """One of the site's templates, looked up once: project pages ask for four each."""
    return environment.get_template(name)


def project_path(name: str) -> str:
    return f"p/{name}/index.html"


def safe_http_url(url: str) -> str:
    """A URL fit for an href on a human page: http(s) only, quoted where needed."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        return "#"
    return urllib.parse.quote(url, safe=":/?#[]@!$&'()*+,;=%~")


def _project_href(root: str, name: str) -> str:
    return f"{root}p/{urllib.parse.quote(name)}/"


def _day(date: str) -> str:
    """The calendar day of an ISO 8601 timestamp, "" when unknown."""
    return date[:10]


@functools.lru_cache(maxsize=8192)
def _is_pre(version: str) -> bool:
    return parse_version(version).is_prerelease


# -- the records the templates print ---------------------------------------------------------------


@dataclass(frozen=True)
class Badge:
    label: str
    kind: str  # css class: pre, archived, pypi, yanked
    title: str = ""


PRE_RELEASE = Badge("pre-release", "pre", "pip installs it only with --pre or an exact pin")


@dataclass(frozen=True)
class Card:
    name: str
    display_name: str
    href: str
    version: str
    summary: str
    date: str
    repository: str
    repo_url: str
    topics: tuple[str, ...]
    badges: Markup  # rendered by badges.html, "" for none
    search: str  # lower-cased text the search box matches: names, summary, topics


@dataclass(frozen=True)
class Recent:
    display_name: str
    href: str
    version: str
    date: str


# One row of a project's release table, unpacked by releases.html in this order: version, tag, short
# commit, commit URL, day, requires-python (each already HTML-escaped: the template prints them as
# they are), badges (rendered by badges.html, "" for none). A plain tuple, because 50,000 rows are made
# per build and the template loop unpacks it without lookups.
ReleaseRow = tuple[str, ...]


@dataclass(frozen=True)
class Dependency:
    text: str  # the requirement as the metadata states it
    href: str  # the project page of a private dependency, "" for others


@dataclass(frozen=True)
class SkipGroup:
    repository: str
    repo_url: str
    items: tuple[tuple[str, str], ...]  # (tag or "whole repository", reason)


@dataclass(frozen=True)
class Context:
    """What every page needs: where the site root is from it, the index URL for snippets, and the
    fragments that are the same on every page showing them, rendered once per site: the set-up
    snippets and the note under them when the index URL is a placeholder."""

    root: str
    index_url: str
    site_url_set: bool
    setup: Markup = Markup()
    placeholder: Markup = Markup()


def _context(root: str, site_url: str | None) -> Context:
    index_url = index_url_for(site_url)
    return Context(
        root,
        index_url,
        bool(site_url),
        render_snippets(setup_snippets(index_url)),
        Markup(template("placeholder.html").render(site_url_set=bool(site_url))),
    )


# -- the site ---------------------------------------------------------------------------------------


def index_url_for(site_url: str | None) -> str:
    return (site_url.rstrip("/") + "/simple/") if site_url else PLACEHOLDER_INDEX


def browse_pages(
    index: Index, site_url: str | None = None, public: Mapping[str, str] | None = None
) -> dict[str, Callable[[], str | Iterator[bytes]]]:
    """The browse site's files, each as the call that renders its text (or, for the catalogue, makes
    its bytes a piece at a time), keyed by path relative to the site root: the caller renders (and
    writes) them one at a time."""
    public = public or {}
    by_name = {p.name: p for p in index.projects}
    used_by = _used_by(index.projects, by_name)
    files: dict[str, Callable[[], str | Iterator[bytes]]] = {
        HOME: functools.partial(render_home, index, _context("", site_url), public),
        PROBLEMS: functools.partial(render_problems, index, _context("../", site_url), public),
        NOT_FOUND: functools.partial(render_not_found, site_url),
        ROBOTS: lambda: ROBOTS_TXT,
        ASSETS_JS: template("site.js").render,
        ASSETS_CSS: template("site.css").render,
        CATALOGUE: functools.partial(render_catalogue, index, site_url, public),
    }
    context = _context("../../", site_url)
    for project in index.projects:
        files[project_path(project.name)] = functools.partial(
            render_project, project, by_name, used_by.get(project.name, ()), context, public.get(project.name)
        )
    return files


def _badges(project: Project, public_version: str | None) -> tuple[Badge, ...]:
    badges = []
    if all(_is_pre(r.version) for r in project.releases):
        badges.append(Badge("pre-release only", "pre", "every release is a pre-release: pip needs --pre"))
    if project.archived:
        badges.append(Badge("archived", "archived", "the repository is archived; its releases still install"))
    if public_version:
        badges.append(
            Badge(
                f"also on PyPI ({public_version})",
                "pypi",
                "pip merges both indexes and takes the highest version",
            )
        )
    return tuple(badges)


def _last_date(project: Project) -> str:
    return max((r.date for r in project.releases), default="")


def _card(project: Project, public_version: str | None) -> Card:
    latest = project.latest
    summary = project.summary or project.description
    search = " ".join((project.name, project.display_name, summary, *project.topics)).lower()
    return Card(
        name=project.name,
        display_name=project.display_name,
        href=_project_href("", project.name),
        version=latest.version,
        summary=summary,
        date=_day(_last_date(project)),
        repository=project.repository,
        repo_url=safe_http_url(project.html_url),
        topics=project.topics,
        badges=_badges_markup(_badges(project, public_version)),
        search=search,
    )


def _recent(projects: Sequence[Project]) -> list[Recent]:
    # Only a release dated on or after the RECENT_COUNT-th newest date can be among the newest, so
    # the full ordering (date, name, version) is built for those few, not for every release.
    dates = heapq.nlargest(RECENT_COUNT, (r.date for p in projects for r in p.releases))
    cut = dates[-1] if len(dates) == RECENT_COUNT else ""
    dated = [(r.date, p, r) for p in projects for r in p.releases if r.date and r.date >= cut]
    newest = heapq.nlargest(
        RECENT_COUNT, dated, key=lambda item: (item[0], item[1].name, parse_version(item[2].version))
    )
    return [Recent(p.display_name, _project_href("", p.name), r.version, _day(date)) for date, p, r in newest]


def render_home(index: Index, context: Context, public: Mapping[str, str]) -> str:
    cards = [_card(p, public.get(p.name)) for p in index.projects]
    return template("home.html").render(
        ctx=context,
        title="Python packages",
        cards=cards,
        recent=_recent(index.projects),
        problem_count=len(index.skipped) + len(index.warnings) + len(index.moved),
    )


# -- a project's page -------------------------------------------------------------------------------


def _dependencies(release: Release, by_name: Mapping[str, Project], root: str) -> list[Dependency]:
    found = []
    for text in release.dependencies:
        parsed = named_requirement(text)
        name = parsed[1] if parsed else ""
        found.append(Dependency(text, _project_href(root, name) if name in by_name else ""))
    return found


def _used_by(projects: Iterable[Project], by_name: Mapping[str, Project]) -> dict[str, tuple[Project, ...]]:
    """Per project, the org's projects whose newest release depends on it."""
    users: dict[str, dict[str, Project]] = defaultdict(dict)  # by the user's name: each user once
    for project in projects:
        for text in project.latest.dependencies:
            parsed = named_requirement(text)
            if parsed is not None and parsed[1] in by_name and parsed[1] != project.name:
                users[parsed[1]][project.name] = project
    return {name: tuple(sorted(found.values(), key=lambda p: p.name)) for name, found in users.items()}


@functools.lru_cache(maxsize=1024)
def _badges_markup(badges: tuple[Badge, ...]) -> Markup:
    """A row's badges, rendered once per distinct set: 50,000 release rows share a handful."""
    return Markup(template("badges.html").render(badges=badges))


@functools.lru_cache(maxsize=256)
def _snippet_head(id: str, label: str) -> Markup:
    """A snippet's label and copy button: the same for one kind of snippet on every page."""
    return Markup(template("snippet_head.html").render(id=id, label=label))


def render_snippets(snippets: Iterable[Snippet]) -> Markup:
    """Copyable snippets, a fragment for a page to print whole."""
    heads = [(_snippet_head(s.id, s.label), s.id, s.text) for s in snippets]
    return Markup(template("snippets.html").render(snippets=heads))


@functools.lru_cache(maxsize=8192)
def _row_badges(version: str, yanked: str | None) -> Markup | str:
    """A release row's badges, "" (the common case) for none. Looked up by version and yanked
    reason, which the 50,000 rows of a build mostly share."""
    badges = [PRE_RELEASE] if _is_pre(version) else []
    if yanked is not None:
        badges.append(Badge("yanked", "yanked", yanked or "yanked: pip skips it unless pinned exactly"))
    return _badges_markup(tuple(badges)) if badges else ""


def _release_rows(project: Project, repo_url: str) -> Iterator[ReleaseRow]:
    """Newest first, every text cell already escaped (releases.html prints them as they are)."""
    commits = f"{repo_url}/commit/" if repo_url != "#" else ""
    releases = project.releases[::-1]
    cells = escape_all(
        [
            text
            for r in releases
            for text in (
                r.version,
                r.tag,
                r.commit[:7],
                commits + r.commit if commits else "#",
                r.date[:10] or "unknown",
                r.requires_python or "any",
            )
        ]
    )
    rows = zip(*[iter(cells)] * 6, strict=True)  # six cells a release, in order
    return ((*row, _row_badges(r.version, r.yanked)) for row, r in zip(rows, releases, strict=True))


def render_project(
    project: Project,
    by_name: Mapping[str, Project],
    used_by: Iterable[Project],
    context: Context,
    public_version: str | None,
) -> str:
    latest = project.latest
    closure = private_closure(latest, by_name)
    repo_url = safe_http_url(project.html_url)
    releases = template("releases.html").render(releases=_release_rows(project, repo_url))
    return template("project.html").render(
        ctx=context,
        title=project.display_name,
        project=project,
        summary=project.summary or project.description,
        repo_url=repo_url,
        latest=latest,
        latest_date=_day(latest.date),
        badges=_badges_markup(_badges(project, public_version)),
        install=render_snippets(install_snippets(latest, context.index_url)),
        sources=render_snippets(source_snippets(closure, context.index_url)),
        pins=pins(closure),
        dependencies=_dependencies(latest, by_name, context.root),
        used_by=[
            Recent(p.display_name, _project_href(context.root, p.name), p.latest.version, "") for p in used_by
        ],
        releases=Markup(releases),
    )


# -- problems, 404, catalogue -----------------------------------------------------------------------


def render_problems(index: Index, context: Context, public: Mapping[str, str]) -> str:
    grouped: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for skip in index.skipped:
        grouped[skip.repository].append((skip.tag or "whole repository", skip.reason))
    html_urls = {p.repository: p.html_url for p in index.projects}
    groups = [
        SkipGroup(repo, safe_http_url(html_urls[repo]) if repo in html_urls else "", tuple(items))
        for repo, items in sorted(grouped.items(), key=lambda kv: kv[0].lower())
    ]
    warnings = [
        *index.warnings,
        *(str(m) for m in index.moved),
        *(
            f"{name} also exists on PyPI ({version}): pip takes the higher version of the two indexes"
            for name, version in sorted(public.items())
        ),
    ]
    return template("problems.html").render(
        ctx=context, title="Problems", groups=groups, warnings=warnings, skip_count=len(index.skipped)
    )


def render_not_found(site_url: str | None) -> str:
    # Pages serves this file for every missing path, at any depth: links must be absolute.
    home = site_url.rstrip("/") + "/" if site_url else "/"
    return template("404.html").render(
        ctx=Context(home, index_url_for(site_url), bool(site_url)), title="Page not found"
    )


def _catalogue_entry(p: Project, public: Mapping[str, str]) -> dict[str, Any]:
    """One project of `packages.json`."""
    return {
        "name": p.name,
        "display_name": p.display_name,
        "page": _project_href("", p.name),  # relative to the site root
        "summary": p.summary or p.description,
        "repository": p.repository,
        "repository_url": p.html_url,
        "topics": list(p.topics),
        "archived": p.archived,
        "latest": p.latest.version,
        "dependencies": list(p.latest.dependencies),  # the latest release's, as its metadata states
        "also_on_pypi": public.get(p.name),
        "releases": [
            {
                "version": r.version,
                "tag": r.tag,
                "commit": r.commit,
                "url": r.url,
                "requires_python": r.requires_python,
                "yanked": r.yanked,
                "date": r.date or None,
            }
            for r in reversed(p.releases)
        ],
    }


# Compact: the indented form takes the pure-Python encoder, ten times slower. The records are trees of
# plain values: no cycles to check for.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


def render_catalogue(index: Index, site_url: str | None, public: Mapping[str, str]) -> Iterator[bytes]:
    """`packages.json` (the projects and their releases for machines, format documented in README) a
    piece at a time, a project each: `{"format":…,"index_url":…,"projects":[` + the projects' objects
    + `]}`, the bytes `json.dumps` would give the whole. Each project's entry is made, encoded and
    handed on in turn, to be written and dropped: the 500,000 release entries of a large organisation
    (143 MB of JSON) are never held at once, as objects, text or bytes."""
    index_url = index_url_for(site_url) if site_url else None
    yield f'{{"format":{CATALOGUE_FORMAT},"index_url":{_COMPACT.encode(index_url)},"projects":['.encode()
    separator = ""
    for project in index.projects:
        yield (separator + _COMPACT.encode(_catalogue_entry(project, public))).encode("utf-8")
        separator = ","
    yield b"]}\n"
