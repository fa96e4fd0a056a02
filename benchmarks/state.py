"""Build state benchmark: `python benchmarks/state.py`.

For synthetic organisations (the 10k org: 2,000 Python repositories × 50 tags and 8,000 others × 20
tags; and 5,000 Python repositories × 100 tags) prints the size of the state in format 1 (plain JSON,
what indexgen wrote before) and format 2 (what it writes now), raw and gzip-compressed, and the CPU
seconds to dump and to load each. `--quick` runs a tenth of each org.

`--file STATE` measures a state a build wrote instead (`indexgen-state.json.gz`): the CPU seconds to
load it, to dump it again as a `--repo` build does (carrying its unnamed repositories over), and the
peak RSS of a fresh interpreter that loads it, next to one that only reads the file.

`--compression` prints, for deflate levels, strategies and memory levels, the compressed size and the
CPU seconds to compress and to decompress the state's JSON (of `--file`, else of the synthetic 10k
org): the data behind the choice in `state._gzip`.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import resource
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexgen.state import dump_state, parse_state  # noqa: E402
from tests.state_samples import dump_state_v1, synthetic_state  # noqa: E402

ORGS = (
    ("10k org: 2,000 Python × 50 tags + 8,000 others × 20", (2000, 50, 8000, 20)),
    ("5,000 Python × 100 tags", (5000, 100, 0, 0)),
)
STRATEGIES = {
    "default": zlib.Z_DEFAULT_STRATEGY,
    "filtered": zlib.Z_FILTERED,
    "huffman": zlib.Z_HUFFMAN_ONLY,
    "rle": zlib.Z_RLE,
}


def cpu(work: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """The best of `repeat` runs' CPU seconds (process time), and the result. The cycle collector is
    paused, as a build pauses it (indexgen/heap.py)."""
    best, result = float("inf"), None
    gc.disable()
    try:
        for _ in range(repeat):
            started = time.process_time()
            result = work()
            best = min(best, time.process_time() - started)
    finally:
        gc.enable()
    return best, result


def mb(size: int) -> str:
    return f"{size / 1e6:7.1f} MB"


def synthetic(args: argparse.Namespace) -> None:
    print(f"{'org':<52} {'format':<8} {'raw':>10} {'gzipped':>10} {'dump CPU':>9} {'load CPU':>9}")
    for label, (python, python_tags, other, other_tags) in ORGS:
        if args.quick:
            python, other = python // 10, other // 10
            label += " (÷10)"
        sample = synthetic_state(python, python_tags, other, other_tags)
        repos, commits, published = sample.repos, sample.commits, sample.published
        dump1, old = cpu(lambda: dump_state_v1(repos, commits, published), args.repeat)  # noqa: B023
        load1, _ = cpu(lambda: parse_state(old), args.repeat)  # noqa: B023
        old_gz = gzip.compress(old, compresslevel=6, mtime=0)
        dump2, new = cpu(lambda: dump_state(repos, commits, published), args.repeat)  # noqa: B023
        load2, loaded = cpu(lambda: parse_state(new), args.repeat)  # noqa: B023
        assert loaded.commits == commits and loaded.published == published
        new_raw = gzip.decompress(new)
        print(f"{label:<52} {'1 (json)':<8} {mb(len(old))} {mb(len(old_gz))} {dump1:8.2f}s {load1:8.2f}s")
        print(f"{'':<52} {'2 (gz)':<8} {mb(len(new_raw))} {mb(len(new))} {dump2:8.2f}s {load2:8.2f}s")
    print("format 1's gzipped size is for comparison only: it was published uncompressed.")
    print("dump CPU includes the gzip compression for format 2 (not for format 1); load includes gunzip.")


def peak_rss_kb(code: str) -> int:
    """The peak RSS of a fresh interpreter running `code` (in this checkout), in KB."""
    subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); {code}"], check=True
    )
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child so far


def real_state(args: argparse.Namespace) -> None:
    path = Path(args.file)
    # First, while this process is small: a child's peak RSS counts what it shared with its parent.
    # Children's peak RSS is a running maximum, so the smaller run goes first.
    read_only = peak_rss_kb(f"open({str(path)!r}, 'rb').read(); import indexgen.state")
    loading = peak_rss_kb(
        f"from indexgen.state import parse_state; parse_state(open({str(path)!r}, 'rb').read())"
    )
    raw = path.read_bytes()
    load, state = cpu(lambda: parse_state(raw), args.repeat)
    repos = list(state.repos.values())

    def again() -> bytes:  # what a `--repo` build that changed nothing would write
        return dump_state(
            repos,
            state.commits,
            state.published,
            generation=state.generation,
            digest=state.digest,
            trees=state.trees,
            carry=state,
            inputs=state.inputs,
        )

    dump, written = cpu(again, args.repeat)
    print(f"{path}: {mb(len(raw))} gzipped, {mb(len(gzip.decompress(raw)))} raw")
    counts = f"{len(state.repos):,} named repositories, {len(state.unlisted):,} unnamed"
    print(f"  {counts}, {len(state.commits):,} commits")
    same = gzip.decompress(written) == gzip.decompress(raw)  # the bytes also depend on the deflate settings
    print(f"  load CPU {load:.2f}s   dump CPU (as `--repo`) {dump:.2f}s   same JSON: {same}")
    print(f"  peak RSS: {loading / 1024:.0f} MB loading it, {read_only / 1024:.0f} MB only reading the file")


def compression(args: argparse.Namespace) -> None:
    if args.file:
        data = gzip.decompress(Path(args.file).read_bytes())
        label = args.file
    else:
        sample = synthetic_state(*ORGS[0][1])
        data = gzip.decompress(dump_state(sample.repos, sample.commits, sample.published))
        label = ORGS[0][0]
    print(f"{label}: {mb(len(data))} of JSON")
    print(f"{'strategy':<9} {'level':>5} {'memLevel':>8} {'size':>11} {'compress':>9} {'decompress':>11}")
    for name, strategy in STRATEGIES.items():
        # Levels 1-3 ignore the strategy (fast deflate); Huffman-only and RLE ignore the level.
        fixed = strategy in (zlib.Z_HUFFMAN_ONLY, zlib.Z_RLE)
        levels = (6,) if fixed else range(1 if name == "default" else 4, 10)
        for level in levels:
            for memory in (8, 9):

                def compress() -> bytes:
                    packer = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, memory, strategy)  # noqa: B023
                    return packer.compress(data) + packer.flush()

                seconds, packed = cpu(compress, args.repeat)
                unpack, _ = cpu(lambda: zlib.decompress(packed, -zlib.MAX_WBITS), args.repeat)  # noqa: B023
                print(
                    f"{name:<9} {level:>5} {memory:>8} {len(packed):>11,} {seconds:8.2f}s {unpack:10.2f}s",
                    flush=True,
                )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of each organisation")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (best is printed)")
    parser.add_argument("--file", help="a state a build wrote (indexgen-state.json.gz)")
    parser.add_argument("--compression", action="store_true", help="compare deflate settings")
    args = parser.parse_args()
    if args.compression:
        compression(args)
    elif args.file:
        real_state(args)
    else:
        synthetic(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
