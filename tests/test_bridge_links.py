"""The bridge's reading of upstream pages: which links it serves, which it refuses and why, and the
pages it writes in their place."""

from __future__ import annotations

import pytest
from packaging.utils import canonicalize_name

from indexgen.bridge.links import (
    Anchor,
    Refused,
    Release,
    check_clone_url,
    parse_filename,
    parse_project,
    parse_release,
    parse_root,
    render_project,
    render_root,
)

SHA = "3f2c9a" + "0" * 34
HOSTS = ("github.com",)
NAME = canonicalize_name("acme-utils")


def release(href: str) -> Release | Refused:
    return parse_release(Anchor(href, "x"), NAME, HOSTS)


@pytest.mark.parametrize(
    ("href", "url", "subdirectory", "version"),
    [
        (
            f"git+https://github.com/acme/utils.git@{SHA}#egg=acme-utils-2.1.0",
            "https://github.com/acme/utils.git",
            "",
            "2.1.0",
        ),
        (
            f"git+ssh://git@github.com/acme/utils.git@{SHA}#egg=acme_utils-2.1",
            "ssh://git@github.com/acme/utils.git",
            "",
            "2.1",
        ),
        (
            f"git+https://github.com/acme/mono.git@{SHA}#subdirectory=libs/utils&egg=acme-utils-1.0rc1",
            "https://github.com/acme/mono.git",
            "libs/utils",
            "1.0rc1",
        ),
        (
            f"git+https://GitHub.com/acme/utils@{SHA}#egg=Acme.Utils-1.0.0.RC1",
            "https://GitHub.com/acme/utils",
            "",
            "1.0.0rc1",
        ),
    ],
)
def test_served_links(href: str, url: str, subdirectory: str, version: str) -> None:
    found = release(href)
    assert isinstance(found, Release), found
    assert (found.clone_url, found.commit, found.subdirectory, found.version) == (
        url,
        SHA,
        subdirectory,
        version,
    )
    assert found.filename == f"acme_utils-{version}.tar.gz"


@pytest.mark.parametrize(
    ("href", "reason"),
    [
        (f"git+file:///srv/acme/utils.git@{SHA}#egg=acme-utils-1.0", "only https and ssh"),
        (f"git+ext::sh -c touch% /tmp/pwned@{SHA}#egg=acme-utils-1.0", "blanks"),
        (f"git+ext::sh@{SHA}#egg=acme-utils-1.0", "only https and ssh"),
        (f"git+-uhttps://github.com/acme/utils.git@{SHA}#egg=acme-utils-1.0", "option"),
        (f"git+/srv/acme/utils.git@{SHA}#egg=acme-utils-1.0", "only https and ssh"),
        (f"git+http://github.com/acme/utils.git@{SHA}#egg=acme-utils-1.0", "only https and ssh"),
        (f"git+https://evil.example/acme/utils.git@{SHA}#egg=acme-utils-1.0", "not in the allowed hosts"),
        (
            f"git+https://github.com.evil.example/acme/utils.git@{SHA}#egg=acme-utils-1.0",
            "not in the allowed hosts",
        ),
        (f"git+https://user:pw@github.com/acme/utils.git@{SHA}#egg=acme-utils-1.0", "credentials"),
        (f"git+ssh://-oProxyCommand=touch/acme/utils.git@{SHA}#egg=acme-utils-1.0", "host"),
        (f"git+ssh://-oProxyCommand@github.com/acme/utils.git@{SHA}#egg=acme-utils-1.0", "ssh user"),
        (f"git+https://github.com/acme/../../etc/utils.git@{SHA}#egg=acme-utils-1.0", "path"),
        (f"git+https://github.com/acme/utils.git?x=1@{SHA}#egg=acme-utils-1.0", "query"),
        (
            f"git+https://github.com/acme/utils.git@{SHA}#subdirectory=../..&egg=acme-utils-1.0",
            "subdirectory",
        ),
        (f"git+https://github.com/acme/utils.git@{SHA}#subdirectory=/etc&egg=acme-utils-1.0", "subdirectory"),
        (
            f"git+https://github.com/acme/utils.git@{SHA}#subdirectory=a/../../b&egg=acme-utils-1.0",
            "subdirectory",
        ),
        (
            f"git+https://github.com/acme/utils.git@{SHA}#subdirectory=.git/hooks&egg=acme-utils-1.0",
            "subdirectory",
        ),
        (f"git+https://github.com/acme/utils.git@{SHA}#subdirectory=-x&egg=acme-utils-1.0", "subdirectory"),
        ("git+https://github.com/acme/utils.git@v1.0#egg=acme-utils-1.0", "40-hex"),
        ("git+https://github.com/acme/utils.git#egg=acme-utils-1.0", "pins no commit"),
        (f"git+https://github.com/acme/utils.git@{SHA}#egg=other-1.0", "does not name"),
        (f"git+https://github.com/acme/utils.git@{SHA}#egg=acme-utils-1.0+local", "local"),
        (f"git+https://github.com/acme/utils.git@{SHA}#egg=acme-utils-not.a.version", "valid version"),
        (f"git+https://github.com/acme/utils.git@{SHA}#egg=acme-utils-1.0&egg=acme-utils-2.0", "repeats"),
        ("https://files.example/acme_utils-1.0.tar.gz", "not a git link"),
    ],
)
def test_hostile_links_are_refused(href: str, reason: str) -> None:
    found = release(href)
    assert isinstance(found, Refused), found
    assert reason in found.reason


def test_allowed_hosts_are_a_parameter() -> None:
    assert check_clone_url("https://git.acme.test/acme/utils.git", ("git.acme.test",)) is None
    assert check_clone_url("https://git.acme.test/acme/utils.git", HOSTS) is not None


def test_project_page_round_trip() -> None:
    page = (
        f'<a href="git+https://github.com/acme/utils.git@{SHA}#egg=acme-utils-2.0" '
        'data-requires-python="&gt;=3.9">acme-utils-2.0</a>\n'
        f'<a href="git+https://github.com/acme/utils.git@{"1" * 40}#egg=acme-utils-1.0" data-yanked="">1.0</a>\n'
        f'<a href="git+file:///etc@{SHA}#egg=acme-utils-9.9">evil</a>\n'
    )
    listing = parse_project(page, NAME, HOSTS)
    assert [r.version for r in listing.releases] == ["2.0", "1.0"]
    assert [r.requires_python for r in listing.releases] == [">=3.9", None]
    assert [r.yanked for r in listing.releases] == [None, ""]
    assert len(listing.refused) == 1
    assert listing.find(SHA, "acme_utils-2.0.tar.gz") == listing.releases[0]
    assert listing.find("1" * 40, "acme_utils-2.0.tar.gz") is None  # the pair, not the commit alone
    html = render_project(listing, {f"/files/{SHA}/acme_utils-2.0.tar.gz": "ab" * 32}).decode()
    assert (
        f'href="../../files/{SHA}/acme_utils-2.0.tar.gz#sha256={"ab" * 32}" data-requires-python="&gt;=3.9"'
        in html
    )
    assert f'href="../../files/{"1" * 40}/acme_utils-1.0.tar.gz" data-yanked=""' in html
    assert "9.9" not in html and "file:" not in html


def test_root_page() -> None:
    page = '<a href="acme-utils/">acme-utils</a><a href="Zeta.Utils/">Zeta.Utils</a><a href="x">&lt;script&gt;</a>'
    assert parse_root(page) == ["acme-utils", "zeta-utils"]
    assert b'<a href="zeta-utils/">zeta-utils</a>' in render_root(parse_root(page))


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("acme_utils-2.0.0.tar.gz", ("acme-utils", "2.0.0")),
        ("acme_utils-2.0.0.tar", None),
        ("acme_utils-2.0.0.zip", None),
        ("../acme_utils-2.0.0.tar.gz", None),
        ("acme_utils.tar.gz", None),
    ],
)
def test_parse_filename(filename: str, expected: tuple[str, str] | None) -> None:
    assert parse_filename(filename) == expected
