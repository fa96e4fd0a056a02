"""A faithful local fake of GitHub's REST v3 and GraphQL APIs for indexgen's tests and benchmarks.

Typical use::

    from tests.fakegithub import FakeGitHub, FakeGitHubServer, FakeRepo, FakeTag

    gh = FakeGitHub()
    gh.add_token("t0ken", "alice")
    gh.add_repo(FakeRepo("acme", "widgets", tags=[FakeTag("v1.0", "a" * 40)]))
    with FakeGitHubServer(gh) as server:
        ...  # server.base_url (REST, ".../api/v3") and server.graphql_url (".../api/graphql")

Also runnable for benchmarks: ``python -m tests.fakegithub --synthetic 1000 50``.
"""

from .gitload import load_git_repo, synthetic_org, synthetic_pyproject, synthetic_repo
from .model import (
    ALL_FAULT_KINDS,
    FakeGitHub,
    FakeOwner,
    FakeRepo,
    FakeTag,
    FaultKind,
    LoggedRequest,
    RateBucket,
    Resource,
    TokenInfo,
    fake_sha,
    git_blob_sha,
)
from .server import FakeGitHubServer, graphql_path_for

__all__ = [
    "ALL_FAULT_KINDS",
    "FakeGitHub",
    "FakeGitHubServer",
    "FakeOwner",
    "FakeRepo",
    "FakeTag",
    "FaultKind",
    "LoggedRequest",
    "RateBucket",
    "Resource",
    "TokenInfo",
    "fake_sha",
    "git_blob_sha",
    "graphql_path_for",
    "load_git_repo",
    "synthetic_org",
    "synthetic_pyproject",
    "synthetic_repo",
]
