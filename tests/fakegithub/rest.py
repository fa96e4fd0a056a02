"""REST v3 endpoints of the fake GitHub server: JSON shapes, pagination and error bodies as GitHub's.

Handlers are plain functions of a :class:`RestRequest` returning a :class:`RestResponse`; the HTTP layer
(``server.py``) does authentication, rate limiting, faults and serialisation.
"""

from __future__ import annotations

import base64
import math
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .model import (
    CONTENTS_INLINE_LIMIT,
    FakeGitHub,
    FakeOwner,
    FakeRepo,
    FakeTag,
    TokenInfo,
    git_blob_sha,
    git_tree_sha,
    legacy_node_id,
)

DOCS = "https://docs.github.com/rest"
_DIGITS = re.compile(r"(\d+)")


@dataclass
class RestRequest:
    method: str
    path: str  # below the API prefix, e.g. "/orgs/acme/repos"
    query: dict[str, list[str]]
    headers: Mapping[str, str]  # lower-cased names
    api: str  # absolute API base, e.g. "http://127.0.0.1:8080/api/v3"
    token: TokenInfo | None
    gh: FakeGitHub

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default


@dataclass
class RestResponse:
    status: int
    body: Any = None  # JSON-serialisable, or bytes for raw media types
    headers: dict[str, str] = field(default_factory=dict)


def error(status: int, message: str, doc: str = DOCS) -> RestResponse:
    """GitHub's error body: ``{"message", "documentation_url", "status"}`` (status is a string)."""
    return RestResponse(status, {"message": message, "documentation_url": doc, "status": str(status)})


def not_found(doc: str = DOCS) -> RestResponse:
    return error(404, "Not Found", doc)


# ---------------------------------------------------------------------------------------------- shapes
def avatar_url(account_id: int) -> str:
    return f"https://avatars.example.test/u/{account_id}?v=4"


def simple_user(owner: FakeOwner, api: str, web: str) -> dict[str, Any]:
    """The ``simple-user`` object GitHub embeds as ``owner`` of repositories."""
    login = owner.login
    base = f"{api}/users/{login}"
    kind = "Organization" if owner.kind == "Organization" else "User"
    return {
        "login": login,
        "id": owner.id,
        "node_id": legacy_node_id("Organization" if kind == "Organization" else "User", str(owner.id)),
        "avatar_url": avatar_url(owner.id),
        "gravatar_id": "",
        "url": base,
        "html_url": f"{web}/{login}",
        "followers_url": f"{base}/followers",
        "following_url": f"{base}/following{{/other_user}}",
        "gists_url": f"{base}/gists{{/gist_id}}",
        "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{base}/subscriptions",
        "organizations_url": f"{base}/orgs",
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events",
        "type": kind,
        "user_view_type": "public",
        "site_admin": False,
    }


def user_json(owner: FakeOwner, req: RestRequest) -> dict[str, Any]:
    """``GET /users/{login}`` (also answers for organizations, with ``"type": "Organization"``)."""
    data = simple_user(owner, req.api, req.gh.web_base)
    public = sum(1 for r in owner.repos.values() if not r.private)
    data.update(
        {
            "name": owner.name,
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": owner.description,
            "twitter_username": None,
            "public_repos": public,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": owner.created_at,
            "updated_at": owner.created_at,
        }
    )
    return data


def org_json(owner: FakeOwner, req: RestRequest) -> dict[str, Any]:
    """``GET /orgs/{org}``."""
    api, login = req.api, owner.login
    base = f"{api}/orgs/{login}"
    public = sum(1 for r in owner.repos.values() if not r.private)
    private = sum(1 for r in owner.repos.values() if r.private)
    data: dict[str, Any] = {
        "login": login,
        "id": owner.id,
        "node_id": legacy_node_id("Organization", str(owner.id)),
        "url": base,
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events",
        "hooks_url": f"{base}/hooks",
        "issues_url": f"{base}/issues",
        "members_url": f"{base}/members{{/member}}",
        "public_members_url": f"{base}/public_members{{/member}}",
        "avatar_url": avatar_url(owner.id),
        "description": owner.description,
        "name": owner.name,
        "company": None,
        "blog": "",
        "location": None,
        "email": None,
        "twitter_username": None,
        "is_verified": False,
        "has_organization_projects": True,
        "has_repository_projects": True,
        "public_repos": public,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "html_url": f"{req.gh.web_base}/{login}",
        "created_at": owner.created_at,
        "updated_at": owner.created_at,
        "archived_at": None,
        "type": "Organization",
    }
    if req.token is not None and req.token.sees_private and private:
        data.update({"total_private_repos": private, "owned_private_repos": private})
    return data


def repo_json(repo: FakeRepo, req: RestRequest, *, full: bool = False) -> dict[str, Any]:
    """A repository object with GitHub's field names (``full`` adds what ``GET /repos/{o}/{r}`` adds)."""
    gh, api = req.gh, req.api
    owner = gh.get_owner(repo.owner) or FakeOwner(repo.owner)
    r = f"{api}/repos/{repo.owner}/{repo.name}"
    size = (
        0
        if repo.empty
        else max(1, sum(len(b) for b in repo.files_at(repo.head_commit() or "").values()) // 1024)
    )
    data: dict[str, Any] = {
        "id": repo.id,
        "node_id": legacy_node_id("Repository", str(repo.id)),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
        "owner": simple_user(owner, api, gh.web_base),
        "html_url": repo.html_url,
        "description": repo.description,
        "fork": repo.fork,
        "url": r,
        "forks_url": f"{r}/forks",
        "keys_url": f"{r}/keys{{/key_id}}",
        "collaborators_url": f"{r}/collaborators{{/collaborator}}",
        "teams_url": f"{r}/teams",
        "hooks_url": f"{r}/hooks",
        "issue_events_url": f"{r}/issues/events{{/number}}",
        "events_url": f"{r}/events",
        "assignees_url": f"{r}/assignees{{/user}}",
        "branches_url": f"{r}/branches{{/branch}}",
        "tags_url": f"{r}/tags",
        "blobs_url": f"{r}/git/blobs{{/sha}}",
        "git_tags_url": f"{r}/git/tags{{/sha}}",
        "git_refs_url": f"{r}/git/refs{{/sha}}",
        "trees_url": f"{r}/git/trees{{/sha}}",
        "statuses_url": f"{r}/statuses/{{sha}}",
        "languages_url": f"{r}/languages",
        "stargazers_url": f"{r}/stargazers",
        "contributors_url": f"{r}/contributors",
        "subscribers_url": f"{r}/subscribers",
        "subscription_url": f"{r}/subscription",
        "commits_url": f"{r}/commits{{/sha}}",
        "git_commits_url": f"{r}/git/commits{{/sha}}",
        "comments_url": f"{r}/comments{{/number}}",
        "issue_comment_url": f"{r}/issues/comments{{/number}}",
        "contents_url": f"{r}/contents/{{+path}}",
        "compare_url": f"{r}/compare/{{base}}...{{head}}",
        "merges_url": f"{r}/merges",
        "archive_url": f"{r}/{{archive_format}}{{/ref}}",
        "downloads_url": f"{r}/downloads",
        "issues_url": f"{r}/issues{{/number}}",
        "pulls_url": f"{r}/pulls{{/number}}",
        "milestones_url": f"{r}/milestones{{/number}}",
        "notifications_url": f"{r}/notifications{{?since,all,participating}}",
        "labels_url": f"{r}/labels{{/name}}",
        "releases_url": f"{r}/releases{{/id}}",
        "deployments_url": f"{r}/deployments",
        "created_at": repo.created_at,
        "updated_at": repo.updated_at or repo.pushed_at,
        "pushed_at": repo.pushed_at,
        "git_url": repo.git_url,
        "ssh_url": repo.ssh_url,
        "clone_url": repo.clone_url,
        "svn_url": repo.html_url,
        "homepage": None,
        "size": size,
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": None if repo.empty else repo.language,
        "has_issues": True,
        "has_projects": True,
        "has_downloads": True,
        "has_wiki": True,
        "has_pages": False,
        "has_discussions": False,
        "forks_count": 0,
        "mirror_url": None,
        "archived": repo.archived,
        "disabled": repo.disabled,
        "open_issues_count": 0,
        "license": None,
        "allow_forking": True,
        "is_template": False,
        "web_commit_signoff_required": False,
        "topics": list(repo.topics),
        "visibility": repo.visibility,
        "forks": 0,
        "open_issues": 0,
        "watchers": 0,
        "default_branch": repo.default_branch,
    }
    if req.token is not None:
        mine = req.token.login.lower() == repo.owner.lower()
        data["permissions"] = {"admin": mine, "maintain": mine, "push": mine, "triage": mine, "pull": True}
    if full:
        data["temp_clone_token"] = "" if repo.private else None
        if owner.kind == "Organization":
            data["organization"] = simple_user(owner, api, gh.web_base)
        data["network_count"] = 0
        data["subscribers_count"] = 0
    return data


def ref_json(repo: FakeRepo, ref: str, sha: str, kind: str, api: str) -> dict[str, Any]:
    r = f"{api}/repos/{repo.owner}/{repo.name}"
    object_url = f"{r}/git/tags/{sha}" if kind == "tag" else f"{r}/git/commits/{sha}"
    return {
        "ref": ref,
        "node_id": legacy_node_id("Ref", f"{repo.id}:{ref}"),
        "url": f"{r}/git/{ref}",
        "object": {"sha": sha, "type": kind, "url": object_url},
    }


# ---------------------------------------------------------------------------------------------- pagination
def _int_param(req: RestRequest, name: str, default: int) -> int:
    raw = req.param(name)
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        return default


def paginate(req: RestRequest, items: Sequence[Any], link_path: str | None = None) -> tuple[list[Any], str]:
    """Slice ``items`` by ``page``/``per_page`` (default 30, max 100); return the page and its ``Link``.

    Like GitHub, links are absolute, keep the request's other parameters, and may use a canonical
    id-based path (``/organizations/{id}/repos``, ``/repositories/{id}/tags``) passed as ``link_path``.
    """
    per_page = _int_param(req, "per_page", 30)
    per_page = 30 if per_page <= 0 else min(per_page, 100)
    page = max(1, _int_param(req, "page", 1))
    last = max(1, math.ceil(len(items) / per_page))
    chunk = list(items[(page - 1) * per_page : page * per_page])
    path = link_path or req.path

    def url(n: int) -> str:
        params = [(k, v) for k, values in req.query.items() if k != "page" for v in values]
        params.append(("page", str(n)))
        return f"{req.api}{path}?{urllib.parse.urlencode(params)}"

    links = []
    if page > 1:
        links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
    if page < last:
        links.append(f'<{url(page + 1)}>; rel="next"')
        links.append(f'<{url(last)}>; rel="last"')
    if page > 1:
        links.append(f'<{url(1)}>; rel="first"')
    return chunk, ", ".join(links)


def _paged(req: RestRequest, items: Sequence[Any], link_path: str | None = None) -> RestResponse:
    chunk, link = paginate(req, items, link_path)
    return RestResponse(200, chunk, {"Link": link} if link else {})


def version_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """A natural sort key (``v1.10`` after ``v1.9``)."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in _DIGITS.split(name) if p)


# ---------------------------------------------------------------------------------------------- repo lists
_SORT_FIELDS: dict[str, Callable[[FakeRepo], Any]] = {
    "created": lambda r: (r.created_at, r.id),
    "updated": lambda r: (r.updated_at or r.pushed_at, r.id),
    "pushed": lambda r: (r.pushed_at, r.id),
    "full_name": lambda r: r.full_name.lower(),
}


def _sorted_repos(req: RestRequest, repos: list[FakeRepo], default_sort: str) -> list[FakeRepo]:
    sort = req.param("sort", default_sort) or default_sort
    if sort not in _SORT_FIELDS:
        sort = default_sort
    direction = req.param("direction") or ("asc" if sort == "full_name" else "desc")
    return sorted(repos, key=_SORT_FIELDS[sort], reverse=direction == "desc")


def list_org_repos(req: RestRequest, owner: FakeOwner) -> RestResponse:
    kind = req.param("type", "all")
    repos = [r for r in owner.repos.values() if req.gh.visible(r, req.token)]
    if kind == "public":
        repos = [r for r in repos if not r.private]
    elif kind == "private":
        repos = [r for r in repos if r.private]
    elif kind == "forks":
        repos = [r for r in repos if r.fork]
    elif kind == "sources":
        repos = [r for r in repos if not r.fork]
    items = [repo_json(r, req) for r in _sorted_repos(req, repos, "created")]
    return _paged(req, items, f"/organizations/{owner.id}/repos")


def list_user_repos(req: RestRequest, owner: FakeOwner) -> RestResponse:
    """``GET /users/{username}/repos``: public repositories only."""
    repos = [r for r in owner.repos.values() if not r.private]
    if req.param("type") == "member":
        repos = []
    items = [repo_json(r, req) for r in _sorted_repos(req, repos, "full_name")]
    return _paged(req, items, f"/user/{owner.id}/repos")


def list_my_repos(req: RestRequest) -> RestResponse:
    """``GET /user/repos`` with ``visibility``, ``affiliation`` and ``type``."""
    token = req.token
    if token is None:
        return error(
            401, "Requires authentication", f"{DOCS}/repos/repos#list-repositories-for-the-authenticated-user"
        )
    gh = req.gh
    affiliation = set((req.param("affiliation") or "owner,collaborator,organization_member").split(","))
    kind = req.param("type")
    if kind in ("owner", "public", "private"):
        affiliation = {"owner"} if kind == "owner" else affiliation
    if kind == "member":
        affiliation = {"collaborator", "organization_member"}
    owners: list[str] = []
    if "owner" in affiliation:
        owners.append(token.login)
    if "organization_member" in affiliation:
        owners.extend(token.orgs)
    repos: list[FakeRepo] = []
    for login in owners:
        account = gh.get_owner(login)
        if account is not None:
            repos.extend(r for r in account.repos.values() if gh.visible(r, token))
    visibility = req.param("visibility") or (
        {"public": "public", "private": "private"}.get(kind or "", "all")
    )
    if visibility == "public":
        repos = [r for r in repos if not r.private]
    elif visibility == "private":
        repos = [r for r in repos if r.private]
    items = [repo_json(r, req) for r in _sorted_repos(req, repos, "full_name")]
    return _paged(req, items)


# ---------------------------------------------------------------------------------------------- repo content
def list_tags(req: RestRequest, repo: FakeRepo) -> RestResponse:
    """``GET /repos/{o}/{r}/tags``: newest-looking names first, ``commit`` already peeled; ``[]`` if empty."""
    r = f"{req.api}/repos/{repo.owner}/{repo.name}"
    items = [
        {
            "name": t.name,
            "zipball_url": f"{r}/zipball/refs/tags/{t.name}",
            "tarball_url": f"{r}/tarball/refs/tags/{t.name}",
            "commit": {"sha": t.commit, "url": f"{r}/commits/{t.commit}"},
            "node_id": legacy_node_id("Ref", f"{repo.id}:refs/tags/{t.name}"),
        }
        for t in sorted(repo.live_tags(), key=lambda t: version_key(t.name), reverse=True)
        if t.target_type == "commit"  # unverified: a tag on a tree or blob has no commit to name
    ]
    return _paged(req, items, f"/repositories/{repo.id}/tags")


def _all_refs(repo: FakeRepo) -> list[tuple[str, str, str]]:
    head = repo.head_commit()
    refs = [(f"refs/heads/{repo.default_branch}", head, "commit")] if head else []
    refs.extend(
        (f"refs/tags/{t.name}", t.object_sha, "tag" if t.annotated else "commit")
        for t in sorted(repo.live_tags(), key=lambda t: t.name)
    )
    return refs


def _empty_repo() -> RestResponse:
    return error(409, "Git Repository is empty.", f"{DOCS}/git/refs#list-matching-references")


def matching_refs(req: RestRequest, repo: FakeRepo, ref: str) -> RestResponse:
    """``GET /repos/{o}/{r}/git/matching-refs/{ref}``: every ref starting with ``refs/{ref}``."""
    if repo.empty:
        return _empty_repo()
    prefix = "refs/" + ref
    items = [
        ref_json(repo, n, sha, kind, req.api) for n, sha, kind in _all_refs(repo) if n.startswith(prefix)
    ]
    return RestResponse(200, items)


def get_refs(req: RestRequest, repo: FakeRepo, ref: str) -> RestResponse:
    """``GET /repos/{o}/{r}/git/refs/{ref}``: the ref itself, or (for a namespace) the list below it."""
    if repo.empty:
        return _empty_repo()
    full = "refs/" + ref.strip("/") if ref else "refs"
    refs = _all_refs(repo)
    for name, sha, kind in refs:
        if name == full:
            return RestResponse(200, ref_json(repo, name, sha, kind, req.api))
    below = [ref_json(repo, n, sha, kind, req.api) for n, sha, kind in refs if n.startswith(full + "/")]
    if not below:
        return not_found(f"{DOCS}/git/refs#get-a-reference")
    return _paged(req, below)


def get_ref(req: RestRequest, repo: FakeRepo, ref: str) -> RestResponse:
    """``GET /repos/{o}/{r}/git/ref/{ref}``: exactly one ref."""
    if repo.empty:
        return _empty_repo()
    for name, sha, kind in _all_refs(repo):
        if name == "refs/" + ref:
            return RestResponse(200, ref_json(repo, name, sha, kind, req.api))
    return not_found(f"{DOCS}/git/refs#get-a-reference")


def get_git_tag(req: RestRequest, repo: FakeRepo, sha: str) -> RestResponse:
    """``GET /repos/{o}/{r}/git/tags/{tag_sha}``: an annotated tag object, to peel it."""
    if repo.empty:
        return _empty_repo()
    tag: FakeTag | None = next((t for t in repo.tags if t.annotated and t.object_sha == sha.lower()), None)
    if tag is None:
        return not_found(f"{DOCS}/git/tags#get-a-tag")
    r = f"{req.api}/repos/{repo.owner}/{repo.name}"
    return RestResponse(
        200,
        {
            "node_id": legacy_node_id("Tag", tag.object_sha),
            "sha": tag.object_sha,
            "url": f"{r}/git/tags/{tag.object_sha}",
            "tag": tag.name,
            "message": tag.message if tag.message is not None else f"Release {tag.name}\n",
            "tagger": {
                "name": "Fake Tagger",
                "email": "tagger@example.test",
                "date": repo.tagger_date(tag),
            },
            "object": {"sha": tag.commit, "type": "commit", "url": f"{r}/git/commits/{tag.commit}"},
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
    )


def wrap_base64(data: bytes) -> str:
    """Base64 wrapped like GitHub's (Ruby ``pack("m")``): 60-character lines, each ending in ``\\n``."""
    text = base64.b64encode(data).decode()
    return "".join(text[i : i + 60] + "\n" for i in range(0, len(text), 60))


def _content_links(
    repo: FakeRepo, req: RestRequest, path: str, ref: str, sha: str, kind: str
) -> dict[str, Any]:
    r = f"{req.api}/repos/{repo.owner}/{repo.name}"
    quoted = urllib.parse.quote(path)
    self_url = f"{r}/contents/{quoted}?ref={urllib.parse.quote(ref, safe='')}"
    git_url = f"{r}/git/{'blobs' if kind == 'file' else 'trees'}/{sha}"
    html_url = f"{repo.html_url}/{'blob' if kind == 'file' else 'tree'}/{ref}/{quoted}"
    return {
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "url": self_url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": f"{repo.html_url}/raw/{ref}/{quoted}" if kind == "file" else None,
        "type": kind,
        "_links": {"self": self_url, "git": git_url, "html": html_url},
    }


def tree_sha(repo: FakeRepo, commit: str, directory: str) -> str:
    return git_tree_sha(repo.files_at(commit), directory)


def get_contents(req: RestRequest, repo: FakeRepo, path: str) -> RestResponse:
    """``GET /repos/{o}/{r}/contents/{path}?ref=``: a file object, a directory listing, or raw bytes."""
    doc = f"{DOCS}/repos/contents#get-repository-content"
    if repo.empty:
        return error(404, "This repository is empty.", doc)
    ref = req.param("ref") or repo.default_branch
    commit = repo.resolve_commit(ref)
    if commit is None:
        return error(404, f"No commit found for the ref {ref}", doc)
    path = path.strip("/")
    files = repo.files_at(commit)
    accept = req.headers.get("accept", "")
    data = files.get(path)
    if data is not None:
        if ".raw" in accept:
            return RestResponse(200, data, {"Content-Type": "application/vnd.github.raw; charset=utf-8"})
        sha = git_blob_sha(data)
        small = len(data) <= CONTENTS_INLINE_LIMIT
        obj = {
            "type": "file",
            "encoding": "base64" if small else "none",
            "size": len(data),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "content": wrap_base64(data) if small else "",
        }
        links = _content_links(repo, req, path, ref, sha, "file")
        for key in ("sha", "url", "git_url", "html_url", "download_url", "_links"):
            obj[key] = links[key]
        return RestResponse(200, obj)
    prefix = path + "/" if path else ""
    children: dict[str, str] = {}
    for name in sorted(files):
        if name.startswith(prefix):
            rest = name[len(prefix) :]
            head, sep, _ = rest.partition("/")
            children.setdefault(head, "dir" if sep else "file")
    if not children:
        return not_found(doc)
    listing = []
    for child, kind in sorted(children.items()):
        child_path = prefix + child
        if kind == "file":
            blob = files[child_path]
            entry = _content_links(repo, req, child_path, ref, git_blob_sha(blob), "file")
            entry["size"] = len(blob)
        else:
            entry = _content_links(repo, req, child_path, ref, tree_sha(repo, commit, child_path), "dir")
            entry["size"] = 0
        listing.append(entry)
    return RestResponse(200, listing)


# ---------------------------------------------------------------------------------------------- routing
def rate_limit_body(req: RestRequest, identity: str) -> dict[str, Any]:
    gh = req.gh
    core = gh.bucket(identity, "core")
    graphql = gh.bucket(identity, "graphql")

    def entry(limit: int, used: int, reset: int) -> dict[str, int]:
        return {"limit": limit, "used": used, "remaining": max(0, limit - used), "reset": reset}

    core_entry = entry(core.limit, core.used, core.reset)
    return {
        "resources": {
            "core": core_entry,
            "search": entry(30 if identity else 10, 0, core.reset),
            "graphql": entry(graphql.limit, graphql.used, graphql.reset),
            "integration_manifest": entry(5000, 0, core.reset),
            "code_search": entry(10, 0, core.reset),
        },
        "rate": core_entry,
    }


_REPO_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^$"), "repo"),
    (re.compile(r"^/tags/?$"), "tags"),
    (re.compile(r"^/git/matching-refs/(?P<ref>.*)$"), "matching"),
    (re.compile(r"^/git/refs(?:/(?P<ref>.*))?$"), "refs"),
    (re.compile(r"^/git/ref/(?P<ref>.+)$"), "ref"),
    (re.compile(r"^/git/tags/(?P<sha>[0-9a-fA-F]{40})$"), "gittag"),
    (re.compile(r"^/contents(?:/(?P<path>.*))?$"), "contents"),
    (re.compile(r"^/git/trees/(?P<sha>.+)$"), "tree"),
]

TREE_RECURSIVE_LIMIT = 100_000
"""GitHub's limit on a recursive tree answer's entries (docs: "100,000 entries with a maximum size of
7 MB"); beyond it the answer is cut and says `truncated: true`. A module knob so tests can lower it."""


def _find_tree(repo: FakeRepo, rev: str) -> tuple[str, str] | None:
    """(commit, directory) of `rev`: a ref name or commit (its root tree), or a tree SHA."""
    commit = repo.resolve_commit(rev)
    if commit is not None:
        return commit, ""
    for commit in repo._all_commits():
        files = repo.files_at(commit)
        directories = {""} | {p.rsplit("/", 1)[0] for p in files if "/" in p}
        for directory in sorted(directories):
            while True:
                if git_tree_sha(files, directory) == rev.lower():
                    return commit, directory
                if not directory:
                    break
                directory = directory.rsplit("/", 1)[0] if "/" in directory else ""
    return None


def get_tree(req: RestRequest, repo: FakeRepo, rev: str) -> RestResponse:
    """``GET /repos/{o}/{r}/git/trees/{tree_sha}[?recursive=…]``: any `recursive` value, even "false",
    recurses (GitHub's docs); paths are relative to the tree; `truncated` past the entry limit."""
    doc = f"{DOCS}/git/trees#get-a-tree"
    if repo.empty:
        return error(409, "Git Repository is empty.", doc)
    found = _find_tree(repo, rev)
    if found is None:
        return not_found(doc)
    commit, directory = found
    files = repo.files_at(commit)
    prefix = directory + "/" if directory else ""
    r = f"{req.api}/repos/{repo.full_name}"
    recursive = req.param("recursive") is not None
    entries: dict[str, dict[str, Any]] = {}
    for path, data in sorted(files.items()):
        if not path.startswith(prefix):
            continue
        parts = path[len(prefix) :].split("/")
        depth = len(parts) if recursive else 1
        for i in range(1, min(depth, len(parts)) + 1):
            rel = "/".join(parts[:i])
            if i < len(parts):
                sha = git_tree_sha(files, prefix + rel)
                entries[rel] = {
                    "path": rel,
                    "mode": "040000",
                    "type": "tree",
                    "sha": sha,
                    "url": f"{r}/git/trees/{sha}",
                }
            else:
                sha = git_blob_sha(data)
                entries[rel] = {
                    "path": rel,
                    "mode": "100644",
                    "type": "blob",
                    "sha": sha,
                    "size": len(data),
                    "url": f"{r}/git/blobs/{sha}",
                }
    tree = [entries[k] for k in sorted(entries)]
    truncated = len(tree) > TREE_RECURSIVE_LIMIT
    sha = git_tree_sha(files, directory)
    body = {
        "sha": sha,
        "url": f"{r}/git/trees/{sha}",
        "tree": tree[:TREE_RECURSIVE_LIMIT],
        "truncated": truncated,
    }
    return RestResponse(200, body)


def _repo_endpoint(req: RestRequest, repo: FakeRepo, rest: str) -> RestResponse:
    for pattern, name in _REPO_ROUTES:
        m = pattern.match(rest)
        if not m:
            continue
        groups = {k: urllib.parse.unquote(v or "") for k, v in m.groupdict().items()}
        if name == "repo":
            return RestResponse(200, repo_json(repo, req, full=True))
        if name == "tags":
            return list_tags(req, repo)
        if name == "matching":
            return matching_refs(req, repo, groups["ref"])
        if name == "refs":
            return get_refs(req, repo, groups["ref"])
        if name == "ref":
            return get_ref(req, repo, groups["ref"])
        if name == "gittag":
            return get_git_tag(req, repo, groups["sha"])
        if name == "tree":
            return get_tree(req, repo, groups["sha"])
        return get_contents(req, repo, groups["path"])
    return not_found()


def handle(req: RestRequest, identity: str) -> RestResponse:
    """Dispatch a GET request to its endpoint."""
    gh, path = req.gh, req.path.rstrip("/") or "/"
    if req.method not in ("GET", "HEAD"):
        return not_found()
    if path == "/rate_limit":
        return RestResponse(200, rate_limit_body(req, identity))
    if path == "/user":
        if req.token is None:
            return error(401, "Requires authentication", f"{DOCS}/users/users#get-the-authenticated-user")
        return RestResponse(200, user_json(gh.user_account(req.token.login), req))
    if path == "/user/repos":
        return list_my_repos(req)
    parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")]
    if parts[0] == "orgs" and len(parts) in (2, 3):
        owner = gh.get_owner(parts[1])
        doc = f"{DOCS}/orgs/orgs#get-an-organization"
        if owner is None or owner.kind != "Organization":
            return not_found(doc if len(parts) == 2 else f"{DOCS}/repos/repos#list-organization-repositories")
        if len(parts) == 2:
            return RestResponse(200, org_json(owner, req))
        if parts[2] == "repos":
            return list_org_repos(req, owner)
        return not_found()
    if parts[0] == "organizations" and len(parts) == 3 and parts[2] == "repos" and parts[1].isdigit():
        owner = gh.find_owner_by_id(int(parts[1]))
        if owner is None or owner.kind != "Organization":
            return not_found()
        return list_org_repos(req, owner)
    if parts[0] == "users" and len(parts) in (2, 3):
        owner = gh.get_owner(parts[1])
        if owner is None:
            return not_found(f"{DOCS}/users/users#get-a-user")
        if len(parts) == 2:
            return RestResponse(200, user_json(owner, req))
        if parts[2] == "repos":
            return list_user_repos(req, owner)
        return not_found()
    if parts[0] == "user" and len(parts) == 3 and parts[2] == "repos" and parts[1].isdigit():
        owner = gh.find_owner_by_id(int(parts[1]))
        return not_found() if owner is None else list_user_repos(req, owner)
    repo: FakeRepo | None = None
    rest = ""
    if parts[0] == "repos" and len(parts) >= 3:
        repo = gh.get_repo(parts[1], parts[2])
        rest = path.split("/", 4)[4] if len(parts) > 3 else ""
        rest = "/" + rest if rest else ""
    elif parts[0] == "repositories" and len(parts) >= 2 and parts[1].isdigit():
        repo = gh.find_repo_by_id(int(parts[1]))
        rest = path.split("/", 3)[3] if len(parts) > 2 else ""
        rest = "/" + rest if rest else ""
    else:
        return not_found()
    if repo is None or not gh.visible(repo, req.token):
        return not_found(f"{DOCS}/repos/repos#get-a-repository")
    return _repo_endpoint(req, repo, rest)
