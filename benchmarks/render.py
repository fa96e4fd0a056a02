"""Render time of a whole site: N projects × T releases, rendered to bytes and written to disk.

Measures `render_site` (pure) and `write_site` (disk) on a synthetic index whose projects have dates,
topics, summaries and private dependencies on each other, the way the browse pages will meet them.
Records are built with only the fields the installed indexgen knows, so the same script measures an
older checkout too (`PYTHONPATH=path/to/old/checkout python benchmarks/render.py`).

    python benchmarks/render.py                   # N=1000, T=50, best of 3
    python benchmarks/render.py --projects 100 --tags 10 --repeat 1

Wall and CPU times move with whatever else runs on the machine; instruction counts do not. Under
valgrind, the instructions of `--repeat 2 --no-write` minus those of `--repeat 1 --no-write` are one
render's (benchmarks/README.md shows the commands).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import indexgen
from indexgen import models
from indexgen.render import render_site
from indexgen.write import write_site


def _make(cls: Any, **fields: Any) -> Any:
    known = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in fields.items() if k in known})


def synthetic_index(projects: int, tags: int) -> Any:
    built = []
    for i in range(projects):
        name = f"acme-pkg-{i:04d}"
        repo = f"acme/pkg-{i:04d}"
        # Like an organisation's: a few core libraries that many projects use, each need one or two.
        core = sorted({i // 10, i // 100} - {i})
        deps = (*(f"acme-pkg-{c:04d}>=1.0" for c in core), "requests>=2", 'tomli>=2; python_version < "3.11"')
        releases = tuple(
            _make(
                models.Release,
                project=name,
                version=f"1.{t}.0",
                tag=f"v1.{t}.0",
                commit=f"{i:020x}{t:020x}",
                repository=repo,
                url=f"git+https://github.com/{repo}.git@{i:020x}{t:020x}#egg={name}-1.{t}.0",
                requires_python=">=3.9",
                date=f"20{10 + t // 12:02d}-{t % 12 + 1:02d}-{i % 28 + 1:02d}T12:00:00Z",
                dependencies=deps,
            )
            for t in range(tags)
        )
        built.append(
            _make(
                models.Project,
                name=name,
                display_name=name,
                repository=repo,
                html_url=f"https://github.com/{repo}",
                description=f"Package number {i} of the Acme organisation",
                releases=releases,
                summary=f"Summary of package {i}",
                topics=("python", f"team-{i % 12}"),
            )
        )
    return models.Index(tuple(built))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--tags", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="render only, write nothing to disk")
    args = parser.parse_args(argv)

    index = synthetic_index(args.projects, args.tags)
    renders, cpus, writes = [], [], []
    files: dict[str, bytes] = {}
    for _ in range(args.repeat):
        started, cpu = time.perf_counter(), time.process_time()
        files = render_site(index, "https://acme.github.io/index")
        renders.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        if args.no_write:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            write_site(Path(tmp) / "site", files)
            writes.append(time.perf_counter() - started)
    total = sum(len(data) for data in files.values())
    print(f"indexgen {indexgen.__version__} from {Path(indexgen.__file__).parent}")
    print(f"{args.projects} projects × {args.tags} releases: {len(files)} files, {total / 1e6:.1f} MB")
    print(f"render: best {min(renders):.2f} s, median {statistics.median(renders):.2f} s")
    # CPU time of this process: less disturbed than wall time when other jobs share the cores.
    print(f"render CPU: best {min(cpus):.2f} s, median {statistics.median(cpus):.2f} s")
    if writes:
        print(f"write:  best {min(writes):.2f} s, median {statistics.median(writes):.2f} s")
        print(f"render + write: best {min(r + w for r, w in zip(renders, writes, strict=True)):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
