"""The configuration's rules in the pure build: repository filters, per-repository tag rules,
pre-releases, yanked releases (PEP 592), min_version and `[names]`; and the shrink guard with them."""

from __future__ import annotations

import pytest

from indexgen.build import BuildOptions, build_index
from indexgen.commands import published_versions
from indexgen.guard import find_shrink
from indexgen.render import render_project_page, report_data
from indexgen.rules import RepoFilter, RepoRules, Rules
from tests.test_build import A, B, C, D, meta, repo

E, F = "e" * 40, "f" * 40


def rules(**fields: object) -> BuildOptions:
    return BuildOptions(rules=Rules(**fields))  # type: ignore[arg-type]


def skip_reasons(index: object) -> dict[tuple[str, str | None], str]:
    return {(s.repository, s.tag): s.reason for s in index.skipped}  # type: ignore[attr-defined]


# --- repository filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("snapshot", "repo_filter", "reason"),
    [
        (repo("sandbox-x", ("v1.0", A)), RepoFilter(exclude=("sandbox-*",)), "matched by exclude"),
        (repo("Sandbox-X", ("v1.0", A)), RepoFilter(exclude=("sandbox-*",)), "matched by exclude"),
        (repo("utils", ("v1.0", A)), RepoFilter(exclude=("acme/UTILS",)), "matched by exclude"),
        (repo("utils", ("v1.0", A)), RepoFilter(include=("lib-*",)), "not matched by include"),
        (repo("utils", ("v1.0", A)), RepoFilter(topics=("python",)), "carries none of the topics"),
        (
            repo("utils", ("v1.0", A), topics=("docs",)),
            RepoFilter(topics=("python",)),
            "carries none of the topics",
        ),
        (
            repo("utils", ("v1.0", A), fork=True),
            RepoFilter(),
            "fork (forks are not published)",
        ),
        (
            repo("utils", ("v1.0", A), archived=True),
            RepoFilter(archived=False),
            "archived (archived = false)",
        ),
        (repo("utils", ("v1.0", A), private=True), RepoFilter(private=False), "private (private = false)"),
    ],
)
def test_filtered_repositories_are_skipped_with_the_key(
    snapshot: object, repo_filter: RepoFilter, reason: str
) -> None:
    index = build_index([snapshot], {A: meta()}, rules(repo_filter=repo_filter))  # type: ignore[list-item]
    assert index.projects == ()
    assert skip_reasons(index) == {(snapshot.full_name, None): reason}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("snapshot", "repo_filter"),
    [
        (repo("lib-utils", ("v1.0", A)), RepoFilter(include=("LIB-*",), exclude=("sandbox-*",))),
        (repo("utils", ("v1.0", A), topics=("python", "x")), RepoFilter(topics=("Python",))),
        (repo("utils", ("v1.0", A), fork=True), RepoFilter(forks=True)),
        (repo("utils", ("v1.0", A), archived=True, private=True), RepoFilter()),
    ],
)
def test_repositories_the_filters_let_through(snapshot: object, repo_filter: RepoFilter) -> None:
    index = build_index([snapshot], {A: meta()}, rules(repo_filter=repo_filter))  # type: ignore[list-item]
    assert [p.name for p in index.projects] == ["acme-utils"]


# --- tag rules --------------------------------------------------------------------------------------------


def test_a_repository_pattern_applies_to_that_repository_only() -> None:
    gamma = repo("gamma", ("release-2.0", A), ("v1.0", B))
    utils = repo("utils", ("release-3.0", C), ("v1.0", D))
    options = rules(repos={"acme/gamma": RepoRules(tag_pattern="^release-(?P<version>.+)$")})
    index = build_index([gamma, utils], {A: meta("gamma"), B: meta("gamma"), C: meta(), D: meta()}, options)
    assert {p.name: [r.version for r in p.releases] for p in index.projects} == {
        "gamma": ["2.0"],
        "acme-utils": ["1.0"],
    }
    reasons = skip_reasons(index)
    assert reasons[("acme/gamma", "v1.0")] == 'not a version (tag pattern of repos."acme/gamma")'
    assert reasons[("acme/utils", "release-3.0")] == "not a version"
    gamma_page = {p.name: p for p in index.projects}["gamma"]
    assert gamma_page.releases[0].url.endswith(f"@{A}#egg=gamma-2.0")


def test_repository_keys_match_case_insensitively() -> None:
    options = rules(repos={"acme/gamma": RepoRules(tag_pattern="^release-(?P<version>.+)$")})
    index = build_index([repo("Gamma", ("release-2.0", A))], {A: meta("gamma")}, options)
    assert [r.version for r in index.projects[0].releases] == ["2.0"]


def test_tag_include_and_exclude_globs() -> None:
    snapshot = repo("utils", ("v1.0", A), ("v2.0-broken", B), ("v2.0", C), ("nightly-3", D))
    options = rules(repos={"acme/utils": RepoRules(include=("v*",), exclude=("*-broken",))})
    index = build_index([snapshot], {A: meta(), B: meta(), C: meta(), D: meta()}, options)
    assert [r.version for r in index.projects[0].releases] == ["1.0", "2.0"]
    reasons = skip_reasons(index)
    assert reasons[("acme/utils", "v2.0-broken")] == 'matched by repos."acme/utils".exclude'
    assert reasons[("acme/utils", "nightly-3")] == 'not matched by repos."acme/utils".include'


def test_prereleases_off_globally_and_on_for_one_repository() -> None:
    utils = repo("utils", ("v1.0", A), ("v2.0rc1", B), ("v2.0.dev3", C))
    beta = repo("beta", ("v0.1b1", D))
    options = rules(prereleases=False, repos={"acme/beta": RepoRules(prereleases=True)})
    index = build_index([utils, beta], {A: meta(), B: meta(), C: meta(), D: meta("beta")}, options)
    assert {p.name: [r.version for r in p.releases] for p in index.projects} == {
        "acme-utils": ["1.0"],
        "beta": ["0.1b1"],
    }
    reasons = skip_reasons(index)
    assert reasons[("acme/utils", "v2.0rc1")] == "pre-release (prereleases = false)"
    assert reasons[("acme/utils", "v2.0.dev3")] == "pre-release (prereleases = false)"
    off = rules(repos={"acme/beta": RepoRules(prereleases=False)})
    assert skip_reasons(build_index([beta], {D: meta("beta")}, off)) == {
        ("acme/beta", "v0.1b1"): 'pre-release (repos."acme/beta".prereleases = false)'
    }


# --- yanked -----------------------------------------------------------------------------------------------


def test_yanked_releases_stay_listed_with_their_reason() -> None:
    snapshot = repo("utils", ("v0.1.0", A), ("v0.2", B), ("v1.0", C))
    options = BuildOptions(yanked={"acme-utils": {"0.1": 'broken <wheel> & "metadata"', "1.0": ""}})
    index = build_index([snapshot], {A: meta(), B: meta(), C: meta()}, options)
    (project,) = index.projects
    assert [(r.version, r.yanked) for r in project.releases] == [
        ("0.1.0", 'broken <wheel> & "metadata"'),  # 0.1 == 0.1.0 under PEP 440
        ("0.2", None),
        ("1.0", ""),
    ]
    assert project.latest.version == "0.2"  # pip passes over the yanked 1.0 (PEP 592)
    page = render_project_page(project)
    assert f'@{A}#egg=acme-utils-0.1.0" data-yanked="broken &lt;wheel&gt; &amp; &#34;metadata&#34;">' in page
    assert f'@{B}#egg=acme-utils-0.2">acme-utils-0.2</a>' in page
    assert f'@{C}#egg=acme-utils-1.0" data-yanked="">acme-utils-1.0</a>' in page
    releases = report_data(index)["projects"]["acme-utils"]["releases"]
    assert [r.get("yanked", "absent") for r in releases] == ['broken <wheel> & "metadata"', "absent", ""]


def test_a_yanked_version_has_not_vanished_for_the_shrink_guard() -> None:
    before = build_index([repo("utils", ("v1.0", A), ("v2.0", B))], {A: meta(), B: meta()})
    now = build_index(
        [repo("utils", ("v1.0", A), ("v2.0", B))],
        {A: meta(), B: meta()},
        BuildOptions(yanked={"acme-utils": {"2.0": "oops"}}),
    )
    shrink = find_shrink(published_versions(before), now)
    assert shrink.lost_projects == () and shrink.lost_releases == ()


# --- min_version ------------------------------------------------------------------------------------------


def test_min_version_hides_older_releases_from_pages_not_from_the_state() -> None:
    snapshot = repo("utils", ("v0.1", A), ("v0.2", B), ("v1.0", C))
    options = BuildOptions(min_version={"acme-utils": "0.2"})
    index = build_index([snapshot], {A: meta(), B: meta(), C: meta()}, options)
    (project,) = index.projects
    assert [r.version for r in project.releases] == ["0.2", "1.0"]
    assert [(r.version, r.commit) for r in index.hidden] == [("0.1", A)]
    assert "0.1" not in render_project_page(project)
    assert published_versions(index) == {"acme-utils": {"0.1": A, "0.2": B, "1.0": C}}
    assert report_data(index)["hidden"] == [
        {"project": "acme-utils", "version": "0.1", "tag": "v0.1", "repository": "acme/utils"}
    ]
    before = build_index([snapshot], {A: meta(), B: meta(), C: meta()})
    assert find_shrink(published_versions(before), index).lost_releases == ()


def test_min_version_above_every_release_leaves_no_page_but_keeps_the_state() -> None:
    snapshot = repo("utils", ("v0.1", A))
    index = build_index([snapshot], {A: meta()}, BuildOptions(min_version={"acme-utils": "1.0"}))
    assert index.projects == ()
    assert published_versions(index) == {"acme-utils": {"0.1": A}}
    before = build_index([snapshot], {A: meta()})
    assert find_shrink(published_versions(before), index).lost_projects == ()


# --- [names] ----------------------------------------------------------------------------------------------


def test_names_decide_a_contested_name_regardless_of_creation_dates() -> None:
    old = repo("old-foo", ("v1.0", A), created="2019-01-01T00:00:00Z")
    new = repo("Foo.Bar", ("v2.0", B), created="2024-01-01T00:00:00Z")
    metadata = {A: meta("foo-bar"), B: meta("foo_bar")}
    assert build_index([old, new], metadata).projects[0].repository == "acme/old-foo"  # created first

    index = build_index([old, new], metadata, BuildOptions(names={"foo-bar": "ACME/foo.bar"}))
    (project,) = index.projects
    assert (project.repository, [r.version for r in project.releases]) == ("acme/Foo.Bar", ["2.0"])
    assert skip_reasons(index) == {
        (
            "acme/old-foo",
            "v1.0",
        ): "project name 'foo-bar' belongs to acme/Foo.Bar by names.foo-bar in the configuration"
    }
    assert index.warnings == ("acme/old-foo also publishes 'foo-bar'; acme/Foo.Bar keeps the name",)


def test_a_name_assigned_to_another_repository_is_published_by_none() -> None:
    index = build_index(
        [repo("utils", ("v1.0", A))], {A: meta("foo.bar")}, BuildOptions(names={"foo-bar": "acme/elsewhere"})
    )
    assert index.projects == ()
    assert skip_reasons(index) == {
        (
            "acme/utils",
            "v1.0",
        ): "project name 'foo-bar' belongs to acme/elsewhere by names.foo-bar in the configuration"
    }


def test_configuration_entries_that_match_nothing_are_warned_about() -> None:
    options = BuildOptions(
        rules=Rules(
            repos={"acme/gone": RepoRules(tag_pattern="^r(?P<version>.+)$"), "acme/utils": RepoRules()}
        ),
        yanked={"acme-utils": {"1.0": "", "9.9": "typo"}, "ghost": {"1.0": ""}},
        names={"phantom": "acme/utils"},
        min_version={"acme-utils": "0.5", "spectre": "1.0"},
    )
    index = build_index([repo("utils", ("v1.0", A))], {A: meta()}, options)
    assert index.warnings == (
        'repos."acme/gone" in the configuration names no scanned repository',
        'yanked.acme-utils."9.9" in the configuration names no release of acme-utils',
        "yanked.ghost in the configuration names no published project",
        "names.phantom in the configuration names no published project",
        "min_version.spectre in the configuration names no published project",
    )
