"""The REST scanner: PyGithub, one `Github` client, 100 items a page.

It costs one request per 100 repositories, one per 100 tags of each repository and one to three per
tagged commit whose metadata is not known yet. It is the scanner for anonymous runs (GraphQL needs a
token) and the fallback. PyGithub objects never leave this module: each one becomes a `RepoSnapshot`,
`TagRef` or `SourceFiles` at once, because their lazy attributes fire hidden requests.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import functools
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from github import Auth, Github, GithubException
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededException,
)
from github.Repository import Repository

from .. import __version__
from ..errors import ApiError, IndexgenError, OwnerNotFound, RateLimited, TokenRejected
from ..layouts import Discovery, file_reads, needs_tree_read, scan_layout, tree_of
from ..metadata import MAX_FILE_BYTES, pyproject_decides
from ..models import METADATA_FILES, Owner, OwnerKind, RepoSnapshot, SourceFiles, TagRef
from ..monorepo import KnownTree, TreeRead, metadata_key, tree_from_rest
from .auth import Token
from .http import ApiUsage, RateLimitTooLong, Refused, is_rate_limit, make_retry, message_of, reset_epoch
from .scanner import (
    NeedFiles,
    Progress,
    ScanResult,
    SelectRepo,
    follow_references,
    relevant_files,
    usable_text,
    wants_tags,
)

log = logging.getLogger(__name__)
# PyGithub adds its own stderr handler to the `github` logger at import; its lines name request paths
# (private repository names in CI logs) and break the one-`error:`-line contract. PyGithub is imported
# only when a REST scan starts, after the CLI configured logging, so it is silenced here.
logging.getLogger("github").handlers[:] = [logging.NullHandler()]
logging.getLogger("github").propagate = False

T = TypeVar("T")
USER_AGENT = f"indexgen/{__version__}"
# Answers that a repeated request may mend although the transport saw a complete HTTP exchange:
# a body cut short (invalid JSON) or a connection dropped mid-body.
# (Connection errors and 5xx are the transport's: urllib3 has retried them already.)
TRANSIENT = (ValueError, requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)
EXTRA_ATTEMPTS = 3
# GitHub's secondary limit allows 900 REST points a minute (a GET costs one): one request every
# 70 ms stays below it without running anything in parallel.
SECONDS_BETWEEN_REQUESTS = 0.07


def github_message(exc: GithubException) -> str:
    """GitHub's `message` from an error answer PyGithub raised, shortened; never the request."""
    return message_of(exc.data) or "unexpected answer"


class EmptyRepository(Exception):
    """GitHub answered 409 "Git Repository is empty."."""


class RestScanner:
    def __init__(
        self,
        api_url: str,
        token: Token | None,
        *,
        max_wait: float = 900.0,
        backoff: float = 1.0,
        timeout: int = 30,
        usage: ApiUsage | None = None,
        spacing: float = SECONDS_BETWEEN_REQUESTS,
    ) -> None:
        self.usage = usage if usage is not None else ApiUsage()
        self._token = token
        self._gh = Github(
            auth=Auth.Token(token.value) if token else None,
            base_url=api_url.rstrip("/"),
            per_page=100,
            timeout=timeout,
            user_agent=USER_AGENT,
            retry=make_retry(self.usage, "core", max_wait=max_wait, backoff=backoff),
            seconds_between_requests=spacing,
        )

    # -- error translation -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self, where: str) -> Iterator[None]:
        """Turn PyGithub's and requests' exceptions into indexgen's, keeping the rate-limit state."""
        try:
            yield
        except IndexgenError:
            raise
        except RateLimitTooLong as exc:
            # The shared retry policy gives up on a rate limit it may not wait for.
            raise RateLimited("REST", self._reset_at(exc.headers)) from exc
        except Refused as exc:
            # A 403 that is no rate limit: the retry policy read its body to tell, and does not retry it.
            raise ApiError(exc.status, where, exc.message) from exc
        except BadCredentialsException as exc:
            raise TokenRejected(self._token.source if self._token else "no token") from exc
        except GithubException as exc:
            limited = isinstance(exc, RateLimitExceededException)
            # An empty 403/429: the retry policy read the body for a rate-limit message, retried and
            # gave up (urllib3 then returns the response whose body was consumed).
            consumed = exc.status in (403, 429) and not exc.data
            if limited or consumed or is_rate_limit(exc.status, github_message(exc)):
                raise RateLimited("REST", self._reset_at(exc.headers)) from exc
            raise ApiError(exc.status, where, github_message(exc)) from exc
        except requests.exceptions.RequestException as exc:
            raise ApiError(None, where, type(exc).__name__) from exc
        except (TypeError, KeyError, AttributeError) as exc:
            # PyGithub met JSON of another shape than GitHub's: something else answers at --api-url.
            raise ApiError(
                None, where, "an answer not shaped like GitHub's (is --api-url a GitHub API?)"
            ) from exc
        finally:
            self._observe()

    def _reset_at(self, headers: Any) -> float | None:
        """When the REST budget resets: from the refused answer, else the last one PyGithub saw."""
        return reset_epoch(headers) or float(self._gh.requester.rate_limiting_resettime) or None

    def _observe(self) -> None:
        # The requester's copy of the last X-RateLimit-* headers; `Github.rate_limiting` would send a
        # request of its own when it has seen none.
        requester = self._gh.requester
        remaining, _limit = requester.rate_limiting
        if remaining >= 0:
            self.usage.rest_remaining = remaining

    def _call(self, where: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Call `fn` with the transport's retries, plus a few for answers cut short mid-body."""
        for attempt in range(1, EXTRA_ATTEMPTS + 1):
            with self._errors(where):
                try:
                    return fn(*args, **kwargs)
                except TRANSIENT as exc:
                    if attempt == EXTRA_ATTEMPTS:
                        raise ApiError(None, where, "the answer was cut short or was not JSON") from exc
                    log.debug("retrying %s after a truncated answer", where)
        raise AssertionError("unreachable")  # pragma: no cover

    def _find(self, name: str, kind: str, fn: Any) -> Any:
        """`fn()` for the account or repository `name`; a 404 says it is not there (or not visible)."""
        try:
            return self._call(f"{kind} {name}", fn)
        except ApiError as exc:
            if exc.status == 404:
                raise OwnerNotFound(name, kind) from exc
            raise

    # -- listing -----------------------------------------------------------------------------------

    def _owner_repos(self, owner: Owner) -> list[Repository]:
        if owner.kind is OwnerKind.ANY:
            # `owners` in the configuration does not say which: an organisation, else a user.
            try:
                return self._owner_repos(Owner(owner.login, OwnerKind.ORG))
            except OwnerNotFound:
                try:
                    return self._owner_repos(Owner(owner.login, OwnerKind.USER))
                except OwnerNotFound:
                    raise OwnerNotFound(owner.login, "organisation or user") from None
        if owner.kind is OwnerKind.ORG:
            org = self._find(owner.login, "organisation", lambda: self._gh.get_organization(owner.login))
            return list(self._call(f"repositories of {owner.login}", lambda: list(org.get_repos(type="all"))))

        def fetch_user() -> Any:
            user = self._gh.get_user(owner.login)
            user.login  # noqa: B018 - NamedUser is lazy: this fetches it, so a 404 surfaces here
            return user

        user = self._find(owner.login, "user", fetch_user)
        if self._token and self._authenticated_login() == owner.login.lower():
            me = self._gh.get_user()
            # /users/{user}/repos lists public repositories only; the owner's private ones need /user/repos.
            listing = lambda: list(me.get_repos(affiliation="owner", visibility="all"))  # noqa: E731
        else:
            listing = lambda: list(user.get_repos(type="owner"))  # noqa: E731
        return list(self._call(f"repositories of {owner.login}", listing))

    def _authenticated_login(self) -> str:
        return str(self._call("the authenticated user", lambda: self._gh.get_user().login)).lower()

    def _tags(self, repo: Repository) -> tuple[TagRef, ...]:
        # GET /repos/{owner}/{repo}/tags names each tag's commit, already peeled through annotated tags.
        tags = self._call(f"tags of {repo.full_name}", lambda: list(repo.get_tags()))
        return tuple(TagRef(t.name, t.commit.sha) for t in tags)

    def _check_not_empty(self, repo: Repository) -> None:
        """Raise EmptyRepository for a repository without commits. `/tags` answers an empty list for
        it; the contents API says so: 404 "This repository is empty." (409 on the git APIs)."""
        try:
            self._call(f"contents of {repo.full_name}", repo.get_contents, "")
        except ApiError as exc:
            if exc.status == 409 or (exc.status == 404 and "empty" in exc.message.lower()):
                raise EmptyRepository() from exc
            if exc.status != 404:
                raise

    def read_tree(self, full_name: str) -> TreeRead | None:
        """`GET /repos/{o}/{r}/git/trees/HEAD?recursive=1`: every path in the default
        branch's tree in one request (`truncated` set when GitHub cut the answer); None for an empty
        repository (409 on the git APIs)."""
        where = f"tree of {full_name}"
        # One request, by ref name (accepted for the tree SHA; HEAD is the default branch).
        url = f"/repos/{quote(full_name, safe='/')}/git/trees/HEAD"
        try:
            _, data = self._call(where, self._gh.requester.requestJsonAndCheck, "GET", url, {"recursive": 1})
        except ApiError as exc:
            if exc.status == 409:
                return None
            raise
        return tree_from_rest(data)

    def _file(self, repo: Repository, path: str, commit: str) -> tuple[str | None, str | None]:
        """The text of `path` at `commit`, or None when absent; second item: why it is unusable."""
        where = f"{repo.full_name}/{path}@{commit[:12]}"
        try:
            content = self._call(where, repo.get_contents, path, ref=commit)
        except ApiError as exc:
            if exc.status == 404:
                return None, None
            if exc.status == 409:
                raise EmptyRepository() from exc
            raise
        if isinstance(content, list) or content.type != "file":
            return None, None  # a directory of that name is not a metadata file
        # Over 1 MB the contents API sends no content (encoding "none").
        if content.encoding != "base64" or (content.size or 0) > MAX_FILE_BYTES:
            return usable_text(path, None, too_large=True)
        try:
            text = base64.b64decode(content.content or "").decode("utf-8")
        except (binascii.Error, ValueError):
            return None, f"{path} is not UTF-8 text"
        return usable_text(path, text)

    def _files(self, repo: Repository, commit: str, directory: str = "") -> SourceFiles:
        texts: dict[str, str | None] = {}
        problems: list[str] = []
        for path in METADATA_FILES:  # pyproject.toml first: when it decides, the others are not read
            full = f"{directory}/{path}" if directory else path
            texts[path], problem = self._file(repo, full, commit)
            problems += [problem] if problem else []
            text = texts[path]
            if path == "pyproject.toml" and text is not None and pyproject_decides(text):
                break
        files = SourceFiles(
            pyproject_toml=texts.get("pyproject.toml"),
            setup_cfg=texts.get("setup.cfg"),
            setup_py=texts.get("setup.py"),
            problems=tuple(problems),
        )
        return relevant_files(files)

    def _referenced(
        self, repo: Repository, pairs: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str | None]:
        """Files the metadata refers to: one contents request each (REST has no batch read)."""
        return {(commit, path): self._file(repo, path, commit)[0] for commit, path in pairs}

    # -- the scan ----------------------------------------------------------------------------------

    def _discover(
        self,
        repo: Repository,
        snapshot: RepoSnapshot,
        root_reads: Mapping[str, SourceFiles],
        need_files: NeedFiles,
        discovery: Discovery,
    ) -> tuple[KnownTree | None, list[tuple[TagRef, str]]]:
        """The repository's tree (read only when `needs_tree_read` says so) and the (tag, directory)
        reads it asks for. The listing gives no tree oid: a repository whose newly read tag commits
        hold a project file at the root, now or at an earlier build, is a single-project one
        (discovery would say so too) and costs no tree read, on a rebuild as on a cold build."""
        configured = discovery.configured_for(snapshot.full_name)
        tree = discovery.known(snapshot.full_name)
        at_root = any(
            f.pyproject_toml is not None or f.setup_py is not None for f in root_reads.values()
        ) or any(discovery.rooted(t) for t in snapshot.tags)
        if not configured and at_root:
            tree = None  # one project, the root, as before monorepos: nothing to keep
        elif needs_tree_read(snapshot, discovery):
            read = self.read_tree(snapshot.full_name)
            tree = tree_of(snapshot.full_name, read) if read is not None else None
            layout = scan_layout(tree, configured)
            return tree, file_reads(snapshot, layout, discovery, need_files, tree_read=read is not None)
        layout = scan_layout(tree, configured)
        return tree, file_reads(snapshot, layout, discovery, need_files)

    def _scan(
        self,
        repos: Sequence[Repository],
        need_files: NeedFiles,
        progress: Progress,
        select: SelectRepo | None,
        discovery: Discovery | None = None,
    ) -> ScanResult:
        snapshots: list[RepoSnapshot] = []
        files: dict[str, SourceFiles] = {}
        trees: dict[str, KnownTree] = {}
        for repo in repos:
            snapshot = snapshot_of(repo)
            if wants_tags(snapshot, select):
                try:
                    tags = self._tags(repo)
                    if not tags and not repo.size:
                        self._check_not_empty(repo)
                    fresh: dict[str, SourceFiles] = {}
                    for tag in tags:
                        if tag.commit not in files and tag.commit not in fresh and need_files(tag):
                            fresh[tag.commit] = self._files(repo, tag.commit)
                            progress.advance(files=1)
                    snapshot = dataclasses.replace(snapshot, tags=tags)
                    if discovery is not None and tags:
                        tree, reads = self._discover(repo, snapshot, fresh, need_files, discovery)
                        if tree is not None:
                            trees[snapshot.full_name] = tree
                        for tag, directory in reads:
                            key = metadata_key(tag.commit, directory)
                            if key not in files and key not in fresh:
                                fresh[key] = self._files(repo, tag.commit, directory)
                                progress.advance(files=1)
                    files.update(follow_references(fresh, functools.partial(self._referenced, repo)))
                    progress.advance(tags=len(tags))
                except EmptyRepository:
                    snapshot = dataclasses.replace(snapshot, empty=True)
            snapshots.append(snapshot)
            progress.advance(repos=1)
        return ScanResult(tuple(snapshots), files, trees=trees)

    def scan_owners(
        self,
        owners: Sequence[Owner],
        need_files: NeedFiles,
        progress: Progress,
        *,
        select: SelectRepo | None = None,
        discovery: Discovery | None = None,
        known: Mapping[str, RepoSnapshot] | None = None,  # not used: a REST scan is small
    ) -> ScanResult:
        repos: list[RepoSnapshot] = []
        files: dict[str, SourceFiles] = {}
        trees: dict[str, KnownTree] = {}
        for owner in owners:
            listed = self._owner_repos(owner)
            progress.start(owner.login, len(listed))
            result = self._scan(listed, need_files, progress, select, discovery)
            repos.extend(result.repos)
            files.update(result.files)
            trees.update(result.trees)
        progress.finish()
        return ScanResult(tuple(repos), files, trees=trees)

    def scan_repos(
        self,
        full_names: Sequence[str],
        need_files: NeedFiles,
        progress: Progress,
        *,
        select: SelectRepo | None = None,
        discovery: Discovery | None = None,
        known: Mapping[str, RepoSnapshot] | None = None,  # not used: REST lists tags by name only
    ) -> ScanResult:
        listed = [
            self._find(name, "repository", lambda name=name: self._gh.get_repo(name)) for name in full_names
        ]
        progress.start(", ".join(full_names), len(listed))
        result = self._scan(listed, need_files, progress, select, discovery)
        progress.finish()
        return result


def snapshot_of(repo: Repository) -> RepoSnapshot:
    created = repo.created_at
    return RepoSnapshot(
        full_name=repo.full_name,
        clone_url=repo.clone_url,
        html_url=repo.html_url,
        created_at=created.strftime("%Y-%m-%dT%H:%M:%SZ") if created else "",
        private=bool(repo.private),
        fork=bool(repo.fork),
        archived=bool(repo.archived),
        description=repo.description or "",
        ssh_url=repo.ssh_url or "",
        # The listing carries topics (read from the listing's JSON: `repo.topics` would fetch the whole
        # repository where they are absent); tag dates would cost a request per tag, so REST has none.
        topics=tuple(str(t) for t in (repo._rawData.get("topics") or ())),
    )
