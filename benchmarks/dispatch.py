"""Push-to-installable, the build's share: `python benchmarks/dispatch.py` (N=1,000 repositories × 50 tags).

Runs the action's build step (`action/build.sh`) as the runner does, against the test suite's fake
GitHub with a synthetic organisation, and prints, per phase of a `repository_dispatch` run, the API
requests and the seconds:

  install   creating the action's venv and `pip install` of indexgen (once per job, with this machine's
            pip configuration and cache; on a hosted runner pip downloads the dependencies)
  full      the first full build (not on the dispatch path: it leaves the state the cache holds)
  dispatch  one new tag, then the step with `repositories: ORG/pkg-0007`, the state restored from the
            cache into the output directory, Pages (--previous) served on 127.0.0.1

GitHub's own parts (dispatch latency, job start, deploy-pages, the Pages CDN) cannot be measured here:
README.md, "Releases installable within a minute", lists them.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakegithub import FakeGitHub, FakeGitHubServer, FakeTag, fake_sha, synthetic_org  # noqa: E402

TOKEN = "ghs_benchmarktoken"
ORG = "synthetic"
STATE = "indexgen-state.json.gz"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def action_checkout(work: Path) -> Path:
    root = work / "action"
    root.mkdir()
    for name in ("pyproject.toml", "README.md", "action.yml"):
        shutil.copy2(ROOT / name, root / name)
    for name in ("action", "indexgen"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def step(
    server: FakeGitHubServer, action: Path, temp: Path, workspace: Path, previous: str, repositories: str = ""
) -> float:
    workspace.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INDEXGEN_", "GH_"))}
    env.update(
        INPUT_OWNERS=ORG, INPUT_TOKEN=TOKEN, INPUT_CONFIG="", INPUT_SITE_URL="https://synthetic.github.io/index/",
        INPUT_PREVIOUS=previous, INPUT_OUTPUT="site", INPUT_REPOSITORIES=repositories,
        INPUT_ARGS="--no-pypi-check", GITHUB_ACTIONS="true", GITHUB_ACTION_PATH=str(action),
        GITHUB_REPOSITORY=f"{ORG}/index", GITHUB_REPOSITORY_OWNER=ORG, RUNNER_TEMP=str(temp),
        GITHUB_OUTPUT=str(temp / "output"), GITHUB_STEP_SUMMARY=str(temp / "summary"),
        GITHUB_API_URL=server.base_url, GITHUB_GRAPHQL_URL=server.graphql_url, INDEXGEN_PYTHON=sys.executable,
    )  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(
        ["bash", str(action / "action" / "build.sh")], env=env, cwd=workspace, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"the action's step failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--tags", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()

    gh = FakeGitHub(core_limit=10**9, graphql_limit=10**9, latency_ms=args.latency_ms)
    gh.add_token(TOKEN, "bench", orgs=[ORG])
    synthetic_org(ORG, args.repos, args.tags, gh=gh)
    print(f"synthetic org: {args.repos} repositories × {args.tags} tags, {args.latency_ms:g} ms per request")
    with tempfile.TemporaryDirectory() as tmp, FakeGitHubServer(gh) as server:
        work = Path(tmp)
        action, temp, pages = action_checkout(work), work / "temp", work / "pages"
        temp.mkdir()
        pages.mkdir()
        handler = functools.partial(_Quiet, directory=str(pages))
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        pages_url = f"http://127.0.0.1:{httpd.server_address[1]}/"

        gh.reset_counters()
        full = step(server, action, temp, work / "full", pages_url)
        requests = gh.rest_requests + gh.graphql_requests
        print(f"{'install + full build':<34} {requests:>5} requests {full:>7.2f} s")
        shutil.rmtree(pages)
        shutil.copytree(work / "full" / "site", pages)  # deployed

        venv = next(p for p in temp.glob("indexgen-*") if p.is_dir())
        shutil.rmtree(venv)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "--quiet", str(action)], check=True)
        print(f"{'install (venv + pip install)':<34} {0:>5} requests {time.perf_counter() - started:>7.2f} s")

        repo = gh.get_repo(ORG, "pkg-0007")
        assert repo is not None
        commit = fake_sha("bench", "v9.0.0")
        repo.files[commit] = {"pyproject.toml": b'[project]\nname = "pkg-0007"\ndynamic = ["version"]\n'}
        repo.tags.append(FakeTag("v9.0.0", commit))
        (work / "dispatch" / "site").mkdir(parents=True)
        shutil.copy2(pages / STATE, work / "dispatch" / "site" / STATE)  # actions/cache/restore
        gh.reset_counters()
        seconds = step(server, action, temp, work / "dispatch", pages_url, f"{ORG}/pkg-0007")
        requests = gh.rest_requests + gh.graphql_requests
        print(f"{'dispatch build (--repo, warm venv)':<34} {requests:>5} requests {seconds:>7.2f} s")
        httpd.shutdown()


if __name__ == "__main__":
    main()
