"""Rewrite the golden files of tests/test_render.py from the current renderer.

    python -m tests.update_golden

A separate command, never a test run: review `git diff tests/golden` before committing.
"""

from __future__ import annotations

import sys

from tests.test_render import GOLDEN, GOLDEN_PAGES, golden_site


def main() -> int:
    site = golden_site()
    for page, golden in GOLDEN_PAGES:
        path = GOLDEN / golden
        changed = not path.exists() or path.read_bytes() != site[page]
        path.write_bytes(site[page])
        print(f"{'rewrote' if changed else 'unchanged'} {path.relative_to(GOLDEN.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
