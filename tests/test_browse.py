"""The browse site's content, page by page: what a person sees and copies, and what machines read."""

from __future__ import annotations

import dataclasses
import json
import re
from html.parser import HTMLParser

import pytest

from indexgen.browse import PLACEHOLDER_INDEX, _catalogue_entry, private_closure, render_catalogue
from indexgen.models import Index, Project, Release
from indexgen.render import render_site

from .browse_sample import PUBLIC, SITE_URL, browse_index


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.starts: list[tuple[str, dict[str, str | None]]] = []
        self.codes: dict[str, str] = {}
        self._code: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))
        if tag == "code" and dict(attrs).get("id"):
            self._code = dict(attrs)["id"]
            self.codes[self._code or ""] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "code":
            self._code = None

    def handle_data(self, data: str) -> None:
        if self._code:
            self.codes[self._code] += data


def parse(html: bytes) -> Page:
    page = Page()
    page.feed(html.decode())
    return page


@pytest.fixture(scope="module")
def site() -> dict[str, bytes]:
    return render_site(browse_index(), SITE_URL, PUBLIC)


def test_every_html_page_is_noindex_and_self_contained(site: dict[str, bytes]) -> None:
    assert site["robots.txt"] == b"User-agent: *\nDisallow: /\n"
    for path, data in site.items():
        if not path.endswith(".html") or path.startswith("simple/"):
            continue
        page = parse(data)
        metas = [a for t, a in page.starts if t == "meta"]
        assert {"name": "robots", "content": "noindex, nofollow"} in metas, path
        # Nothing loads from elsewhere: the site's own stylesheet and script, no images, fonts or frames.
        root = {"index.html": "", "404.html": None, "problems/index.html": "../"}.get(path, "../../")
        links = [(a.get("rel"), a.get("href")) for t, a in page.starts if t == "link"]
        assert links == ([] if root is None else [("stylesheet", f"{root}assets/site.css")]), path
        assert not [a for t, a in page.starts if t in ("img", "iframe", "object")], path
        scripts = [a["src"] for t, a in page.starts if t == "script"]
        assert scripts in ([], [f"{root}assets/site.js"]), path
        assert "@import" not in data.decode() and "url(" not in data.decode(), path
        assert ('<main id="main">' in data.decode()) and ("<nav " in data.decode()), path


def test_simple_pages_carry_no_browse_decoration(site: dict[str, bytes]) -> None:
    for path, data in site.items():
        if path.startswith("simple/"):
            text = data.decode()
            assert "<script" not in text and "<style" not in text and "robots" not in text, path


def test_home_lists_every_project_by_name_with_its_facts(site: dict[str, bytes]) -> None:
    html = site["index.html"].decode()
    page = parse(site["index.html"])
    cards = [a for t, a in page.starts if t == "li" and a.get("data-name")]
    assert [c["data-name"] for c in cards] == ["acme-core", "acme-utils", "beta-tool", "zeta-utils"]
    # The search text holds names, summary (else the repository's description) and topics.
    zeta = cards[3]["data-search"] or ""
    assert "zeta_utils" in zeta and "zeta transforms for <data>" in zeta and "data" in zeta
    assert "Zeta transforms for &lt;data&gt;" in html  # the description, escaped
    assert "Core data types &amp; &lt;schemas&gt;" in html  # the metadata summary wins
    assert 'href="p/zeta-utils/"' in html and 'href="https://github.com/acme/Zeta_Utils"' in html
    assert 'last release <time datetime="2025-09-01">' in html  # acme-utils' newest tag, an rc
    for badge in ("pre-release only", "archived", "also on PyPI (9.0)"):
        assert badge in html
    recent = re.findall(
        r'<li><a href="p/([^/]+)/"><span class="name">[^<]+</span> <span class="version">([^<]+)', html
    )
    assert recent == [
        ("acme-utils", "2.1.0rc1"),
        ("zeta-utils", "0.2"),
        ("acme-core", "1.3.0"),
        ("acme-utils", "2.0.0"),
        ("zeta-utils", "0.1"),
        ("acme-core", "1.2.0"),
    ]


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        # Fewer dated releases than the strip holds: all of them, undated ones left out.
        ({"a": ["2024-01-01", ""], "b": [""]}, [("a", "1.0")]),
        # Ties on the date order by name, then by version (PEP 440: 1.10 above 1.9), both descending.
        (
            {"a": ["2024-01-02"] * 3, "b": ["2024-01-02", "2024-01-03"], "c": ["2024-01-01"] * 4},
            [("b", "1.1"), ("b", "1.0"), ("a", "1.9"), ("a", "1.1"), ("a", "1.0"), ("c", "1.10")],
        ),
        # Many releases on the sixth date: only the best-ordered ones make it.
        (
            {"a": ["2025"] * 2, "z": ["2024"] * 4, "m": ["2024"] * 4, "old": ["2023"] * 4},
            [("a", "1.1"), ("a", "1.0"), ("z", "1.10"), ("z", "1.9"), ("z", "1.1"), ("z", "1.0")],
        ),
    ],
)
def test_recently_released_is_the_newest_releases_by_date_then_name_then_version(
    dates: dict[str, list[str]], expected: list[tuple[str, str]]
) -> None:
    versions = ["1.0", "1.1", "1.9", "1.10"]
    projects = tuple(
        Project(
            name,
            name,
            f"acme/{name}",
            f"https://github.com/acme/{name}",
            "",
            tuple(
                Release(name, versions[i], f"v{versions[i]}", "0" * 40, f"acme/{name}", "u", date=day)
                for i, day in enumerate(days)
            ),
        )
        for name, days in sorted(dates.items())
    )
    html = render_site(Index(projects))["index.html"].decode()
    strip = html.split('<ol class="recent">')[1].split("</ol>")[0] if expected else ""
    found = re.findall(r'<span class="name">([^<]+)</span> <span class="version">([^<]+)', strip)
    assert found == expected


def test_project_page_lists_versions_newest_first_with_badges(site: dict[str, bytes]) -> None:
    html = site["p/acme-core/index.html"].decode()
    assert re.findall(r'<th scope="row">([^<]+)', html) == ["1.3.0", "1.2.0", "1.1.0"]
    assert 'title="wrong schema version">yanked</span>' in html
    assert f'href="https://github.com/acme/core/commit/{"0" * 40}"><code>0000000</code>' in html
    assert "<td>2024-12-24</td><td><code>&gt;=3.8</code></td>" in html
    utils = site["p/acme-utils/index.html"].decode()
    assert '2.1.0rc1<span class="badge pre"' in utils


def test_dependencies_link_private_projects_and_used_by_is_the_reverse(site: dict[str, bytes]) -> None:
    utils = site["p/acme-utils/index.html"].decode()
    assert '<a href="../../p/zeta-utils/"><code>zeta.utils&gt;=0.2</code></a>' in utils
    assert "<li><code>requests&gt;=2.31</code></li>" in utils
    zeta = site["p/zeta-utils/index.html"].decode()
    assert '<li><a href="../../p/acme-utils/">acme-utils</a> <span class="version">2.0.0</span></li>' in zeta
    core = site["p/acme-core/index.html"].decode()
    assert '<a href="../../p/zeta-utils/">Zeta_Utils</a>' in core
    assert "No project in this index depends on it" in utils


def test_sources_list_private_dependencies_transitively_and_say_the_range_is_dropped(
    site: dict[str, bytes],
) -> None:
    page = parse(site["p/acme-utils/index.html"])
    for snippet in ("uv-sources", "poetry"):
        text = page.codes[snippet]
        assert [line.split(" = ")[0] for line in text.splitlines() if "git = " in line] == [
            "acme-utils",
            "zeta-utils",
            "acme-core",
        ]
    assert 'zeta-utils = { version = "*", index = "private" }' in page.codes["pipfile"]
    assert f'url = "{SITE_URL}/simple/"' in page.codes["pipfile"]
    assert page.codes["direct"] == f"acme-utils @ git+https://github.com/acme/utils.git@{'b' * 40}"
    html = site["p/acme-utils/index.html"].decode()
    assert "A source pins one version and drops the range." in html
    assert "acme-core 1.3.0 (wanted: &lt;2,&gt;=1.2)" in html


def test_a_source_pins_the_newest_release_inside_the_range() -> None:
    index = browse_index()
    by_name = {p.name: p for p in index.projects}
    zeta = by_name["zeta-utils"]
    older = dataclasses.replace(zeta.releases[-1], dependencies=("acme-core<1.3", "acme-utils"))
    closure = private_closure(older, by_name)
    # acme-core: 1.2.0 is the newest below 1.3; acme-utils: its latest final, 2.0.0, then its own zeta dep
    # is zeta-utils itself, already listed.
    assert [(r.project, r.version) for r, _ in closure] == [
        ("zeta-utils", "0.2"),
        ("acme-core", "1.2.0"),
        ("acme-utils", "2.0.0"),
    ]


def test_without_site_url_the_snippets_show_a_placeholder_and_how_to_set_it() -> None:
    site = render_site(browse_index())
    for path in ("index.html", "p/acme-utils/index.html"):
        html = site[path].decode()
        assert f"pip install --extra-index-url {PLACEHOLDER_INDEX} acme-utils" in html or path == "index.html"
        assert f"pip config set global.extra-index-url {PLACEHOLDER_INDEX}" in html
        assert "The index URL above is a placeholder." in html and "--site-url" in html
    with_url = render_site(browse_index(), SITE_URL)["index.html"].decode()
    assert "is a placeholder" not in with_url and PLACEHOLDER_INDEX not in with_url


def test_problems_page_groups_skips_by_repository_with_warnings(site: dict[str, bytes]) -> None:
    html = site["problems/index.html"].decode()
    assert re.findall(r"<h3>(?:<a [^>]+>)?([^<]+)", html) == ["acme/forked", "acme/utils", "acme/website"]
    assert "<li><code>notes</code>: not a version</li>" in html
    assert "acme-core also exists on PyPI (9.0)" in html and "a sample warning" in html


def test_404_page_links_home_absolutely(site: dict[str, bytes]) -> None:
    html = site["404.html"].decode()
    assert f'href="{SITE_URL}/"' in html and "Page not found" in html
    assert 'href="/"' in render_site(browse_index())["404.html"].decode()


def test_packages_json_is_a_versioned_catalogue(site: dict[str, bytes]) -> None:
    data = json.loads(site["packages.json"])
    assert data["format"] == 1 and data["index_url"] == f"{SITE_URL}/simple/"
    core = data["projects"][0]
    assert core["name"] == "acme-core" and core["also_on_pypi"] == "9.0" and core["page"] == "p/acme-core/"
    assert [r["version"] for r in core["releases"]] == ["1.3.0", "1.2.0", "1.1.0"]
    assert core["releases"][1]["yanked"] == "wrong schema version"
    assert core["releases"][0]["date"] == "2025-07-07T07:00:00Z"
    utils = data["projects"][1]
    assert utils["dependencies"][0] == "zeta.utils>=0.2"  # of the latest final release, 2.0.0
    assert json.loads(render_site(browse_index())["packages.json"])["index_url"] is None


@pytest.mark.parametrize("site_url", [SITE_URL, None])
def test_packages_json_in_pieces_is_what_one_json_dumps_of_the_whole_gives(site_url: str | None) -> None:
    """The catalogue comes a project a piece (a large organisation's would be 140 MB at once, three
    times over), byte for byte the compact `json.dumps` of the whole document."""
    index = browse_index()
    made = render_catalogue(index, site_url, PUBLIC)
    assert not isinstance(made, (bytes, tuple, list))  # made as it is read
    pieces = list(made)
    assert len(pieces) == len(index.projects) + 2
    whole = {
        "format": 1,
        "index_url": f"{site_url}/simple/" if site_url else None,
        "projects": [_catalogue_entry(p, PUBLIC) for p in index.projects],
    }
    expected = json.dumps(whole, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert b"".join(pieces) == expected.encode("utf-8")
    assert (
        b"".join(render_catalogue(Index(()), site_url, {}))
        == (json.dumps({**whole, "projects": []}, separators=(",", ":")) + "\n").encode()
    )


def test_escape_all_escapes_like_markupsafe_one_value_at_a_time() -> None:
    from markupsafe import escape

    from indexgen.browse import escape_all

    values = ['<script>alert("x")</script>', "a & b", "it's", "", "plain", ">=3.9,<4"]
    assert escape_all(values) == [str(escape(v)) for v in values]
    # A value holding the separator itself cannot shift the others: each is escaped on its own.
    tricky = ["<a>", "x\0<b>", "&"]
    assert escape_all(tricky) == [str(escape(v)) for v in tricky]
    assert escape_all([]) == []
