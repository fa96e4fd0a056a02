"""Install-time benchmark: uv through `indexgen bridge` next to pip through the static index.

`python benchmarks/bridge.py [--rounds 3]` builds the test suite's acme repositories, serves a static
index of their commit links on 127.0.0.1 (the format `indexgen build` writes), and installs `acme-core`
(which pulls `acme-utils>=2` by name: two private projects, two clones or fetches, two builds) into a
fresh virtual environment in each case:

  (a) pip, static index, cold: empty pip cache            (b) pip, static index, warm: pip's wheel cache
  (c) uv, bridge, cold: empty bridge and uv caches         (d) uv, bridge, warm bridge, empty uv cache
  (e) uv, bridge, warm: both caches kept                   (f) pip, bridge, cold bridge and pip caches

git fetches from local bare repositories (an `insteadOf` rewrite), so the figures are the tools' own
cost plus local git, not network time. uv and pip's build back-end come from PyPI once, at the start,
into throwaway directories. Prints the median wall time of each case over `--rounds` rounds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.acme import build_acme  # noqa: E402
from tests.e2e.bridge import (  # noqa: E402
    download_backends,
    run_tool,
    start_bridge,
    uv_environ,
    write_backends_index,
)
from tests.e2e.pipvenv import PipSetup, Venv, write_gitconfig  # noqa: E402
from tests.e2e.servers import serve_site  # noqa: E402

HOST = "git.acme.test"


def write_static_index(world_root: Path, commits: dict[str, tuple[str, str, str]], dest: Path) -> Path:
    """`simple/` with one commit link per project, as `indexgen build` writes it."""
    simple = dest / "simple"
    for name, (repo, sha, version) in commits.items():
        (simple / name).mkdir(parents=True)
        href = f"git+https://{HOST}/acme/{repo}.git@{sha}#egg={name}-{version}"
        (simple / name / "index.html").write_text(
            f'<a href="{href}" data-requires-python="&gt;=3.8">{name}-{version}</a>\n', encoding="utf-8"
        )
    root = "".join(f'<a href="{n}/">{n}</a>\n' for n in commits)
    (simple / "index.html").write_text(root, encoding="utf-8")
    return simple


def install_uv(root: Path) -> Path:
    venv.EnvBuilder(with_pip=True).create(root)
    subprocess.run([str(root / "bin" / "python"), "-m", "pip", "install", "-q", "uv"], check=True)
    return root / "bin" / "uv"


def timed(action: Callable[[], object]) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def pip_case(base: Path, name: str, index_url: str, wheels: Path, cache: Path, gitconfig: Path) -> float:
    """Seconds for pip to install acme-core into a fresh venv (the venv's creation is not counted)."""
    setup = PipSetup(index_url, wheels, cache, base / name / "home", gitconfig)
    env = Venv.create(base / name / "venv", setup)
    return timed(lambda: env.install("acme-core").check())


def uv_case(uv: Path, base: Path, name: str, bridge_url: str, backends_url: str, uv_cache: Path) -> float:
    """Seconds for uv to install acme-core into a fresh venv (the venv's creation is not counted)."""
    env = uv_environ(base / name, backends_url, {"UV_CACHE_DIR": str(uv_cache)})
    target = base / name / "venv"
    run_tool(str(uv), "venv", "--python", sys.executable, str(target), env=env, cwd=base).check()
    command = [str(uv), "pip", "install", "--python", str(target / "bin" / "python")]
    command += ["--extra-index-url", bridge_url, "acme-core"]
    return timed(lambda: run_tool(*command, env=env, cwd=base).check())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bridge-bench-"))
    try:
        return run(work, args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, rounds: int) -> int:
    world = build_acme(work / "acme")
    commits = {
        "acme-core": ("acme-core", world.commit_of("acme-core", "v0.3.0"), "0.3.0"),
        "acme-utils": ("acme-utils", world.commit_of("acme-utils", "v2.0.0"), "2.0.0"),
    }
    static = write_static_index(world.root, commits, work / "site")
    wheels = download_backends(work / "wheels")
    uv = install_uv(work / "uv")
    gitconfig = write_gitconfig(
        work / "gitconfig", instead_of={world.bare_root.as_uri() + "/": f"https://{HOST}/acme/"}
    )
    results: dict[str, list[float]] = {}

    def record(case: str, seconds: float) -> None:
        results.setdefault(case, []).append(seconds)

    backends_root = write_backends_index(wheels, work / "backends")
    with serve_site(static.parent) as site, serve_site(backends_root) as backends:
        for round_ in range(rounds):
            base = work / f"round{round_}"
            pip_cache = base / "pip-cache"
            record(
                "(a) pip, static index, cold",
                pip_case(base, "a", site.index_url, wheels, pip_cache, gitconfig),
            )
            record(
                "(b) pip, static index, warm",
                pip_case(base, "b", site.index_url, wheels, pip_cache, gitconfig),
            )
            bridge = start_bridge(
                "--allow-host", HOST, index=str(static), cache=base / "bridge-cache", home=base / "bh",
                gitconfig=gitconfig,
            )  # fmt: skip
            try:
                url, index = bridge.url, backends.index_url
                record("(c) uv, bridge, cold", uv_case(uv, base, "c", url, index, base / "uv-c"))
                record(
                    "(d) uv, warm bridge, cold uv cache", uv_case(uv, base, "d", url, index, base / "uv-d")
                )
                record("(e) uv, bridge, warm", uv_case(uv, base, "e", url, index, base / "uv-d"))
            finally:
                bridge.stop()
            cold = start_bridge(
                "--allow-host", HOST, index=str(static), cache=base / "bridge-cache-f", home=base / "bh",
                gitconfig=gitconfig,
            )  # fmt: skip
            try:
                record(
                    "(f) pip, bridge, cold", pip_case(base, "f", cold.url, wheels, base / "pip-f", gitconfig)
                )
            finally:
                cold.stop()
    print(f"install acme-core (+ acme-utils), median of {rounds} rounds, fresh venv each time")
    for case, times in results.items():
        print(f"{case:40} {statistics.median(times):6.2f} s   ({', '.join(f'{t:.2f}' for t in times)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
