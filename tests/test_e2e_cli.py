"""End to end: the real `indexgen build` in a subprocess, against the fake GitHub serving real git
repositories (tests/e2e/acme.py). Success, the expected failures, and reproducible output."""

from __future__ import annotations

import html.parser
import re
import shutil
from pathlib import Path

import pytest

from tests.e2e.acme import CLONE_BASE, EXPECTED_RELEASES, EXPECTED_SKIPS, ORG, TOKEN, AcmeWorld
from tests.e2e.cli import CliRun, cli_environ, read_report, run_indexgen, snapshot
from tests.e2e.fixtures import AcmeBuild
from tests.fakegithub import FakeGitHubServer

pytestmark = pytest.mark.e2e

SITE_FILES = {
    "index.html",
    "404.html",
    "robots.txt",
    "packages.json",
    "assets/site.css",
    "assets/site.js",
    "problems/index.html",
    "p/acme-core/index.html",
    "p/acme-utils/index.html",
    "p/zeta-utils/index.html",
    "indexgen-state.json.gz",
    "simple/index.html",
    "simple/acme-core/index.html",
    "simple/acme-utils/index.html",
    "simple/zeta-utils/index.html",
    "uv/overrides.txt",
}
LINK = re.compile(
    r"git\+(?P<clone>https://git\.acme\.test/acme/(?P<repo>[A-Za-z0-9_.-]+)\.git)"
    r"@(?P<commit>[0-9a-f]{40})#egg=(?P<egg>[a-z0-9.-]+)"
)


class _Anchors(html.parser.HTMLParser):
    """Every `<a>` of a page: its attributes (entities decoded, as pip reads them) and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open, self._text = dict(attrs), ""

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.anchors.append((self._open, self._text))
            self._open = None


def anchors(page: Path) -> list[tuple[dict[str, str | None], str]]:
    parser = _Anchors()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.anchors


def assert_clean_failure(run: CliRun, code: int) -> None:
    assert run.returncode == code, run.describe()
    assert "Traceback" not in run.stderr, run.describe()
    assert run.stdout == "", run.describe()


# -- the build of the organisation -------------------------------------------------------------------


def test_build_exits_0_with_a_one_line_summary(acme_build: AcmeBuild) -> None:
    run = acme_build.run
    assert run.returncode == 0, run.describe()
    assert "Traceback" not in run.stderr
    assert run.stdout.count("\n") == 1, run.describe()
    summary = run.stdout.strip()
    assert summary.startswith("indexgen: 3 projects, 7 releases, 2 skipped tags, 2 skipped repositories; "), (
        summary
    )
    assert summary.endswith(f"; wrote {acme_build.site}"), summary


def test_build_writes_the_pages(acme_build: AcmeBuild) -> None:
    assert set(snapshot(acme_build.site)) == SITE_FILES
    root = anchors(acme_build.site / "simple" / "index.html")
    assert [(a["href"], text) for a, text in root] == [
        ("acme-core/", "acme-core"),
        ("acme-utils/", "acme-utils"),
        ("zeta-utils/", "zeta-utils"),
    ]


def test_report_lists_the_expected_releases_and_skips(acme_build: AcmeBuild, acme_world: AcmeWorld) -> None:
    report = read_report(acme_build.report)
    found = {
        name: {
            r["version"]: (project["repository"], r["tag"], r["commit"], r["url"], r["requires_python"])
            for r in project["releases"]
        }
        for name, project in report["projects"].items()
    }
    expected = {
        name: {
            version: (
                f"{ORG}/{repo}",
                tag,
                acme_world.commit_of(repo, tag),
                f"git+{acme_world.clone_url(repo)}@{acme_world.commit_of(repo, tag)}#egg={name}-{version}",
                requires,
            )
            for version, (repo, tag, requires) in releases.items()
        }
        for name, releases in EXPECTED_RELEASES.items()
    }
    assert found == expected
    skipped = {(s["repository"], s["tag"]): s["reason"] for s in report["skipped"]}
    assert set(skipped) == set(EXPECTED_SKIPS)
    for key, word in EXPECTED_SKIPS.items():
        assert word in skipped[key], (key, skipped[key])
    assert report["warnings"] == []


def test_links_are_pinned_to_the_peeled_commit(acme_build: AcmeBuild, acme_world: AcmeWorld) -> None:
    for name, releases in EXPECTED_RELEASES.items():
        links = anchors(acme_build.site / "simple" / name / "index.html")
        assert [text for _, text in links] == [f"{name}-{version}" for version in releases]
        for (attrs, text), (repo, tag, requires) in zip(links, releases.values(), strict=True):
            match = LINK.fullmatch(attrs["href"] or "")
            assert match, attrs["href"]
            tree = acme_world.trees[repo]
            assert match["clone"] == f"{CLONE_BASE}/{ORG}/{repo}.git"
            assert match["commit"] == tree.commit_of(tag)  # git rev-parse tag^{commit}
            assert match["egg"] == text
            assert attrs["data-requires-python"] == requires
    utils = acme_world.trees["acme-utils"]
    # v1.0.0 is lightweight: its ref is the commit. The annotated ones are peeled, not the tag object.
    assert utils.object_of("v1.0.0") == utils.commit_of("v1.0.0")
    for tag in ("v1.1.0", "v2.0.0", "v2.1.0rc1"):
        assert utils.object_of(tag) != utils.commit_of(tag)
    page = (acme_build.site / "simple" / "acme-utils" / "index.html").read_text(encoding="utf-8")
    assert utils.object_of("v2.0.0") not in page
    assert "latest" not in page
    assert 'data-requires-python="&gt;=3.8"' in page  # escaped in the HTML, as PEP 503 asks


def test_browse_page_shows_the_latest_final_release(acme_build: AcmeBuild, acme_world: AcmeWorld) -> None:
    page = (acme_build.site / "index.html").read_text(encoding="utf-8")
    assert '<a href="p/acme-utils/">acme-utils</a> <span class="version">2.0.0</span>' in page
    for name in EXPECTED_RELEASES:
        assert f'<a href="p/{name}/">' in page
    project = (acme_build.site / "p" / "acme-utils" / "index.html").read_text(encoding="utf-8")
    final, candidate = (acme_world.commit_of("acme-utils", tag) for tag in ("v2.0.0", "v2.1.0rc1"))
    # The direct reference pins the latest final release; the release table lists the candidate too.
    assert (
        f'<code id="direct">acme-utils @ git+https://git.acme.test/acme/acme-utils.git@{final}</code>'
        in project
    )
    assert f"/commit/{candidate}" in project and f".git@{candidate}" not in project


def test_rebuild_is_byte_identical(
    acme_build: AcmeBuild, fake_github: FakeGitHubServer, tmp_path: Path
) -> None:
    """A rebuild over the previous site (warm: it reads the state) and a cold build into an empty
    directory, both through GITHUB_API_URL instead of --api-url, write the same bytes."""
    original = snapshot(acme_build.site)
    warm, cold = tmp_path / "warm", tmp_path / "cold"
    shutil.copytree(acme_build.site, warm)
    env = cli_environ(tmp_path, {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": fake_github.base_url})
    for output in (warm, cold):
        report = output.with_suffix(".json")
        run = run_indexgen(
            "build", "--org", ORG, "--output", str(output), "--report", str(report), env=env, cwd=tmp_path
        )
        assert run.returncode == 0, run.describe()
        assert snapshot(output) == original
        # The same result; only the `config` block differs: it names this run's paths and sources.
        rebuilt, first = read_report(report), read_report(acme_build.report)
        assert rebuilt.pop("config")["api_url"]["source"] == "environment (GITHUB_API_URL)"
        assert first.pop("config")["api_url"]["source"] == "flag"
        assert rebuilt == first


# -- the token ---------------------------------------------------------------------------------------


def build_with_report(
    fake_github: FakeGitHubServer, tmp_path: Path, report: Path, env: dict[str, str]
) -> CliRun:
    """`indexgen build --org acme -o TMP/site --report REPORT` against the fake GitHub."""
    site = str(tmp_path / "site")
    args = ["--org", ORG, "-o", site, "--report", str(report), "--api-url", fake_github.base_url]
    return run_indexgen("build", *args, env=env, cwd=tmp_path)


def test_gh_token_is_used_when_github_token_is_unset(fake_github: FakeGitHubServer, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    env = cli_environ(tmp_path, {"GH_TOKEN": TOKEN})
    run = build_with_report(fake_github, tmp_path, report, env)
    assert run.returncode == 0, run.describe()
    assert "acme-core" in read_report(report)["projects"]  # the private repository is seen


def test_without_any_token_only_public_repositories_are_scanned(
    fake_github: FakeGitHubServer, tmp_path: Path
) -> None:
    """No GITHUB_TOKEN, no GH_TOKEN, and no `gh` on PATH: an anonymous scan, said so in a warning."""
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    assert shutil.which("gh", path=str(empty_bin)) is None
    report = tmp_path / "report.json"
    env = cli_environ(tmp_path, {"PATH": str(empty_bin)})
    run = build_with_report(fake_github, tmp_path, report, env)
    assert run.returncode == 0, run.describe()
    assert "Traceback" not in run.stderr
    warning = [line for line in run.stderr.splitlines() if line.startswith("warning:")]
    assert any("60 requests per hour" in line and "public repositories only" in line for line in warning), (
        run.stderr
    )
    projects = read_report(report)["projects"]
    assert set(projects) == set(EXPECTED_RELEASES) - {"acme-core"}
    assert not (tmp_path / "site" / "simple" / "acme-core").exists()


@pytest.mark.parametrize("variable", ["GITHUB_TOKEN", "GH_TOKEN"])
def test_rejected_token_fails_cleanly_and_keeps_the_site(
    acme_build: AcmeBuild, fake_github: FakeGitHubServer, tmp_path: Path, variable: str
) -> None:
    site = tmp_path / "site"
    shutil.copytree(acme_build.site, site)
    before = snapshot(site)
    env = cli_environ(tmp_path, {variable: "ghp_thisTokenWasRevoked000000000000000000"})
    run = run_indexgen(
        "build", "--org", ORG, "-o", str(site), "--api-url", fake_github.base_url, env=env, cwd=tmp_path
    )
    assert_clean_failure(run, 1)
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, run.describe()
    assert "rejected the token" in errors[0] and variable in errors[0], run.describe()
    assert snapshot(site) == before


def test_unknown_organisation_fails_cleanly(fake_github: FakeGitHubServer, tmp_path: Path) -> None:
    env = cli_environ(tmp_path, {"GITHUB_TOKEN": TOKEN})
    site = tmp_path / "site"
    run = run_indexgen(
        "build",
        "--org",
        "no-such-org",
        "-o",
        str(site),
        "--api-url",
        fake_github.base_url,
        env=env,
        cwd=tmp_path,
    )
    assert_clean_failure(run, 1)
    assert run.stderr.startswith("error: "), run.describe()
    assert "no-such-org" in run.stderr and "not found" in run.stderr, run.describe()
    assert not site.exists()


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("build",), id="no-org"),
        pytest.param(("build", "--org", "-bad-"), id="bad-org-name"),
        pytest.param(("build", "--org", ORG, "--api-url", "ftp://example.test"), id="bad-api-url"),
        pytest.param(("build", "--org", ORG, "--no-such-flag"), id="unknown-flag"),
        pytest.param((), id="no-command"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    run = run_indexgen(*args, env=cli_environ(tmp_path, {"GITHUB_TOKEN": TOKEN}), cwd=tmp_path)
    assert_clean_failure(run, 2)
    assert run.stderr.strip(), run.describe()
    assert not (tmp_path / "site").exists()
