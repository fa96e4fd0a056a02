"""In-memory model behind the fake GitHub server.

Plain mutable dataclasses (owners, repositories, tags, files at commits) plus :class:`FakeGitHub`, which
also holds the tokens, the rate-limit budgets, fault injection, latency and the request log.  Tests may
change any of it between requests; the server reads the model on every request.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

OwnerKind = Literal["Organization", "User"]
Resource = Literal["core", "graphql"]
FaultKind = Literal["500", "502", "503", "reset", "truncated", "timeout", "partial"]

#: Every fault kind.  ``partial`` (errors plus partial data) only applies to GraphQL requests.
ALL_FAULT_KINDS: tuple[FaultKind, ...] = ("500", "502", "503", "reset", "truncated", "timeout", "partial")
DEFAULT_CLONE_BASE = "https://github.example.test"
#: GitHub answers ``Blob.text`` truncated to this many bytes (``isTruncated: true``); not documented by
#: GitHub, observed in sveltia/sveltia-cms#950.
BLOB_TEXT_LIMIT = 512_000
#: The REST contents API returns ``content: ""`` and ``encoding: "none"`` above 1 MB.
CONTENTS_INLINE_LIMIT = 1024 * 1024

_HEX40 = re.compile(r"^[0-9a-f]{40}$")


def fake_sha(*parts: str) -> str:
    """A deterministic 40-hex fake git object id derived from ``parts``."""
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()


def git_blob_sha(data: bytes) -> str:
    """The real git blob id of ``data`` (what GitHub reports as a file's ``sha``)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def git_tree_sha(files: Mapping[str, bytes], directory: str = "") -> str:
    """The real git tree id of `directory` ("" for the root) among `files` (path → bytes), every file
    taken as mode 100644: content-addressed like git's, so an unchanged tree keeps its oid from one
    commit to the next, and equal to `git rev-parse COMMIT^{tree}` for repositories without
    executables or symlinks."""
    prefix = directory + "/" if directory else ""
    children: dict[str, bool] = {}  # name → is a directory
    for path in files:
        if path.startswith(prefix):
            head, sep, _ = path[len(prefix) :].partition("/")
            children[head] = children.get(head, False) or bool(sep)
    body = b""
    # git orders a tree's entries by name, a directory's name compared as if it ended with "/".
    for name, is_dir in sorted(children.items(), key=lambda kv: kv[0].encode() + (b"/" if kv[1] else b"")):
        sha = git_tree_sha(files, prefix + name) if is_dir else git_blob_sha(files[prefix + name])
        mode = b"40000" if is_dir else b"100644"
        body += mode + b" " + name.encode() + b"\0" + bytes.fromhex(sha)
    return hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest()


def stable_id(*parts: str) -> int:
    """A stable positive 31-bit numeric id derived from ``parts`` (repository / account ids)."""
    return int.from_bytes(hashlib.sha1("\0".join(parts).encode()).digest()[:4], "big") % 2_000_000_000 + 1


def legacy_node_id(kind: str, key: str) -> str:
    """GitHub's legacy global node id: base64 of ``"0<len(kind)>:<kind><key>"`` (``010:Repository1``)."""
    return base64.b64encode(f"0{len(kind)}:{kind}{key}".encode()).decode()


def is_full_sha(value: str) -> bool:
    return bool(_HEX40.match(value))


@dataclass(slots=True)
class FakeTag:
    """A git tag: ``commit`` is the tagged (peeled) commit; annotated tags have their own tag object id."""

    name: str
    commit: str
    annotated: bool = False
    tag_sha: str | None = None
    message: str | None = None
    #: Tag objects in the chain for an annotated tag (a tag of a tag of …); git allows any depth.
    depth: int = 1
    #: What the chain ends at: a "commit", or a "tree" or "blob" (then ``commit`` is that object's id).
    target_type: str = "commit"
    #: An annotated tag's tagger date (every tag object of its chain); None: tagged when committed.
    tagged_at: str | None = None

    def __post_init__(self) -> None:
        if self.target_type not in ("commit", "tree", "blob") or self.depth < 1:
            raise ValueError(f"impossible tag {self.name}: {self.depth} levels to a {self.target_type}")
        if self.depth > 1 and not self.annotated:
            raise ValueError(f"a lightweight tag ({self.name}) points at one object, not a chain")

    def level_sha(self, level: int) -> str:
        """The id of the `level`-th tag object of the chain (1: the one the ref points at)."""
        return self.object_sha if level == 1 else fake_sha("tag-object", self.name, self.commit, str(level))

    @property
    def object_sha(self) -> str:
        """The id the ref points at: the tag object for annotated tags, else the commit."""
        if not self.annotated:
            return self.commit
        return self.tag_sha or fake_sha("tag-object", self.name, self.commit)


@dataclass
class FakeRepo:
    """A repository.  ``files[commit_sha][path] = content`` holds only the files that matter."""

    owner: str
    name: str
    private: bool = False
    fork: bool = False
    archived: bool = False
    description: str | None = None
    created_at: str = "2020-01-01T00:00:00Z"
    pushed_at: str = "2020-01-02T00:00:00Z"
    updated_at: str | None = None
    empty: bool = False
    tags: list[FakeTag] = field(default_factory=list)
    files: MutableMapping[str, MutableMapping[str, bytes]] = field(default_factory=dict)
    clone_url_base: str = DEFAULT_CLONE_BASE
    html_url: str = ""
    id: int = 0
    default_branch: str = "main"
    #: Commit at the tip of the default branch; ``None`` means the last tag's commit (or a fake one).
    head: str | None = None
    disabled: bool = False
    topics: list[str] = field(default_factory=list)
    language: str | None = "Python"
    #: ``committedDate`` per commit sha; missing commits use ``pushed_at``.
    commit_dates: MutableMapping[str, str] = field(default_factory=dict)

    #: Commits that are gone (force-pushed away and collected) although a tag listing still names them:
    #: looking them up answers "not found".
    vanished: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.empty and (self.tags or self.files or self.head):
            raise ValueError(f"{self.owner}/{self.name}: an empty repository has no commits, tags or files")
        if not self.id:
            self.id = stable_id("repo", self.owner.lower(), self.name.lower())
        if not self.html_url:
            self.html_url = f"{self.clone_url_base.rstrip('/')}/{self.owner}/{self.name}"

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def clone_url(self) -> str:
        return f"{self.clone_url_base.rstrip('/')}/{self.owner}/{self.name}.git"

    @property
    def host(self) -> str:
        return self.clone_url_base.split("://", 1)[-1].split("/", 1)[0]

    @property
    def ssh_url(self) -> str:
        return f"git@{self.host}:{self.owner}/{self.name}.git"

    @property
    def git_url(self) -> str:
        return f"git://{self.host}/{self.owner}/{self.name}.git"

    @property
    def visibility(self) -> str:
        return "private" if self.private else "public"

    def head_commit(self) -> str | None:
        """The default branch's commit; ``None`` for an empty repository."""
        if self.empty:
            return None
        if self.head:
            return self.head
        if self.tags:
            return self.tags[-1].commit
        return fake_sha("head", self.owner.lower(), self.name.lower())

    def find_tag(self, name: str) -> FakeTag | None:
        if self.empty:
            return None
        for tag in self.tags:
            if tag.name == name:
                return tag
        return None

    def live_tags(self) -> list[FakeTag]:
        return [] if self.empty else list(self.tags)

    def known_commit(self, sha: str) -> bool:
        if self.empty or sha in self.vanished:
            return False
        if sha == self.head_commit() or sha in self.files:
            return True
        return any(t.commit == sha and t.target_type == "commit" for t in self.tags)

    def resolve_commit(self, rev: str) -> str | None:
        """Resolve a revision (sha, abbreviated sha, tag, branch, ``HEAD``, ``refs/...``) to a commit."""
        if self.empty or not rev:
            return None
        if rev in ("HEAD", self.default_branch, f"refs/heads/{self.default_branch}"):
            return self.head_commit()
        name = rev.removeprefix("refs/tags/")
        tag = self.find_tag(name)
        if tag is not None:
            return tag.commit
        low = rev.lower()
        if is_full_sha(low):
            return low if self.known_commit(low) else None
        if re.fullmatch(r"[0-9a-f]{4,39}", low):
            matches = {c for c in self._all_commits() if c.startswith(low)}
            if len(matches) == 1:
                return matches.pop()
        return None

    def _all_commits(self) -> Iterator[str]:
        head = self.head_commit()
        if head:
            yield head
        yield from (t.commit for t in self.tags if t.target_type == "commit")
        yield from self.files.keys()

    def files_at(self, commit: str) -> MutableMapping[str, bytes]:
        found = self.files.get(commit)
        return found if found is not None else {}

    def commit_date(self, sha: str) -> str:
        return self.commit_dates.get(sha, self.pushed_at)

    def tagger_date(self, tag: FakeTag) -> str:
        """An annotated tag's tagger date: its own, else the tagged commit's (tagged when committed)."""
        return tag.tagged_at or self.commit_date(tag.commit)

    def creator_date(self, tag: FakeTag) -> str:
        """The date GitHub orders tags by for `TAG_COMMIT_DATE`: git's `creatordate`, the tagger's
        date for an annotated tag, the commit's committer date for a lightweight one."""
        return self.tagger_date(tag) if tag.annotated else self.commit_date(tag.commit)


@dataclass
class FakeOwner:
    """An organization or user account with its repositories (keyed by name)."""

    login: str
    kind: OwnerKind = "Organization"
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    id: int = 0
    name: str | None = None
    description: str | None = None
    created_at: str = "2019-01-01T00:00:00Z"

    def __post_init__(self) -> None:
        if not self.id:
            self.id = stable_id("owner", self.login.lower())

    def get_repo(self, name: str) -> FakeRepo | None:
        repo = self.repos.get(name)
        if repo is not None:
            return repo
        low = name.lower()
        for key, candidate in self.repos.items():
            if key.lower() == low:
                return candidate
        return None


@dataclass(frozen=True)
class TokenInfo:
    """What a token authenticates as.  ``sees_private=False`` simulates lost access to private repos.

    ``orgs`` lists the organizations the user belongs to (used by ``GET /user/repos`` with the
    ``organization_member`` affiliation and by ``viewer.repositories(ownerAffiliations: ...)``).
    """

    login: str
    sees_private: bool = True
    orgs: tuple[str, ...] = ()


class LoggedRequest(NamedTuple):
    method: str
    path: str
    resource: Resource
    cost: int


@dataclass
class RateBucket:
    limit: int
    used: int
    reset: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


@dataclass
class SecondaryLimit:
    """A pending secondary-rate-limit injection (``count`` more answers)."""

    count: int
    status: int = 403  # GraphQL also answers 200 with the message in `errors`
    retry_after: int | None = 60  # None: no Retry-After header (clients should wait a minute)
    resource: Resource | None = None


class FakeGitHub:
    """The whole fake GitHub: accounts and repositories plus the server-side behaviour knobs.

    Rate limits, faults and the request log are guarded by ``lock``; the server takes it for bookkeeping
    only, so tests can mutate owners/repos freely between requests.
    """

    def __init__(
        self,
        *,
        core_limit: int = 5000,
        graphql_limit: int = 5000,
        anonymous_core_limit: int = 60,
        reset_epoch: int | None = None,
        seed: int = 0,
        fault_rate: float = 0.0,
        fault_kinds: Iterable[FaultKind] = ALL_FAULT_KINDS,
        fault_delay_s: float = 3.0,
        latency_ms: float = 0.0,
        web_base: str = DEFAULT_CLONE_BASE,
        graphql_rate_limited_type: str = "RATE_LIMITED",
        rest_rate_limit_status: int = 403,
    ) -> None:
        self.owners: dict[str, FakeOwner] = {}
        self.tokens: dict[str, TokenInfo] = {}
        self.web_base = web_base
        self.lock = threading.RLock()
        # rate limits
        self.core_limit = core_limit
        self.graphql_limit = graphql_limit
        self.anonymous_core_limit = anonymous_core_limit
        self.reset_epoch = reset_epoch if reset_epoch is not None else int(time.time()) + 3600
        #: ``"RATE_LIMITED"`` (long-standing) or ``"RATE_LIMIT"`` (seen since 2026 with ``code``).
        self.graphql_rate_limited_type = graphql_rate_limited_type
        #: GitHub answers an exhausted REST budget with 403 (documented: "403 or 429").
        self.rest_rate_limit_status = rest_rate_limit_status
        self._buckets: dict[tuple[str, Resource], RateBucket] = {}
        self._exhaust_after: dict[Resource, int] = {}
        self._secondary: list[SecondaryLimit] = []
        # faults
        self.seed = seed
        self.rng = random.Random(seed)
        self.fault_rate = fault_rate
        self.fault_kinds: tuple[FaultKind, ...] = tuple(fault_kinds)
        self.fault_delay_s = fault_delay_s
        self._forced_faults: list[tuple[FaultKind, Resource | None]] = []
        self.latency_ms = latency_ms
        #: GitHub stops a GraphQL query that runs longer than its time limit. Here a query whose answer
        #: holds more than this many objects runs out of time (None: none does), and is answered in the
        #: shape ``graphql_timeout_shape``: "504" ``{"message": "We couldn't respond to your request in
        #: time. …"}``, "502" ``{"data": null, "errors": [{"message": "Something went wrong … timeout
        #: …"}]}``, "502-html" (its gateway's nginx page) or "200" (that error in a 200). Each counts
        #: against the rate limit.
        self.graphql_time_limit: int | None = None
        self.graphql_timeout_shape: str = "504"
        # log and counters
        self.log: list[LoggedRequest] = []
        self.fault_log: list[tuple[str, str, FaultKind]] = []
        self.rest_requests = 0
        self.graphql_requests = 0
        self.graphql_points = 0
        self._request_serial = 0

    # ------------------------------------------------------------------ accounts and repositories
    def add_owner(self, login: str, kind: OwnerKind = "Organization", **fields: object) -> FakeOwner:
        owner = self.get_owner(login)
        if owner is None:
            owner = FakeOwner(login, kind, **fields)  # type: ignore[arg-type]
            self.owners[login] = owner
        return owner

    def add_repo(self, repo: FakeRepo) -> FakeRepo:
        """Add (or replace) a repository; its owner is created as an organization when missing."""
        owner = self.add_owner(repo.owner)
        repo.owner = owner.login
        owner.repos[repo.name] = repo
        return repo

    def remove_repo(self, owner: str, name: str) -> None:
        account = self.get_owner(owner)
        repo = account.get_repo(name) if account else None
        if account is not None and repo is not None:
            del account.repos[repo.name]

    def add_token(
        self, token: str, login: str, sees_private: bool = True, orgs: Sequence[str] = ()
    ) -> TokenInfo:
        info = TokenInfo(login, sees_private, tuple(orgs))
        self.tokens[token] = info
        return info

    def get_owner(self, login: str) -> FakeOwner | None:
        owner = self.owners.get(login)
        if owner is not None:
            return owner
        low = login.lower()
        for key, candidate in self.owners.items():
            if key.lower() == low:
                return candidate
        return None

    def get_repo(self, owner: str, name: str) -> FakeRepo | None:
        account = self.get_owner(owner)
        return account.get_repo(name) if account else None

    def user_account(self, login: str) -> FakeOwner:
        """The account a token logs in as (a transient ``User`` when the model has none)."""
        owner = self.get_owner(login)
        if owner is not None:
            return owner
        return FakeOwner(login, "User")

    def iter_repos(self) -> Iterator[FakeRepo]:
        for owner in list(self.owners.values()):
            yield from list(owner.repos.values())

    def find_repo_by_id(self, repo_id: int) -> FakeRepo | None:
        return next((r for r in self.iter_repos() if r.id == repo_id), None)

    def find_owner_by_id(self, owner_id: int) -> FakeOwner | None:
        return next((o for o in self.owners.values() if o.id == owner_id), None)

    @staticmethod
    def visible(repo: FakeRepo, token: TokenInfo | None) -> bool:
        return not repo.private or (token is not None and token.sees_private)

    # ------------------------------------------------------------------ rate limits
    def _limit_for(self, identity: str, resource: Resource) -> int:
        if identity == "":
            return self.anonymous_core_limit if resource == "core" else 0
        return self.core_limit if resource == "core" else self.graphql_limit

    def bucket(self, identity: str, resource: Resource) -> RateBucket:
        """The budget of ``identity`` (a login, ``""`` for anonymous) for ``resource``; refilled at reset."""
        with self.lock:
            key = (identity, resource)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = RateBucket(self._limit_for(identity, resource), 0, self.reset_epoch)
                self._buckets[key] = bucket
            now = int(time.time())
            if now >= bucket.reset:
                bucket.used = 0
                bucket.reset = max(self.reset_epoch, now + 3600)
                self.reset_epoch = bucket.reset
            return bucket

    def charge(self, identity: str, resource: Resource, cost: int) -> tuple[bool, RateBucket]:
        """Spend ``cost`` from the budget; ``(False, bucket)`` when it is exhausted (nothing spent)."""
        with self.lock:
            bucket = self.bucket(identity, resource)
            countdown = self._exhaust_after.get(resource)
            if countdown is not None:
                if countdown <= 0:
                    del self._exhaust_after[resource]
                    bucket.used = max(bucket.used, bucket.limit)
                else:
                    self._exhaust_after[resource] = countdown - 1
            needed = max(cost, 1) if resource == "core" else cost
            if bucket.remaining < needed or bucket.remaining == 0:
                return False, bucket
            bucket.used += cost
            return True, bucket

    def set_rate_limit(
        self,
        resource: Resource,
        *,
        limit: int | None = None,
        remaining: int | None = None,
        reset: int | None = None,
        login: str | None = None,
    ) -> None:
        """Configure a budget (for ``login``, or every authenticated identity and future ones)."""
        with self.lock:
            if login is None:
                if limit is not None:
                    if resource == "core":
                        self.core_limit = limit
                    else:
                        self.graphql_limit = limit
                if reset is not None:
                    self.reset_epoch = reset
                targets = [b for (ident, res), b in self._buckets.items() if res == resource and ident != ""]
            else:
                targets = [self.bucket(login, resource)]
            for bucket in targets:
                if limit is not None:
                    bucket.limit = limit
                if reset is not None:
                    bucket.reset = reset
                if remaining is not None:
                    bucket.used = max(0, bucket.limit - remaining)
            if login is None and remaining is not None:
                for ident in {t.login for t in self.tokens.values()}:
                    bucket = self.bucket(ident, resource)
                    bucket.used = max(0, bucket.limit - remaining)

    def exhaust_after(self, requests: int, resource: Resource = "core") -> None:
        """Let ``requests`` more requests of ``resource`` through, then the budget is exhausted."""
        with self.lock:
            self._exhaust_after[resource] = requests

    def inject_secondary_limit(
        self,
        count: int = 1,
        *,
        status: int = 403,
        retry_after: int | None = 60,
        resource: Resource | None = None,
    ) -> None:
        """Answer the next ``count`` requests (of ``resource``, or any) with a secondary rate limit."""
        with self.lock:
            self._secondary.append(SecondaryLimit(count, status, retry_after, resource))

    def take_secondary(self, resource: Resource) -> SecondaryLimit | None:
        with self.lock:
            for pending in self._secondary:
                if pending.resource in (None, resource) and pending.count > 0:
                    pending.count -= 1
                    if pending.count == 0:
                        self._secondary.remove(pending)
                    return pending
            return None

    def reset_rate_limits(self) -> None:
        with self.lock:
            self._buckets.clear()
            self._exhaust_after.clear()
            self._secondary.clear()

    # ------------------------------------------------------------------ faults
    def set_faults(
        self, rate: float, kinds: Iterable[FaultKind] = ALL_FAULT_KINDS, seed: int | None = None
    ) -> None:
        """Fail each request with probability ``rate``, with a kind drawn from ``kinds`` (seeded)."""
        with self.lock:
            self.fault_rate = rate
            self.fault_kinds = tuple(kinds)
            if seed is not None:
                self.seed = seed
                self.rng = random.Random(seed)

    def fail_next(self, kind: FaultKind, count: int = 1, resource: Resource | None = None) -> None:
        """Deterministically fail the next ``count`` requests (of ``resource``, or any) with ``kind``."""
        with self.lock:
            self._forced_faults.extend([(kind, resource)] * count)

    def roll_fault(self, resource: Resource) -> FaultKind | None:
        with self.lock:
            for i, (kind, res) in enumerate(self._forced_faults):
                if res in (None, resource) and (kind != "partial" or resource == "graphql"):
                    del self._forced_faults[i]
                    return kind
            if self.fault_rate <= 0:
                return None
            if self.rng.random() >= self.fault_rate:
                return None
            kinds = [k for k in self.fault_kinds if k != "partial" or resource == "graphql"]
            if not kinds:
                return None
            return self.rng.choice(kinds)

    # ------------------------------------------------------------------ log
    def record(self, method: str, path: str, resource: Resource, cost: int) -> None:
        with self.lock:
            self.log.append(LoggedRequest(method, path, resource, cost))
            if resource == "graphql":
                self.graphql_requests += 1
                self.graphql_points += cost
            else:
                self.rest_requests += 1

    def record_fault(self, method: str, path: str, kind: FaultKind) -> None:
        with self.lock:
            self.fault_log.append((method, path, kind))

    def next_request_id(self) -> str:
        with self.lock:
            self._request_serial += 1
            n = self._request_serial
        return (
            f"FA4E:{n >> 16:04X}:{n & 0xFFFF:04X}:{(n * 2654435761) & 0xFFFFFF:06X}:{self.seed & 0xFFFF:04X}"
        )

    def reset_counters(self) -> None:
        """Clear the request log, the fault log and the counters (not the rate-limit budgets)."""
        with self.lock:
            self.log.clear()
            self.fault_log.clear()
            self.rest_requests = 0
            self.graphql_requests = 0
            self.graphql_points = 0
