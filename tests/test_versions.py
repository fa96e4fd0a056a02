"""indexgen.versions: tags to versions, tag/metadata agreement, and links pip reads back exactly."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from indexgen.models import ProjectMetadata
from indexgen.versions import (
    DEFAULT_TAG_PATTERN,
    EGG_FRAGMENT_RE,
    EPOCH_VERSION,
    LOCAL_VERSION,
    NOT_A_VERSION,
    build_link,
    compile_tag_pattern,
    egg_fragment,
    is_valid_egg_fragment,
    parse_tag_version,
    release_version,
)

SHA = "3f2c" + "0" * 35 + "1"
CLONE = "https://github.com/acme/utils.git"

# --- tags ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("v1.0", Version("1.0")),
        ("1.0", Version("1.0")),
        ("V1.0", NOT_A_VERSION),  # the default prefix is a lowercase v; `(?i)` in the pattern allows V
        ("vv1.0", NOT_A_VERSION),  # packaging would swallow the second v: the prefix is the pattern's job
        ("release-1.0", NOT_A_VERSION),
        ("v1.0+local", LOCAL_VERSION),
        ("1.0+ubuntu.1", LOCAL_VERSION),
        ("1!1.0", EPOCH_VERSION),
        ("v1!1.0+x", EPOCH_VERSION),
        ("0!1.0", Version("1.0")),  # an explicit zero epoch is no epoch
        ("v2.0.0-rc.1", Version("2.0.0rc1")),
        ("v1.0.0.post1", Version("1.0.0.post1")),
        ("v1.0-1", Version("1.0.post1")),
        ("v1.0.dev3", Version("1.0.dev3")),
        ("latest", NOT_A_VERSION),
        ("", NOT_A_VERSION),
        ("v", NOT_A_VERSION),
        (" 1.0", NOT_A_VERSION),
        ("1.0\n", NOT_A_VERSION),
        ("v1.0/docs", NOT_A_VERSION),
        ("v١.٠", NOT_A_VERSION),  # Arabic-Indic digits: packaging's version regex is [0-9]
    ],
    ids=lambda v: repr(v) if isinstance(v, str) else None,
)
def test_parse_tag_version(tag: str, expected: Version | str) -> None:
    assert parse_tag_version(tag) == expected


@pytest.mark.parametrize(
    ("pattern", "tag", "expected"),
    [
        (r"^release-(?P<version>.+)$", "release-1.0", Version("1.0")),
        (r"^release-(?P<version>.+)$", "v1.0", NOT_A_VERSION),
        (r"(?i)^v?(?P<version>.+)$", "V1.0", Version("1.0")),
        (re.compile(r"acme-utils-(?P<version>[0-9].*)"), "acme-utils-2.1", Version("2.1")),
        (r"acme-(?P<version>.+)", "acme-1.0-extra", NOT_A_VERSION),
        (r"(?P<version>1\.0)", "1.0.1", NOT_A_VERSION),  # the pattern must match the whole tag
    ],
    ids=["release-prefix", "release-prefix-other-tag", "case-insensitive-v", "compiled", "junk", "fullmatch"],
)
def test_parse_tag_version_with_pattern(
    pattern: str | re.Pattern[str], tag: str, expected: Version | str
) -> None:
    assert parse_tag_version(tag, pattern) == expected


@pytest.mark.parametrize(
    "pattern",
    [r"^v?(.+)$", r"^v?(?P<version>.+$", re.compile(r"(?P<v>.+)")],
    ids=["no-version-group", "not-a-regex", "compiled-no-version-group"],
)
def test_bad_tag_pattern(pattern: str | re.Pattern[str]) -> None:
    with pytest.raises(ValueError, match="tag pattern"):
        compile_tag_pattern(pattern)
    with pytest.raises(ValueError):
        parse_tag_version("v1.0", pattern)


def test_default_tag_pattern() -> None:
    assert compile_tag_pattern(DEFAULT_TAG_PATTERN).pattern == r"^v?(?P<version>.+)$"


# --- tag and metadata ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag_version", "metadata_version", "expected"),
    [
        ("1.0", None, Version("1.0")),
        ("1.0", "1.0", Version("1.0")),
        ("1.0", "1.0.0", Version("1.0")),  # equal PEP 440 versions, as pip compares them
        ("1.0.0", "1.0", Version("1.0.0")),
        ("2.0.0rc1", "2.0.0-RC1", Version("2.0.0rc1")),
        ("1.0", "1.1", "metadata version 1.1 differs from tag version 1.0"),
        ("1.0", "1.0+local", "metadata version 1.0+local differs from tag version 1.0"),
        ("1.0", "1.0.post1", "metadata version 1.0.post1 differs from tag version 1.0"),
        ("1.0", "not\na version", "invalid metadata version 'not\\na version'"),
        ("1.0+x", None, LOCAL_VERSION),
        ("1!1.0", "1!1.0", EPOCH_VERSION),
    ],
    ids=[
        "dynamic",
        "same",
        "1.0-vs-1.0.0",
        "1.0.0-vs-1.0",
        "normalised-pre",
        "differs",
        "metadata-local",
        "metadata-post",
        "metadata-invalid",
        "tag-local",
        "tag-epoch",
    ],
)
def test_release_version(tag_version: str, metadata_version: str | None, expected: Version | str) -> None:
    metadata = ProjectMetadata(name="acme", version=metadata_version)
    assert release_version(Version(tag_version), metadata) == expected


# --- egg fragments ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "version", "fragment"),
    [
        ("acme-utils", "1.0", "acme-utils-1.0"),
        ("zeta.utils", "2.1.0rc1", "zeta-utils-2.1.0rc1"),
        ("A_B", "1.0.post2", "a-b-1.0.post2"),
        ("x", "1.0.dev3", "x-1.0.dev3"),
        ("Foo__Bar", "2.0.0-RC.1", "foo-bar-2.0.0rc1"),
        ("acme-1", "2", "acme-1-2"),
    ],
)
def test_egg_fragment(name: str, version: str, fragment: str) -> None:
    assert egg_fragment(name, Version(version)) == fragment
    assert is_valid_egg_fragment(fragment)


@pytest.mark.parametrize(
    ("name", "version"),
    [("acme", "1!2"), ("acme", "1.0+local"), ("-acme", "1.0"), ("acme utils", "1.0"), ("acmé", "1.0")],
    ids=["epoch", "local", "bad-name", "space", "non-ascii"],
)
def test_egg_fragment_rejects(name: str, version: str) -> None:
    with pytest.raises(ValueError):
        egg_fragment(name, Version(version))


@pytest.mark.parametrize(
    ("fragment", "valid"),
    [
        ("acme-utils-1.0", True),
        ("a-1", True),
        ("A_b.c-1.0.post2", True),
        ("acme-1.0+local", False),
        ("acme-1!2", False),
        ("acme[extra]-1.0", False),
        ("acme-1.0&x", False),
        ("acme>=1.0", False),
        ("", False),
        ("-acme-1", False),
        ("acme-", False),
        ("acme-1\n", False),  # pip's `^…$` with re.match accepts this; we never write it
        ("\u212a-1", False),  # Kelvin sign: pip's IGNORECASE regex accepts it; we never write it
    ],
)
def test_is_valid_egg_fragment(fragment: str, valid: bool) -> None:
    assert is_valid_egg_fragment(fragment) is valid


# --- links --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clone_url", "name", "version", "subdirectory", "link"),
    [
        (CLONE, "acme-utils", "2.1.0", "", f"git+{CLONE}@{SHA}#egg=acme-utils-2.1.0"),
        (
            CLONE,
            "Zeta.Utils",
            "1.0",
            "packages/zeta",
            f"git+{CLONE}@{SHA}#subdirectory=packages/zeta&egg=zeta-utils-1.0",
        ),
        (CLONE, "a", "1", "src/", f"git+{CLONE}@{SHA}#subdirectory=src&egg=a-1"),
        (
            "ssh://git@github.com/acme/utils.git",
            "acme-utils",
            "1.0",
            "",
            f"git+ssh://git@github.com/acme/utils.git@{SHA}#egg=acme-utils-1.0",
        ),
        (
            "https://ghe.example.com:8443/acme/utils.git",
            "acme-utils",
            "1.0",
            "",
            f"git+https://ghe.example.com:8443/acme/utils.git@{SHA}#egg=acme-utils-1.0",
        ),
        (
            "HTTPS://ghe.example.com/my org/ré@po#1&x%zz%20.git",
            "acme",
            "1.0",
            "",
            f"git+https://ghe.example.com/my%20org/r%C3%A9%40po%231%26x%25zz%20.git@{SHA}#egg=acme-1.0",
        ),
    ],
    ids=["plain", "subdirectory", "subdirectory-trailing-slash", "ssh", "port", "quoted-path"],
)
def test_build_link(clone_url: str, name: str, version: str, subdirectory: str, link: str) -> None:
    assert build_link(clone_url, SHA, name, Version(version), subdirectory) == link
    # The build passes the version's text it already has: the same link, and the same refusals.
    assert (
        build_link(clone_url, SHA, name, Version(version), subdirectory, text=str(Version(version))) == link
    )


@pytest.mark.parametrize("version", ["1!1.0", "1.0+local"])
def test_build_link_with_text_still_refuses_unpublishable_versions(version: str) -> None:
    with pytest.raises(ValueError, match="version"):
        build_link("https://github.com/acme/x.git", SHA, "acme", Version(version), text=str(Version(version)))


@pytest.mark.parametrize(
    ("clone_url", "commit", "subdirectory", "message"),
    [
        (CLONE, SHA.upper(), "", "40 lowercase hex"),
        (CLONE, SHA[:12], "", "40 lowercase hex"),
        (CLONE, "v1.0", "", "40 lowercase hex"),
        ("git@github.com:acme/utils.git", SHA, "", "not http"),
        ("git+https://github.com/acme/utils.git", SHA, "", "not http"),
        ("file:///srv/utils.git", SHA, "", "not http"),
        ("https://github.com/", SHA, "", "no repository path"),
        ("https://x-access-token:ghs_secret@github.com/acme/utils.git", SHA, "", "credentials"),
        ("https://ghp_token@github.com/acme/utils.git", SHA, "", "credentials"),
        ("ssh://git:secret@github.com/acme/utils.git", SHA, "", "never a password"),
        ("https://git hub.com/acme/utils.git", SHA, "", "bad host"),
        ("https://github.com#egg=evil-9/x.git", SHA, "", "bad host"),
        ("https://github.com:http/acme/utils.git", SHA, "", "bad port"),
        (CLONE, SHA, "/abs", "not a plain relative path"),
        (CLONE, SHA, "../up", "not a plain relative path"),
        (CLONE, SHA, "a//b", "not a plain relative path"),
        (CLONE, SHA, "my dir", "not a plain relative path"),
        (CLONE, SHA, "a&egg=evil-9", "not a plain relative path"),
        (CLONE, SHA, "pkgé", "not a plain relative path"),
    ],
)
def test_build_link_rejects(clone_url: str, commit: str, subdirectory: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_link(clone_url, commit, "acme", Version("1.0"), subdirectory)


# --- pip reads the links back (pip's own parsing, the version installed in the dev venv) -------------

# pip is a test dependency pinned to >= 26.0 (pyproject.toml): these tests run, never skip.
import pip  # noqa: E402
import pip._internal.exceptions as pip_exceptions  # noqa: E402
import pip._internal.index.collector as pip_collector  # noqa: E402
import pip._internal.index.package_finder as pip_finder  # noqa: E402
import pip._internal.models.link as pip_link  # noqa: E402
import pip._internal.models.target_python as pip_target  # noqa: E402
import pip._internal.vcs.git as pip_git  # noqa: E402

pip_version = Version(pip.__version__)


def test_the_pip_these_tests_read_links_with_is_the_pinned_one() -> None:
    assert pip_version >= Version("26.0"), f"pip {pip_version}: install the test extra (pip>=26.0)"


def _pip_parse_page(href: str, project: str) -> Any:  # a pip Link
    """One anchor on a simple page, parsed the way pip parses an index page."""
    page = f'<!DOCTYPE html><html><body><a href="{html.escape(href)}">{project}</a></body></html>'
    content = pip_collector.IndexContent(
        page.encode(),
        "text/html",
        "utf-8",
        f"https://acme.github.io/index/simple/{project}/",
        cache_link_parsing=False,  # pip caches parsed pages by URL; every test page is new
    )
    (link,) = list(pip_collector.parse_links(content))
    return link


NAMES = ["acme-utils", "zeta.utils", "A_B", "x"]
VERSIONS = ["1.0", "2.1.0rc1", "1.0.post2", "1.0.dev3"]


@pytest.mark.parametrize("subdirectory", ["", "pkgs/sub_dir"], ids=["root", "subdirectory"])
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", NAMES)
def test_pip_recovers_name_version_commit(name: str, version: str, subdirectory: str) -> None:
    canonical = canonicalize_name(name)
    url = build_link(CLONE, SHA, name, Version(version), subdirectory)
    link = _pip_parse_page(url, canonical)

    # pip/_internal/models/link.py: Link.egg_fragment (validated by Link._egg_fragment since pip 26.0)
    assert link.egg_fragment == f"{canonical}-{Version(version)}"
    # pip/_internal/index/package_finder.py: the version of a VCS link comes from the fragment only
    assert pip_finder._extract_version_from_fragment(link.egg_fragment, canonical) == str(Version(version))
    evaluator = pip_finder.LinkEvaluator(
        project_name=name,
        canonical_name=canonical,
        formats=frozenset({"binary", "source"}),
        target_python=pip_target.TargetPython(),
        allow_yanked=False,
    )
    kind, detail = evaluator.evaluate_link(link)
    assert (kind, detail) == (pip_finder.LinkType.candidate, str(Version(version)))
    assert Version(detail) == Version(version)
    # pip/_internal/vcs/git.py: Git.get_url_rev_and_auth splits the revision at the path's last "@"
    repo_url, rev, _ = pip_git.Git.get_url_rev_and_auth(link.url)
    assert (repo_url, rev) == (CLONE, SHA)
    assert link.subdirectory_fragment == (subdirectory or None)


def test_pip_recovers_a_quoted_clone_url() -> None:
    url = build_link("https://ghe.example.com/my org/ré@po.git", SHA, "acme", Version("1.0"))
    link = _pip_parse_page(url, "acme")
    repo_url, rev, _ = pip_git.Git.get_url_rev_and_auth(link.url)
    assert rev == SHA
    assert repo_url == "https://ghe.example.com/my%20org/r%C3%A9%40po.git"
    assert link.egg_fragment == "acme-1.0"


@pytest.mark.parametrize("version", ["1!2", "1.0+local"], ids=["epoch", "local"])
def test_pip_rejects_what_we_refuse_to_write(version: str) -> None:
    """The premise of LOCAL_VERSION / EPOCH_VERSION: pip >= 26 refuses such a fragment outright."""
    naive = f"git+{CLONE}@{SHA}#egg=acme-utils-{Version(version)}"
    with pytest.raises(pip_exceptions.InvalidEggFragment):
        pip_link.Link(naive).egg_fragment  # noqa: B018
    with pytest.raises(ValueError):
        egg_fragment("acme-utils", Version(version))


def test_egg_fragment_re_is_pips() -> None:
    """EGG_FRAGMENT_RE must stay the regex pip validates with (Link._project_name_re)."""
    pips = pip_link.Link._project_name_re
    assert (EGG_FRAGMENT_RE.pattern, EGG_FRAGMENT_RE.flags) == (pips.pattern, pips.flags)
