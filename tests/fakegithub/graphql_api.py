"""GraphQL endpoint of the fake GitHub server, executed for real with graphql-core.

Queries run against the hand-written subset SDL ``schema.graphql`` with resolvers reading the in-memory
model.  GitHub's rules are enforced: ``first``/``last`` within 1-100 (``EXCESSIVE_PAGINATION``), one of them
required (``MISSING_PAGINATION_BOUNDARIES``), the 500,000-node limit (``MAX_NODE_LIMIT_EXCEEDED``), the
documented point cost (sum over connections of the requests needed, / 100, rounded, minimum 1), and GitHub's
error shapes (``type``/``path``/``locations``/``message`` at the top level of each error).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from graphql import (
    BooleanValueNode,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    build_schema,
    execute,
    get_named_type,
    parse,
    print_ast,
    print_type,
    validate,
)
from graphql.execution.values import get_variable_values

from .model import (
    BLOB_TEXT_LIMIT,
    FakeGitHub,
    FakeOwner,
    FakeRepo,
    FakeTag,
    TokenInfo,
    git_blob_sha,
    git_tree_sha,
    legacy_node_id,
)

SCHEMA_PATH = Path(__file__).with_name("schema.graphql")
#: graphql-core >= 3.3 makes ``GraphQLResolveInfo`` generic; 3.2 does not.
Info = GraphQLResolveInfo  # type: ignore[type-arg,unused-ignore]
MAX_PAGE = 100
MAX_NODES = 500_000
COULD_NOT_RESPOND_IN_TIME = (
    "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request "
    "and contact us if the problem persists."
)
NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
SOMETHING_WENT_WRONG = (
    "Something went wrong while executing your query. This may be the result of a timeout, or it could be "
    "a GitHub bug. Please include `{request_id}` when reporting this issue."
)

_schema_lock = threading.Lock()
_schema: GraphQLSchema | None = None
_doc_cache: dict[str, tuple[DocumentNode | None, list[dict[str, Any]]]] = {}


def get_schema() -> GraphQLSchema:
    """The subset schema, built once per process."""
    global _schema
    with _schema_lock:
        if _schema is None:
            _schema = build_schema(SCHEMA_PATH.read_text(encoding="utf-8"))
        return _schema


def schema_sdl(type_name: str) -> str:
    return print_type(get_schema().type_map[type_name])


NODES_LIMIT = 100  # `nodes(ids:)`: more IDs are an ARGUMENT_LIMIT error, measured on github.com


class GitHubGraphQLError(GraphQLError):
    """A resolver error carrying GitHub's error ``type`` (moved to the top level when formatted)."""

    def __init__(self, error_type: str | None, message: str) -> None:
        super().__init__(message, extensions={"type": error_type} if error_type else None)


# ---------------------------------------------------------------------------------------------- cost
@dataclass
class Analysis:
    requests: int = 0
    nodes: int = 0
    node_error: str | None = None
    dry_run: bool = False

    @property
    def cost(self) -> int:
        """GitHub's documented formula: requests / 100, rounded to nearest, minimum 1."""
        return max(1, int(self.requests / 100 + 0.5))


def _arg_int(node: FieldNode, name: str, variables: dict[str, Any], defaults: dict[str, Any]) -> int | None:
    for arg in node.arguments or ():
        if arg.name.value != name:
            continue
        value = arg.value
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            raw = variables.get(value.name.value, defaults.get(value.name.value))
            return raw if isinstance(raw, int) and not isinstance(raw, bool) else None
    return None


def _arg_bool(node: FieldNode, name: str, variables: dict[str, Any], defaults: dict[str, Any]) -> bool:
    for arg in node.arguments or ():
        if arg.name.value == name:
            if isinstance(arg.value, BooleanValueNode):
                return bool(arg.value.value)
            if isinstance(arg.value, VariableNode):
                return bool(variables.get(arg.value.name.value, defaults.get(arg.value.name.value)))
    return False


def _included(node: Any, variables: dict[str, Any], defaults: dict[str, Any]) -> bool:
    for directive in getattr(node, "directives", None) or ():
        for arg in directive.arguments or ():
            if arg.name.value != "if":
                continue
            value = arg.value
            if isinstance(value, BooleanValueNode):
                flag = bool(value.value)
            elif isinstance(value, VariableNode):
                flag = bool(variables.get(value.name.value, defaults.get(value.name.value)))
            else:
                continue
            if (directive.name.value == "include" and not flag) or (directive.name.value == "skip" and flag):
                return False
    return True


def select_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        return next((o for o in operations if o.name and o.name.value == operation_name), None)
    return operations[0] if len(operations) == 1 else None


def analyze(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: dict[str, Any]
) -> Analysis:
    """Count the requests and nodes a query needs, assuming every connection fills its ``first``/``last``."""
    result = Analysis()
    operation = select_operation(document, operation_name)
    if operation is None:
        return result
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    defaults: dict[str, Any] = {}
    for var in operation.variable_definitions or ():
        if isinstance(var.default_value, IntValueNode):
            defaults[var.variable.name.value] = int(var.default_value.value)
        elif isinstance(var.default_value, BooleanValueNode):
            defaults[var.variable.name.value] = var.default_value.value
    root = schema.query_type
    assert root is not None

    def walk(
        selection_set: SelectionSetNode, parent: GraphQLNamedType, multiplicity: int, seen: frozenset[str]
    ) -> None:
        for sel in selection_set.selections:
            if not _included(sel, variables, defaults):
                continue  # @include(if: false) / @skip(if: true): GitHub neither resolves nor charges it
            if isinstance(sel, FieldNode):
                name = sel.name.value
                fields = getattr(parent, "fields", None)
                if name.startswith("__") or not fields or name not in fields:
                    continue
                fdef = fields[name]
                named = get_named_type(fdef.type)
                if name == "rateLimit" and parent is root and _arg_bool(sel, "dryRun", variables, defaults):
                    result.dry_run = True
                child_multiplicity = multiplicity
                if named.name.endswith("Connection") and "first" in fdef.args:
                    first = _arg_int(sel, "first", variables, defaults)
                    last = _arg_int(sel, "last", variables, defaults)
                    page = max(first or 0, last or 0)
                    result.requests += multiplicity
                    result.nodes += multiplicity * page
                    if result.nodes > MAX_NODES and result.node_error is None:
                        result.node_error = (
                            f"By the time this query traverses to the {name} connection, it is requesting "
                            f"up to {result.nodes:,} possible nodes which exceeds the maximum limit of "
                            f"{MAX_NODES:,}."
                        )
                    child_multiplicity = multiplicity * page
                if sel.selection_set is not None:
                    walk(sel.selection_set, named, child_multiplicity, seen)
            elif isinstance(sel, InlineFragmentNode):
                target = schema.get_type(sel.type_condition.name.value) if sel.type_condition else parent
                walk(sel.selection_set, target or parent, multiplicity, seen)
            elif isinstance(sel, FragmentSpreadNode):
                frag = fragments.get(sel.name.value)
                if frag is None or frag.name.value in seen:
                    continue
                target = schema.get_type(frag.type_condition.name.value) or parent
                walk(frag.selection_set, target, multiplicity, seen | {frag.name.value})

    walk(operation.selection_set, root, 1, frozenset())
    return result


# ---------------------------------------------------------------------------------------------- resolvers
@dataclass
class Context:
    gh: FakeGitHub
    token: TokenInfo
    analysis: Analysis
    rate: dict[str, Any]
    request_id: str
    dry_run: bool = False
    fail_at: int | None = None
    calls: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class GqlObject:
    """A resolved GraphQL object: scalar ``fields`` plus ``gql_<field>`` methods for the rest."""

    typename = ""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.fields: dict[str, Any] = {}


def _field_resolver(source: Any, info: Info, **args: Any) -> Any:
    """Scalar ``fields`` first, then ``gql_<name>(info, **args)`` resolvers, then lazy ``f_<name>()``."""
    name = info.field_name
    if isinstance(source, GqlObject) and name in source.fields:
        return source.fields[name]
    method = getattr(source, "gql_" + name, None)
    if method is not None:
        ctx: Context = info.context
        ctx.calls += 1
        if ctx.fail_at is not None and ctx.calls == ctx.fail_at:
            raise GraphQLError(SOMETHING_WENT_WRONG.format(request_id=ctx.request_id))
        return method(info, **args)
    if isinstance(source, GqlObject):
        lazy = getattr(source, "f_" + name, None)
        return lazy() if lazy is not None else None
    if isinstance(source, dict):
        return source.get(name)
    return getattr(source, name, None)


def _type_resolver(value: Any, info: Info, abstract_type: Any) -> str | None:
    return value.typename if isinstance(value, GqlObject) else None


def _selects(info: Info, names: set[str]) -> bool:
    for node in info.field_nodes:
        stack = [node.selection_set] if node.selection_set else []
        while stack:
            sset = stack.pop()
            for sel in sset.selections:
                if isinstance(sel, FieldNode) and sel.name.value in names:
                    return True
                if isinstance(sel, InlineFragmentNode):
                    stack.append(sel.selection_set)
                if isinstance(sel, FragmentSpreadNode):
                    frag = info.fragments.get(sel.name.value)
                    if frag is not None:
                        stack.append(frag.selection_set)
    return False


def _encode_cursor(kind: str, index: int) -> str:
    raw = f"cursor:v2:{index}" if kind == "repo" else str(index + 1)
    return base64.b64encode(raw.encode()).decode()


def _decode_cursor(kind: str, cursor: str) -> int:
    invalid = GitHubGraphQLError(
        "INVALID_CURSOR_ARGUMENTS", f"`{cursor}` does not appear to be a valid cursor."
    )
    try:
        raw = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise invalid from None
    if kind == "repo":
        if not raw.startswith("cursor:v2:"):
            raise invalid
        raw = raw[len("cursor:v2:") :]
        offset = 0
    else:
        offset = 1
    if not raw.isdigit():
        raise invalid
    return int(raw) - offset


def connection(
    info: Info,
    items: Sequence[Any],
    args: dict[str, Any],
    wrap: Callable[[Any], GqlObject],
    kind: str,
) -> dict[str, Any]:
    """A Relay connection over ``items`` with GitHub's pagination rules; ``wrap`` only the returned page."""
    field_name = info.field_name
    first, last = args.get("first"), args.get("last")
    for arg_name, value in (("first", first), ("last", last)):
        if value is not None and value > MAX_PAGE:
            raise GitHubGraphQLError(
                "EXCESSIVE_PAGINATION",
                f"Requesting {value} records on the `{field_name}` connection exceeds the `{arg_name}` limit "
                f"of {MAX_PAGE} records.",
            )
        if value is not None and value < 0:
            raise GitHubGraphQLError(
                "UNPROCESSABLE", f"`{arg_name}` on the `{field_name}` connection cannot be less than zero."
            )
    if first is None and last is None and _selects(info, {"nodes", "edges"}):
        raise GitHubGraphQLError(
            "MISSING_PAGINATION_BOUNDARIES",
            f"You must provide a `first` or `last` value to properly paginate the `{field_name}` connection.",
        )
    start, end = 0, len(items)
    if args.get("after") is not None:
        start = max(start, _decode_cursor(kind, args["after"]) + 1)
    if args.get("before") is not None:
        end = min(end, _decode_cursor(kind, args["before"]))
    if first is not None:
        end = min(end, start + first)
    if last is not None:
        start = max(start, end - last)
    start = min(start, len(items))
    end = max(end, start)
    page = [(i, wrap(items[i])) for i in range(start, end)]
    edges = [{"cursor": _encode_cursor(kind, i), "node": node} for i, node in page]
    return {
        "totalCount": len(items),
        "totalDiskUsage": 0,
        "edges": edges,
        "nodes": [node for _, node in page],
        "pageInfo": {
            "hasNextPage": end < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _ext(path: str) -> str | None:
    name = path.rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[1] if "." in name.strip(".") else None


class OwnerObj(GqlObject):
    def __init__(self, ctx: Context, owner: FakeOwner) -> None:
        super().__init__(ctx)
        self.owner = owner
        self.typename = owner.kind
        web = ctx.gh.web_base
        kind = "Organization" if owner.kind == "Organization" else "User"
        self.fields = {
            "id": legacy_node_id(kind, str(owner.id)),
            "databaseId": owner.id,
            "login": owner.login,
            "name": owner.name,
            "description": owner.description,
            "createdAt": owner.created_at,
            "url": f"{web}/{owner.login}",
            "resourcePath": f"/{owner.login}",
        }

    def gql_avatarUrl(self, info: Info, size: int | None = None) -> str:
        url = f"https://avatars.example.test/u/{self.owner.id}?v=4"
        return f"{url}&s={size}" if size else url

    def gql_repositories(self, info: Info, **args: Any) -> dict[str, Any]:
        ctx, gh = self.ctx, self.ctx.gh
        repos = list(self.owner.repos.values())
        affiliations = set(args.get("ownerAffiliations") or ["OWNER"]) | set(args.get("affiliations") or [])
        if (
            self.owner.kind == "User"
            and "ORGANIZATION_MEMBER" in affiliations
            and self.owner.login.lower() == ctx.token.login.lower()
        ):
            for org in ctx.token.orgs:
                account = gh.get_owner(org)
                if account is not None:
                    repos.extend(account.repos.values())
        repos = [r for r in repos if gh.visible(r, ctx.token)]
        privacy = args.get("privacy") or args.get("visibility")
        if privacy == "PUBLIC":
            repos = [r for r in repos if not r.private]
        elif privacy in ("PRIVATE", "INTERNAL"):
            repos = [r for r in repos if r.private] if privacy == "PRIVATE" else []
        if args.get("isFork") is not None:
            repos = [r for r in repos if r.fork == args["isFork"]]
        if args.get("isArchived") is not None:
            repos = [r for r in repos if r.archived == args["isArchived"]]
        if args.get("isLocked"):
            repos = []
        if args.get("hasIssuesEnabled") is False:
            repos = []
        order = args.get("orderBy") or {"field": "CREATED_AT", "direction": "ASC"}
        keys: dict[str, Callable[[FakeRepo], Any]] = {
            "CREATED_AT": lambda r: (r.created_at, r.id),
            "NAME": lambda r: r.name.lower(),
            "PUSHED_AT": lambda r: (r.pushed_at, r.id),
            "UPDATED_AT": lambda r: (r.updated_at or r.pushed_at, r.id),
            "STARGAZERS": lambda r: (0, r.id),
        }
        repos.sort(key=keys[order["field"]], reverse=order["direction"] == "DESC")
        return connection(info, repos, args, lambda r: RepoObj(ctx, r), "repo")

    def gql_repository(
        self,
        info: Info,
        name: str,
        followRenames: bool = True,  # noqa: N803
    ) -> RepoObj | None:
        repo = self.owner.get_repo(name)
        if repo is None or not self.ctx.gh.visible(repo, self.ctx.token):
            raise GitHubGraphQLError(
                "NOT_FOUND", f"Could not resolve to a Repository with the name '{self.owner.login}/{name}'."
            )
        return RepoObj(self.ctx, repo)


def _all_refs(repo: FakeRepo) -> list[tuple[str, str, FakeTag | None]]:
    """``(qualified name, commit, tag)`` for the default branch and every tag."""
    head = repo.head_commit()
    refs: list[tuple[str, str, FakeTag | None]] = (
        [(f"refs/heads/{repo.default_branch}", head, None)] if head else []
    )
    refs.extend((f"refs/tags/{t.name}", t.commit, t) for t in repo.live_tags())
    return refs


def _creator_date(repo: FakeRepo, match: tuple[str, str, FakeTag | None]) -> datetime:
    """A ref's `TAG_COMMIT_DATE` key, as an instant (a tagger's date may carry a zone)."""
    _, commit, tag = match
    stamp = repo.creator_date(tag) if tag is not None else repo.commit_date(commit)
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


class RepoObj(GqlObject):
    typename = "Repository"

    def __init__(self, ctx: Context, repo: FakeRepo) -> None:
        super().__init__(ctx)
        self.repo = repo
        self.fields = {
            "archivedAt": repo.pushed_at if repo.archived else None,
            "createdAt": repo.created_at,
            "databaseId": repo.id,
            "description": repo.description,
            "diskUsage": 0 if repo.empty else 1,
            "id": legacy_node_id("Repository", str(repo.id)),
            "isArchived": repo.archived,
            "isDisabled": repo.disabled,
            "isEmpty": repo.empty,
            "isFork": repo.fork,
            "isLocked": False,
            "isPrivate": repo.private,
            "name": repo.name,
            "nameWithOwner": repo.full_name,
            "pushedAt": repo.pushed_at,
            "resourcePath": f"/{repo.full_name}",
            "sshUrl": repo.ssh_url,
            "updatedAt": repo.updated_at or repo.pushed_at,
            "url": repo.html_url,
            "visibility": "PRIVATE" if repo.private else "PUBLIC",
        }

    def gql_owner(self, info: Info) -> OwnerObj:
        owner = self.ctx.gh.get_owner(self.repo.owner) or FakeOwner(self.repo.owner)
        return OwnerObj(self.ctx, owner)

    def gql_defaultBranchRef(self, info: Info) -> RefObj | None:  # noqa: N802
        head = self.repo.head_commit()
        if head is None:
            return None
        return RefObj(self.ctx, self.repo, "refs/heads/", self.repo.default_branch, head, None)

    def gql_refs(self, info: Info, refPrefix: str, **args: Any) -> dict[str, Any]:  # noqa: N803
        repo = self.repo
        matches = [
            (full[len(refPrefix) :], commit, tag)
            for full, commit, tag in _all_refs(repo)
            if full.startswith(refPrefix) and len(full) > len(refPrefix)
        ]
        if args.get("query"):
            matches = [m for m in matches if args["query"] in m[0]]
        order = args.get("orderBy")
        direction = (order or {}).get("direction") or args.get("direction") or "ASC"
        if order and order["field"] == "TAG_COMMIT_DATE":
            # Documented as "underlying commit date"; GitHub is reported to order annotated tags by
            # their tagger's date (renovatebot/renovate#16374), as git's `creatordate` does.
            matches.sort(key=lambda m: (_creator_date(repo, m), m[0]), reverse=direction == "DESC")
        else:
            matches.sort(key=lambda m: m[0], reverse=direction == "DESC")
        ctx = self.ctx
        return connection(
            info, matches, args, lambda m: RefObj(ctx, repo, refPrefix, m[0], m[1], m[2]), "ref"
        )

    def gql_repositoryTopics(self, info: Info, **args: Any) -> dict[str, Any]:  # noqa: N802
        ctx, repo = self.ctx, self.repo
        return connection(info, list(repo.topics), args, lambda name: TopicLinkObj(ctx, repo, name), "topic")

    def gql_ref(self, info: Info, qualifiedName: str) -> RefObj | None:  # noqa: N803
        for full, commit, tag in _all_refs(self.repo):
            short = full.split("/", 2)[2]
            if qualifiedName in (full, short):
                prefix = full[: len(full) - len(short)]
                return RefObj(self.ctx, self.repo, prefix, short, commit, tag)
        return None

    def gql_object(
        self, info: Info, expression: str | None = None, oid: str | None = None
    ) -> GqlObject | None:
        repo, ctx = self.repo, self.ctx
        if oid is not None:
            oid = oid.lower()
            tag = next((t for t in repo.live_tags() if t.annotated and t.object_sha == oid), None)
            if tag is not None:
                return TagObj(ctx, repo, tag)
            return CommitObj(ctx, repo, oid) if repo.known_commit(oid) else None
        if not expression:
            return None
        rev, sep, path = expression.partition(":")
        commit = repo.resolve_commit(rev or "HEAD")
        if commit is None:
            return None
        if not sep:
            tag = repo.find_tag(rev.removeprefix("refs/tags/"))
            if tag is not None and tag.annotated:
                return TagObj(ctx, repo, tag)
            return CommitObj(ctx, repo, commit)
        return tree_object(ctx, repo, commit, path.strip("/"))


class TopicLinkObj(GqlObject):
    """A `RepositoryTopic`: the link from a repository to its `Topic` (`{id, name}`)."""

    typename = "RepositoryTopic"

    def __init__(self, ctx: Context, repo: FakeRepo, name: str) -> None:
        super().__init__(ctx)
        self.fields = {
            "id": legacy_node_id("RepositoryTopic", f"{repo.id}:{name}"),
            "topic": {"id": legacy_node_id("Topic", name), "name": name},
        }


class RefObj(GqlObject):
    typename = "Ref"

    def __init__(
        self, ctx: Context, repo: FakeRepo, prefix: str, name: str, commit: str, tag: FakeTag | None
    ) -> None:
        super().__init__(ctx)
        self.repo, self.commit, self.tag = repo, commit, tag
        self.fields = {
            "id": legacy_node_id("Ref", f"{repo.id}:{prefix}{name}"),
            "name": name,
            "prefix": prefix,
        }

    def gql_repository(self, info: Info) -> RepoObj:
        return RepoObj(self.ctx, self.repo)

    def gql_target(self, info: Info) -> GqlObject:
        if self.tag is not None and self.tag.annotated:
            return TagObj(self.ctx, self.repo, self.tag)
        if self.tag is not None:
            return tag_end(self.ctx, self.repo, self.tag)
        return CommitObj(self.ctx, self.repo, self.commit)


class _GitObj(GqlObject):
    def __init__(self, ctx: Context, repo: FakeRepo, oid: str, commit: str, kind: str) -> None:
        super().__init__(ctx)
        self.repo = repo
        self.commit = commit
        self.kind = kind
        self.fields = {"oid": oid, "abbreviatedOid": oid[:7]}

    def f_id(self) -> str:
        return legacy_node_id(self.kind, f"{self.repo.id}:{self.fields['oid']}")

    def f_commitUrl(self) -> str:  # noqa: N802
        return f"{self.repo.html_url}/commit/{self.commit}"

    def f_commitResourcePath(self) -> str:  # noqa: N802
        return f"/{self.repo.full_name}/commit/{self.commit}"

    def gql_repository(self, info: Info) -> RepoObj:
        return RepoObj(self.ctx, self.repo)


class CommitObj(_GitObj):
    typename = "Commit"

    def __init__(self, ctx: Context, repo: FakeRepo, sha: str) -> None:
        super().__init__(ctx, repo, sha, sha, "Commit")

    def f_committedDate(self) -> str:  # noqa: N802
        return self.repo.commit_date(self.commit)

    def f_message(self) -> str:
        return f"Commit {self.commit[:7]}"

    def f_url(self) -> str:
        return f"{self.repo.html_url}/commit/{self.commit}"

    def f_tarballUrl(self) -> str:  # noqa: N802
        return f"{self.repo.html_url}/tarball/{self.commit}"

    def f_zipballUrl(self) -> str:  # noqa: N802
        return f"{self.repo.html_url}/zipball/{self.commit}"

    def gql_file(self, info: Info, path: str) -> TreeEntryObj | None:
        path = path.strip("/")
        if not path:
            return None
        files = self.repo.files_at(self.commit)
        if path in files:
            return TreeEntryObj(self.ctx, self.repo, self.commit, path, files[path])
        if any(name.startswith(path + "/") for name in files):
            return TreeEntryObj(self.ctx, self.repo, self.commit, path, None)
        return None

    def gql_tree(self, info: Info) -> TreeObj:
        return TreeObj(self.ctx, self.repo, self.commit, "")


class TagObj(_GitObj):
    typename = "Tag"

    def __init__(self, ctx: Context, repo: FakeRepo, tag: FakeTag, level: int = 1) -> None:
        super().__init__(ctx, repo, tag.level_sha(level), tag.commit, "Tag")
        self.tag, self.level = tag, level
        self.fields.update({"name": tag.name, "message": tag.message or f"Release {tag.name}\n"})
        date = repo.tagger_date(tag)
        self.fields["tagger"] = {"date": date, "email": "tagger@example.test", "name": "Tagger"}

    def gql_target(self, info: Info) -> GqlObject:
        """`Tag.target` is any `GitObject`: the next tag object of a chain, or what the chain ends at."""
        if self.level < self.tag.depth:
            return TagObj(self.ctx, self.repo, self.tag, self.level + 1)
        return tag_end(self.ctx, self.repo, self.tag)


def tag_end(ctx: Context, repo: FakeRepo, tag: FakeTag) -> GqlObject:
    """The object a tag finally points at: a commit, or a tree or a blob of that id."""
    if tag.target_type == "commit":
        return CommitObj(ctx, repo, tag.commit)
    end: _GitObj = (
        TreeObj(ctx, repo, tag.commit, "")
        if tag.target_type == "tree"
        else BlobObj(ctx, repo, tag.commit, b"")
    )
    end.fields["oid"] = tag.commit
    return end


class BlobObj(_GitObj):
    typename = "Blob"

    def __init__(self, ctx: Context, repo: FakeRepo, commit: str, data: bytes) -> None:
        super().__init__(ctx, repo, git_blob_sha(data), commit, "Blob")
        binary = b"\0" in data[:8000]
        truncated = len(data) > BLOB_TEXT_LIMIT
        self.fields.update(
            {
                "byteSize": len(data),
                "isBinary": binary,
                "isTruncated": truncated,
                "text": None if binary else data[:BLOB_TEXT_LIMIT].decode("utf-8", "replace"),
            }
        )


def tree_oid(repo: FakeRepo, commit: str, directory: str) -> str:
    return git_tree_sha(repo.files_at(commit), directory)


class TreeObj(_GitObj):
    typename = "Tree"

    def __init__(self, ctx: Context, repo: FakeRepo, commit: str, directory: str) -> None:
        super().__init__(ctx, repo, tree_oid(repo, commit, directory), commit, "Tree")
        self.directory = directory

    def gql_entries(self, info: Info) -> list[TreeEntryObj]:
        files = self.repo.files_at(self.commit)
        prefix = self.directory + "/" if self.directory else ""
        children: dict[str, bool] = {}
        for name in files:
            if name.startswith(prefix):
                head, sep, _ = name[len(prefix) :].partition("/")
                children[head] = children.get(head, False) or bool(sep)
        entries = []
        for child, is_dir in sorted(children.items(), key=lambda kv: (not kv[1], kv[0])):
            path = prefix + child
            data = None if is_dir else files[path]
            entries.append(TreeEntryObj(self.ctx, self.repo, self.commit, path, data))
        return entries


class TreeEntryObj(GqlObject):
    typename = "TreeEntry"

    def __init__(self, ctx: Context, repo: FakeRepo, commit: str, path: str, data: bytes | None) -> None:
        super().__init__(ctx)
        self.repo, self.commit, self.path, self.data = repo, commit, path, data
        is_blob = data is not None
        self.fields = {
            "extension": _ext(path) if is_blob else None,
            "mode": 33188 if is_blob else 16384,
            "name": path.rsplit("/", 1)[-1],
            "oid": git_blob_sha(data) if data is not None else tree_oid(repo, commit, path),
            "path": path,
            "size": len(data) if data is not None else 0,
            "type": "blob" if is_blob else "tree",
        }

    def gql_object(self, info: Info) -> GqlObject:
        if self.data is not None:
            return BlobObj(self.ctx, self.repo, self.commit, self.data)
        return TreeObj(self.ctx, self.repo, self.commit, self.path)

    def gql_repository(self, info: Info) -> RepoObj:
        return RepoObj(self.ctx, self.repo)


def tree_object(ctx: Context, repo: FakeRepo, commit: str, path: str) -> GqlObject | None:
    """What ``object(expression: "REV:PATH")`` answers: a Blob, a Tree, or null."""
    files = repo.files_at(commit)
    if not path:
        return TreeObj(ctx, repo, commit, "")
    if path in files:
        return BlobObj(ctx, repo, commit, files[path])
    if any(name.startswith(path + "/") for name in files):
        return TreeObj(ctx, repo, commit, path)
    return None


class QueryRoot(GqlObject):
    typename = "Query"

    def _dry(self) -> bool:
        return self.ctx.dry_run

    def gql_organization(self, info: Info, login: str) -> OwnerObj | None:
        if self._dry():
            return None
        owner = self.ctx.gh.get_owner(login)
        if owner is None or owner.kind != "Organization":
            raise GitHubGraphQLError(
                "NOT_FOUND", f"Could not resolve to an Organization with the login of '{login}'."
            )
        return OwnerObj(self.ctx, owner)

    def gql_user(self, info: Info, login: str) -> OwnerObj | None:
        if self._dry():
            return None
        owner = self.ctx.gh.get_owner(login)
        if owner is None or owner.kind != "User":
            raise GitHubGraphQLError("NOT_FOUND", f"Could not resolve to a User with the login of '{login}'.")
        return OwnerObj(self.ctx, owner)

    def gql_repositoryOwner(self, info: Info, login: str) -> OwnerObj | None:  # noqa: N802
        if self._dry():
            return None
        owner = self.ctx.gh.get_owner(login)
        return OwnerObj(self.ctx, owner) if owner is not None else None

    def gql_repository(
        self,
        info: Info,
        owner: str,
        name: str,
        followRenames: bool = True,  # noqa: N803
    ) -> RepoObj | None:
        if self._dry():
            return None
        repo = self.ctx.gh.get_repo(owner, name)
        if repo is None or not self.ctx.gh.visible(repo, self.ctx.token):
            raise GitHubGraphQLError(
                "NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'."
            )
        return RepoObj(self.ctx, repo)

    def gql_viewer(self, info: Info) -> OwnerObj | None:
        # ``viewer`` is non-null, so it is answered even in a dry run (other root fields are null then).
        return OwnerObj(self.ctx, self.ctx.gh.user_account(self.ctx.token.login))

    def gql_rateLimit(self, info: Info, dryRun: bool = False) -> dict[str, Any]:  # noqa: N802,N803
        return dict(self.ctx.rate)

    def _repo_by_id(self, repo_id: int) -> FakeRepo | None:
        index = self.ctx.extra.get("repos_by_id")
        if index is None:  # built once per query: `nodes(ids:)` may look up hundreds of ids
            index = {r.id: r for r in self.ctx.gh.iter_repos()}
            self.ctx.extra["repos_by_id"] = index
        repo: FakeRepo | None = index.get(repo_id)
        return repo

    def _node(self, node_id: str) -> GqlObject | None:
        """Resolve a (legacy-format) global id: repositories, accounts, commits, tag objects and refs."""
        try:
            raw = base64.b64decode(node_id.encode(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raw = ""
        gh, ctx = self.ctx.gh, self.ctx
        found: GqlObject | None = None
        m = re.fullmatch(r"0\d+:(Repository|Organization|User)(\d+)", raw)
        if m and m.group(1) == "Repository":
            repo = self._repo_by_id(int(m.group(2)))
            if repo is not None and gh.visible(repo, ctx.token):
                found = RepoObj(ctx, repo)
        elif m:
            owner = gh.find_owner_by_id(int(m.group(2)))
            if owner is not None:
                found = OwnerObj(ctx, owner)
        m = re.fullmatch(r"0\d+:(Commit|Tag|Ref)(\d+):(.+)", raw)
        if m:
            repo = self._repo_by_id(int(m.group(2)))
            key = m.group(3)
            if repo is not None and gh.visible(repo, ctx.token):
                if m.group(1) == "Commit" and repo.known_commit(key):
                    found = CommitObj(ctx, repo, key)
                elif m.group(1) == "Tag":
                    tag = next((t for t in repo.live_tags() if t.annotated and t.object_sha == key), None)
                    found = TagObj(ctx, repo, tag) if tag is not None else None
                elif m.group(1) == "Ref":
                    for full, commit, tag_ref in _all_refs(repo):
                        if full == key:
                            prefix = full[: full.index("/", len("refs/")) + 1]
                            found = RefObj(ctx, repo, prefix, full[len(prefix) :], commit, tag_ref)
        if found is None:
            raise GitHubGraphQLError(
                "NOT_FOUND", f"Could not resolve to a node with the global id of '{node_id}'"
            )
        return found

    def gql_node(self, info: Info, id: str) -> GqlObject | None:  # noqa: A002
        return None if self._dry() else self._node(id)

    def gql_nodes(self, info: Info, ids: list[str]) -> list[Any]:
        if len(ids) > NODES_LIMIT:  # GitHub answers this error alone, without `data` (see run_query)
            raise GitHubGraphQLError(
                "ARGUMENT_LIMIT",
                f"You may not provide more than {NODES_LIMIT} node ids; you provided {len(ids)}.",
            )
        if self._dry():
            return [None] * len(ids)
        out: list[Any] = []
        for node_id in ids:
            try:
                out.append(self._node(node_id))
            except GraphQLError as exc:
                out.append(exc)
        return out


# ---------------------------------------------------------------------------------------------- requests
def format_error(err: GraphQLError) -> dict[str, Any]:
    """GitHub's error layout: ``type`` and ``path`` first, then ``extensions``, ``locations``, ``message``."""
    ext = dict(err.extensions or {})
    out: dict[str, Any] = {}
    error_type = ext.pop("type", None)
    if error_type:
        out["type"] = error_type
    if err.path:
        out["path"] = list(err.path)
    if ext:
        out["extensions"] = ext
    if err.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in err.locations]
    out["message"] = err.message
    return out


_TRANSLATIONS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], tuple[str, dict[str, Any]]]]] = [
    (
        re.compile(r"^Cannot query field '(\w+)' on type '(\w+)'\."),
        lambda m: (
            f"Field '{m[1]}' doesn't exist on type '{m[2]}'",
            {"code": "undefinedField", "typeName": m[2], "fieldName": m[1]},
        ),
    ),
    (
        re.compile(r"^Unknown argument '(\w+)' on field '(\w+)\.(\w+)'\."),
        lambda m: (
            f"Field '{m[3]}' doesn't accept argument '{m[1]}'",
            {"code": "argumentNotAccepted", "name": m[3], "typeName": "Field", "argumentName": m[1]},
        ),
    ),
    (
        re.compile(r"^Field '(\w+)' argument '(\w+)' of type '.*' is required, but it was not provided\."),
        lambda m: (
            f"Field '{m[1]}' is missing required arguments: {m[2]}",
            {"code": "missingRequiredArguments", "className": "Field", "name": m[1], "arguments": m[2]},
        ),
    ),
]


def format_validation_error(err: GraphQLError) -> dict[str, Any]:
    """graphql-core's validation messages rephrased as GitHub (graphql-ruby) words the common ones."""
    out = format_error(err)
    for pattern, build in _TRANSLATIONS:
        m = pattern.match(err.message)
        if m:
            message, extensions = build(m)
            locations = out.pop("locations", None)
            out.pop("message")
            out["extensions"] = extensions
            if locations:
                out["locations"] = locations
            out["message"] = message
            break
    return out


def _variable_error(err: GraphQLError, document: DocumentNode) -> dict[str, Any]:
    m = re.match(r"^Variable '\$(\w+)'", err.message)
    if not m:
        return format_error(err)
    var_type = "?"
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            for var in definition.variable_definitions or ():
                if var.variable.name.value == m[1]:
                    var_type = print_ast(var.type)
    out: dict[str, Any] = {"extensions": {"problems": [{"path": [], "explanation": err.message}]}}
    if err.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in err.locations]
    out["message"] = f"Variable ${m[1]} of type {var_type} was provided invalid value"
    return out


def parse_and_validate(query: str) -> tuple[DocumentNode | None, list[dict[str, Any]]]:
    """Parse and validate ``query`` against the subset schema (cached by query text)."""
    cached = _doc_cache.get(query)
    if cached is not None:
        return cached
    try:
        document = parse(query)
    except GraphQLError as exc:
        result: tuple[DocumentNode | None, list[dict[str, Any]]] = (None, [format_error(exc)])
    else:
        errors = validate(get_schema(), document)
        result = (None, [format_validation_error(e) for e in errors]) if errors else (document, [])
    if len(_doc_cache) > 512:
        _doc_cache.clear()
    _doc_cache[query] = result
    return result


@dataclass
class GraphQLOutcome:
    status: int
    body: dict[str, Any]
    cost: int = 0
    resource_bucket: tuple[int, int, int] | None = None  # limit, used, reset for the headers
    rate_limited: bool = False
    html: str | None = None  # an HTML page to send instead of the JSON body


def _objects(value: Any) -> int:
    """The objects in an answer's `data`: what the fake counts as the work a query made."""
    if isinstance(value, dict):
        return 1 + sum(_objects(v) for v in value.values())
    if isinstance(value, list):
        return sum(_objects(v) for v in value)
    return 0


def _timed_out(gh: FakeGitHub, request_id: str, cost: int, headers: tuple[int, int, int]) -> GraphQLOutcome:
    """GitHub's answer to a query that ran longer than its time limit (`FakeGitHub.graphql_time_limit`)."""
    shape = gh.graphql_timeout_shape
    if shape == "504":
        return GraphQLOutcome(504, {"message": COULD_NOT_RESPOND_IN_TIME}, cost, headers)
    if shape == "502-html":
        return GraphQLOutcome(502, {}, cost, None, html=NGINX_502)
    body = {"data": None, "errors": [{"message": SOMETHING_WENT_WRONG.format(request_id=request_id)}]}
    return GraphQLOutcome(200 if shape == "200" else 502, body, cost, headers)


def run_query(
    gh: FakeGitHub,
    token: TokenInfo,
    payload: Any,
    request_id: str,
    partial_fault: bool = False,
) -> GraphQLOutcome:
    """Answer one GraphQL POST body (already JSON-decoded) the way GitHub would."""
    identity = token.login
    bucket = gh.bucket(identity, "graphql")

    def snapshot() -> tuple[int, int, int]:
        return bucket.limit, bucket.used, bucket.reset

    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        message = "A query attribute must be specified and must be a string."
        return GraphQLOutcome(200, {"errors": [{"message": message}]}, resource_bucket=snapshot())
    query: str = payload["query"]
    raw_variables = payload.get("variables") or {}
    if not isinstance(raw_variables, dict):
        raw_variables = {}
    operation_name = payload.get("operationName") if isinstance(payload.get("operationName"), str) else None
    document, errors = parse_and_validate(query)
    if document is None:
        return GraphQLOutcome(200, {"errors": errors}, resource_bucket=snapshot())
    operation = select_operation(document, operation_name)
    if operation is None:
        message = (
            f'No operation named "{operation_name}"'
            if operation_name
            else "An operation name is required when the document contains multiple operations."
        )
        return GraphQLOutcome(200, {"errors": [{"message": message}]}, resource_bucket=snapshot())
    coerced = get_variable_values(get_schema(), operation.variable_definitions or (), raw_variables)
    if isinstance(coerced, list):
        body = {"errors": [_variable_error(e, document) for e in coerced]}
        return GraphQLOutcome(200, body, resource_bucket=snapshot())
    # graphql-core 3.2 returns the coerced dict, 3.3 a ``VariableValues`` with ``.coerced``.
    coerced_values: Any = getattr(coerced, "coerced", coerced)
    variables: dict[str, Any] = {**raw_variables, **dict(coerced_values)}
    analysis = analyze(get_schema(), document, operation_name, variables)
    if analysis.node_error is not None:
        body = {"errors": [{"type": "MAX_NODE_LIMIT_EXCEEDED", "message": analysis.node_error}]}
        return GraphQLOutcome(200, body, resource_bucket=snapshot())
    cost = analysis.cost
    charge = 0 if analysis.dry_run else cost
    allowed, bucket = gh.charge(identity, "graphql", charge)
    if not allowed:
        owner = gh.get_owner(token.login)
        user_id = owner.id if owner is not None else 1
        if gh.graphql_rate_limited_type == "RATE_LIMITED":
            error = {"type": "RATE_LIMITED", "message": f"API rate limit exceeded for user ID {user_id}."}
        else:
            error = {
                "type": gh.graphql_rate_limited_type,
                "code": "graphql_rate_limit",
                "message": f"API rate limit already exceeded for user ID {user_id}.",
            }
        return GraphQLOutcome(200, {"errors": [error]}, 0, (bucket.limit, bucket.limit, bucket.reset), True)
    rate = {
        "cost": cost,
        "limit": bucket.limit,
        "nodeCount": analysis.nodes,
        "remaining": bucket.remaining,
        "resetAt": datetime.fromtimestamp(bucket.reset, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "used": bucket.used,
    }
    headers = (bucket.limit, bucket.used, bucket.reset)
    ctx = Context(gh, token, analysis, rate, request_id, dry_run=analysis.dry_run)
    result = _execute(document, raw_variables, operation_name, ctx)
    if partial_fault and ctx.calls > 0:
        with gh.lock:
            fail_at = gh.rng.randint(1, ctx.calls)
        ctx = Context(gh, token, analysis, rate, request_id, dry_run=analysis.dry_run, fail_at=fail_at)
        result = _execute(document, raw_variables, operation_name, ctx)
    if gh.graphql_time_limit is not None and _objects(result.data) > gh.graphql_time_limit:
        return _timed_out(gh, request_id, charge, headers)
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [format_error(e) for e in result.errors]
        if any(e.get("type") == "ARGUMENT_LIMIT" for e in answer["errors"]):
            del answer["data"]
    return GraphQLOutcome(200, answer, charge, headers)


def _execute(
    document: DocumentNode, variables: dict[str, Any], operation_name: str | None, ctx: Context
) -> ExecutionResult:
    result = execute(
        get_schema(),
        document,
        root_value=QueryRoot(ctx),
        context_value=ctx,
        variable_values=variables,
        operation_name=operation_name,
        field_resolver=_field_resolver,
        type_resolver=_type_resolver,
    )
    assert isinstance(result, ExecutionResult)
    return result


def dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
