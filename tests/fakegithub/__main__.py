"""Run the fake GitHub server standalone (for benchmarks): ``python -m tests.fakegithub --synthetic 1000 50``.

Prints the REST base URL on the first line of stdout and the GraphQL URL on the second, then serves until
interrupted (SIGINT/SIGTERM).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .gitload import load_git_repo, synthetic_org
from .model import ALL_FAULT_KINDS, FakeGitHub, FaultKind
from .server import FakeGitHubServer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.fakegithub", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--prefix", default="/api/v3", help="REST prefix (default /api/v3, like GHES)")
    parser.add_argument(
        "--serve-root", action="store_true", help="also serve REST at / and GraphQL at /graphql"
    )
    parser.add_argument("--synthetic", nargs=2, type=int, metavar=("N", "T"), help="N repositories x T tags")
    parser.add_argument("--org", default="synthetic", help="login of the synthetic organization")
    parser.add_argument("--private-every", type=int, default=0, help="every K-th synthetic repo is private")
    parser.add_argument(
        "--git-repo",
        action="append",
        default=[],
        metavar="OWNER/NAME=PATH",
        help="load a real git repository from PATH as OWNER/NAME (repeatable)",
    )
    parser.add_argument("--token", default="fake-token", help="a token accepted by the server")
    parser.add_argument("--login", default="bench", help="the user the token logs in as")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="sleep this long in every request")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="probability that a request fails")
    parser.add_argument(
        "--fault-kinds",
        default=",".join(ALL_FAULT_KINDS),
        help="comma-separated: " + ",".join(ALL_FAULT_KINDS),
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--core-limit", type=int, default=5000)
    parser.add_argument("--graphql-limit", type=int, default=5000)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    kinds: list[FaultKind] = []
    for kind in filter(None, args.fault_kinds.split(",")):
        if kind not in ALL_FAULT_KINDS:
            print(f"unknown fault kind: {kind}", file=sys.stderr)
            return 2
        kinds.append(kind)
    gh = FakeGitHub(
        core_limit=args.core_limit,
        graphql_limit=args.graphql_limit,
        seed=args.seed,
        fault_rate=args.fault_rate,
        fault_kinds=kinds,
        latency_ms=args.latency_ms,
    )
    gh.add_token(args.token, args.login, orgs=[args.org])
    if args.synthetic:
        n_repos, n_tags = args.synthetic
        synthetic_org(args.org, n_repos, n_tags, gh=gh, private_every=args.private_every)
    for spec in args.git_repo:
        full_name, _, path = spec.partition("=")
        owner, _, name = full_name.partition("/")
        if not (owner and name and path):
            print(f"--git-repo wants OWNER/NAME=PATH, got {spec!r}", file=sys.stderr)
            return 2
        gh.add_repo(load_git_repo(Path(path), owner, name))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with FakeGitHubServer(
        gh, host=args.host, port=args.port, prefix=args.prefix, serve_root=args.serve_root
    ) as srv:
        print(srv.base_url, flush=True)
        print(srv.graphql_url, flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
