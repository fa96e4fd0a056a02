"""GitHub REST and GraphQL payloads with GitHub's real field names, for `responses`-based tests."""

from __future__ import annotations

import base64
from typing import Any

API = "https://api.github.com"


def repo_json(owner: str, name: str, **fields: Any) -> dict[str, Any]:
    full = f"{owner}/{name}"
    data: dict[str, Any] = {
        "id": abs(hash(full)) % 10**8,
        "node_id": "R_kgDO" + name,
        "name": name,
        "full_name": full,
        "private": False,
        "owner": {"login": owner, "id": 1, "type": "Organization", "site_admin": False},
        "html_url": f"https://github.com/{full}",
        "description": None,
        "fork": False,
        "url": f"{API}/repos/{full}",
        "tags_url": f"{API}/repos/{full}/tags",
        "git_url": f"git://github.com/{full}.git",
        "ssh_url": f"git@github.com:{full}.git",
        "clone_url": f"https://github.com/{full}.git",
        "created_at": "2020-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "pushed_at": "2024-01-01T00:00:00Z",
        "size": 120,
        "archived": False,
        "disabled": False,
        "visibility": "public",
        "default_branch": "main",
    }
    data.update(fields)
    if data["private"]:
        data["visibility"] = "private"
    return data


def org_json(login: str) -> dict[str, Any]:
    return {
        "login": login,
        "id": 9,
        "node_id": "O_kgDO" + login,
        "url": f"{API}/orgs/{login}",
        "repos_url": f"{API}/orgs/{login}/repos",
        "type": "Organization",
        "html_url": f"https://github.com/{login}",
    }


def tag_json(full: str, name: str, sha: str) -> dict[str, Any]:
    return {
        "name": name,
        "zipball_url": f"{API}/repos/{full}/zipball/refs/tags/{name}",
        "tarball_url": f"{API}/repos/{full}/tarball/refs/tags/{name}",
        "commit": {"sha": sha, "url": f"{API}/repos/{full}/commits/{sha}"},
        "node_id": "REF_kwDO" + name,
    }


def content_json(full: str, path: str, text: str | bytes, ref: str) -> dict[str, Any]:
    raw = text.encode() if isinstance(text, str) else text
    encoded = base64.b64encode(raw).decode()
    wrapped = "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60)) + "\n"
    return {
        "type": "file",
        "encoding": "base64",
        "size": len(raw),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": wrapped,
        "sha": "0" * 40,
        "url": f"{API}/repos/{full}/contents/{path}?ref={ref}",
        "git_url": f"{API}/repos/{full}/git/blobs/{'0' * 40}",
        "html_url": f"https://github.com/{full}/blob/{ref}/{path}",
        "download_url": f"https://raw.githubusercontent.com/{full}/{ref}/{path}",
        "_links": {"self": f"{API}/repos/{full}/contents/{path}?ref={ref}"},
    }


NOT_FOUND = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}
BAD_CREDENTIALS = {
    "message": "Bad credentials",
    "documentation_url": "https://docs.github.com/rest",
    "status": "401",
}
EMPTY_REPOSITORY = {
    "message": "Git Repository is empty.",
    "documentation_url": "https://docs.github.com/rest/repos/contents#get-repository-content",
    "status": "409",
}
RATE_LIMITED = {
    "message": "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please "
    "include the request ID ABCD:1234.",
    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
    "status": "403",
}


def rate_headers(remaining: int = 4999, reset: int = 1_900_000_000, resource: str = "core") -> dict[str, str]:
    return {
        "X-RateLimit-Limit": "5000",
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Used": str(5000 - remaining),
        "X-RateLimit-Reset": str(reset),
        "X-RateLimit-Resource": resource,
    }


def link_header(url: str, page: int, last: int) -> str:
    links = []
    if page < last:
        links.append(f'<{url}&page={page + 1}>; rel="next"')
        links.append(f'<{url}&page={last}>; rel="last"')
    if page > 1:
        links.append(f'<{url}&page={page - 1}>; rel="prev"')
        links.append(f'<{url}&page=1>; rel="first"')
    return ", ".join(links)


def commit_target(oid: str) -> dict[str, Any]:
    return {"__typename": "Commit", "oid": oid, "id": "C_" + oid}


def annotated_target(tag_oid: str, commit_oid: str) -> dict[str, Any]:
    return {"__typename": "Tag", "oid": tag_oid, "target": commit_target(commit_oid)}


def refs_json(
    tags: list[tuple[str, dict[str, Any]]], has_next: bool = False, cursor: str | None = None
) -> dict[str, Any]:
    return {
        "totalCount": len(tags),
        "pageInfo": {"hasNextPage": has_next, "endCursor": cursor},
        "nodes": [{"name": name, "target": target} for name, target in tags],
    }


def repo_node(owner: str, name: str, refs: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    node: dict[str, Any] = {
        "nameWithOwner": f"{owner}/{name}",
        "url": f"https://github.com/{owner}/{name}",
        "sshUrl": f"git@github.com:{owner}/{name}.git",
        "createdAt": "2020-01-01T00:00:00Z",
        "description": None,
        "isPrivate": False,
        "isFork": False,
        "isArchived": False,
        "isEmpty": False,
        "refs": refs or refs_json([]),
    }
    node.update(fields)
    return node


def rate_limit_json(cost: int = 1, remaining: int = 4999) -> dict[str, Any]:
    return {"cost": cost, "limit": 5000, "remaining": remaining, "resetAt": "2030-03-17T17:46:40Z"}


def owner_page(
    login: str,
    nodes: list[dict[str, Any]],
    has_next: bool = False,
    cursor: str | None = None,
    typename: str = "Organization",
    total: int | None = None,
) -> dict[str, Any]:
    return {
        "data": {
            "rateLimit": rate_limit_json(),
            "repositoryOwner": {
                "__typename": typename,
                "login": login,
                "repositories": {
                    "totalCount": total if total is not None else len(nodes),
                    "pageInfo": {"hasNextPage": has_next, "endCursor": cursor},
                    "nodes": nodes,
                },
            },
        }
    }


def blob(
    text: str | None, *, binary: bool = False, truncated: bool = False, size: int | None = None
) -> dict[str, Any]:
    return {
        "object": {
            "__typename": "Blob",
            "text": text,
            "byteSize": size if size is not None else len((text or "").encode()),
            "isBinary": binary,
            "isTruncated": truncated,
        }
    }
