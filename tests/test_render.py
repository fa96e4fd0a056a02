"""Rendering: golden pages, escaping, determinism.

The golden files are only compared here; `python -m tests.update_golden` rewrites them (review the
diff before committing), so no test run can pass by rewriting its own oracle.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from indexgen import render
from indexgen.build import build_index
from indexgen.models import Project, ProjectMetadata, RepoSnapshot, TagRef
from indexgen.render import render_json, render_site, report_data

from .browse_sample import PUBLIC, SITE_URL, browse_index

GOLDEN = Path(__file__).parent / "golden"
A, B, C = ("1" * 40, "2" * 40, "3" * 40)


def sample_index():  # type: ignore[no-untyped-def]
    repos = [
        RepoSnapshot(
            full_name="acme/utils",
            clone_url="https://github.com/acme/utils.git",
            html_url="https://github.com/acme/utils",
            created_at="2020-01-01T00:00:00Z",
            description='Utilities & <helpers> "quoted"',
            tags=(TagRef("v1.0.0", A), TagRef("v2.0.0", B)),
        ),
        RepoSnapshot(
            full_name="acme/Zeta_Utils",
            clone_url="https://github.com/acme/Zeta_Utils.git",
            html_url="https://github.com/acme/Zeta_Utils",
            created_at="2021-01-01T00:00:00Z",
            tags=(TagRef("v0.1", C),),
        ),
    ]
    metadata = {
        A: ProjectMetadata("acme-utils", "1.0.0", ">=3.8"),
        B: ProjectMetadata("acme-utils", None, ">=3.9,<4"),
        C: ProjectMetadata("zeta.utils", None, None),
    }
    return build_index(repos, metadata)


# (page of the site, golden file): the PEP 503 pages and the overrides file of `sample_index`.
GOLDEN_PAGES = [
    ("simple/index.html", "simple_index.html"),
    ("simple/acme-utils/index.html", "project_acme-utils.html"),
    ("uv/overrides.txt", "uv_overrides.txt"),
]
# The browse site of `browse_index` (tests/browse_sample.py).
BROWSE_PAGES = [
    ("index.html", "browse_home.html"),
    ("p/acme-utils/index.html", "browse_p_acme-utils.html"),
    ("p/acme-core/index.html", "browse_p_acme-core.html"),
    ("p/beta-tool/index.html", "browse_p_beta-tool.html"),
    ("p/zeta-utils/index.html", "browse_p_zeta-utils.html"),
    ("problems/index.html", "browse_problems.html"),
    ("404.html", "browse_404.html"),
    ("packages.json", "browse_packages.json"),
    ("robots.txt", "browse_robots.txt"),
    ("assets/site.js", "browse_site.js"),
    ("assets/site.css", "browse_site.css"),
]


def golden_site() -> dict[str, bytes]:
    return render_site(sample_index(), site_url="https://acme.github.io/index")


def golden_files() -> dict[str, bytes]:
    """Every golden file's expected bytes, by file name: what `python -m tests.update_golden` writes."""
    site = golden_site()
    browse = render_site(browse_index(), site_url=SITE_URL, public=PUBLIC)
    files = {golden: site[page] for page, golden in GOLDEN_PAGES}
    files.update({golden: browse[page] for page, golden in BROWSE_PAGES})
    files["browse_home_no_site_url.html"] = render_site(browse_index(), public=PUBLIC)["index.html"]
    return files


def check_golden(name: str, actual: bytes) -> None:
    path = GOLDEN / name
    assert path.exists(), f"missing golden file {name}: run `python -m tests.update_golden`"
    assert actual == path.read_bytes(), (
        f"{name} differs; if the change is meant: `python -m tests.update_golden`"
    )


@pytest.mark.parametrize(("page", "golden"), GOLDEN_PAGES)
def test_pages_match_golden_files(page: str, golden: str) -> None:
    check_golden(golden, golden_site()[page])


@pytest.mark.parametrize(("page", "golden"), BROWSE_PAGES)
def test_browse_pages_match_golden_files(page: str, golden: str) -> None:
    site = render_site(browse_index(), site_url=SITE_URL, public=PUBLIC)
    check_golden(golden, site[page])


def test_browse_home_without_site_url_matches_golden_file() -> None:
    check_golden("browse_home_no_site_url.html", render_site(browse_index(), public=PUBLIC)["index.html"])


def test_site_has_one_page_per_project_and_is_deterministic() -> None:
    site = render_site(sample_index())
    assert sorted(site) == [
        "404.html",
        "assets/site.css",
        "assets/site.js",
        "index.html",
        "p/acme-utils/index.html",
        "p/zeta-utils/index.html",
        "packages.json",
        "problems/index.html",
        "robots.txt",
        "simple/acme-utils/index.html",
        "simple/index.html",
        "simple/zeta-utils/index.html",
        "uv/overrides.txt",
    ]
    assert site == render_site(sample_index())


class Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append(dict(attrs))


def test_project_page_anchors_are_only_release_links_with_escaped_requires_python() -> None:
    page = render_site(sample_index())["simple/acme-utils/index.html"].decode()
    assert 'data-requires-python="&gt;=3.9,&lt;4"' in page
    parser = Anchors()
    parser.feed(page)
    assert [a["href"] for a in parser.anchors] == [
        f"git+https://github.com/acme/utils.git@{A}#egg=acme-utils-1.0.0",
        f"git+https://github.com/acme/utils.git@{B}#egg=acme-utils-2.0.0",
    ]
    assert [a["data-requires-python"] for a in parser.anchors] == [">=3.8", ">=3.9,<4"]


def test_root_page_declares_the_api_version_and_links_names() -> None:
    page = render_site(sample_index())["simple/index.html"].decode()
    assert '<meta name="pypi:repository-version" content="1.0">' in page
    parser = Anchors()
    parser.feed(page)
    assert [a["href"] for a in parser.anchors] == ["acme-utils/", "zeta-utils/"]


def test_browse_page_escapes_descriptions() -> None:
    page = render_site(sample_index())["index.html"].decode()
    assert "Utilities &amp; &lt;helpers&gt; &#34;quoted&#34;" in page
    assert "<helpers>" not in page


def test_report_lists_releases_and_skips() -> None:
    data = json.loads(render_json(report_data(sample_index())))
    assert data["projects"]["acme-utils"]["repository"] == "acme/utils"
    assert data["projects"]["acme-utils"]["releases"][0] == {
        "version": "1.0.0",
        "tag": "v1.0.0",
        "commit": A,
        "url": f"git+https://github.com/acme/utils.git@{A}#egg=acme-utils-1.0.0",
        "requires_python": ">=3.8",
    }
    assert data["skipped"] == []


def test_report_json_puts_each_record_on_one_line_with_sorted_keys() -> None:
    data = {
        "projects": {
            "b": {"repository": "acme/b", "releases": [{"version": "2", "tag": "v2", "yanked": None}]}
        },
        "config": {"exclude": {"value": ["sandbox-*", "é"], "source": "indexgen.toml"}},
        "skipped": [{"repository": "acme/x", "tag": None, "reason": 'a "fork"'}],
        "warnings": [],
        "public_names": {},
    }
    text = render_json(data).decode()
    assert json.loads(text) == data
    assert text == (
        "{\n"
        '  "config": {\n'
        '    "exclude": {"source": "indexgen.toml", "value": ["sandbox-*", "é"]}\n'
        "  },\n"
        '  "projects": {\n'
        '    "b": {\n'
        '      "releases": [\n'
        '        {"tag": "v2", "version": "2", "yanked": null}\n'
        "      ],\n"
        '      "repository": "acme/b"\n'
        "    }\n"
        "  },\n"
        '  "public_names": {},\n'
        '  "skipped": [\n'
        '    {"reason": "a \\"fork\\"", "repository": "acme/x", "tag": null}\n'
        "  ],\n"
        '  "warnings": []\n'
        "}\n"
    )


def test_report_json_in_pieces_is_the_whole_report_and_makes_projects_one_at_a_time() -> None:
    from indexgen.render import json_chunks

    data = report_data(
        sample_index(), {"zeta-utils": "9.0"}, {"link_style": {"value": "https", "source": "default"}}
    )
    pieces = list(json_chunks(data))
    assert b"".join(pieces) == render_json(data)
    assert len(pieces) > 10 and max(map(len, pieces)) < len(render_json(data)) / 2
    assert json.loads(render_json(data))["projects"]["zeta-utils"]["releases"][0]["version"] == "0.1"
    empty = render_json(report_data(build_index([], {})))
    assert json.loads(empty)["projects"] == {} and b'"projects": {}' in empty


def test_site_pages_come_in_path_order_one_render_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer gets each page as soon as it is rendered: the next one is not made before it is
    asked for, so a site of hundreds of megabytes never exists whole."""
    rendered: list[str] = []
    real = render.render_project_page

    def counted(project: Project) -> str:
        rendered.append(project.name)
        return real(project)

    monkeypatch.setattr(render, "render_project_page", counted)
    whole = render_site(sample_index())
    rendered.clear()
    paths = []
    for path, data in render.site_pages(sample_index()):
        paths.append(path)
        assert (data if isinstance(data, bytes) else b"".join(data)) == whole[path]
        if path.startswith("simple/") and path != "simple/index.html":
            assert rendered[-1] == path.split("/")[1]  # rendered just now, for this very page
        assert len(rendered) == sum(1 for p in paths if p.startswith("simple/") and p != "simple/index.html")
    assert paths == sorted(whole) and len(rendered) == len(sample_index().projects)
