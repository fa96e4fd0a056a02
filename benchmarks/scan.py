"""Scan and render benchmark: `python benchmarks/scan.py` (defaults: N=1,000 repositories × T=50 tags).

Starts the fake GitHub server of the test suite with a synthetic organisation (a pyproject.toml at every
tag, `--latency-ms` added to every request), runs `indexgen build` as a subprocess and prints, for each
case, the API requests and GraphQL points the server counted, the wall time (which includes the fake
server's own work, in this process), indexgen's CPU seconds (user + sys) and the build's peak memory:

  (a) cold build (GraphQL)          (b) rebuild, nothing changed     (c) rebuild after one new tag
  (d) `--repo` rescan of one repo    (e) REST scanner, cold (on `--rest-repos` repositories, since a REST
                                         scan of the full org needs ~52,000 requests: about ten hours of
                                         a 5,000/hour token; the full-size count is extrapolated)
  (f)–(h) the same org where every third repository's setup.py execs its version file (requests'
      idiom), so its metadata refers to one more file per commit: cold, rebuild, REST cold; printed
      with the releases published and the requests the second round of file reads added.

  (i)–(l) with `--monorepo-every K` (default 10; 0 skips them): the same org where every K-th repository
      holds three projects in `libs/p0..p2` (no project at its root) tagged `p0/v1.2.0`…, found by
      monorepo discovery: cold, rebuild, rebuild after a new tag in one monorepo, REST cold.

`--only timeouts` runs the same org where GitHub runs out of time on any GraphQL query whose answer
holds more than `--time-limit` objects (default 5,000: 25 repositories × 50 tags fit, 50 do not), cold and
rebuilt, next to the same builds without a limit: what halving the pages costs.

`--large` runs only the two largest organisations instead (minutes): 10,000 repositories (2,000 Python
× 50 tags, 8,000 others × 20 tags, some empty, forks, archived) cold, warm, `--repo` after a new tag and
the full build after it; 5,000 Python repositories × 100 tags cold, warm and `--repo`. "Warm" rebuilds
into the same output directory (the site is kept); "warm, as the action runs it" rebuilds into one
holding only the state, with `--previous` (a fresh checkout after the cache restore: every page is
written again); "warm, --skip-unchanged" the same as the reusable workflow runs it (no page made).
Per case: GraphQL and REST queries, indexgen's CPU seconds (user + sys), peak RSS (the build's own
VmHWM), the state file (raw and gzipped) and the output directory, in MB.
`INDEXGEN_BENCH_CODE=<checkout>` measures another checkout's indexgen (before/after).

Then it times rendering N×T releases with indexgen next to dumb-pypi (installed from PyPI into a
throwaway venv) rendering an index of the same number of files. Pass `--skip-dumb-pypi` offline.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakegithub import FakeGitHub, FakeGitHubServer, FakeTag, fake_sha, synthetic_org  # noqa: E402

TOKEN = "ghs_benchmarktoken"
METADATA_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
ORG = "synthetic"


def child_build(argv: list[str], rss_file: str) -> int:
    """Run indexgen's CLI in this process and record its peak memory (the `--child` mode)."""
    if os.environ.get("INDEXGEN_BENCH_CODE"):  # measure another checkout's indexgen (before/after)
        sys.path.insert(0, os.environ["INDEXGEN_BENCH_CODE"])
    from indexgen.cli import main

    try:
        return main(argv)
    finally:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        Path(rss_file).write_text(f"{own_peak_rss_kb(usage.ru_maxrss)} {usage.ru_utime + usage.ru_stime}")


def own_peak_rss_kb(fallback: int) -> int:
    """This process's own peak RSS in KB: Linux's VmHWM, which starts afresh at exec. `ru_maxrss`
    does not: it keeps the high-water mark of the memory the process was forked with, so a child of
    a large parent (this benchmark holding a fake organisation of 500,000 tags) reports at least
    the parent's RSS. `fallback` (ru_maxrss) where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return fallback


def bench_github(latency_ms: float) -> FakeGitHub:
    """A fake GitHub without rate limits that knows the benchmark's token, `latency_ms` per request."""
    gh = FakeGitHub(core_limit=10**9, graphql_limit=10**9, latency_ms=latency_ms)
    gh.add_token(TOKEN, "bench", orgs=[ORG])
    return gh


def beyond(m: dict[str, float], plain: dict[str, float]) -> str:
    """The requests a case costs beyond the plain organisation's same case."""
    return f"+{int(m['requests'] - plain['requests'])} requests"


def run_build(gh: FakeGitHub, server: FakeGitHubServer, output: Path, *extra: str) -> dict[str, float]:
    gh.reset_counters()
    with (
        tempfile.NamedTemporaryFile(suffix=".rss") as rss,
        tempfile.NamedTemporaryFile(suffix=".json") as report,
    ):
        argv = [
            "build",
            "--org",
            ORG,
            "--api-url",
            server.base_url,
            "--output",
            str(output),
            "--no-pypi-check",
            "--report",
            report.name,
        ]
        env = {**os.environ, "GITHUB_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
        env.pop("GITHUB_API_URL", None)
        env.pop("GITHUB_GRAPHQL_URL", None)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, __file__, "--child", rss.name, "--", *argv, *extra],
            env=env,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"indexgen build failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        peak_kb, cpu = (Path(rss.name).read_text() or "0 0").split()
        peak_mb = int(peak_kb) / 1024
        projects = json.loads(Path(report.name).read_text() or "{}").get("projects", {})
    return {
        "releases": sum(len(p["releases"]) for p in projects.values()),
        # REST reads of files other than the three metadata files: the referenced files' round
        "referenced_rest": sum(
            1
            for r in gh.log
            if "/contents/" in r.path and r.path.split("/contents/", 1)[1].split("?")[0] not in METADATA_FILES
        ),
        "rest": gh.rest_requests,
        "graphql": gh.graphql_requests,
        "points": gh.graphql_points,
        "requests": gh.rest_requests + gh.graphql_requests,
        "seconds": wall,
        "peak_mb": peak_mb,
        "cpu": float(cpu),
        **site_sizes(output),
    }


def site_sizes(output: Path) -> dict[str, float]:
    """The whole site's size and the state file's, raw and gzipped (whatever its name's suffix)."""
    total = sum(p.stat().st_size for p in output.rglob("*") if p.is_file())
    state = next(iter(sorted(output.glob("indexgen-state*"))), None)
    raw = state.read_bytes() if state else b""
    packed = raw if raw[:2] == b"\x1f\x8b" else gzip.compress(raw, 6)
    plain = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    return {"site_mb": total / 1e6, "state_mb": len(plain) / 1e6, "state_gz_mb": len(packed) / 1e6}


def add_tag(gh: FakeGitHub, tag: str) -> None:
    """A new release of pkg-0007: a new commit with a pyproject.toml, tagged."""
    repo = gh.get_repo(ORG, "pkg-0007")
    assert repo is not None
    commit = fake_sha("bench", tag)
    repo.files[commit] = {"pyproject.toml": b'[project]\nname = "pkg-0007"\ndynamic = ["version"]\n'}
    repo.tags.append(FakeTag(tag, commit))


def row(label: str, m: dict[str, float], target: str = "") -> str:
    return (
        f"{label:<34} {int(m['requests']):>7} {int(m['rest']):>6} {int(m['graphql']):>8} "
        f"{int(m['points']):>7} {m['seconds']:>8.2f} {m['cpu']:>6.2f} {m['peak_mb']:>8.0f} "
        f"{int(m['releases']):>8}  {target}"
    )


def scan_cases(args: argparse.Namespace, work: Path) -> None:
    plain: dict[str, dict[str, float]] = {}
    gh = bench_github(args.latency_ms)
    synthetic_org(ORG, args.repos, args.tags, gh=gh)
    print(f"synthetic org: {args.repos} repositories × {args.tags} tags, {args.latency_ms:g} ms per request")
    print(
        f"{'case':<34} {'requests':>7} {'REST':>6} {'GraphQL':>8} {'points':>7} {'wall s':>8} {'CPU s':>6} "
        f"{'peak MB':>8} {'releases':>8}"
    )
    with FakeGitHubServer(gh) as server:
        site = work / "site"
        plain["a"] = run_build(gh, server, site)
        print(row("(a) cold build, GraphQL", plain["a"], "target ≤ 150 requests"))
        plain["b"] = run_build(gh, server, site)
        print(row("(b) rebuild, nothing changed", plain["b"], "target ≤ 12 requests, ≤ 5 s"))
        add_tag(gh, "v9.0.0")
        print(row("(c) rebuild after one new tag", run_build(gh, server, site), "target ≤ 13 requests"))
        add_tag(gh, "v9.1.0")
        rescan = run_build(gh, server, site, "--repo", f"{ORG}/pkg-0007")
        print(row("(d) --repo rescan after a new tag", rescan, "target ≤ 2 requests"))

    small = bench_github(args.latency_ms)
    synthetic_org(ORG, args.rest_repos, args.tags, gh=small)
    with FakeGitHubServer(small) as server:
        rest = run_build(small, server, work / "rest-site", "--scanner", "rest")
    plain["e"] = rest
    print(row(f"(e) REST scanner cold, N={args.rest_repos}", rest))
    per_repo = rest["requests"] / args.rest_repos
    print(
        f"    REST at N={args.repos}: ≈ {per_repo * args.repos:,.0f} requests "
        f"(≈ {rest['seconds'] / args.rest_repos * args.repos / 3600:.1f} h at this latency), "
        f"{(per_repo * args.repos) / 5000:.1f} hours of a 5,000/hour token"
    )
    computed_cases(args, work, plain)
    if args.monorepo_every:
        monorepo_cases(args, work, plain)


EXEC_SETUP = (
    "import os\nfrom setuptools import setup\n\nhere = os.path.abspath(os.path.dirname(__file__))\n"
    "about = {{}}\nwith open(os.path.join(here, {module!r}, '__version__.py')) as f:\n"
    "    exec(f.read(), about)\n"
    "setup(name=about['__title__'], version=about['__version__'], python_requires='>=3.8')\n"
)


VERSION_FILE = "__title__ = {name!r}\n__version__ = {version!r}\n"


def computed_org(gh: FakeGitHub, repos: int, tags: int, every: int = 3) -> int:
    """The synthetic org where every `every`-th repository computes its version: setup.py execs
    `<module>/__version__.py` (requests' idiom). Returns how many repositories do."""
    owner = synthetic_org(ORG, repos, tags, gh=gh)
    computed = 0
    for i, repo in enumerate(owner.repos.values()):
        if i % every != every - 1:
            continue
        computed += 1
        module = repo.name.replace("-", "_")
        versions = dict(repo.files.versions)  # type: ignore[attr-defined]
        for commit, version in versions.items():
            repo.files[commit] = {
                "setup.py": EXEC_SETUP.format(module=module).encode(),
                f"{module}/__version__.py": VERSION_FILE.format(name=repo.name, version=version).encode(),
            }
    return computed


MONO_PROJECTS = ("p0", "p1", "p2")


def mono_files(repo_name: str, version: str) -> dict[str, bytes]:
    return {
        f"libs/{p}/pyproject.toml": f'[project]\nname = "{repo_name}-{p}"\nversion = "{version}"\n'.encode()
        for p in MONO_PROJECTS
    }


def monorepo_org(gh: FakeGitHub, repos: int, tags: int, every: int) -> int:
    """The synthetic org where every `every`-th repository is a monorepo of three projects below its
    root, each tag releasing one of them (`p1/v1.4.0`). Returns how many repositories are."""
    owner = synthetic_org(ORG, repos, tags, gh=gh)
    count = 0
    for i, repo in enumerate(owner.repos.values()):
        if i % every != every - 1:
            continue
        count += 1
        versions = dict(repo.files.versions)  # type: ignore[attr-defined]
        renamed = []
        for t, tag in enumerate(repo.tags):
            version = versions[tag.commit]
            repo.files[tag.commit] = mono_files(repo.name, version)
            renamed.append(FakeTag(f"{MONO_PROJECTS[t % 3]}/v{version}", tag.commit, tag.annotated))
        repo.tags[:] = renamed
    return count


def add_mono_tag(gh: FakeGitHub, name: str, tag: str) -> None:
    repo = gh.get_repo(ORG, name)
    assert repo is not None
    commit = fake_sha("bench", name, tag)
    repo.files[commit] = mono_files(name, tag.split("/v", 1)[1])
    repo.tags.append(FakeTag(tag, commit))
    repo.head = commit  # the default branch moves: its tree oid changes


def monorepo_cases(args: argparse.Namespace, work: Path, plain: dict[str, dict[str, float]]) -> None:
    every = args.monorepo_every
    gh = bench_github(args.latency_ms)
    count = monorepo_org(gh, args.repos, args.tags, every)
    print(f"same org, {count} of {args.repos} repositories are monorepos of {len(MONO_PROJECTS)} projects:")
    with FakeGitHubServer(gh) as server:
        site = work / "monorepo-site"
        cold = run_build(gh, server, site)
        print(row("(i) cold build, GraphQL", cold, beyond(cold, plain["a"])))
        warm = run_build(gh, server, site)
        print(row("(j) rebuild, nothing changed", warm, beyond(warm, plain["b"])))
        name = f"pkg-{every - 1:04d}"
        add_mono_tag(gh, name, "p1/v9.0.0")
        print(row("(k) rebuild, new tag in a monorepo", run_build(gh, server, site), "1 tree read"))
    small = bench_github(args.latency_ms)
    monorepo_org(small, args.rest_repos, args.tags, every)
    with FakeGitHubServer(small) as server:
        rest_site = work / "monorepo-rest-site"
        rest = run_build(small, server, rest_site, "--scanner", "rest")
        print(row(f"(l) REST scanner cold, N={args.rest_repos}", rest, beyond(rest, plain["e"])))
        rest_warm = run_build(small, server, rest_site, "--scanner", "rest")
        print(row(f"    REST rebuild, N={args.rest_repos}", rest_warm))


def computed_cases(args: argparse.Namespace, work: Path, plain: dict[str, dict[str, float]]) -> None:
    gh = bench_github(args.latency_ms)
    computed = computed_org(gh, args.repos, args.tags)
    print(f"same org, {computed} of {args.repos} repositories exec their version file in setup.py:")
    with FakeGitHubServer(gh) as server:
        site = work / "computed-site"
        cold = run_build(gh, server, site)
        print(row("(f) cold build, GraphQL", cold, beyond(cold, plain["a"])))
        warm = run_build(gh, server, site)
        print(row("(g) rebuild, nothing changed", warm, beyond(warm, plain["b"])))
    small = bench_github(args.latency_ms)
    computed_org(small, args.rest_repos, args.tags)
    with FakeGitHubServer(small) as server:
        rest = run_build(small, server, work / "computed-rest-site", "--scanner", "rest")
    extra = int(rest["requests"] - plain["e"]["requests"])
    referenced = int(rest["referenced_rest"])
    note = f"+{extra} requests: {referenced} version files, {extra - referenced} setup.cfg/setup.py"
    print(row(f"(h) REST scanner cold, N={args.rest_repos}", rest, note))


def timeout_cases(args: argparse.Namespace, work: Path) -> None:
    """(m)–(n) against (a)–(b): cold and rebuilt, with and without GitHub's time limit on queries."""
    print(
        f"synthetic org: {args.repos} repositories × {args.tags} tags, {args.latency_ms:g} ms per request; "
        f"GitHub out of time above {args.time_limit:,} objects an answer"
    )
    print(
        f"{'case':<34} {'requests':>7} {'REST':>6} {'GraphQL':>8} {'points':>7} {'wall s':>8} {'CPU s':>6} "
        f"{'peak MB':>8} {'releases':>8}"
    )
    for limit in (None, args.time_limit):
        gh = bench_github(args.latency_ms)
        synthetic_org(ORG, args.repos, args.tags, gh=gh)
        gh.graphql_time_limit = limit
        with FakeGitHubServer(gh) as server:
            site = work / f"site-{limit}"
            cold, warm = run_build(gh, server, site), run_build(gh, server, site)
        labels = (
            ("(a) cold build", "(b) rebuild")
            if limit is None
            else ("(m) cold, out of time", "(n) rebuild, out of time")
        )
        print(row(labels[0], cold))
        print(row(labels[1], warm))


# -- the largest organisations (--large) ------------------------------------------------------------------


def large_row(label: str, m: dict[str, float]) -> str:
    return (
        f"{label:<30} {int(m['graphql']):>7} {int(m['rest']):>5} {m['cpu']:>7.1f} {m['peak_mb']:>8.0f} "
        f"{m['state_mb']:>7.1f} {m['state_gz_mb']:>6.1f} {m['site_mb']:>7.1f} {m['seconds']:>7.1f}"
    )


LARGE_HEADER = (
    f"{'case':<30} {'GraphQL':>7} {'REST':>5} {'CPU s':>7} {'peak MB':>8} {'state':>7} {'gz':>6} "
    f"{'site MB':>7} {'wall s':>7}"
)


def action_build(
    gh: FakeGitHub, server: FakeGitHubServer, site: Path, work: Path, *extra: str
) -> dict[str, float]:
    """A rebuild as the publishing workflow makes it: into a fresh checkout's output directory holding
    only the state the Actions cache gave back, with the published site as `--previous`. Every page
    is made and written again (and `changed` is false: nothing is deployed), unless `extra` holds the
    reusable workflow's `--skip-unchanged`."""
    fresh = Path(tempfile.mkdtemp(prefix="action-site-", dir=work))
    try:
        shutil.copy2(site / "indexgen-state.json.gz", fresh / "indexgen-state.json.gz")
        return run_build(gh, server, fresh, "--previous", str(site), *extra)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


def action_rows(gh: FakeGitHub, server: FakeGitHubServer, site: Path, work: Path) -> None:
    print(large_row("warm, as the action runs it", action_build(gh, server, site, work)), flush=True)
    hourly = action_build(gh, server, site, work, "--skip-unchanged")
    print(large_row("warm, --skip-unchanged", hourly), flush=True)


def large_cases(args: argparse.Namespace, work: Path) -> None:
    """The two largest organisations: queries, indexgen's CPU seconds (user + sys), peak RSS, the state
    file (MB, raw and gzipped) and the whole site (MB)."""
    if args.large in ("both", "10k"):
        ten_thousand_cases(args, work)
    if args.large in ("both", "5000x100"):
        five_thousand_cases(args, work)


def ten_thousand_cases(args: argparse.Namespace, work: Path) -> None:
    gh = bench_github(args.latency_ms)
    # 10,000 repositories: 2,000 Python × 50 tags; 8,000 others × 20 version-like tags, of which every
    # 10th is empty, every 8th a fork (not scanned by default) and every 7th archived.
    synthetic_org(
        ORG, 2000, 50, gh=gh, other_repos=8000, other_tags=20, empty_every=10, fork_every=8, archived_every=7
    )
    print(f"10,000 repositories (2,000 Python × 50 tags, 8,000 others × 20), {args.latency_ms:g} ms")
    print(LARGE_HEADER)
    with FakeGitHubServer(gh) as server:
        site = work / "large-site"
        print(large_row("cold", run_build(gh, server, site)), flush=True)
        print(large_row("warm, nothing changed", run_build(gh, server, site)), flush=True)
        action_rows(gh, server, site, work)
        add_tag(gh, "v9.0.0")
        rescan = run_build(gh, server, site, "--repo", f"{ORG}/pkg-0007")
        print(large_row("--repo after a new tag", rescan), flush=True)
        print(large_row("full build after --repo", run_build(gh, server, site)), flush=True)
        print(large_row("warm again, nothing changed", run_build(gh, server, site)), flush=True)


def five_thousand_cases(args: argparse.Namespace, work: Path) -> None:
    big = bench_github(args.latency_ms)
    synthetic_org(ORG, 5000, 100, gh=big)
    print(f"5,000 Python repositories × 100 tags, {args.latency_ms:g} ms")
    print(LARGE_HEADER)
    with FakeGitHubServer(big) as server:
        site = work / "huge-site"
        print(large_row("cold", run_build(big, server, site)), flush=True)
        print(large_row("warm, nothing changed", run_build(big, server, site)), flush=True)
        action_rows(big, server, site, work)
        add_tag(big, "v9.0.0")
        rescan = run_build(big, server, site, "--repo", f"{ORG}/pkg-0007")
        print(large_row("--repo after a new tag", rescan), flush=True)


# -- rendering ------------------------------------------------------------------------------------------

RENDER_SCRIPT = """
import sys, time
from pathlib import Path
from indexgen.build import build_index
from indexgen.models import ProjectMetadata, RepoSnapshot, TagRef
from indexgen.render import render_site
from indexgen.write import write_site
n, t, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
repos, meta = [], {}
for i in range(n):
    tags = tuple(TagRef(f"v1.{j}.0", f"{i:020x}{j:020x}") for j in range(t))
    repos.append(RepoSnapshot(f"acme/pkg-{i:04d}", f"https://github.com/acme/pkg-{i:04d}.git",
                              f"https://github.com/acme/pkg-{i:04d}", "2020-01-01T00:00:00Z", tags=tags))
    meta.update({tag.commit: ProjectMetadata(f"pkg-{i:04d}", None, ">=3.8") for tag in tags})
started = time.perf_counter()
index = build_index(repos, meta)
built = time.perf_counter()
write_site(out, render_site(index))
print(f"{built - started:.2f} {time.perf_counter() - built:.2f}")
"""


def render_cases(args: argparse.Namespace, work: Path) -> None:
    releases = args.repos * args.tags
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ours = subprocess.run(
        [sys.executable, "-c", RENDER_SCRIPT, str(args.repos), str(args.tags), str(work / "render")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    build, render = (float(x) for x in ours.stdout.split())
    print(
        f"build + render + write {releases:,} releases, indexgen: {build + render:.2f} s "
        f"(build {build:.2f} s, render + write {render:.2f} s)"
    )
    if args.skip_dumb_pypi:
        return
    venv_dir = work / "dumb-pypi-venv"
    venv.create(venv_dir, with_pip=True)
    python = venv_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "dumb-pypi"], check=True, capture_output=True)
    listing = work / "packages.txt"
    listing.write_text(
        "".join(f"pkg-{i:04d}-1.{j}.0.tar.gz\n" for i in range(args.repos) for j in range(args.tags))
    )
    started = time.perf_counter()
    subprocess.run(
        [
            venv_dir / "bin" / "dumb-pypi",
            "--package-list",
            listing,
            "--packages-url",
            "https://example.com/p/",
            "--output-dir",
            work / "dumb-pypi-out",
        ],
        check=True,
        capture_output=True,
    )
    version = subprocess.run(
        [python, "-m", "pip", "show", "dumb-pypi"], capture_output=True, text=True
    ).stdout
    number = next((line.split()[-1] for line in version.splitlines() if line.startswith("Version")), "?")
    print(f"whole run over {releases:,} files, dumb-pypi {number}: {time.perf_counter() - started:.2f} s")


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        return child_build(sys.argv[4:], sys.argv[2])
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repos", type=int, default=1000, help="N repositories (default 1000)")
    parser.add_argument("--tags", type=int, default=50, help="T tags each (default 50)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="added to every request (default 20)")
    parser.add_argument(
        "--rest-repos", type=int, default=40, help="repositories for the REST case (default 40)"
    )
    parser.add_argument(
        "--monorepo-every",
        type=int,
        default=10,
        metavar="K",
        help="the monorepo cases: every K-th repository holds three subdirectory projects (0: skip)",
    )
    parser.add_argument("--skip-dumb-pypi", action="store_true", help="do not install dumb-pypi from PyPI")
    parser.add_argument(
        "--only", choices=("scan", "render", "timeouts"), help="run just one half, or the timeout cases"
    )
    parser.add_argument(
        "--time-limit", type=int, default=5000, help="objects an answer may hold in time (--only timeouts)"
    )
    parser.add_argument(
        "--large",
        nargs="?",
        const="both",
        choices=("both", "10k", "5000x100"),
        help="only the two largest organisations (10,000 repositories; 5,000 × 100 tags), or one of "
        "them: minutes (5,000 × 100: most of an hour)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="indexgen-bench-") as tmp:
        work = Path(tmp)
        if args.large:
            large_cases(args, work)
            return 0
        if args.only == "timeouts":
            timeout_cases(args, work)
            return 0
        if args.only != "render":
            scan_cases(args, work)
        if args.only != "scan":
            render_cases(args, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
