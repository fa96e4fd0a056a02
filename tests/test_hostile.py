"""Hostile and broken input, generated: whatever repositories, tags, descriptions and metadata files
hold, the build never crashes and every page is HTML that pip parses into exactly our releases."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import markupsafe
import pip._internal.index.collector as pip_collector
import pip._internal.index.package_finder as pip_finder
import pip._internal.models.target_python as pip_target
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name
from packaging.version import Version

from indexgen.build import build_index
from indexgen.github.scanner import relevant_files
from indexgen.metadata import parse_metadata
from indexgen.models import MetadataProblem, RepoSnapshot, SourceFiles, TagRef
from indexgen.render import render_site

NASTY = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '"',
        "'",
        "&amp;",
        "\u202e",
        "\x00",
        "#",
        "@",
        "%",
        "&",
        "+",
        "!",
        " ",
        "\n",
        "..",
        "/",
        "é",
        "💥",
        "v1.0",
        "1.0",
        "egg=",
        "]]>",
        "-->",
    ]
)
TEXT = st.lists(st.one_of(NASTY, st.text(max_size=8)), max_size=6).map("".join)
SHA = st.text("0123456789abcdef", min_size=40, max_size=40)
VALID_TAG = st.from_regex(
    r"v?[0-9]{1,3}(\.[0-9]{1,3}){0,3}((a|b|rc|\.post|\.dev)[0-9]{1,2})?", fullmatch=True
)
TAG = st.one_of(
    VALID_TAG,
    TEXT,
    st.from_regex(
        r"v?[0-9]{1,3}(\.[0-9]{1,3}){0,3}((a|b|rc|\.post|\.dev)[0-9]{1,2})?(\+[a-z0-9.]{1,6})?",
        fullmatch=True,
    ),
    st.just("1!2.0"),
)
VALID_NAME = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,12}[A-Za-z0-9])?", fullmatch=True)
NAME = st.one_of(VALID_NAME, VALID_NAME, VALID_NAME, TEXT)


def toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@st.composite
def pyproject(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 4)) == 0:
        return draw(TEXT)  # arbitrary garbage, often not TOML at all
    lines = ["[project]", f"name = {toml_string(draw(NAME))}"]
    lines.append(
        'dynamic = ["version"]' if draw(st.integers(0, 3)) else f"version = {toml_string(draw(TAG))}"
    )
    if draw(st.booleans()):
        lines.append(
            f"requires-python = {toml_string(draw(st.one_of(TEXT, st.just('>=3.8,<4'), st.just('<3'))))}"
        )
    return "\n".join(lines) + "\n"


@st.composite
def files(draw: st.DrawFn) -> SourceFiles:
    return SourceFiles(
        pyproject_toml=draw(pyproject() | pyproject() | st.none()),
        setup_cfg=draw(st.none() | TEXT.map(lambda t: f"[metadata]\nname = {t}\nversion = 1.0\n")),
        setup_py=draw(
            st.none()
            | TEXT.map(lambda t: f"from setuptools import setup\nsetup(name={t!r}, version='1.0')\n")
        ),
    )


@st.composite
def repos(draw: st.DrawFn) -> tuple[list[RepoSnapshot], dict[str, SourceFiles]]:
    snapshots, contents = [], {}
    for i in range(draw(st.integers(1, 4))):
        name = draw(TEXT) or f"r{i}"
        tags = []
        project = draw(VALID_NAME)
        for _ in range(draw(st.integers(0, 5))):
            sha = draw(SHA)
            if draw(st.booleans()):  # a well-formed project, so that plenty of releases get published
                tag = draw(VALID_TAG)
                requires = draw(st.sampled_from(["", 'requires-python = ">=3.8"', 'requires-python = "<3"']))
                contents[sha] = SourceFiles(
                    f'[project]\nname = "{project}"\ndynamic = ["version"]\n{requires}\n'
                )
            else:
                tag = draw(TAG)
                contents[sha] = draw(files())
            if tag not in {t.name for t in tags}:
                tags.append(TagRef(tag, sha))
        snapshots.append(
            RepoSnapshot(
                full_name=f"acme/{name}",
                clone_url=draw(
                    st.sampled_from(
                        [
                            f"https://github.com/acme/{name}.git",
                            "https://ghe.example.com/my org/ré@po.git",
                            "javascript:alert(1)",
                            "https://user:tok@github.com/acme/x.git",
                        ]
                    )
                ),
                html_url=draw(
                    st.sampled_from([f"https://github.com/acme/{name}", "javascript:alert(1)", '"><script>'])
                ),
                created_at=draw(st.sampled_from(["2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"])),
                description=draw(TEXT),
                tags=tuple(tags),
            )
        )
    return snapshots, contents


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[dict[str, str | None]] = []
        self.tags: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.script_text = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.anchors.append(dict(attrs))
        if tag == "script":
            self.scripts.append(dict(attrs))
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text += data


def pip_links(page: bytes, project: str) -> list:  # type: ignore[type-arg]
    content = pip_collector.IndexContent(
        page, "text/html", "utf-8", f"https://acme.github.io/i/simple/{project}/", cache_link_parsing=False
    )
    return list(pip_collector.parse_links(content))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(repos())
def test_any_input_renders_pages_pip_parses_into_exactly_our_releases(
    generated: tuple[list[RepoSnapshot], dict[str, SourceFiles]],
) -> None:
    snapshots, contents = generated
    metadata = {sha: parse_metadata(relevant_files(f)) for sha, f in contents.items()}
    for result in metadata.values():
        assert "\n" not in getattr(result, "reason", "")  # reasons are one line
    index = build_index(snapshots, metadata)
    site = render_site(index)
    event(f"projects published: {min(len(index.projects), 2)}")
    event(f"releases: {min(index.release_count, 3)}")

    for project in index.projects:
        page = site[f"simple/{project.name}/index.html"]
        links = pip_links(page, project.name)  # raises on an invalid egg fragment (pip >= 26)
        assert len(links) == len(project.releases)
        evaluator = pip_finder.LinkEvaluator(
            project.name,
            canonicalize_name(project.name),
            frozenset({"source", "binary"}),
            pip_target.TargetPython(),
            allow_yanked=False,
        )
        for link, release in zip(links, project.releases, strict=True):
            assert link.egg_fragment == f"{project.name}-{release.version}"
            kind, detail = evaluator.evaluate_link(link)
            assert kind == pip_finder.LinkType.candidate or "Python" in detail, (
                detail
            )  # requires-python may exclude us
            assert f"@{release.commit}" in link.url and "tok@" not in link.url
    for path, data in site.items():
        if not path.endswith(".html"):
            continue
        parser = Page()
        parser.feed(data.decode("utf-8"))
        # The one script is the site's own file; nothing from the input ever becomes a script.
        assert parser.script_text == "", path
        assert all((s.get("src") or "").endswith("assets/site.js") for s in parser.scripts), path
        if path.startswith("simple/"):
            assert "script" not in parser.tags, path
        for anchor in parser.anchors:
            assert not (anchor.get("href") or "").lower().startswith("javascript:"), path
    browse = site["index.html"].decode()
    for project in index.projects:
        assert str(markupsafe.escape(project.description)) in browse


def toml_text(value: str) -> str:
    """A TOML basic string holding any text: every control character, quote and backslash escaped."""
    return '"' + re.sub(r'[\x00-\x1f\x7f"\\]', lambda m: f"\\u{ord(m.group()):04x}", value) + '"'


SPECIFIER = st.sampled_from([">=3.8", ">=3.9,<4", "~=3.10", "!=3.0.*,>=2.7"])
ONE_LINE = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")  # what would end or break an ini line
HOSTILE = st.lists(st.one_of(NASTY, st.text(max_size=8)), min_size=1, max_size=6).map("".join)


@st.composite
def release_files(draw: st.DrawFn) -> tuple[str, SourceFiles, str | None]:
    """A release tag and structurally valid metadata files for it (a `[project]` table, a setup.cfg
    `[metadata]` section with a setup.py shim, or a static `setup()` call) whose values are hostile
    text or good. Returns the tag, the files and the project name that must then be published (None
    when a value is hostile enough that a skip is just as right)."""
    tag = draw(VALID_TAG)
    good_name = draw(st.booleans())
    name = draw(VALID_NAME) if good_name else draw(HOSTILE)
    mode = draw(st.sampled_from(["dynamic", "same", "hostile"]))
    version = tag.lstrip("v") if mode == "same" else draw(HOSTILE)
    good_requires = draw(st.booleans())
    requires = draw(SPECIFIER) if good_requires else draw(HOSTILE)
    summary = draw(HOSTILE)  # free text: it must be escaped wherever it appears, never refused
    kind = draw(st.sampled_from(["pyproject", "setup.cfg", "setup.py"]))
    if kind == "pyproject":
        lines = ["[project]", f"name = {toml_text(name)}", f"description = {toml_text(summary)}"]
        lines.append('dynamic = ["version"]' if mode == "dynamic" else f"version = {toml_text(version)}")
        lines.append(f"requires-python = {toml_text(requires)}")
        files = SourceFiles(pyproject_toml="\n".join(lines) + "\n")
    elif kind == "setup.cfg":
        # One ini line each: no control characters nor other line breaks (a NUL makes it binary).
        flat = {
            k: re.sub(r"[\x00-\x1f\x7f\x85\u2028\u2029]", " ", v)
            for k, v in (("name", name), ("summary", summary))
        }
        cfg = f"[metadata]\nname = {flat['name']}\ndescription = {flat['summary']}\n"
        cfg += "" if mode == "dynamic" else f"version = {ONE_LINE.sub(' ', version)}\n"
        cfg += f"[options]\npython_requires = {ONE_LINE.sub(' ', requires)}\n"
        files = SourceFiles(setup_cfg=cfg, setup_py="from setuptools import setup\nsetup()\n")
        good_name = good_name and flat["name"].strip() == name
        mode = "hostile" if mode == "dynamic" else mode  # setup.cfg without a version: not a dynamic one
    else:
        version_arg = "" if mode == "dynamic" else f", version={version!r}"
        call = f"setup(name={name!r}{version_arg}, python_requires={requires!r}, description={summary!r})"
        files = SourceFiles(setup_py=f"from setuptools import setup\n{call}\n")
        mode = "hostile" if mode == "dynamic" else mode
    must = good_name and good_requires and mode in ("dynamic", "same")
    return tag, files, canonicalize_name(name) if must else None


@settings(max_examples=300, deadline=None)
@given(release_files(), HOSTILE)
def test_structured_metadata_with_hostile_values_publishes_or_skips_with_one_line(
    drawn: tuple[str, SourceFiles, str | None], description: str
) -> None:
    """Whole metadata files as real projects write them, with hostile values: good values are
    published (the page pip parses holds the release), hostile ones are skipped with a one-line
    reason, and nothing hostile reaches a page unescaped."""
    tag, files, must_publish = drawn
    sha = "a" * 40
    result = parse_metadata(relevant_files(files))
    if isinstance(result, MetadataProblem):
        assert "\n" not in result.reason and "\r" not in result.reason and len(result.reason) < 400
    repo = RepoSnapshot(
        "acme/proj", "https://github.com/acme/proj.git", "https://github.com/acme/proj", "2020-01-01T00:00:00Z",
        description=description, tags=(TagRef(tag, sha),),
    )  # fmt: skip
    index = build_index([repo], {sha: result})
    event(f"published: {bool(index.projects)}")
    if must_publish is not None:
        assert [p.name for p in index.projects] == [must_publish], (files, result, index.skipped)
    site = render_site(index)
    for project in index.projects:
        (link,) = pip_links(site[f"simple/{project.name}/index.html"], project.name)
        assert link.egg_fragment == f"{project.name}-{project.releases[0].version}"
        assert project.releases[0].version == str(Version(tag.lstrip("v")))
    for path, data in site.items():
        if not path.endswith(".html"):
            continue  # packages.json, robots.txt, the overrides file: never parsed as HTML
        parser = Page()
        parser.feed(data.decode("utf-8"))
        # The one script is the site's own file; nothing from the input ever becomes a script.
        assert parser.script_text == "", path
        assert all((s.get("src") or "").endswith("assets/site.js") for s in parser.scripts), path
    assert len(index.projects) + len(index.skipped) == 1
