"""Run the listed mutants (tests/mutation/mutants.py) and report which the tests kill.

    python -m tests.mutation                 # every mutant, against this checkout
    python -m tests.mutation -k guard        # the mutants whose name contains "guard"
    python -m tests.mutation --tree DIR      # against another tree of the project (say, an older commit)

Each mutant is applied to a fresh copy of the tree in a temporary directory and its tests run there
with that copy first on PYTHONPATH (the `indexgen build` subprocesses of the end-to-end tests inherit
it), so the checkout itself is never modified. Exit status 1 when a mutant survives.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.mutation.mutants import MUTANTS, Mutant

ROOT = Path(__file__).resolve().parents[2]
COPIED = ("indexgen", "tests", "pyproject.toml")


def copy_tree(source: Path, target: Path) -> None:
    for name in COPIED:
        src = source / name
        if src.is_dir():
            shutil.copytree(src, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif src.exists():
            shutil.copy2(src, target / name)


def run_tests(tree: Path, mutant: Mutant) -> tuple[str, float]:
    """'killed', 'survived' or 'no tests', and the seconds it took."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    ran = False
    for test_file, expression in mutant.tests:
        if not (tree / test_file).exists():
            continue
        args = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", test_file]
        args += ["-k", expression] if expression else []
        done = subprocess.run(args, cwd=tree, env=env, capture_output=True, text=True, timeout=1800)
        if done.returncode == 1:
            return "killed", time.monotonic() - started
        if done.returncode not in (0, 5):
            return f"error {done.returncode}: {done.stdout[-300:]}", time.monotonic() - started
        ran = ran or done.returncode == 0
    return ("survived" if ran else "no tests"), time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the project tree to mutate (default: this)")
    parser.add_argument("-k", default="", help="only mutants whose name contains this")
    args = parser.parse_args(argv)
    selected = [m for m in MUTANTS if args.k in m.name]
    results: list[tuple[Mutant, str]] = []
    for mutant in selected:
        with tempfile.TemporaryDirectory(prefix="indexgen-mutant-") as scratch:
            tree = Path(scratch)
            copy_tree(args.tree, tree)
            source = tree / mutant.path
            text = source.read_text(encoding="utf-8")
            if text.count(mutant.old) != 1:
                outcome, seconds = "not applicable (code not found)", 0.0
            else:
                source.write_text(text.replace(mutant.old, mutant.new), encoding="utf-8")
                outcome, seconds = run_tests(tree, mutant)
        results.append((mutant, outcome))
        print(f"{outcome:>10}  {seconds:5.0f} s  {mutant.path}: {mutant.name}", flush=True)
    applicable = [o for _, o in results if not o.startswith("not applicable")]
    killed = sum(o == "killed" for o in applicable)
    print(f"\n{killed} of {len(applicable)} applicable mutants killed ({len(results)} listed)")
    return 0 if killed == len(applicable) else 1


if __name__ == "__main__":
    sys.exit(main())
