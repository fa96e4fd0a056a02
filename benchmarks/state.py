"""Build state benchmark: `python benchmarks/state.py`.

For synthetic organisations (the 10k org: 2,000 Python repositories × 50 tags and 8,000 others × 20
tags; and 5,000 Python repositories × 100 tags) prints the size of the state in format 1 (plain JSON,
what indexgen wrote before) and format 2 (what it writes now), raw and gzip-compressed, and the CPU
seconds to dump and to load each. `--quick` runs a tenth of each org.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
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


def cpu(work: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """The best of `repeat` runs' CPU seconds (process time), and the result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.process_time()
        result = work()
        best = min(best, time.process_time() - started)
    return best, result


def mb(size: int) -> str:
    return f"{size / 1e6:7.1f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of each organisation")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (best is printed)")
    args = parser.parse_args()
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
