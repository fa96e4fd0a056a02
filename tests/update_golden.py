"""Rewrite the golden files of tests/test_render.py from the current renderer.

    python -m tests.update_golden

A separate command, never a test run: review `git diff tests/golden` before committing.
"""

from __future__ import annotations

import sys

from tests.test_render import GOLDEN, golden_files


def main() -> int:
    for golden, data in sorted(golden_files().items()):
        path = GOLDEN / golden
        changed = not path.exists() or path.read_bytes() != data
        path.write_bytes(data)
        print(f"{'rewrote' if changed else 'unchanged'} {path.relative_to(GOLDEN.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
