"""The fork server behind `run_indexgen` (tests/e2e/forkserver.py): a forked run must be what a fresh
`python -m indexgen` is, for everything the end-to-end tests look at."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.cli import FORKS, cli_environ, run_indexgen

pytestmark = pytest.mark.e2e


def both(*args: str, env: dict[str, str], cwd: Path) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    forked = run_indexgen(*args, env=env, cwd=cwd)
    fresh = run_indexgen(*args, env=env, cwd=cwd, fresh=True)
    return (forked.returncode, forked.stdout, forked.stderr), (fresh.returncode, fresh.stdout, fresh.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("build", "--help"),
        ("build", "--org", "acme", "--output", "site", "--no-such-flag"),  # argparse: exit 2
        ("build", "--org", "acme", "--output", "site", "--config", "absent.toml"),  # one error line
        ("check", "--org", "acme", "--report", "r.json"),  # parser.exit from main
        (),
    ],
    ids=["help", "build-help", "bad-flag", "bad-config", "check-report", "no-command"],
)
def test_a_forked_run_answers_as_a_fresh_interpreter_does(tmp_path: Path, args: tuple[str, ...]) -> None:
    env = cli_environ(tmp_path, {"GITHUB_TOKEN": None, "GH_TOKEN": None})
    forked, fresh = both(*args, env=env, cwd=tmp_path)
    assert forked == fresh
    assert not (tmp_path / "site").exists()


def test_a_forked_run_has_the_given_environment_and_directory_and_not_the_servers(tmp_path: Path) -> None:
    """The environment decides (INDEXGEN_CONFIG names the file), and a relative path is read in the given
    working directory, which `sys.path[0]` also names, as `python -m` sets it."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "bad.toml").write_text("bogus = [\n")
    env = cli_environ(tmp_path, {"INDEXGEN_CONFIG": "bad.toml"})
    run = run_indexgen("build", "--org", "acme", "-o", "out", env=env, cwd=work)
    assert (run.returncode, run.stdout) == (2, ""), run.describe()
    assert run.stderr.splitlines() == [
        "indexgen build: error: bad.toml: not valid TOML: Invalid value (at end of document)"
    ], run.describe()
    without = run_indexgen(
        "build", "--org", "acme", "-o", "out", "--config", "x.toml", env=cli_environ(tmp_path), cwd=work
    )
    assert without.stderr.splitlines() == ["indexgen build: error: x.toml: no such configuration file"]
    assert not (work / "out").exists()


def test_an_environment_with_other_start_up_variables_gets_a_fresh_interpreter(tmp_path: Path) -> None:
    """PYTHONPATH (a `sitecustomize` hook, as tests/writefaults uses) only works at start-up: such runs
    are not forked, and the hook runs."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text("import sys\nprint('hook ran', file=sys.stderr)\n")
    env = cli_environ(tmp_path, {"PYTHONPATH": str(hook)})
    assert FORKS.run(("--help",), env, tmp_path, 60) is None
    measured = cli_environ(tmp_path, {"COVERAGE_PROCESS_CONFIG": "{}"})
    assert FORKS.run(("--help",), measured, tmp_path, 60) is None  # coverage starts with the interpreter
    assert FORKS.run(("--help",), cli_environ(tmp_path), tmp_path, 60) is not None
    run = run_indexgen("--help", env=env, cwd=tmp_path)
    assert run.returncode == 0 and "hook ran" in run.stderr


def test_a_hung_forked_run_is_killed_at_the_timeout(tmp_path: Path) -> None:
    """`serve` never ends by itself: the timeout kills it and raises as `subprocess.run` does, with what
    it printed so far."""
    site = tmp_path / "site"
    (site / "simple").mkdir(parents=True)
    (site / "simple" / "index.html").write_text("<html></html>")
    (site / "index.html").write_text("<html></html>")
    with pytest.raises(subprocess.TimeoutExpired) as raised:
        run_indexgen("serve", str(site), "--port", "0", env=cli_environ(tmp_path), cwd=tmp_path, timeout=3)
    assert "Serving" in str(raised.value.stdout)
