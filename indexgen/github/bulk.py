"""The GraphQL bulk scanner: the default whenever there is a token.

Repositories come 100 to a query with their first 100 tags each, peeled to commits, and no file
contents: a rebuild where nothing changed costs one query per 100 repositories. Metadata files are
then read only for commits the caller does not know, 500 commits to a query (`nodes(ids:)` ×5, one
point). A repository with more tags than a page is completed with follow-up queries, but for a
`--repo` rescan that can take the older tags from the previous build (`rescan`).

GitHub stops a query that runs longer than its time limit. When it does, the page of repositories or
the batch of commits, trees or files is halved and asked again, and stays that size for the rest of the
build (`Shrinking`): an organisation whose repositories are too heavy for 100 to a query is still listed.
"""

from __future__ import annotations

import dataclasses
import logging
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from ..errors import OwnerNotFound
from ..layouts import Discovery, file_reads, needs_tree_read, scan_layout, tree_of
from ..metadata import MAX_FILE_BYTES
from ..models import METADATA_FILES, Owner, OwnerKind, RepoSnapshot, Skip, SourceFiles, TagRef
from ..monorepo import PROJECT_FILES, KnownTree, TreeRead, metadata_key, tree_from_graphql
from .graphql import GraphQLClient, GraphQLErrors, QueryTimedOut
from .http import ApiUsage
from .rescan import carry_over
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

PAGE_SIZE = 100  # repositories a query; × TAG_PAGE_SIZE tags = 10,100 nodes, far below 500,000
TAG_PAGE_SIZE = 100
FILES_SLOTS = ("a", "b", "c", "d", "e")  # the aliased `nodes` lookups of commit_files.graphql
NODES_MAX = 100  # GitHub: `nodes(ids:)` takes at most 100 IDs
REFERENCED_SLOTS = 200  # (commit, path) lookups a commit_referenced_files query asks for, at most
TREES_PER_QUERY = 20  # default-branch trees a default_branch_trees query reads (four levels each)


MAX_TAG_CHAIN = 2  # annotated tag objects the query follows to the commit (fragments.graphql `Peeled`)

_T = TypeVar("_T")
_R = TypeVar("_R")


class Shrinking:
    """How many repositories, commits, trees or files a query asks for: halved each time GitHub runs
    out of time on a query of that size (or on a smaller last batch), down to one, and kept for the
    rest of the build."""

    def __init__(self, size: int, what: str) -> None:
        self.size = size
        self.what = what
        self._asked: int | None = None  # the batch being asked (`batches`), when it holds fewer

    def shrink(self) -> bool:
        """Halve the size, or the batch being asked when it held fewer (False when that is one
        already: nothing smaller to ask), saying so in the log."""
        before = min(self.size, self._asked or self.size)
        if before <= 1:
            return False
        self.size = before // 2
        log.warning(
            "GitHub ran out of time on a query for %d %s; asking for %d at a time",
            before,
            self.what,
            self.size,
        )
        return True

    def batches(
        self, items: Sequence[_T], ask: Callable[[Sequence[_T]], _R]
    ) -> Iterator[tuple[Sequence[_T], _R]]:
        """Each batch of `items`, `size` at a time, with `ask`'s answer for it; a batch GitHub ran out of
        time on (`ask` raised `QueryTimedOut`, having shrunk the size) is asked again, smaller."""
        start = 0
        while start < len(items):
            batch = items[start : start + self.size]
            self._asked = len(batch)
            try:
                answer = ask(batch)
            except QueryTimedOut:
                continue
            finally:
                self._asked = None
            yield batch, answer
            start += len(batch)


def _head(node: Mapping[str, Any]) -> tuple[str, str, bool]:
    """(head commit node ID, root tree oid, a project file at the root) of a listed repository's
    default branch; ("", "", False) for an empty repository."""
    target = (node.get("defaultBranchRef") or {}).get("target") or {}
    tree = target.get("tree") or {}
    names = {str(e.get("name")) for e in tree.get("entries") or () if e and e.get("type") == "blob"}
    return str(target.get("id") or ""), str(tree.get("oid") or ""), bool(names & PROJECT_FILES)


def _peel(target: Mapping[str, Any] | None) -> tuple[str, str, str] | str:
    """(commit oid, commit node id, date) behind a tag ref's target, through up to MAX_TAG_CHAIN
    annotated tags; else why there is no commit. `Tag.target` is any `GitObject`: a tree or a blob too.
    The date is the outermost tag's tagger date, else the commit's committed date."""
    tagged = ""
    while target:
        kind = str(target.get("__typename") or "object")
        if kind == "Commit":
            date = tagged or str(target.get("committedDate") or "")
            return str(target["oid"]), str(target.get("id") or ""), date
        if kind != "Tag":
            return f"the tag points to a {kind.lower()} {str(target.get('oid') or '')[:12]}, not a commit"
        if "target" not in target:
            return f"a chain of more than {MAX_TAG_CHAIN} annotated tags: its commit is not followed"
        tagged = tagged or str((target.get("tagger") or {}).get("date") or "")
        target = target["target"]
    return "the tag points to no object"


_Listed = tuple[str, tuple[TagRef, str] | str]
"""A listed tag ref: its name, and its tag with the commit's node ID or why it has no commit."""


def _listed(ref: Mapping[str, Any]) -> _Listed:
    peeled = _peel(ref.get("target"))
    if isinstance(peeled, str):
        return str(ref["name"]), peeled
    return str(ref["name"]), (TagRef(str(ref["name"]), peeled[0], peeled[2]), peeled[1])


def _listed_all(
    refs: Sequence[Mapping[str, Any]],
    names: dict[str, str] | None = None,
    known: Mapping[str, TagRef] | None = None,
) -> list[_Listed]:
    """`[_listed(ref) for ref in refs]`, with the common shapes peeled inline: a lightweight tag on a
    commit, or one annotated tag on a commit (nearly every tag of a large organisation, which lists
    hundreds of thousands). The expressions are `_peel`'s own; any other shape, and any missing key
    (a KeyError, TypeError or AttributeError here, before anything is kept), goes to `_listed`.
    `names`, when given, keeps one copy of each tag name (`v1.0.0` is a tag of most repositories);
    a tag `known` (by name) as it is listed now is that very `TagRef`, not a new one."""
    found: list[_Listed] = []
    names = {} if names is None else names
    known = known or {}
    append = found.append
    for ref in refs:
        try:
            target = ref["target"]
            if target["__typename"] == "Commit":
                date = str(target.get("committedDate") or "")
            elif target["__typename"] == "Tag" and target["target"]["__typename"] == "Commit":
                tagged = str((target.get("tagger") or {}).get("date") or "")
                target = target["target"]
                date = tagged or str(target.get("committedDate") or "")
            else:
                target = None
            if target is not None:
                name, oid = str(ref["name"]), str(target["oid"])
                tag = known.get(name)
                if tag is None or tag.commit != oid or tag.date != date:
                    name = names.setdefault(name, name)
                    tag = TagRef(name, oid, date)
                append((name, (tag, str(target.get("id") or ""))))
                continue
        except (KeyError, TypeError, AttributeError):
            pass
        append(_listed(ref))
    return found


_BY_NAME = operator.attrgetter("name")


def _tag_ref(listed: tuple[TagRef, str] | str) -> TagRef | None:
    return None if isinstance(listed, str) else listed[0]


def _kind_word(kind: OwnerKind) -> str:
    return {OwnerKind.ORG: "organisation", OwnerKind.USER: "user"}.get(kind, "organisation or user")


def _topics(node: Mapping[str, Any]) -> tuple[str, ...]:
    nodes = (node.get("repositoryTopics") or {}).get("nodes") or []
    return tuple(str(n["topic"]["name"]) for n in nodes if n and (n.get("topic") or {}).get("name"))


def _repository(node: Mapping[str, Any], tree_oid: str, tags: tuple[TagRef, ...] = ()) -> RepoSnapshot:
    """A listed repository (`RepositoryFields`) as a record."""
    url = str(node["url"])
    return RepoSnapshot(
        full_name=str(node["nameWithOwner"]),
        clone_url=url + ".git",
        html_url=url,
        created_at=str(node.get("createdAt") or ""),
        private=bool(node.get("isPrivate")),
        fork=bool(node.get("isFork")),
        archived=bool(node.get("isArchived")),
        empty=bool(node.get("isEmpty")),
        description=str(node.get("description") or ""),
        ssh_url=str(node.get("sshUrl") or ""),
        tags=tags,
        topics=_topics(node),
        tree_oid=tree_oid,
    )


def _owner_typename(kind: OwnerKind) -> str:
    return "Organization" if kind is OwnerKind.ORG else "User"


def _file(path: str, entry: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    blob = (entry or {}).get("object")
    if not blob:
        return None, None
    if blob.get("__typename") != "Blob":
        return None, None  # a directory of that name is not a metadata file
    too_large = bool(blob.get("isTruncated")) or int(blob.get("byteSize") or 0) > MAX_FILE_BYTES
    return usable_text(path, blob.get("text"), binary=bool(blob.get("isBinary")), too_large=too_large)


def files_of(commit: Mapping[str, Any]) -> SourceFiles:
    """The `CommitFiles` fragment's answer as `SourceFiles`."""
    texts: dict[str, str | None] = {}
    problems: list[str] = []
    for key, path in (("pyproject", "pyproject.toml"), ("setupCfg", "setup.cfg"), ("setupPy", "setup.py")):
        texts[key], problem = _file(path, commit.get(key))
        problems += [problem] if problem else []
    files = SourceFiles(texts["pyproject"], texts["setupCfg"], texts["setupPy"], tuple(problems))
    return relevant_files(files)


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class GraphQLScanner:
    def __init__(self, client: GraphQLClient) -> None:
        self._client = client
        # commit SHA → node ID, of the listed tags whose files may be read below the root (`_snapshot`)
        self._node_ids: dict[str, str] = {}
        self._heads: dict[str, tuple[str, bool]] = {}  # full name → (head commit node ID, root project)
        self._names: dict[str, str] = {}  # one copy of each tag name listed
        self._repositories = Shrinking(PAGE_SIZE, "repositories")
        self._commits = Shrinking(NODES_MAX * len(FILES_SLOTS), "commits' files")
        self._trees = Shrinking(TREES_PER_QUERY, "default-branch trees")
        self._lookups = Shrinking(REFERENCED_SLOTS, "files")

    @property
    def usage(self) -> ApiUsage:
        return self._client.usage

    # -- default-branch trees (monorepo discovery) -------------------------------------------------

    def _read_trees(self, heads: Mapping[str, str]) -> dict[str, TreeRead]:
        """The default-branch trees of these repositories (full name → head commit node ID),
        TREES_PER_QUERY to a query (fewer once GitHub has run out of time on one). A head commit gone
        since the listing (a push in between) has no entry: its repository is read again by the next
        build."""
        found: dict[str, TreeRead] = {}

        def ask(batch: Sequence[str]) -> dict[str, Any]:
            ids = [heads[n] for n in batch]
            return self._client.query(
                "default_branch_trees", {"ids": ids}, allow=_only_missing_trees, shrink=self._trees.shrink
            )

        for batch, data in self._trees.batches(sorted(heads), ask):
            answer = data.get("nodes") or []
            for i, name in enumerate(batch):
                commit = answer[i] if i < len(answer) else None
                read = tree_from_graphql({"defaultBranchRef": {"target": commit}}) if commit else None
                if read is not None:
                    found[name] = read
        return found

    def _discover(
        self, repos: Sequence[RepoSnapshot], need_files: NeedFiles, discovery: Discovery
    ) -> tuple[dict[str, KnownTree], list[tuple[TagRef, str]]]:
        """Each repository's projects (reading only the trees `needs_tree_read` asks for, in batches)
        and the (tag, directory) metadata reads they call for."""
        trees: dict[str, KnownTree] = {}
        to_read: dict[str, str] = {}
        for repo in repos:
            if not repo.tags:
                continue
            head, at_root = self._heads.get(repo.full_name, ("", False))
            known = discovery.known(repo.full_name)
            if discovery.configured_for(repo.full_name):
                continue
            if at_root:
                continue  # one project, the root: the listing says so on every build, nothing to keep
            if head and needs_tree_read(repo, discovery):
                to_read[repo.full_name] = head
            elif known is not None:
                trees[repo.full_name] = known
        found = self._read_trees(to_read)
        for name in to_read:
            if name in found:
                trees[name] = tree_of(name, found[name])
            elif (known := discovery.known(name)) is not None:  # head gone since the listing
                trees[name] = known
        reads: list[tuple[TagRef, str]] = []
        for repo in repos:
            layout = scan_layout(trees.get(repo.full_name), discovery.configured_for(repo.full_name))
            read = repo.full_name in found
            reads += file_reads(repo, layout, discovery, need_files, tree_read=read)
        return trees, reads

    # -- repositories and tags ---------------------------------------------------------------------

    def _more_tags(self, full_name: str, cursor: str) -> list[Mapping[str, Any]]:
        owner, name = full_name.split("/", 1)
        nodes: list[Mapping[str, Any]] = []
        while cursor:
            data = self._client.query(
                "repository_tags",
                {"owner": owner, "name": name, "cursor": cursor, "tagPageSize": TAG_PAGE_SIZE},
            )
            refs = (data.get("repository") or {}).get("refs") or {}
            nodes += refs.get("nodes") or []
            page = refs.get("pageInfo") or {}
            cursor = str(page.get("endCursor") or "") if page.get("hasNextPage") else ""
        return nodes

    def _snapshot(
        self,
        node: Mapping[str, Any],
        wanted: dict[str, str],
        need_files: NeedFiles,
        select: SelectRepo | None,
        skipped: list[Skip],
        *,
        previous: RepoSnapshot | None = None,
        discovery: Discovery | None = None,
        earlier: RepoSnapshot | None = None,
    ) -> RepoSnapshot:
        """The listed repository with its tags; `previous` may stand in for its older tags
        (`_carry`). A tag that `earlier` (the previous build's snapshot) has as it is now is that very
        `TagRef`, so an organisation's 100,000s of tags are in memory once, not once per build."""
        head, tree_oid, at_root = _head(node)
        repo = _repository(node, tree_oid)
        full_name = repo.full_name
        if repo.empty or not wants_tags(repo, select):
            return repo
        self._heads[full_name] = (head, at_root)
        refs = node.get("refs") or {}
        before = {t.name: t for t in earlier.tags} if earlier is not None else {}
        listed = _listed_all(refs.get("nodes") or [], self._names, before)
        page = refs.get("pageInfo") or {}
        carried: tuple[TagRef, ...] = ()
        if page.get("hasNextPage"):
            found = self._carry(repo, node, listed, previous, before, need_files, discovery)
            if isinstance(found, str):
                more = self._more_tags(full_name, str(page.get("endCursor") or ""))
                listed += _listed_all(more, self._names, before)
            else:
                listed, carried = found
        tags = list(carried)
        keep = tags.append
        node_ids = self._node_ids
        # A commit's node ID is needed to read its files: at the root, for the commits `need_files`
        # picks (kept in `wanted`); below it, only in a repository that discovery may find projects
        # in (`_discover`, which skips one with a project file at its root, unless configured).
        below = discovery is not None and (not at_root or bool(discovery.configured_for(full_name)))
        for name, tag in listed:
            if isinstance(tag, str):
                skipped.append(Skip(full_name, name, tag))
                continue
            ref, node_id = tag
            keep(ref)
            if below:
                node_ids[ref.commit] = node_id
            if ref.commit not in wanted and need_files(ref):
                wanted[ref.commit] = node_id
        tags.sort(key=_BY_NAME)
        return _repository(node, tree_oid, tuple(tags))  # cheaper than dataclasses.replace

    def _carry(
        self,
        repo: RepoSnapshot,
        node: Mapping[str, Any],
        first: list[_Listed],
        previous: RepoSnapshot | None,
        known: Mapping[str, TagRef],
        need_files: NeedFiles,
        discovery: Discovery | None,
    ) -> tuple[list[_Listed], tuple[TagRef, ...]] | str:
        """The tags the rescan query's two pages list (without duplicates) and the previous build's
        tags they do not show, when together they are every tag (`rescan.carry_over`) and none of the
        carried tags needs a file read (they come without node IDs); else why the tags must be paged.
        `known` holds the previous build's tags by name, taken as they are where unchanged."""
        newest_refs = node.get("newest")
        if previous is None or newest_refs is None:
            return "no previous build of the repository"
        newest = _listed_all(newest_refs.get("nodes") or [], self._names, known)
        pages = [[(name, _tag_ref(tag)) for name, tag in page] for page in (first, newest)]
        total = newest_refs.get("totalCount")
        found = carry_over(previous.tags, pages, total if isinstance(total, int) else None, pages[1])
        if isinstance(found, tuple):
            whole = (*found, *(t for page in pages for _, t in page if t is not None))
            if not self._carried_are_read(
                dataclasses.replace(repo, tags=whole), found, need_files, discovery
            ):
                found = "a carried tag's metadata is still to be read"
        if isinstance(found, str):
            log.debug("%s: listing every tag: %s", repo.full_name, found)
            return found
        names = {name for name, _ in first}
        return first + [(name, tag) for name, tag in newest if name not in names], found

    def _carried_are_read(
        self,
        repo: RepoSnapshot,
        carried: Sequence[TagRef],
        need_files: NeedFiles,
        discovery: Discovery | None,
    ) -> bool:
        """True when no carried tag will ask for a file read: at the root (`need_files`), nor, with
        discovery, in a project directory. Mirrors `_discover`, whose tree read would come too late."""
        if any(need_files(tag) for tag in carried):
            return False
        if discovery is None:
            return True
        head, at_root = self._heads.get(repo.full_name, ("", False))
        configured = discovery.configured_for(repo.full_name)
        tree = None
        if not configured and not at_root:
            if head and needs_tree_read(repo, discovery):
                return False  # which directories hold projects is known only after the tree read
            tree = discovery.known(repo.full_name)
        layout = scan_layout(tree, configured)
        return not file_reads(dataclasses.replace(repo, tags=tuple(carried)), layout, discovery, need_files)

    def _owner_pages(self, owner: Owner) -> Iterator[Mapping[str, Any]]:
        cursor: str | None = None
        while True:
            try:
                data = self._client.query(
                    "owner_repositories",
                    {
                        "login": owner.login,
                        "cursor": cursor,
                        "pageSize": self._repositories.size,
                        "tagPageSize": TAG_PAGE_SIZE,
                    },
                    allow=lambda exc: exc.types() == {"NOT_FOUND"},
                    shrink=self._repositories.shrink,
                )
            except QueryTimedOut:
                continue  # the same page, smaller
            found = data.get("repositoryOwner")
            kinds = (
                ("Organization", "User") if owner.kind is OwnerKind.ANY else (_owner_typename(owner.kind),)
            )
            if not found or found.get("__typename") not in kinds:
                raise OwnerNotFound(owner.login, _kind_word(owner.kind))
            connection = found["repositories"]
            yield connection
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return
            cursor = page.get("endCursor")

    # -- metadata files ----------------------------------------------------------------------------

    def _read_files(
        self,
        wanted: Mapping[str, str],
        progress: Progress,
        directories: Sequence[tuple[str, str]] = (),
    ) -> tuple[dict[str, SourceFiles], set[str]]:
        """The files at the wanted commits' roots and at the (commit, directory) pairs, and the node
        IDs of commits that are gone."""
        files: dict[str, SourceFiles] = {}
        gone: set[str] = set()
        if directories:
            files.update(self._read_directories(directories, gone))
            progress.advance(files=len(directories))
        ids = sorted(node_id for node_id in wanted.values() if node_id)

        def ask(batch: Sequence[str]) -> tuple[dict[str, list[str]], dict[str, Any]]:
            slots = [list(chunk) for chunk in _chunks(batch, NODES_MAX)]
            variables = {slot: slots[i] if i < len(slots) else [] for i, slot in enumerate(FILES_SLOTS)}
            # A commit force-pushed away since its tag was listed: its entry is null, with a NOT_FOUND
            # error at its path. Its tags are skipped; the other commits of the batch are used.
            answer = self._client.query(
                "commit_files", variables, allow=_only_missing_nodes, shrink=self._commits.shrink
            )
            return variables, answer

        for batch, (variables, data) in self._commits.batches(ids, ask):
            for slot in FILES_SLOTS:
                answer = data.get(slot) or []
                for j, node_id in enumerate(variables[slot]):
                    commit = answer[j] if j < len(answer) else None
                    if commit and commit.get("oid"):
                        files[str(commit["oid"])] = files_of(commit)
                    else:
                        gone.add(node_id)
            progress.advance(files=len(batch))
        node_ids = {**self._node_ids, **wanted}
        return follow_references(files, lambda pairs: self._read_referenced(pairs, node_ids)), gone

    def _read_directories(self, pairs: Sequence[tuple[str, str]], gone: set[str]) -> dict[str, SourceFiles]:
        """The metadata files of projects below the root, keyed `<sha>:<dir>`: three (commit, path)
        lookups each through commit_referenced_files (a path cannot be built inside a query)."""
        lookups = [(sha, f"{directory}/{name}") for sha, directory in pairs for name in METADATA_FILES]
        texts: dict[tuple[str, str], tuple[str | None, str | None]] = {}
        for (sha, path), commit in self._look_up(lookups, self._node_ids, allow=_only_missing_lookups):
            if not commit:
                gone.add(self._node_ids[sha])
                continue
            texts[(sha, path)] = _file(path, commit.get("file"))
        files: dict[str, SourceFiles] = {}
        for sha, directory in pairs:
            if self._node_ids[sha] in gone:
                continue
            found = [texts.get((sha, f"{directory}/{name}"), (None, None)) for name in METADATA_FILES]
            problems = tuple(problem for _, problem in found if problem)
            source = SourceFiles(found[0][0], found[1][0], found[2][0], problems)
            files[metadata_key(sha, directory)] = relevant_files(source)
        return files

    def _without_gone(
        self, repos: Sequence[RepoSnapshot], wanted: Mapping[str, str], gone: set[str], skipped: list[Skip]
    ) -> tuple[RepoSnapshot, ...]:
        """The repositories without the tags whose commit is gone, each skipped with its reason."""
        if not gone:
            return tuple(repos)
        lost = {sha for sha, node_id in {**self._node_ids, **wanted}.items() if node_id in gone}
        kept: list[RepoSnapshot] = []
        for repo in repos:
            for tag in repo.tags:
                if tag.commit in lost:
                    reason = f"commit {tag.commit[:12]} is gone (force-pushed away?) since the tag was listed"
                    skipped.append(Skip(repo.full_name, tag.name, reason))
            kept.append(dataclasses.replace(repo, tags=tuple(t for t in repo.tags if t.commit not in lost)))
        return tuple(kept)

    def _read_referenced(
        self, pairs: Sequence[tuple[str, str]], node_ids: Mapping[str, str]
    ) -> dict[tuple[str, str], str | None]:
        """Files the metadata refers to."""
        usable = [(commit, path) for commit, path in pairs if node_ids.get(commit)]
        found: dict[tuple[str, str], str | None] = {}
        for (commit, path), answer in self._look_up(usable, node_ids):
            found[(commit, path)], _ = _file(path, (answer or {}).get("file"))
        return found

    def _look_up(
        self,
        pairs: Sequence[tuple[str, str]],
        node_ids: Mapping[str, str],
        allow: Callable[[GraphQLErrors], bool] | None = None,
    ) -> Iterator[tuple[tuple[str, str], Mapping[str, Any] | None]]:
        """Each (commit SHA, path) pair with its commit's answer (None: the commit is gone), through
        commit_referenced_files: as many pairs a query as `_lookups` allows, one aliased lookup each."""

        def ask(batch: Sequence[tuple[str, str]]) -> dict[str, Any]:
            variables: dict[str, str] = {}
            for i, (commit, path) in enumerate(batch):
                variables[f"c{i}"], variables[f"p{i}"] = node_ids[commit], path
            return self._client.query(
                "commit_referenced_files",
                variables,
                allow=allow,
                shrink=self._lookups.shrink,
                lookups=len(batch),
            )

        for batch, data in self._lookups.batches(pairs, ask):
            for i, pair in enumerate(batch):
                yield pair, data.get(f"f{i}")

    # -- the scans ---------------------------------------------------------------------------------

    def _finish(
        self,
        repos: Sequence[RepoSnapshot],
        wanted: dict[str, str],
        skipped: list[Skip],
        need_files: NeedFiles,
        progress: Progress,
        discovery: Discovery | None,
    ) -> ScanResult:
        """Discover projects below the roots (with `discovery`), read the files, drop gone commits."""
        trees: dict[str, KnownTree] = {}
        directories: list[tuple[str, str]] = []
        if discovery is not None:
            trees, reads = self._discover(repos, need_files, discovery)
            for tag, directory in reads:
                if directory:
                    directories.append((tag.commit, directory))
                else:
                    if tag.commit not in wanted:
                        wanted[tag.commit] = self._node_ids[tag.commit]
        files, gone = self._read_files(wanted, progress, directories)
        progress.finish()
        kept = self._without_gone(repos, wanted, gone, skipped)
        # What the reads needed, one entry per listed commit of a large organisation, is not kept
        # through the rest of the build (the scanner is, for its usage figures).
        self._node_ids.clear()
        self._heads.clear()
        return ScanResult(kept, files, tuple(skipped), trees)

    def scan_owners(
        self,
        owners: Sequence[Owner],
        need_files: NeedFiles,
        progress: Progress,
        *,
        select: SelectRepo | None = None,
        discovery: Discovery | None = None,
        known: Mapping[str, RepoSnapshot] | None = None,
    ) -> ScanResult:
        repos: list[RepoSnapshot] = []
        wanted: dict[str, str] = {}
        skipped: list[Skip] = []
        known = known or {}
        for owner in owners:
            started = False
            for connection in self._owner_pages(owner):
                if not started:
                    progress.start(owner.login, int(connection.get("totalCount") or 0))
                    started = True
                for node in connection.get("nodes") or []:
                    earlier = known.get(str(node.get("nameWithOwner") or "").lower())
                    repo = self._snapshot(
                        node, wanted, need_files, select, skipped, discovery=discovery, earlier=earlier
                    )
                    repos.append(repo)
                    progress.advance(repos=1, tags=len(repo.tags))
        return self._finish(repos, wanted, skipped, need_files, progress, discovery)

    def scan_repos(
        self,
        full_names: Sequence[str],
        need_files: NeedFiles,
        progress: Progress,
        *,
        select: SelectRepo | None = None,
        discovery: Discovery | None = None,
        known: Mapping[str, RepoSnapshot] | None = None,
    ) -> ScanResult:
        repos: list[RepoSnapshot] = []
        wanted: dict[str, str] = {}
        skipped: list[Skip] = []
        progress.start(", ".join(full_names), len(full_names))
        for full_name in full_names:
            owner, name = full_name.split("/", 1)
            # A repository the previous build listed: its newest tags come along, so that its older
            # tags may be taken from that build instead of paged through (`rescan`).
            previous = (known or {}).get(full_name.lower())
            data = self._client.query(
                "repository" if previous is None else "repository_rescan",
                {"owner": owner, "name": name, "tagPageSize": TAG_PAGE_SIZE},
                allow=lambda exc: exc.types() == {"NOT_FOUND"},
            )
            node = data.get("repository")
            if not node:
                raise OwnerNotFound(full_name, "repository")
            repos.append(
                self._snapshot(
                    node,
                    wanted,
                    need_files,
                    select,
                    skipped,
                    previous=previous,
                    discovery=discovery,
                    earlier=(known or {}).get(full_name.lower()),
                )
            )
            progress.advance(repos=1, tags=len(repos[-1].tags))
        return self._finish(repos, wanted, skipped, need_files, progress, discovery)


def _only_missing_trees(exc: GraphQLErrors) -> bool:
    """True when every error is a head commit of `nodes(ids:)` that is gone (NOT_FOUND at
    `["nodes", index]`)."""
    return all(
        e.get("type") == "NOT_FOUND" and len(e.get("path") or []) == 2 and e["path"][0] == "nodes"
        for e in exc.errors
    )


def _only_missing_lookups(exc: GraphQLErrors) -> bool:
    """True when every error is an aliased `node(id:)` lookup of a commit that is gone (NOT_FOUND at
    `["f<i>"]`): the other lookups' answers are good."""
    return all(
        e.get("type") == "NOT_FOUND" and len(e.get("path") or []) == 1 and str(e["path"][0]).startswith("f")
        for e in exc.errors
    )


def _only_missing_nodes(exc: GraphQLErrors) -> bool:
    """True when every error is a lookup of `nodes(ids:)` that found nothing (`NOT_FOUND` at
    `[slot, index]`): the answer's other entries are good."""
    return all(
        e.get("type") == "NOT_FOUND" and len(e.get("path") or []) == 2 and e["path"][0] in FILES_SLOTS
        for e in exc.errors
    )
