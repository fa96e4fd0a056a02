"""An `Index` becomes the site's files, as bytes keyed by their path. Pure: the writer does the disk.

Templates are dumb (autoescape on, `StrictUndefined`, loops only); every URL is computed and quoted
here. Output is byte-identical for identical input: sorted, no timestamps.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict
from typing import Any

from .browse import HOME, browse_pages, escape_all, template
from .models import Index, Project
from .overrides import OVERRIDES_FILE, render_overrides

ROOT_PAGE = "simple/index.html"
BROWSE_PAGE = HOME

# One anchor of a project's page, unpacked by simple_project.html in this order, each already
# HTML-escaped: URL, text, requires-python ("" for none), yanked (PEP 592: None not yanked, "" yanked
# without a reason). A plain tuple: 50,000 are made per build, and the template's loop unpacks it
# without attribute lookups.
_Link = tuple[str, str, str, str | None]


def project_page(name: str) -> str:
    return f"simple/{name}/index.html"


def render_simple_root(index: Index) -> str:
    return template("simple_root.html").render(projects=index.projects)


def render_project_page(project: Project) -> str:
    releases = project.releases
    cells = escape_all(
        [
            text
            for r in releases
            for text in (r.url, f"{r.project}-{r.version}", r.requires_python or "", r.yanked or "")
        ]
    )
    links: list[_Link] = [
        (url, text, requires_python, None if r.yanked is None else yanked)
        for (url, text, requires_python, yanked), r in zip(
            zip(*[iter(cells)] * 4, strict=True), releases, strict=True
        )
    ]
    return template("simple_project.html").render(project=project, links=links)


# A page's bytes, or its bytes made a piece at a time as they are read (the catalogue, a project a
# piece: tens of megabytes that are written and hashed as they come, never held whole).
Content = bytes | Iterator[bytes]


def site_pages(
    index: Index, site_url: str | None = None, public: Mapping[str, str] | None = None
) -> Iterator[tuple[str, Content]]:
    """Every file of the site as (path relative to the output directory, content), in path order,
    each rendered only when it is reached: the PEP 503 pages under `simple/` and the browse site
    beside them. A site of hundreds of megabytes is hashed and written a page at a time, never held
    whole. `public` names the acknowledged projects that PyPI also has, with PyPI's version, for the
    browse pages."""
    pages: dict[str, Callable[[], str | Iterator[bytes]]] = {
        ROOT_PAGE: functools.partial(render_simple_root, index),
        **browse_pages(index, site_url, public),
    }
    for project in index.projects:
        pages[project_page(project.name)] = functools.partial(render_project_page, project)
    pages[OVERRIDES_FILE] = functools.partial(render_overrides, index)
    for path in sorted(pages):
        page = pages.pop(path)()
        yield path, page.encode("utf-8") if isinstance(page, str) else page


def render_site(
    index: Index, site_url: str | None = None, public: Mapping[str, str] | None = None
) -> dict[str, bytes]:
    """Every file of the site (`site_pages`) as bytes, keyed by its path relative to the output
    directory."""
    return {
        path: data if isinstance(data, bytes) else b"".join(data)
        for path, data in site_pages(index, site_url, public)
    }


class _ReportProjects(Mapping[str, Any]):
    """The report's `projects`, each entry made when it is read: the encoder writes one project's
    releases at a time, so a report of 100,000 releases never exists whole as objects."""

    def __init__(self, projects: Iterable[Project]) -> None:
        self._projects = {p.name: p for p in projects}

    def __getitem__(self, name: str) -> dict[str, Any]:
        p = self._projects[name]
        releases = [
            {
                "version": r.version,
                "tag": r.tag,
                "commit": r.commit,
                "url": r.url,
                "requires_python": r.requires_python,
                # PEP 592: only on yanked releases ("" when yanked without a reason).
                **({"yanked": r.yanked} if r.yanked is not None else {}),
            }
            for r in p.releases
        ]
        return {"repository": p.repository, "releases": releases}

    def __iter__(self) -> Iterator[str]:
        return iter(self._projects)

    def __len__(self) -> int:
        return len(self._projects)


def report_data(
    index: Index, public: Mapping[str, str] | None = None, config: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The `--report` JSON: projects with their releases, every skipped repository and tag, the
    releases hidden below a `min_version`, and (when given) the resolved configuration."""
    return {
        "projects": _ReportProjects(index.projects),
        "skipped": [asdict(s) for s in index.skipped],
        "warnings": [*index.warnings, *(str(m) for m in index.moved)],
        "moved_tags": [asdict(m) for m in index.moved],
        "public_names": dict(sorted((public or {}).items())),
        "hidden": [
            {"project": r.project, "version": r.version, "tag": r.tag, "repository": r.repository}
            for r in index.hidden
        ],
        **({"config": dict(config)} if config is not None else {}),
    }


# Keys sorted; `, ` and `: ` as json.dumps(indent=...) writes them inside a line. Without `indent` the
# encoder is the C one: a 10,000-repository report took seconds in the pure-Python indenting encoder.
_ONE_LINE = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def render_json(data: Mapping[str, Any]) -> bytes:
    """Indented JSON in which each object inside a list (a release, a skip) and each object holding
    no other object (a setting) takes one line: readable in a pager, one line per release for grep,
    and written by the C encoder."""
    return b"".join(json_chunks(data))


def json_chunks(data: Mapping[str, Any]) -> Iterator[bytes]:
    """`render_json`'s bytes a piece at a time (a project's releases at most), to be written as made."""
    for text in _json_text(data, ""):
        yield text.encode("utf-8")
    yield b"\n"


def _holds_object(value: Mapping[str, Any]) -> bool:
    if type(value) is not dict:  # a mapping made on demand, such as the report's projects
        return True
    return any(type(v) is dict or (type(v) is list and dict in map(type, v)) for v in value.values())


def _json_text(value: Any, pad: str) -> Iterator[str]:
    inner = pad + "  "
    if isinstance(value, Mapping) and _holds_object(value):
        separator = "{\n"
        for key in sorted(value):
            yield f"{separator}{inner}{_ONE_LINE.encode(str(key))}: "
            yield from _json_text(value[key], inner)
            separator = ",\n"
        yield ("{}" if separator == "{\n" else "\n" + pad + "}")
    elif type(value) is list and dict in map(type, value):
        yield "[\n" + ",\n".join(inner + _ONE_LINE.encode(v) for v in value) + "\n" + pad + "]"
    else:
        yield _ONE_LINE.encode(value)
