"""The pure parts of the GitHub Actions integration: escaping, the job summary, the comparison of two
builds, the state's generation and which copy of the state a build starts from."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import pytest

from indexgen import actions, commands
from indexgen.changes import Changes, compare_builds, site_digest
from indexgen.cli import _parser
from indexgen.commands import read_previous_state
from indexgen.errors import ConfigError, register_secret
from indexgen.models import Index, MovedTag, Project, Release, Skip
from indexgen.settings import Settings, settings_from
from indexgen.state import BuildState, StateUnreadable, dump_state, parse_state
from indexgen.write import STATE_FILE

A, B, C = "a" * 40, "b" * 40, "c" * 40
TOKEN = "ghp_unitTestTokenThatMustNeverAppear000000"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain", "plain"),
        ("50% done", "50%25 done"),
        ("a\nb", "a%0Ab"),
        ("a\r\n::error::x", "a%0D%0A:%3Aerror:%3Ax"),
        ("%0A", "%250A"),  # an escape sequence in the input stays literal
        ("x::set-output name=changed::true", "x:%3Aset-output name=changed:%3Atrue"),
        (f"token {TOKEN}", "token ***"),
    ],
)
def test_escape_data(text: str, escaped: str) -> None:
    register_secret(TOKEN)
    assert actions.escape_data(text) == escaped
    assert actions.workflow_command("warning", text) == f"::warning::{escaped}"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("acme-utils", "acme\\-utils"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert\\(1\\)&gt;"),
        ("[click](https://evil)", "\\[click\\]\\(https://evil\\)"),
        ("a | b", "a \\| b"),
        ("line\n# heading\n- item", "line \\# heading \\- item"),
        ("`code` *em* _u_", "\\`code\\` \\*em\\* \\_u\\_"),
        ("@everyone", "@\u200beveryone"),
        ("&amp;", "&amp;amp;"),
    ],
)
def test_escape_markdown(text: str, escaped: str) -> None:
    assert actions.escape_markdown(text) == escaped


def test_outputs_cannot_be_forged_by_a_value() -> None:
    text = actions.render_outputs({"site": "x\nchanged=true", "changed": "false"})
    blocks = re.findall(r"^(\w+)<<(ghadelimiter_[0-9a-f-]+)\n(.*?)\n\2\n", text, re.S | re.M)
    assert [(name, value) for name, _, value in blocks] == [("site", "x\nchanged=true"), ("changed", "false")]


def release(project: str, version: str, commit: str) -> Release:
    return Release(
        project, version, f"v{version}", commit, f"acme/{project}", f"git+https://x@{commit}#egg=x"
    )


def project(name: str, *releases: Release) -> Project:
    return Project(name, name, f"acme/{name}", f"https://github.com/acme/{name}", "", releases)


def test_compare_builds() -> None:
    before = {"utils": {"1.0": A, "1.1": B}, "old": {"0.1": A}}
    after = {"utils": {"1.0": C, "2.0": B}, "new": {"1.0": A}}
    changes = compare_builds(before, after, previous_digest="1" * 64, current_digest="2" * 64)
    assert changes == Changes(
        added=(("new", "1.0"), ("utils", "2.0")),
        removed=(("old", "0.1"), ("utils", "1.1")),
        recommitted=(("utils", "1.0"),),
        new_projects=("new",),
        gone_projects=("old",),
        pages_changed=True,
    )
    same = compare_builds(before, before, previous_digest="1" * 64, current_digest="1" * 64)
    assert same == Changes(pages_changed=False)
    assert compare_builds(before, before, previous_digest="", current_digest="").pages_changed  # unknown


def test_site_digest_sees_every_page_but_the_excluded() -> None:
    files = {"simple/index.html": b"a", "index.html": b"b", STATE_FILE: b"1"}
    digest = site_digest(files, frozenset({STATE_FILE}))
    assert digest == site_digest({**files, STATE_FILE: b"2"}, frozenset({STATE_FILE}))
    assert digest != site_digest({**files, "index.html": b"c"}, frozenset({STATE_FILE}))
    assert digest != site_digest({"simple/index.htmlindex.html": b"ab"}, frozenset())


def test_summary_lists_changes_warnings_and_every_skip_escaped() -> None:
    index = Index(
        (project("acme-utils", release("acme-utils", "2.0", A)),),
        skipped=(
            Skip("acme/utils", "v1.0+local", "local versions cannot be published"),
            Skip("acme/evil", "x<script>", "tag\n::error::pwned | <b>bold</b>"),
            Skip("acme/fork", None, "fork (forks are not published)"),
        ),
        warnings=("acme/b also claims acme-utils: acme/utils keeps it",),
        moved=(MovedTag("acme-utils", "2.0", "acme/utils", "v2.0", A, B, False),),
    )
    changes = compare_builds({"acme-utils": {"1.0": A}, "gone": {"1": A}}, {"acme-utils": {"2.0": A}})
    text = actions.render_summary(index, changes, {"acme-utils": "9.9"}, "2 GraphQL queries")
    assert text.startswith("## indexgen: 1 projects, 1 releases\n")
    assert "### Versions added (1)\n\n| project | version |\n|---|---|\n| `acme-utils` | `2.0` |" in text
    assert "### Versions removed (2)" in text and "| `gone` | `1` |" in text
    assert "### Projects gone (1)\n\n`gone`" in text
    assert "### Warnings (3)" in text and "also exists on PyPI \\(9\\.9\\)" in text
    assert "<details>\n<summary>Skipped: 2 tags, 1 repositories</summary>" in text
    assert "| `acme/utils` | `v1.0+local` | local versions cannot be published |" in text
    assert "| `acme/fork` | (repository) |" in text
    assert "<script>" not in text and "<b>" not in text
    assert "x&lt;script&gt;" in text
    assert "tag :%3Aerror" not in text and "tag ::error::pwned \\| &lt;b&gt;" in text  # one cell, one line
    assert not any(line.startswith("::") for line in text.splitlines())


def test_summary_of_an_unchanged_rebuild_says_so() -> None:
    index = Index((project("u", release("u", "1.0", A)),))
    same = compare_builds(
        {"u": {"1.0": A}}, {"u": {"1.0": A}}, previous_digest="1" * 64, current_digest="1" * 64
    )
    text = actions.render_summary(index, same, {}, "1 GraphQL query")
    assert "Nothing changed since the previous build: nothing to deploy." in text
    assert "###" not in text


def test_long_lists_stop_and_point_at_the_report() -> None:
    many = {"p": {f"1.{i}": A for i in range(actions.MAX_ROWS + 5)}}
    text = actions.render_summary(Index(()), compare_builds({}, many, first_build=True), {}, "")
    assert "… and 5 more versions: see the JSON report." in text
    assert text.count("| `p` |") == actions.MAX_ROWS


def test_state_generation_and_digest_round_trip() -> None:
    raw = dump_state([], {}, {}, generation=7, digest="d" * 64)
    state = parse_state(raw)
    assert state is not None and (state.generation, state.digest) == (7, "d" * 64)
    old = parse_state(b'{"format": 1, "repos": {}, "commits": {}, "published": {}}')
    assert old is not None and (old.generation, old.digest) == (0, "")
    data = json.loads(gzip.decompress(raw))
    for generation in (-1, True):
        with pytest.raises(StateUnreadable, match="is corrupt"):
            parse_state(json.dumps({**data, "generation": generation}))


def _state_dir(root: Path, generation: int, version: str) -> Path:
    root.mkdir(parents=True)
    (root / STATE_FILE).write_bytes(dump_state([], {}, {"u": {version: A}}, generation=generation))
    return root


@pytest.mark.parametrize(("cache", "pages", "newest"), [(2, 1, "2"), (1, 2, "2"), (3, 3, "cache")])
def test_a_build_starts_from_the_newest_copy_of_the_state(
    tmp_path: Path, cache: int, pages: int, newest: str
) -> None:
    output = _state_dir(tmp_path / "site", cache, "cache")  # where actions/cache restored it
    previous = _state_dir(tmp_path / "pages", pages, "pages")
    state = read_previous_state(Settings(owners=(), output=output, previous=str(previous)))
    expected = {"2": "cache" if cache == 2 else "pages", "cache": "cache"}[newest]
    assert state.published == {"u": {expected: A}}


def test_the_same_state_at_both_places_is_parsed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workflow's usual case: the cache restored the very state the site publishes."""
    output = _state_dir(tmp_path / "site", 4, "same")
    previous = tmp_path / "pages"
    shutil.copytree(output, previous)
    parsed: list[str] = []

    def counting(raw: bytes, where: str = "") -> BuildState:
        parsed.append(where)
        return parse_state(raw, where)

    monkeypatch.setattr(commands, "parse_state", counting)
    state = read_previous_state(Settings(owners=(), output=output, previous=str(previous)))
    assert state.published == {"u": {"same": A}} and state.generation == 4
    assert parsed == [f"at {output}/{STATE_FILE}"]
    # Other bytes, even of an older state, are read: a corrupt copy must still fail the build.
    (previous / STATE_FILE).write_bytes(b"\x1f\x8bnot gzip")
    with pytest.raises(StateUnreadable, match="is corrupt"):
        read_previous_state(Settings(owners=(), output=output, previous=str(previous)))


def settings(*argv: str) -> Settings:
    return settings_from(_parser().parse_args(["build", *argv]), {})


def test_repo_must_be_under_the_scanned_owners() -> None:
    assert settings("--org", "Acme", "--repo", "acme/utils").repos == ("acme/utils",)
    assert settings("--org", "acme", "--user", "octo", "--repo", "octo/x").repos == ("octo/x",)
    with pytest.raises(ConfigError) as caught:
        settings("--org", "acme", "--repo", "evil/utils", "--repo", "acme/../x")
    assert str(caught.value) == (
        "--repo takes OWNER/NAME, not 'acme/../x'; --repo 'evil/utils' is not under the scanned owners (acme)"
    )
