"""Keeping the interpreter's own bookkeeping out of a large build's way.

A build of a large organisation creates millions of small objects (tags, snapshots, releases, the
parsed state) that stay alive until it ends. CPython's cycle collector is triggered by allocations and
walks every tracked object each time a generation fills: for such a build it found nothing to free yet
cost a quarter of the CPU. The build's records are acyclic (frozen dataclasses, tuples, dicts of
strings), so a build runs with the collector paused; reference counting still frees everything that is
dropped, and the collector resumes (and catches up) when the build returns.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def without_cycle_collection(func: Callable[P, R]) -> Callable[P, R]:
    """`func` run with the cyclic garbage collector paused (unless it already was)."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if not gc.isenabled():
            return func(*args, **kwargs)
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            gc.enable()

    return run
