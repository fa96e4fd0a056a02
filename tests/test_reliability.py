"""Reliability and safety, end to end: the real `indexgen build` in a subprocess against the fake GitHub
(tests/fakegithub) and the fake PyPI (tests/fakepypi.py).

The invariant every test here checks in its own way: a build either publishes exactly the index it
should, or exits non-zero with one `error: …` line and leaves the previous site byte for byte as it was
(DESIGN.md §5) — under injected faults, exhausted rate limits, a token that lost access, a killed
process, a public twin on PyPI and a moved release tag. Run with `-s` to see the fault-run counts.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli import CliRun, cli_environ, read_report, run_indexgen, snapshot
from tests.e2e.servers import serve_answers
from tests.fakegithub import (
    FakeGitHub,
    FakeGitHubServer,
    FakeRepo,
    FakeTag,
    FaultKind,
    Resource,
    fake_sha,
    synthetic_org,
    synthetic_pyproject,
    synthetic_repo,
)
from tests.fakepypi import FakePyPI, serve_pypi

pytestmark = pytest.mark.e2e

TOKEN = "ghp_reliabilityTOKEN0000000000000000000"
LOGIN = "indexbot"
ORG = "relia"
STATE_FILE = "indexgen-state.json.gz"
TEMP_PREFIX = ".indexgen-"  # write.py's staging and retired directories, next to the output
FAULT_KINDS: tuple[FaultKind, ...] = ("500", "502", "503", "reset", "truncated", "partial")
FAULT_RATE = 0.10


# -- the worlds ----------------------------------------------------------------------------------------


def add_many_tags_repo(gh: FakeGitHub, name: str, releases: int, others: int, index: int) -> FakeRepo:
    """A repository with `releases` release tags and `others` tags that are not versions (never read),
    so that its tags take more than one page (100) without costing a metadata read each."""
    tags: list[FakeTag] = []
    files: dict[str, MutableMapping[str, bytes]] = {}
    for i in range(releases):
        commit = fake_sha("release", name, str(i))
        tags.append(FakeTag(f"v2.{i}.0", commit, annotated=i % 2 == 1))
        files[commit] = {"pyproject.toml": synthetic_pyproject(name, f"2.{i}.0")}
    tags += [FakeTag(f"nightly-{i:03d}", fake_sha("nightly", name, str(i))) for i in range(others)]
    created = (dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=index)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    return gh.add_repo(FakeRepo(ORG, name, tags=tags, files=files, created_at=created))


def big_world(gh: FakeGitHub, repos: int = 120, tags: int = 3, empty: int = 0) -> None:
    """For the GraphQL scanner: `repos` repositories × `tags` tags (every 4th private, every 5th with
    annotated tags), one repository whose 130 tags need a follow-up tag query, and `empty` empty
    repositories: they cost the scan pages (100 repositories a query) but the site no files."""
    synthetic_org(ORG, repos, tags, gh=gh, private_every=4, annotated_every=5)
    org = gh.get_owner(ORG)
    assert org is not None
    repo = synthetic_repo(ORG, repos, 130, name_format="many-{i:04d}")
    org.repos[repo.name] = repo
    for i in range(empty):
        repo = synthetic_repo(ORG, repos + 1 + i, 0, name_format="empty-{i:04d}")
        org.repos[repo.name] = repo


def paged_world(gh: FakeGitHub) -> None:
    """The seeded GraphQL runs: 121 projects; 9 queries cold (7 pages of repositories, 1 of tags, 1 of
    files), 8 warm."""
    big_world(gh, 120, 3, empty=480)


def small_world(gh: FakeGitHub) -> None:
    """For the REST scanner (PyGithub spaces requests 70 ms apart): 8 repositories × 2 tags (every
    4th private) and one whose 2 releases hide among 100 nightly tags (two tag pages)."""
    synthetic_org(ORG, 8, 2, gh=gh, private_every=4, annotated_every=3)
    add_many_tags_repo(gh, "nightlies", 2, 100, index=100)


def new_fake_github(world: Callable[[FakeGitHub], None]) -> FakeGitHub:
    gh = FakeGitHub()
    gh.add_token(TOKEN, LOGIN, sees_private=True, orgs=[ORG])
    world(gh)
    return gh


# -- running the CLI -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Indexgen:
    """`indexgen build --org ORG` against one fake GitHub server, from a scratch directory."""

    server: FakeGitHubServer
    home: Path
    extra: tuple[str, ...] = ()  # arguments every build gets

    @property
    def gh(self) -> FakeGitHub:
        return self.server.gh

    def env(self, overrides: Mapping[str, str | None] = {}) -> dict[str, str]:
        return cli_environ(self.home, {"GITHUB_TOKEN": TOKEN, "INDEXGEN_RETRY_BACKOFF": "0.01", **overrides})

    def args(self, output: Path, *extra: str, scanner: str = "auto") -> list[str]:
        return [
            "build", "--org", ORG, "--output", str(output), "--api-url", self.server.base_url,
            "--scanner", scanner, *self.extra, *extra,
        ]  # fmt: skip

    def build(
        self,
        output: Path,
        *extra: str,
        scanner: str = "auto",
        env: Mapping[str, str] | None = None,
        timeout: float = 120,
    ) -> CliRun:
        return run_indexgen(
            *self.args(output, *extra, scanner=scanner),
            env=env if env is not None else self.env(),
            cwd=self.home,
            timeout=timeout,
        )


@contextlib.contextmanager
def indexgen_against(
    world: Callable[[FakeGitHub], None], home: Path, extra: Sequence[str] = ()
) -> Iterator[Indexgen]:
    home.mkdir(parents=True, exist_ok=True)
    with FakeGitHubServer(new_fake_github(world)) as server:
        yield Indexgen(server, home, tuple(extra))


# The PyPI check asks the fake PyPI about every project, about a second for 120 of them: the tests
# of big sites, which are about GitHub and the disk, leave it out.
NO_PYPI = ("--no-pypi-check",)


def error_lines(run: CliRun) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("error:")]


def assert_clean_failure(run: CliRun, code: int | None = None) -> str:
    """Non-zero (or exactly `code`), nothing on stdout, no traceback, exactly one `error: …` line."""
    if code is None:
        assert run.returncode not in (0, None), run.describe()
    else:
        assert run.returncode == code, run.describe()
    assert "Traceback" not in run.stderr, run.describe()
    assert run.stdout == "", run.describe()
    errors = error_lines(run)
    assert len(errors) == 1, run.describe()
    return errors[0]


def leftovers(output: Path) -> list[str]:
    """write.py's temporary directories next to `output`."""
    return sorted(p.name for p in output.parent.iterdir() if p.name.startswith(TEMP_PREFIX))


def copy_site(source: Path, target: Path, *, with_state: bool = True) -> dict[str, bytes]:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target)
    if not with_state:
        (target / STATE_FILE).unlink()
    return snapshot(target)


def project_names(site: Path) -> set[str]:
    return {p.name for p in (site / "simple").iterdir() if p.is_dir()}


def private_projects(gh: FakeGitHub) -> set[str]:
    return {repo.name for repo in gh.iter_repos() if repo.private}


# -- 1. seeded faults ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SeedOutcome:
    seed: int
    mode: str  # "warm": over a copy of the reference site; "cold": the same copy without its state
    returncode: int
    faults: tuple[str, ...]
    error: str
    problems: tuple[str, ...]  # broken invariants; empty when the run behaved


def run_seed(
    indexgen: Indexgen, reference: Path, expected: Mapping[str, bytes], seed: int, scanner: str, root: Path
) -> SeedOutcome:
    mode = "warm" if seed % 2 == 0 else "cold"
    output = root / f"seed-{seed:03d}" / "site"
    before = copy_site(reference, output, with_state=mode == "warm")
    gh = indexgen.gh
    gh.reset_counters()
    gh.set_faults(FAULT_RATE, FAULT_KINDS, seed=seed)
    try:
        run = indexgen.build(output, scanner=scanner)
    finally:
        gh.set_faults(0.0)
    problems: list[str] = []
    after = snapshot(output)
    if run.returncode == 0:
        if "Traceback" in run.stderr or error_lines(run):
            problems.append(f"exit 0 with an error or a traceback on stderr: {run.stderr[-500:]!r}")
        if after != expected:
            changed = sorted(k for k in {*after, *expected} if after.get(k) != expected.get(k))
            problems.append(f"exit 0 but the site differs from the reference in {changed[:5]}")
    else:
        try:
            assert_clean_failure(run)
        except AssertionError as exc:
            problems.append(f"unclean failure: {exc}")
        if after != before:
            problems.append("failed but the previous site changed")
    if leftovers(output):
        problems.append(f"left {leftovers(output)} next to the site")
    errors = error_lines(run)
    return SeedOutcome(
        seed,
        mode,
        run.returncode,
        tuple(kind for _, _, kind in gh.fault_log),
        errors[0] if errors else "",
        tuple(problems),
    )


@pytest.mark.parametrize(
    ("scanner", "world", "seeds"),
    [("auto", paged_world, range(24)), ("rest", small_world, range(8))],
    ids=["graphql", "rest"],
)
def test_seeded_faults_publish_the_reference_or_leave_the_old_site(
    tmp_path: Path, scanner: str, world: Callable[[FakeGitHub], None], seeds: range
) -> None:
    """10 % of the requests fail (5xx, reset connections, bodies cut in half, GraphQL partial answers):
    each build over a previous site publishes exactly the fault-free reference, or fails cleanly and
    leaves that site byte-identical. Two fake servers run the seeds two at a time; each server's fault
    sequence is seeded, so every seed's run is reproducible."""
    with contextlib.ExitStack() as stack:
        workers = [
            stack.enter_context(indexgen_against(world, tmp_path / f"home-{i}", NO_PYPI)) for i in range(2)
        ]
        reference = tmp_path / "reference" / "site"
        run = workers[0].build(reference, scanner=scanner)
        assert run.returncode == 0, run.describe()
        expected = snapshot(reference)
        assert len(project_names(reference)) > 5

        def work(i: int) -> list[SeedOutcome]:
            return [
                run_seed(workers[i], reference, expected, seed, scanner, tmp_path / "runs")
                for seed in seeds
                if seed % len(workers) == i
            ]

        with concurrent.futures.ThreadPoolExecutor(len(workers)) as pool:
            outcomes = sorted(
                (o for batch in pool.map(work, range(len(workers))) for o in batch), key=lambda o: o.seed
            )

    succeeded = [o for o in outcomes if o.returncode == 0 and not o.problems]
    failed_cleanly = [o for o in outcomes if o.returncode != 0 and not o.problems]
    broken = [o for o in outcomes if o.problems]
    kinds = collections.Counter(kind for o in outcomes for kind in o.faults)
    label = "graphql" if scanner == "auto" else scanner
    print(
        f"\n[faults/{label}] seeds={len(outcomes)} succeeded={len(succeeded)} "
        f"failed_cleanly={len(failed_cleanly)} broken={len(broken)}; "
        f"faults injected={sum(kinds.values())} {dict(sorted(kinds.items()))}"
    )
    for o in outcomes:
        if o.returncode != 0 or o.problems:
            print(f"  seed {o.seed} ({o.mode}, faults {list(o.faults)}): exit {o.returncode} {o.error}")
            for problem in o.problems:
                print(f"    PROBLEM: {problem}")
    assert not broken, [(o.seed, o.problems) for o in broken]
    assert sum(kinds.values()) >= len(outcomes) // 2, "too few faults were injected to prove anything"
    assert len(succeeded) >= 0.8 * len(outcomes), "retries should mend most 10 % fault runs"


def test_a_slow_answer_within_the_client_timeout_is_waited_for(tmp_path: Path) -> None:
    """The `timeout` fault: the fake answers only after `fault_delay_s`. indexgen's HTTP timeouts are
    fixed (60 s GraphQL, 30 s REST) and cannot be lowered from the command line, so a request that
    really times out would cost half a minute: here the answer comes late, within the timeout."""
    with indexgen_against(small_world, tmp_path / "home") as indexgen:
        site = tmp_path / "site"
        assert indexgen.build(site).returncode == 0
        before = snapshot(site)
        indexgen.gh.fault_delay_s = 1.0
        indexgen.gh.fail_next("timeout", 1, "graphql")
        started = time.monotonic()
        run = indexgen.build(site)
        assert run.returncode == 0, run.describe()
        assert time.monotonic() - started >= 1.0
        assert snapshot(site) == before
        assert [kind for _, _, kind in indexgen.gh.fault_log] == ["timeout"]


# -- 2. rate limits ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scanner", "resource", "passes"), [("auto", "graphql", 1), ("rest", "core", 4)], ids=["graphql", "rest"]
)
def test_an_exhausted_rate_limit_is_waited_out_within_max_wait_else_fails_cleanly(
    tmp_path: Path, scanner: str, resource: Resource, passes: int
) -> None:
    with indexgen_against(small_world, tmp_path / "home") as indexgen:
        gh = indexgen.gh
        site = tmp_path / "site"
        assert indexgen.build(site, scanner=scanner).returncode == 0
        before = snapshot(site)

        # The budget runs out mid-scan and resets in 8 s: within --max-wait 1 (minute), so it waits.
        # (int() truncates: the window is 7 to 8 s, and the build's first request must come within it,
        # after Python's start-up, which takes several seconds on a loaded machine.)
        reset = int(time.time()) + 8
        gh.set_rate_limit(resource, reset=reset)
        gh.exhaust_after(passes, resource)
        run = indexgen.build(site, "--max-wait", "1", scanner=scanner)
        assert run.returncode == 0, run.describe()
        assert time.time() >= reset, "the build must have waited for the reset"
        assert snapshot(site) == before
        assert "Traceback" not in run.stderr
        warnings = [line for line in run.stderr.splitlines() if line.startswith("warning:")]
        assert any("rate limit" in line and "waiting" in line for line in warnings), run.describe()

        # Exhausted again, now resetting in two hours: --max-wait 1 gives up at once, naming the reset.
        reset = int(time.time()) + 7200
        gh.set_rate_limit(resource, reset=reset)
        gh.exhaust_after(passes, resource)
        started = time.monotonic()
        run = indexgen.build(site, "--max-wait", "1", scanner=scanner)
        error = assert_clean_failure(run, 1)
        assert time.monotonic() - started < 30
        stamp = dt.datetime.fromtimestamp(reset, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        assert "rate limit exhausted" in error and stamp in error, error
        assert snapshot(site) == before
        assert leftovers(site) == []


def test_a_secondary_limit_whose_retry_after_exceeds_max_wait_fails_instead_of_sleeping(
    tmp_path: Path,
) -> None:
    """--max-wait bounds every wait for a rate limit. GitHub's secondary limit says how long to wait in
    Retry-After; when that is longer than --max-wait the build must fail cleanly, not sleep it out
    (with `Retry-After: 3600` it would sleep an hour whatever --max-wait says)."""
    with indexgen_against(small_world, tmp_path / "home") as indexgen:
        site = tmp_path / "site"
        assert indexgen.build(site).returncode == 0
        before = snapshot(site)
        retry_after = 4
        indexgen.gh.inject_secondary_limit(1, status=403, retry_after=retry_after, resource="graphql")
        started = time.monotonic()
        run = indexgen.build(site, "--max-wait", "0.01")  # 0.6 s
        elapsed = time.monotonic() - started
        assert elapsed < retry_after, f"slept out Retry-After {retry_after} s despite --max-wait 0.6 s\n" + (
            run.describe()
        )
        error = assert_clean_failure(run, 1)
        assert "rate limit" in error, error
        assert snapshot(site) == before


# -- answers no fault kind of the fake produces ------------------------------------------------------------

SAML_MESSAGE = (
    "Resource protected by organization SAML enforcement. You must grant your Personal Access token "
    "access to this organization."
)


def serve_constant(status: int, body: bytes, content_type: str = "application/json") -> Any:
    """A server answering every request with `status` and `body`; yields its REST base URL."""
    return serve_answers(lambda request: (status, {"Content-Type": content_type}, body))


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (403, json.dumps({"message": SAML_MESSAGE}).encode(), "application/json"),
        (403, b"<html><body>Access denied by proxy</body></html>", "text/html"),
        (200, json.dumps({"message": "this is not GitHub"}).encode(), "application/json"),
    ],
    ids=["403-saml", "403-html", "200-not-github"],
)
@pytest.mark.parametrize("scanner", ["auto", "rest"], ids=["graphql", "rest"])
def test_unexpected_answers_fail_with_one_error_line(
    tmp_path: Path, scanner: str, status: int, body: bytes, content_type: str
) -> None:
    """Whatever the API answers (an organisation's SAML enforcement, a proxy's HTML page, a URL that is
    not GitHub at all), the build fails with one `error: …` line and exit 1, never a traceback."""
    site = tmp_path / "site"
    site.mkdir()
    (site / ".gitignore").write_bytes(b"*\n")
    before = snapshot(site)
    env = cli_environ(tmp_path, {"GITHUB_TOKEN": TOKEN, "INDEXGEN_RETRY_BACKOFF": "0.01"})
    with serve_constant(status, body, content_type) as api_url:
        run = run_indexgen(
            "build", "--org", ORG, "-o", str(site), "--api-url", api_url, "--scanner", scanner,
            "--max-wait", "0.05", env=env, cwd=tmp_path, timeout=60,
        )  # fmt: skip
    assert_clean_failure(run, 1)
    assert snapshot(site) == before


# -- 3. a token that lost access -----------------------------------------------------------------------


def test_a_token_that_lost_access_to_private_repositories_cannot_shrink_the_index(tmp_path: Path) -> None:
    with indexgen_against(lambda gh: big_world(gh, 40, 2), tmp_path / "home") as indexgen:
        gh = indexgen.gh
        site = tmp_path / "site"
        assert indexgen.build(site).returncode == 0
        before = snapshot(site)
        private = private_projects(gh)
        assert private and private <= project_names(site)

        gh.tokens[TOKEN] = dataclasses.replace(gh.tokens[TOKEN], sees_private=False)
        run = indexgen.build(site)
        error = assert_clean_failure(run, 3)
        assert snapshot(site) == before
        assert leftovers(site) == []
        assert f"{len(private)} projects" in error, error
        for name in sorted(private)[:5]:  # the message shows the first five and counts the rest
            assert name in error, error
        assert "--allow-shrink" in error, error

        run = indexgen.build(site, "--allow-shrink")
        assert run.returncode == 0, run.describe()
        assert project_names(site) == project_names_of(before) - private
        published = (
            gzip.decompress((site / STATE_FILE).read_bytes()).decode() + (site / "index.html").read_text()
        )
        assert not [name for name in private if f'"{name}"' in published or f"/{name}" in published]


def project_names_of(files: Mapping[str, bytes]) -> set[str]:
    return {path.split("/")[1] for path in files if path.startswith("simple/") and path.count("/") == 2}


# -- 4. killed builds ------------------------------------------------------------------------------------


def add_release(gh: FakeGitHub, repo_name: str, version: str) -> str:
    """Tag a new release `v<version>` on `repo_name`; returns its commit."""
    repo = gh.get_repo(ORG, repo_name)
    assert repo is not None
    commit = fake_sha("new-release", repo_name, version)
    repo.files[commit] = {"pyproject.toml": synthetic_pyproject(repo_name, version)}
    repo.tags.append(FakeTag(f"v{version}", commit))
    return commit


def start_indexgen(indexgen: Indexgen, output: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "indexgen", *indexgen.args(output, *extra)],
        env=indexgen.env(),
        cwd=indexgen.home,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 60) -> CliRun:
    stdout, stderr = process.communicate(timeout=timeout)
    assert isinstance(process.args, list)
    return CliRun(tuple(str(a) for a in process.args[3:]), process.returncode, stdout, stderr)


def kill_when_staging_appears(process: subprocess.Popen[str], output: Path, signum: int) -> bool:
    """Poll for write.py's staging directory next to `output`; signal the build the moment it appears.
    True when the signal went out while the staging directory existed (the write phase)."""
    parent, prefix = output.parent, f"{TEMP_PREFIX}{output.name}-new-"
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if any(name.startswith(prefix) for name in os.listdir(parent)):
            process.send_signal(signum)
            return True
    return False


@dataclasses.dataclass
class KillScene:
    """A previous site (kept pristine) and the site the next build publishes: one more release."""

    indexgen: Indexgen
    root: Path
    old: dict[str, bytes]
    new: dict[str, bytes]

    def fresh_site(self, name: str) -> Path:
        """A copy of the previous site to build over."""
        site = self.root / name / "site"
        assert copy_site(self.root / "old" / "site", site) == self.old
        return site

    def assert_next_build_recovers(self, site: Path) -> None:
        run = self.indexgen.build(site)
        assert run.returncode == 0, run.describe()
        assert snapshot(site) == self.new
        assert leftovers(site) == []


@contextlib.contextmanager
def kill_scene(
    root: Path, world: Callable[[FakeGitHub], None], extra: Sequence[str] = ()
) -> Iterator[KillScene]:
    with indexgen_against(world, root / "home", extra) as indexgen:
        old_site = root / "old" / "site"
        assert indexgen.build(old_site).returncode == 0
        old = snapshot(old_site)
        add_release(indexgen.gh, "pkg-0000", "9.0.0")
        new_site = root / "new" / "site"
        copy_site(old_site, new_site)
        assert indexgen.build(new_site).returncode == 0
        new = snapshot(new_site)
        assert new != old
        yield KillScene(indexgen, root, old, new)


def test_killed_from_outside_mid_scan_or_mid_write(tmp_path: Path) -> None:
    """SIGTERM mid-scan leaves the previous site; SIGTERM or SIGKILL sent the moment write.py's staging
    directory appears leaves the old site or the complete new one, never a mix or nothing. Each time
    the next build succeeds and removes the leftovers."""
    with kill_scene(tmp_path, lambda gh: big_world(gh, 250, 2), NO_PYPI) as scene:
        gh = scene.indexgen.gh
        site = scene.fresh_site("mid-scan")
        gh.latency_ms = 400  # the warm scan takes 4 queries: about 2 s
        gh.reset_counters()
        process = start_indexgen(scene.indexgen, site)
        deadline = time.monotonic() + 30
        while gh.graphql_requests < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert process.poll() is None, "the build ended before it could be killed mid-scan"
        process.send_signal(signal.SIGTERM)
        run = finish(process)
        assert run.returncode == -signal.SIGTERM, run.describe()
        assert snapshot(site) == scene.old
        assert leftovers(site) == []
        gh.latency_ms = 0
        scene.assert_next_build_recovers(site)

        for signum in (signal.SIGTERM, signal.SIGKILL):
            name = signal.Signals(signum).name
            for attempt in range(1, 6):
                site = scene.fresh_site(f"{name}-{attempt}")
                process = start_indexgen(scene.indexgen, site)
                signalled = kill_when_staging_appears(process, site, signum)
                run = finish(process)
                after = snapshot(site) if site.exists() else None
                assert after in (scene.old, scene.new), (
                    f"partial or missing site after {name}\n{run.describe()}"
                )
                if signalled and run.returncode == -signum:
                    break
            else:
                pytest.fail(f"in 5 attempts {name} never landed while the staging directory existed")
            where = (
                "before the swap: old site kept" if after == scene.old else "in the swap: new site complete"
            )
            print(f"\n[kill/{name} from outside] attempt {attempt}: landed {where}; left {leftovers(site)}")
            scene.assert_next_build_recovers(site)


# A real `indexgen build` that signals itself at an exact point of the write phase. The test hook in
# tests/writefaults (a `sitecustomize` on the subprocess's PYTHONPATH) wraps write.py's `_swap`,
# `_exchange` and renames, sends the signal there and writes what it did to a marker file, so each test
# knows its signal was delivered, and where.
WRITE_FAULTS = Path(__file__).parent / "writefaults"


@dataclasses.dataclass(frozen=True)
class FaultRun:
    run: CliRun
    marks: list[str]  # what the hook did, in order


def build_with_write_fault(
    indexgen: Indexgen,
    site: Path,
    fault: Mapping[str, Any],
    *extra: str,
    scanner: str = "auto",
    marker_dir: Path | None = None,
) -> FaultRun:
    marker_dir = marker_dir or site.parent
    marker = marker_dir / f"fault-{len(list(marker_dir.glob('fault-*')))}.log"
    spec = {**fault, "marker": str(marker)}
    pythonpath = os.pathsep.join(p for p in (str(WRITE_FAULTS), os.environ.get("PYTHONPATH", "")) if p)
    env = indexgen.env({"PYTHONPATH": pythonpath, "INDEXGEN_TESTS_WRITE_FAULT": json.dumps(spec)})
    run = indexgen.build(site, *extra, scanner=scanner, env=env, timeout=60)
    marks = marker.read_text(encoding="utf-8").splitlines() if marker.exists() else []
    return FaultRun(run, marks)


@pytest.fixture(scope="module")
def small_scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KillScene]:
    with kill_scene(tmp_path_factory.mktemp("scene"), small_world) as scene:
        yield scene


def site_state(scene: KillScene, site: Path) -> str:
    after = snapshot(site) if site.exists() else None
    return {None: "missing", _key(scene.old): "old", _key(scene.new): "new"}.get(_key(after), "partial")


@pytest.mark.parametrize(
    ("fault", "sent_mark"),
    [
        ({"at": "swap", "signal": "SIGTERM"}, "sent SIGTERM at the start of the swap"),
        ({"at": "exchange", "signal": "SIGINT"}, "sent SIGINT after renameat2"),
        ({"at": "exchange", "signal": "SIGHUP"}, "sent SIGHUP after renameat2"),
        (
            {"at": "rename", "nth": 1, "signal": "SIGTERM", "two_renames": True},
            "sent SIGTERM after rename #1",
        ),
        ({"at": "rename", "nth": 1, "signal": "SIGINT", "two_renames": True}, "sent SIGINT after rename #1"),
    ],
    ids=[
        "SIGTERM-swap-start",
        "SIGINT-renameat2",
        "SIGHUP-renameat2",
        "SIGTERM-between-renames",
        "SIGINT-between-renames",
    ],
)
def test_a_signal_in_the_swap_completes_it_then_exits_128_plus_n_without_the_report(
    small_scene: KillScene, fault: dict[str, Any], sent_mark: str
) -> None:
    """README, exit codes: a signal that arrives while the new site is being swapped in is held until
    the swap is complete; then the build exits 128+N with one `error:` line, the site is the complete
    new one, and the report is not written. On the atomic renameat2 path and on the two-rename path."""
    signum = getattr(signal, fault["signal"])
    site = small_scene.fresh_site("-".join(str(v) for v in fault.values()))
    report = site.parent / "report.json"
    done = build_with_write_fault(small_scene.indexgen, site, fault, "--report", str(report))
    assert sent_mark in done.marks, (done.marks, done.run.describe())  # the signal was delivered ...
    two = bool(fault.get("two_renames"))
    assert ("renameat2 refused: two renames" in done.marks) is two, done.marks  # ... on this path
    assert ("renameat2 exchanged: True" in done.marks) is not two, done.marks
    assert done.marks[-1] == "swap of site done", done.marks  # ... inside the swap, which completed
    error = assert_clean_failure(done.run, 128 + signum)
    assert f"interrupted ({fault['signal']})" in error, error
    assert site_state(small_scene, site) == "new"
    assert not report.exists(), "the report must not be written after an interrupted swap"
    assert leftovers(site) == []
    small_scene.assert_next_build_recovers(site)


def test_ctrl_c_while_writing_before_the_swap_exits_130_and_leaves_the_old_site(
    small_scene: KillScene,
) -> None:
    site = small_scene.fresh_site("SIGINT-staging")
    report = site.parent / "report.json"
    fault = {"at": "write", "nth": 3, "signal": "SIGINT"}
    done = build_with_write_fault(small_scene.indexgen, site, fault, "--report", str(report))
    assert "sending SIGINT before writing staged file #3" in done.marks, done.marks  # then KeyboardInterrupt
    error = assert_clean_failure(done.run, 130)
    assert "interrupted" in error, error
    assert site_state(small_scene, site) == "old"
    assert leftovers(site) == [] and not report.exists()
    assert [p.name for p in site.parent.iterdir() if p.name.startswith(".report")] == []


@pytest.mark.parametrize(
    ("fault", "sent_mark", "expected", "left"),
    [
        (
            {"at": "write", "nth": 3, "signal": "SIGTERM"},
            "sending SIGTERM before writing staged file #3",
            "old",
            ["new"],
        ),
        (
            {"at": "write", "nth": 3, "signal": "SIGKILL"},
            "sending SIGKILL before writing staged file #3",
            "old",
            ["new"],
        ),
        ({"at": "swap", "signal": "SIGKILL"}, "sending SIGKILL at the start of the swap", "old", ["new"]),
        ({"at": "exchange", "signal": "SIGKILL"}, "sending SIGKILL after renameat2", "new", ["new"]),
        (
            {"at": "rename", "nth": 1, "signal": "SIGKILL", "two_renames": True},
            "sending SIGKILL after rename #1",
            "missing",
            ["new", "old"],
        ),
        (
            {"at": "rename", "nth": 2, "signal": "SIGKILL", "two_renames": True},
            "sending SIGKILL after rename #2",
            "new",
            ["old"],
        ),
    ],
    ids=[
        "SIGTERM-staging",
        "SIGKILL-staging",
        "SIGKILL-swap-start",
        "SIGKILL-renameat2",
        "SIGKILL-between-renames",
        "SIGKILL-after-renames",
    ],
)
def test_a_build_killed_while_writing_is_repaired_by_the_next_build(
    small_scene: KillScene, fault: dict[str, Any], sent_mark: str, expected: str, left: list[str]
) -> None:
    """A signal the writer cannot hold (SIGKILL; SIGTERM before the swap) kills the build where it
    is. With renameat2 the site is then the old or the complete new one. Killed between the two
    renames of the fallback the site is missing, the previous one set aside: the next build puts it
    back before reading its state, then publishes, and removes every leftover."""
    signum = getattr(signal, fault["signal"])
    site = small_scene.fresh_site("-".join(str(v) for v in fault.values()))
    done = build_with_write_fault(small_scene.indexgen, site, fault)
    assert sent_mark in done.marks, (done.marks, done.run.describe())
    assert done.run.returncode == -signum, done.run.describe()
    assert site_state(small_scene, site) == expected, (done.marks, leftovers(site))
    kinds = sorted({name.removeprefix(f"{TEMP_PREFIX}site-").split("-")[0] for name in leftovers(site)})
    assert kinds == left, leftovers(site)
    small_scene.assert_next_build_recovers(site)


def _key(files: Mapping[str, bytes] | None) -> tuple[tuple[str, bytes], ...] | None:
    return None if files is None else tuple(sorted(files.items()))


def test_a_build_after_a_kill_in_the_swap_still_keeps_published_commits(tmp_path: Path) -> None:
    """Published versions are immutable: a moved tag keeps its published commit. That rests on the
    previous build's state in the site. A build SIGKILLed between the two renames of the swap (the
    site set aside, nothing in its place) must not leave the next build without that state."""
    with indexgen_against(small_world, tmp_path / "home") as indexgen:
        site = tmp_path / "out" / "site"
        assert indexgen.build(site).returncode == 0
        published = commit_of(site, "pkg-0001", "1.1.0")
        moved = move_tag(indexgen.gh, "pkg-0001", "v1.1.0", "1.1.0")
        fault = {"at": "rename", "nth": 1, "signal": "SIGKILL", "two_renames": True}
        done = build_with_write_fault(indexgen, site, fault)
        assert "sending SIGKILL after rename #1" in done.marks, done.marks
        assert done.run.returncode == -signal.SIGKILL and not site.exists(), done.run.describe()
        run = indexgen.build(site)
        assert run.returncode == 0, run.describe()
        assert commit_of(site, "pkg-0001", "1.1.0") == published, (
            f"after the kill the next build published the moved tag's commit {moved[:12]} for a version "
            f"published as {published[:12]}\n{run.describe()}"
        )


# -- 5. dependency confusion -----------------------------------------------------------------------------


def test_a_private_name_that_pypi_also_has_is_refused_until_acknowledged(tmp_path: Path) -> None:
    with indexgen_against(small_world, tmp_path / "home") as indexgen:
        twin = sorted(private_projects(indexgen.gh))[0]  # pkg-0003
        with serve_pypi(FakePyPI({twin: ["0.0.1", "10.0", "2.5.0"]})) as pypi:
            env = indexgen.env({"INDEXGEN_PYPI_URL": pypi.url})
            site, report = tmp_path / "site", tmp_path / "report.json"

            run = indexgen.build(site, "--report", str(report), env=env)
            error = assert_clean_failure(run, 4)
            assert f"{twin} (PyPI has 10.0)" in error and "--allow-public" in error, error
            assert not site.exists() and not report.exists()
            assert leftovers(site) == []
            assert f"/pypi/{twin}/json" in pypi.requests

            run = indexgen.build(site, "--report", str(report), "--allow-public", twin, env=env)
            assert run.returncode == 0, run.describe()
            assert read_report(report)["public_names"] == {twin: "10.0"}
            row = browse_row(site, twin)
            assert "also on PyPI (10.0)" in row, row
            others = [name for name in project_names(site) if name != twin]
            assert all("also on PyPI" not in browse_row(site, name) for name in others)
            published = snapshot(site)

            # Over a published site: a build that does not acknowledge the name changes nothing.
            run = indexgen.build(site, env=env)
            assert_clean_failure(run, 4)
            assert snapshot(site) == published
            assert leftovers(site) == []

            pypi.down = True
            run = indexgen.build(site, "--allow-public", twin, env=env)
            error = assert_clean_failure(run, 1)
            assert "cannot check project names against" in error and pypi.url in error, error
            assert "--no-pypi-check" in error, error
            assert snapshot(site) == published

            run = indexgen.build(site, "--no-pypi-check", env=env)
            assert run.returncode == 0, run.describe()
            assert "also on PyPI" not in browse_row(site, twin)


def browse_row(site: Path, name: str) -> str:
    """The project's card on the browse site's home page."""
    page = (site / "index.html").read_text(encoding="utf-8")
    start = page.index(f'<li class="card" data-name="{name}"')
    return page[start : page.index("</li>\n", start)]


# -- 6. moved tags -------------------------------------------------------------------------------------


def move_tag(gh: FakeGitHub, repo_name: str, tag_name: str, version: str) -> str:
    """Point `tag_name` at a new commit whose metadata differs (requires-python); returns the commit."""
    repo = gh.get_repo(ORG, repo_name)
    assert repo is not None
    commit = fake_sha("moved", repo_name, tag_name)
    pyproject = synthetic_pyproject(repo_name, version).replace(b">=3.8", b">=3.12")
    repo.files[commit] = {"pyproject.toml": pyproject}
    repo.tags = [FakeTag(t.name, commit) if t.name == tag_name else t for t in repo.tags]
    return commit


def commit_of(site: Path, project: str, version: str) -> str:
    page = (site / "simple" / project / "index.html").read_text(encoding="utf-8")
    for line in page.splitlines():
        if f'#egg={project}-{version}"' in line:
            return line.split(".git@", 1)[1].split("#", 1)[0]
    raise AssertionError(f"{project} {version} is not on its page")


def test_a_moved_tag_keeps_its_published_commit_until_accepted(tmp_path: Path) -> None:
    with indexgen_against(small_world, tmp_path / "home") as indexgen:
        site, report = tmp_path / "site", tmp_path / "report.json"
        assert indexgen.build(site).returncode == 0
        before = snapshot(site)
        published = commit_of(site, "pkg-0001", "1.1.0")
        moved = move_tag(indexgen.gh, "pkg-0001", "v1.1.0", "1.1.0")

        run = indexgen.build(site, "--report", str(report))
        assert run.returncode == 0, run.describe()
        assert commit_of(site, "pkg-0001", "1.1.0") == published
        # The browse pages report the move (problems) and no longer date 1.1.0: its tag's date is
        # the new commit's. What pip reads does not change.
        assert {k: v for k, v in snapshot(site).items() if k.startswith("simple/")} == {
            k: v for k, v in before.items() if k.startswith("simple/")
        }, "no PEP 503 page may change while the move is not accepted"
        warnings = [line for line in run.stderr.splitlines() if line.startswith("warning:")]
        assert any(
            "v1.1.0" in line
            and f"{ORG}/pkg-0001" in line
            and published[:12] in line
            and moved[:12] in line
            and f"--accept-moved-tag {ORG}/pkg-0001@v1.1.0" in line
            for line in warnings
        ), run.stderr
        assert read_report(report)["moved_tags"] == [
            {
                "project": "pkg-0001", "version": "1.1.0", "repository": f"{ORG}/pkg-0001", "tag": "v1.1.0",
                "published_commit": published, "new_commit": moved, "accepted": False,
            }
        ]  # fmt: skip

        run = indexgen.build(site, "--report", str(report), "--accept-moved-tag", f"{ORG}/pkg-0001@v1.1.0")
        assert run.returncode == 0, run.describe()
        assert commit_of(site, "pkg-0001", "1.1.0") == moved
        assert 'data-requires-python="&gt;=3.12"' in (site / "simple/pkg-0001/index.html").read_text()
        assert [m["accepted"] for m in read_report(report)["moved_tags"]] == [True]

        # Accepted once, the new commit is what is published: no more warnings.
        run = indexgen.build(site, "--report", str(report))
        assert run.returncode == 0, run.describe()
        assert commit_of(site, "pkg-0001", "1.1.0") == moved
        assert read_report(report)["moved_tags"] == []
        assert "warning:" not in run.stderr


# -- 7. determinism ------------------------------------------------------------------------------------


def conflict_world(gh: FakeGitHub) -> None:
    """The small world plus two repositories publishing one name: `zz-older` was created first; the
    newer one sorts first by name and is listed first."""
    small_world(gh)
    for name, created in (("aa-newer", "2024-06-01T00:00:00Z"), ("zz-older", "2019-03-01T00:00:00Z")):
        commit = fake_sha("conflict", name)
        gh.add_repo(
            FakeRepo(
                ORG,
                name,
                created_at=created,
                tags=[FakeTag("v1.0.0", commit)],
                files={commit: {"pyproject.toml": synthetic_pyproject("Shared.Name", "1.0.0")}},
            )
        )


@dataclasses.dataclass(frozen=True)
class ColdBuilds:
    runs: dict[str, CliRun]
    sites: dict[str, Path]
    reports: dict[str, Path]


@pytest.fixture(scope="module")
def cold_builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ColdBuilds]:
    root = tmp_path_factory.mktemp("cold")
    runs, sites, reports = {}, {}, {}
    with indexgen_against(conflict_world, root / "home") as indexgen:
        for name, scanner in (("graphql-1", "auto"), ("graphql-2", "auto"), ("rest", "rest")):
            sites[name], reports[name] = root / name / "site", root / name / "report.json"
            runs[name] = indexgen.build(sites[name], "--report", str(reports[name]), scanner=scanner)
    yield ColdBuilds(runs, sites, reports)


def test_cold_builds_of_the_same_input_are_byte_identical(cold_builds: ColdBuilds) -> None:
    for run in cold_builds.runs.values():
        assert run.returncode == 0, run.describe()
    sites = {name: snapshot(site) for name, site in cold_builds.sites.items()}
    # The `config` block names each run's own output, report and scanner: the rest is compared.
    reports = {name: read_report(report) for name, report in cold_builds.reports.items()}
    for report in reports.values():
        report.pop("config")
    assert sites["graphql-1"] == sites["graphql-2"]
    assert reports["graphql-1"] == reports["graphql-2"]

    # The REST scanner reads the same repositories: the same index, byte for byte (its browse pages and
    # state lack the release dates that only the GraphQL scan gets for free).
    def pep503(files: dict[str, bytes]) -> dict[str, bytes]:
        return {name: data for name, data in files.items() if name.startswith("simple/")}

    assert pep503(sites["rest"]) == pep503(sites["graphql-1"]) and pep503(sites["rest"])
    assert reports["rest"] == reports["graphql-1"]


def test_a_name_claimed_by_two_repositories_stays_with_the_older_one(cold_builds: ColdBuilds) -> None:
    for name, run in cold_builds.runs.items():
        site, report = cold_builds.sites[name], read_report(cold_builds.reports[name])
        assert report["projects"]["shared-name"]["repository"] == f"{ORG}/zz-older"
        assert commit_of(site, "shared-name", "1.0.0") == fake_sha("conflict", "zz-older")
        assert fake_sha("conflict", "aa-newer") not in (site / "simple/shared-name/index.html").read_text()
        skipped = [s for s in report["skipped"] if s["repository"] == f"{ORG}/aa-newer"]
        assert skipped and all(f"{ORG}/zz-older" in s["reason"] for s in skipped), skipped
        assert (
            f"warning: {ORG}/aa-newer also publishes 'shared-name'; {ORG}/zz-older keeps the name"
            in run.stderr
        ), run.stderr
