"""The action's build step run as GitHub runs it, against the local fake GitHub.

`action/build.sh` gets what the runner gives a composite action's step: INPUT_* variables, the
GITHUB_* variables, a GITHUB_OUTPUT and a GITHUB_STEP_SUMMARY file, RUNNER_TEMP and GITHUB_ACTION_PATH
(a copy of the project, as the runner checks out an action). It installs indexgen from there into a
venv of its own (once per session: the venv lives in a shared RUNNER_TEMP). Pages is a directory served
on 127.0.0.1; "deploying" copies the site there, and the Actions cache is a copy of the deployed state
restored into the output directory, as actions/cache/restore does in publish-index.yml.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from indexgen.state import parse_state
from tests.e2e import cli
from tests.e2e.cli import snapshot
from tests.e2e.servers import serve_site
from tests.fakegithub import FakeGitHub, FakeGitHubServer, FakeRepo, FakeTag, synthetic_pyproject
from tests.fakegithub.model import fake_sha

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "ghp_actionTestTokenNeverInAnyOutput00000"
STATE = "indexgen-state.json.gz"
OUTPUTS = {"site", "projects", "releases", "changed", "report"}
HOSTILE = "::error::INJECTED"


@pytest.fixture(scope="session")
def action_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkout of the action: what `uses: OWNER/indexgen@v1` puts in GITHUB_ACTION_PATH."""
    root = tmp_path_factory.mktemp("action") / "indexgen"
    root.mkdir()
    for name in ("pyproject.toml", "README.md", "action.yml"):
        shutil.copy2(ROOT / name, root / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("action", "indexgen"):
        shutil.copytree(ROOT / name, root / name, ignore=ignore)
    return root


@pytest.fixture(scope="session")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runner-temp")


def commit(*parts: str) -> str:
    return fake_sha(*parts)


def release_repo(name: str, project: str, *versions: str, **fields: object) -> FakeRepo:
    tags = [FakeTag(f"v{v}", commit(name, v)) for v in versions]
    files = {commit(name, v): {"pyproject.toml": synthetic_pyproject(project, v)} for v in versions}
    return FakeRepo("acme", name, private=True, tags=tags, files=files, **fields)  # type: ignore[arg-type]


def add_release(repo: FakeRepo, project: str, version: str) -> str:
    sha = commit(repo.name, version)
    repo.files[sha] = {"pyproject.toml": synthetic_pyproject(project, version)}
    repo.tags.append(FakeTag(f"v{version}", sha))
    return sha


@dataclass
class World:
    gh: FakeGitHub
    server: FakeGitHubServer
    repos: dict[str, FakeRepo]


@pytest.fixture
def world() -> Iterator[World]:
    gh = FakeGitHub()
    gh.add_owner("acme", "Organization")
    gh.add_token(TOKEN, "acme-bot", sees_private=True, orgs=["acme"])
    repos = {
        "utils": release_repo("utils", "acme-utils", "1.0.0", "1.1.0"),
        "core": release_repo("core", "acme-core", "0.1.0"),
        # Claims acme-utils too, later: a name-conflict warning.
        "utils-copy": release_repo("utils-copy", "acme-utils", "3.0.0", created_at="2024-01-01T00:00:00Z"),
    }
    # Repository content trying to emit workflow commands: a tag name, a description and a project name.
    evil = release_repo("evil", "acme-evil", "1.0.0", description=f"nice\n{HOSTILE} desc %0A{HOSTILE}")
    evil.tags.append(FakeTag(f"v2\n{HOSTILE} tag", commit("evil", "2")))
    bad_name = commit("evil", "3")
    evil.files[bad_name] = {
        "pyproject.toml": b'[project]\nname = "x\\n::error::INJECTED name"\nversion = "3"\n'
        b'[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    }
    evil.tags.append(FakeTag("v3", bad_name))
    repos["evil"] = evil
    for repo in repos.values():
        gh.add_repo(repo)
    with FakeGitHubServer(gh) as server:
        yield World(gh, server, repos)


@dataclass(frozen=True)
class ActionRun:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    output_file: str
    summary: str
    workspace: Path

    def describe(self) -> str:
        return (
            f"→ {self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}\nsummary:\n{self.summary}"
        )

    @property
    def site(self) -> Path:
        return self.workspace / "site"

    def lines(self) -> list[str]:
        return (self.stdout + self.stderr).splitlines()


def parse_outputs(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT as the runner reads it: `name=value` lines and `name<<DELIMITER` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value: list[str] = []
            for inner in lines:
                if inner == delimiter:
                    break
                value.append(inner)
            else:
                raise AssertionError(f"unterminated output {name!r}")
            outputs[name] = "\n".join(value)
        elif line:
            name, _, value_text = line.partition("=")
            outputs[name] = value_text
    return outputs


def run_action(
    world: World,
    action_path: Path,
    runner_temp: Path,
    workspace: Path,
    inputs: Mapping[str, str] = {},
    *,
    cache: bytes | None = None,
    previous: str = "",
) -> ActionRun:
    workspace.mkdir(parents=True)
    if cache is not None:  # actions/cache/restore of the last deployed state
        (workspace / "site").mkdir()
        (workspace / "site" / STATE).write_bytes(cache)
    step = Path(tempfile.mkdtemp(dir=runner_temp, prefix="step-"))
    output_file, summary_file = step / "output", step / "summary"
    output_file.touch()
    summary_file.touch()
    values = {  # every input, its default where the workflow gives none, as the runner resolves them
        "owners": "acme",
        "token": TOKEN,
        "config": "",
        "site-url": "",
        "previous": previous,
        "output": "site",
        "repositories": "",
        "args": "",
        **inputs,
    }
    env = cli.cli_environ(workspace, {f"INPUT_{k.upper().replace('-', '_')}": v for k, v in values.items()})
    env.update(
        GITHUB_ACTIONS="true",
        CI="true",
        GITHUB_ACTION_PATH=str(action_path),
        GITHUB_REPOSITORY="acme/python-index",
        GITHUB_REPOSITORY_OWNER="acme",
        GITHUB_WORKSPACE=str(workspace),
        GITHUB_OUTPUT=str(output_file),
        GITHUB_STEP_SUMMARY=str(summary_file),
        GITHUB_API_URL=world.server.base_url,
        GITHUB_GRAPHQL_URL=world.server.graphql_url,
        RUNNER_TEMP=str(runner_temp),
        INDEXGEN_PYTHON=sys.executable,
        INDEXGEN_RETRY_BACKOFF="0",
    )
    done = subprocess.run(
        ["bash", str(action_path / "action" / "build.sh")],
        env=env, cwd=workspace, capture_output=True, text=True, check=False, timeout=600,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    text = output_file.read_text()
    return ActionRun(
        done.returncode,
        done.stdout,
        done.stderr,
        parse_outputs(text),
        text,
        summary_file.read_text(),
        workspace,
    )


def deploy(site: Path, pages: Path) -> None:
    """What upload-pages-artifact + deploy-pages do: Pages serves exactly this site."""
    shutil.rmtree(pages, ignore_errors=True)
    shutil.copytree(site, pages)


def releases(site: Path) -> dict[str, list[str]]:
    published = parse_state((site / STATE).read_bytes()).published
    return {name: sorted(versions) for name, versions in published.items()}


def assert_no_injected_commands(run: ActionRun) -> None:
    for line in run.lines():
        if line.startswith("::"):
            match = re.match(r"::(warning|error)::", line)
            assert match, f"unexpected workflow command: {line!r}"
            assert "::" not in line[match.end() :], f"a command inside a command: {line!r}"
    assert not re.search(r"^\s*::", run.summary, re.M)
    assert set(run.outputs) <= OUTPUTS


def assert_token_nowhere(run: ActionRun, *extra: Path) -> None:
    texts = [run.stdout, run.stderr, run.output_file, run.summary]
    texts += [
        p.read_text(errors="replace")
        for d in (run.site, *extra)
        if d.exists()
        for p in d.rglob("*")
        if p.is_file()
    ]
    if run.outputs.get("report"):
        texts.append(Path(run.outputs["report"]).read_text())
    assert not [t for t in texts if TOKEN in t]


def test_the_action_builds_reports_and_summarises(
    world: World, action_path: Path, runner_temp: Path, tmp_path: Path
) -> None:
    first = run_action(world, action_path, runner_temp, tmp_path / "ws1", previous=str(tmp_path / "pages"))
    assert first.returncode == 0, first.describe()
    assert set(first.outputs) == OUTPUTS
    assert first.outputs["site"] == str(first.site)
    assert first.outputs["changed"] == "true"
    assert (first.outputs["projects"], first.outputs["releases"]) == ("3", "4")
    report = json.loads(Path(first.outputs["report"]).read_text())
    assert not Path(first.outputs["report"]).is_relative_to(first.workspace)  # never in the uploaded site
    assert sorted(report["projects"]) == ["acme-core", "acme-evil", "acme-utils"]
    # The default site URL: the repository's Pages address.
    assert "https://acme.github.io/python-index/simple/" in (first.site / "index.html").read_text()

    summary = first.summary
    assert summary.startswith("## indexgen: 3 projects, 4 releases\n")
    assert "No previous build to compare with" in summary
    assert "### Versions added (4)" in summary and "| `acme-utils` | `1.1.0` |" in summary
    assert "### Warnings (1)" in summary and "acme/utils\\-copy" in summary
    assert "<details>\n<summary>Skipped: " in summary
    for skip in report["skipped"]:
        if skip["tag"] and skip["tag"].startswith("v"):
            assert f"`{skip['tag']}`" in summary or skip["tag"].split("\n")[0] in summary
    # The name conflict shows on the run's page.
    assert any(line.startswith("::warning::") and "acme-utils" in line for line in first.lines()), (
        first.describe()
    )
    assert_no_injected_commands(first)
    assert "INJECTED" in first.summary  # shown, but only as text
    assert_token_nowhere(first)

    # Rebuild from a fresh workspace, the state coming back from the cache: nothing changed.
    deploy(first.site, tmp_path / "pages")
    again = run_action(
        world, action_path, runner_temp, tmp_path / "ws2",
        cache=(first.site / STATE).read_bytes(), previous=str(tmp_path / "pages"),
    )  # fmt: skip
    assert again.returncode == 0, again.describe()
    assert again.outputs["changed"] == "false"
    assert "Nothing changed since the previous build: nothing to deploy." in again.summary
    assert "### Versions added" not in again.summary
    assert snapshot(again.site) == snapshot(first.site)
    assert_no_injected_commands(again)
    assert_token_nowhere(again)


@pytest.fixture
def deployed(world: World, action_path: Path, runner_temp: Path, tmp_path: Path) -> Path:
    """A first full build, deployed to Pages (a directory): the Pages directory."""
    run = run_action(world, action_path, runner_temp, tmp_path / "full", previous=str(tmp_path / "pages"))
    assert run.returncode == 0, run.describe()
    deploy(run.site, tmp_path / "pages")
    return tmp_path / "pages"


def reusable_workflow_inputs() -> dict[str, str]:
    """The `with:` the reusable workflow gives the action that a test can reproduce: its `args`, the
    caller's own `inputs.args` left empty."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish-index.yml").read_text())
    step = next(s for s in workflow["jobs"]["build"]["steps"] if s.get("id") == "index")
    return {"args": step["with"]["args"].replace("${{ inputs.args }}", "").strip()}


def test_the_reusable_workflows_hourly_run_makes_no_pages_when_nothing_changed(
    world: World, action_path: Path, runner_temp: Path, tmp_path: Path, deployed: Path
) -> None:
    """The cache gives back the deployed state, nothing is new: the action says `changed=false` (so
    nothing is uploaded) without making the site's pages; a new release makes all of them."""
    inputs = reusable_workflow_inputs()
    assert inputs["args"] == "--skip-unchanged"
    state = (deployed / STATE).read_bytes()
    quiet = run_action(
        world, action_path, runner_temp, tmp_path / "quiet", inputs, cache=state, previous=str(deployed)
    )
    assert quiet.returncode == 0, quiet.describe()
    assert quiet.outputs["changed"] == "false"
    assert "Nothing changed since the previous build: nothing to deploy." in quiet.summary
    assert sorted(p.name for p in quiet.site.iterdir()) == [STATE]
    assert (quiet.site / STATE).read_bytes() == state

    add_release(world.repos["utils"], "acme-utils", "1.2.0")
    busy = run_action(
        world, action_path, runner_temp, tmp_path / "busy", inputs, cache=state, previous=str(deployed)
    )
    assert busy.returncode == 0, busy.describe()
    assert busy.outputs["changed"] == "true"
    assert "acme-utils-1.2.0" in (busy.site / "simple" / "acme-utils" / "index.html").read_text()
    assert_token_nowhere(busy)


def test_a_dispatch_rescans_one_repository_in_two_requests(
    world: World, action_path: Path, runner_temp: Path, tmp_path: Path, deployed: Path
) -> None:
    add_release(world.repos["utils"], "acme-utils", "1.2.0")
    add_release(world.repos["core"], "acme-core", "0.2.0")  # not named: stays unseen
    world.gh.reset_counters()
    run = run_action(
        world, action_path, runner_temp, tmp_path / "dispatch",
        {"repositories": "acme/utils"}, cache=(deployed / STATE).read_bytes(), previous=str(deployed),
    )  # fmt: skip
    assert run.returncode == 0, run.describe()
    assert world.gh.rest_requests + world.gh.graphql_requests <= 2
    assert run.outputs["changed"] == "true"
    assert releases(run.site)["acme-utils"] == ["1.0.0", "1.1.0", "1.2.0"]
    assert releases(run.site)["acme-core"] == ["0.1.0"]
    assert (
        "### Versions added (1)\n\n| project | version |\n|---|---|\n| `acme-utils` | `1.2.0` |"
        in run.summary
    )


@pytest.mark.parametrize(
    "payload",
    [
        "evil/utils",  # a repository of another owner
        "acme/utils --allow-shrink",  # an attempt at a flag
        "--allow-shrink",
        "acme/../../etc",
        f"acme/utils\n{HOSTILE}",
        "acme",
        "acme/utils/x",
    ],
)
def test_a_bad_dispatch_payload_fails_cleanly_and_publishes_nothing(
    world: World, action_path: Path, runner_temp: Path, tmp_path: Path, deployed: Path, payload: str
) -> None:
    state = (deployed / STATE).read_bytes()
    world.gh.reset_counters()
    run = run_action(
        world, action_path, runner_temp, tmp_path / "bad",
        {"repositories": payload}, cache=state, previous=str(deployed),
    )  # fmt: skip
    assert run.returncode != 0, run.describe()
    errors = [line for line in run.lines() if line.startswith("::error::")]
    assert len(errors) == 1, run.describe()
    assert "--repo" in errors[0]
    assert "Traceback" not in run.stderr
    assert world.gh.rest_requests + world.gh.graphql_requests == 0
    assert run.outputs == {"changed": "false"}
    assert "## indexgen: failed" in run.summary and "Nothing was published." in run.summary
    assert snapshot(run.site) == {STATE: state}  # only what the cache restored
    assert_no_injected_commands(run)
    assert_token_nowhere(run)


def test_two_releases_in_quick_succession_both_stay_published(
    world: World, action_path: Path, runner_temp: Path, tmp_path: Path, deployed: Path
) -> None:
    """The second dispatch build sees a Pages copy from before the first one's deployment (the CDN's
    max-age=600), but the Actions cache holds the first one's deployed state: it starts from that."""
    with serve_site(deployed) as pages:  # serves the directory as it is now: it goes stale below
        stale = (deployed / STATE).read_bytes()
        add_release(world.repos["utils"], "acme-utils", "1.2.0")
        first = run_action(
            world, action_path, runner_temp, tmp_path / "release-1",
            {"repositories": "acme/utils"}, cache=stale, previous=pages.url,
        )  # fmt: skip
        assert first.returncode == 0, first.describe()
        assert first.outputs["changed"] == "true"
        # Deployed, and its state saved to the cache; Pages still serves the old copy.
        cache = (first.site / STATE).read_bytes()
        assert (deployed / STATE).read_bytes() == stale

        add_release(world.repos["core"], "acme-core", "0.2.0")
        second = run_action(
            world, action_path, runner_temp, tmp_path / "release-2",
            {"repositories": "acme/core"}, cache=cache, previous=pages.url,
        )  # fmt: skip
        assert second.returncode == 0, second.describe()
        assert f"/{STATE}" in pages.paths  # it did read the stale Pages copy
    published = releases(second.site)
    assert published["acme-utils"] == ["1.0.0", "1.1.0", "1.2.0"]
    assert published["acme-core"] == ["0.1.0", "0.2.0"]
    assert "Versions removed" not in second.summary

    # The other way round: the cache is older than Pages (its save failed): Pages' newer copy wins.
    deploy(second.site, deployed)
    add_release(world.repos["utils"], "acme-utils", "1.3.0")
    third = run_action(
        world, action_path, runner_temp, tmp_path / "release-3",
        {"repositories": "acme/utils"}, cache=cache, previous=str(deployed),
    )  # fmt: skip
    assert third.returncode == 0, third.describe()
    assert releases(third.site)["acme-core"] == ["0.1.0", "0.2.0"]
    assert releases(third.site)["acme-utils"] == ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]
