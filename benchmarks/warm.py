"""Warm rebuild steps benchmark: `python benchmarks/warm.py`.

A rebuild where nothing changed still lists every repository and tag, builds the index and hashes its
inputs (`unchanged.inputs_digest`) to find that it may keep the previous site. For the 10k org
(2,000 Python repositories × 50 tags and 8,000 others × 20 tags) this prints the CPU seconds (best of
`--repeat`, process time, in this process: no server, no subprocess) of the steps that grow with the
number of tags:

- turning the GraphQL listing (`owner_repositories` pages, synthesised in the shape GitHub answers,
  one tag in ten annotated) into repositories and tags (`GraphQLScanner._snapshot`), every commit
  known from the previous build as on a warm rebuild;
- `inputs_digest` of the index, repositories and trees;
- `compare_builds` of the published versions with themselves.

Run it with `PYTHONPATH=/path/to/other/checkout` to time another version of indexgen on the same input.
`--quick` runs a tenth of the org.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after PYTHONPATH: another checkout given there is the one timed

import indexgen  # noqa: E402
from indexgen.build import build_index  # noqa: E402
from indexgen.changes import compare_builds  # noqa: E402
from indexgen.github.bulk import GraphQLScanner  # noqa: E402
from indexgen.models import RepoSnapshot, TagRef  # noqa: E402
from indexgen.monorepo import KnownTree  # noqa: E402
from indexgen.unchanged import inputs_digest  # noqa: E402
from tests.state_samples import synthetic_state  # noqa: E402


def cpu(work: Callable[[], Any], repeat: int) -> float:
    """The best of `repeat` runs' CPU seconds (process time)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def _target(tag: TagRef, annotated: bool) -> dict[str, Any]:
    commit = {"__typename": "Commit", "oid": tag.commit, "id": f"C_{tag.commit}", "committedDate": tag.date}
    if not annotated:
        return commit
    return {"__typename": "Tag", "oid": "f" * 40, "tagger": {"date": tag.date}, "target": commit}


def listing_node(repo: RepoSnapshot) -> dict[str, Any]:
    """`repo` as one node of an `owner_repositories` answer (`RepositoryFields`)."""
    refs = [{"name": t.name, "target": _target(t, i % 10 == 9)} for i, t in enumerate(repo.tags)]
    return {
        "nameWithOwner": repo.full_name,
        "url": repo.html_url,
        "sshUrl": repo.ssh_url,
        "createdAt": repo.created_at,
        "description": repo.description,
        "isPrivate": repo.private,
        "isFork": False,
        "isArchived": False,
        "isEmpty": False,
        "repositoryTopics": {"nodes": [{"topic": {"name": t}} for t in repo.topics]},
        "refs": {
            "totalCount": len(refs),
            "pageInfo": {"hasNextPage": False, "endCursor": None},
            "nodes": refs,
        },
        "defaultBranchRef": {
            "target": {
                "__typename": "Commit",
                "id": f"H_{repo.full_name}",
                "tree": {"oid": "e" * 40, "entries": [{"name": "pyproject.toml", "type": "blob"}]},
            }
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of the organisation")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (best is printed)")
    args = parser.parse_args()
    python, other = (200, 800) if args.quick else (2000, 8000)
    sample = synthetic_state(python, 50, other, 20)
    nodes = [listing_node(repo) for repo in sample.repos]
    known = sample.commits
    index = build_index(sample.repos, known)
    trees = {repo.full_name: KnownTree("e" * 40, ("",)) for repo in sample.repos}

    def need_files(tag: TagRef) -> bool:
        return tag.commit not in known

    def scan() -> list[RepoSnapshot]:
        scanner = GraphQLScanner(None)  # type: ignore[arg-type]  # _snapshot sends no query
        wanted: dict[str, str] = {}
        return [scanner._snapshot(node, wanted, need_files, None, []) for node in nodes]

    tags = sum(len(repo.tags) for repo in sample.repos)
    assert [set(r.tags) for r in scan()] == [set(r.tags) for r in sample.repos]  # the same tags
    gc.disable()  # as a build runs (heap.py)
    print(f"indexgen from {Path(indexgen.__file__).parent}")
    counts = f"{len(nodes):,} repositories, {tags:,} tags, {index.release_count:,} releases"
    print(f"{counts}; CPU seconds, best of {args.repeat}")
    print(f"  listing → repositories   {cpu(scan, args.repeat):6.3f}")
    digest = cpu(lambda: inputs_digest(index, sample.repos, trees, "https://acme.example/", {}), args.repeat)
    print(f"  inputs_digest            {digest:6.3f}")
    published = sample.published
    same = cpu(
        lambda: compare_builds(published, published, previous_digest="a", current_digest="a"), args.repeat
    )
    print(f"  compare_builds           {same:6.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
