"""A monorepo's tags through `build_index`: each tag to its project, metadata read per directory,
links with `#subdirectory=` that pip's own parser reads back (https and ssh link styles)."""

from __future__ import annotations

import pytest
from packaging.utils import canonicalize_name

from indexgen.build import BuildOptions, build_index
from indexgen.models import ProjectMetadata, RepoSnapshot, Skip, TagRef
from indexgen.monorepo import SubProject, metadata_key
from tests.test_versions import _pip_parse_page, pip_git

C1, C2, C3, C4 = ("1" * 40, "2" * 40, "3" * 40, "4" * 40)
CLONE = "https://github.com/acme/mono.git"

REPO = RepoSnapshot(
    "acme/mono",
    CLONE,
    "https://github.com/acme/mono",
    "2020-01-01T00:00:00Z",
    ssh_url="git@github.com:acme/mono.git",
    tags=(
        TagRef("acme-core-v1.0.0", C1),
        TagRef("core/1.1.0", C2),
        TagRef("acme-cli-v0.3.0", C3),
        TagRef("v9.9", C4),
    ),
)
LAYOUT = (SubProject("libs/core", "acme-core"), SubProject("apps/cli", "acme-cli"))
CORE = ProjectMetadata("acme-core", None)
METADATA = {
    metadata_key(C1, "libs/core"): CORE,
    metadata_key(C2, "libs/core"): CORE,
    metadata_key(C3, "apps/cli"): ProjectMetadata("acme-cli", "0.3.0", dependencies=("acme-core>=1.1",)),
    # The root's metadata at these commits (a workspace tool's file) is not the projects'.
    C1: ProjectMetadata("workspace", None),
    C3: ProjectMetadata("workspace", None),
}


def _index(style: str = "https") -> dict[str, dict[str, str]]:
    options = BuildOptions(link_style=style, layouts={"acme/mono": LAYOUT})
    index = build_index([REPO], METADATA, options)
    return {p.name: {r.version: r.url for r in p.releases} for p in index.projects}


def test_each_tag_publishes_its_projects_release_with_a_subdirectory_link() -> None:
    assert _index() == {
        "acme-cli": {"0.3.0": f"git+{CLONE}@{C3}#subdirectory=apps/cli&egg=acme-cli-0.3.0"},
        "acme-core": {
            "1.0.0": f"git+{CLONE}@{C1}#subdirectory=libs/core&egg=acme-core-1.0.0",
            "1.1.0": f"git+{CLONE}@{C2}#subdirectory=libs/core&egg=acme-core-1.1.0",
        },
    }


def test_a_tag_naming_no_project_is_skipped_with_the_candidates() -> None:
    index = build_index([REPO], METADATA, BuildOptions(layouts={"acme/mono": LAYOUT}))
    reason = (
        "tag names none of the repository's projects (candidates: libs/core as acme-core/core, "
        "apps/cli as acme-cli/cli)"
    )
    assert index.skipped == (Skip("acme/mono", "v9.9", reason),)


def test_metadata_not_read_for_the_directory_is_a_skip_not_the_roots() -> None:
    metadata = {k: v for k, v in METADATA.items() if k != metadata_key(C3, "apps/cli")}
    index = build_index([REPO], metadata, BuildOptions(layouts={"acme/mono": LAYOUT}))
    assert "acme-cli" not in {p.name for p in index.projects}
    assert Skip("acme/mono", "acme-cli-v0.3.0", "metadata at this commit was not read") in index.skipped


def test_a_single_root_project_keeps_todays_rules() -> None:
    repo = RepoSnapshot("acme/one", "https://github.com/acme/one.git", "h", "t", tags=(TagRef("v1.0", C1),))
    options = BuildOptions(layouts={"acme/one": (SubProject(""),)})
    index = build_index([repo], {C1: ProjectMetadata("one", None)}, options)
    assert [r.url for p in index.projects for r in p.releases] == [
        f"git+https://github.com/acme/one.git@{C1}#egg=one-1.0"
    ]


@pytest.mark.parametrize("style", ["https", "ssh"])
def test_pip_reads_the_subdirectory_back(style: str) -> None:
    """pip/_internal/models/link.py `Link.subdirectory_fragment` takes the fragment's raw value (no
    unquoting), and the revision is split at the URL path's last `@`."""
    for project, releases in _index(style).items():
        for version, url in releases.items():
            assert "&amp;" not in url  # escaped once, by the page template
            link = _pip_parse_page(url, project)
            assert link.subdirectory_fragment in ("libs/core", "apps/cli")
            assert link.egg_fragment == f"{canonicalize_name(project)}-{version}"
            repo_url, rev, _ = pip_git.Git.get_url_rev_and_auth(link.url)
            assert rev in (C1, C2, C3)
            expected = "ssh://git@github.com/acme/mono.git" if style == "ssh" else CLONE
            assert repo_url == expected


def test_the_rendered_page_escapes_the_ampersand_and_pip_reads_it() -> None:
    """`&amp;` in the HTML; pip's HTML parser unescapes it back to one `&`."""
    from pip._internal.index.collector import IndexContent, parse_links

    from indexgen.render import render_project_page

    index = build_index([REPO], METADATA, BuildOptions(layouts={"acme/mono": LAYOUT}))
    core = next(p for p in index.projects if p.name == "acme-core")
    page = render_project_page(core)
    assert "#subdirectory=libs/core&amp;egg=acme-core-1.1.0" in page
    assert "&egg" not in page
    content = IndexContent(
        page.encode(), "text/html", "utf-8", "https://x.test/simple/acme-core/", cache_link_parsing=False
    )
    links = list(parse_links(content))
    assert [(link.subdirectory_fragment, link.egg_fragment) for link in links] == [
        ("libs/core", "acme-core-1.0.0"),
        ("libs/core", "acme-core-1.1.0"),
    ]
