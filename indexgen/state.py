"""The build state stored inside the site: what the last build saw, so the next one reads less.

`indexgen-state.json.gz` holds, per repository that holds a Python project, its snapshot and tags →
commit, per commit the parsed metadata or the reason it made no release, and, for every other
repository, one unnamed entry: the commits of its tags, grouped by the reason they made no release.
A commit's content never changes, so its entry never goes stale.

Format 2 (this module writes it) stores each fact once: every commit SHA a named repository's tag or a
published version points to is listed once in `commits`, and tags, metadata and published versions
refer to it by its position; URLs that follow from a repository's name are left out and derived on
load. The JSON is gzip-compressed with fixed header fields (no timestamp, no file name), so the same
state always gives the same bytes. Format 1 (`indexgen-state.json`, plain JSON) is still read, once, to
migrate.

A state that is corrupt, of a format this version does not know, or too large is an error
(`StateUnreadable`): starting cold instead would silently disarm the shrink and moved-tag checks.

It also holds the digest of the pages the build published and a generation number that grows by one
each time those pages change: of several copies of the state (the Actions cache, a Pages copy that the
CDN still serves from before the last deployment), the one with the highest generation is the newest.
"""

from __future__ import annotations

import dataclasses
import json
import re
import struct
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import filterfalse, repeat
from operator import attrgetter
from typing import Any

from .errors import IndexgenError
from .heap import without_cycle_collection
from .models import MetadataProblem, MetadataResult, ProjectMetadata, RepoSnapshot, TagRef
from .monorepo import KnownTree

STATE_FORMAT = 2
READABLE_FORMATS = (1, 2)
METADATA_READER = 2
"""Which generation of the metadata readers made the cached per-commit results. A state from an older
generation keeps its repositories and published versions, but its commits are read again once: the
readers now resolve what the older ones skipped or took unchecked (computed and file-read versions)."""
MAX_STATE_BYTES = 256 * 1024 * 1024
"""The largest state read, compressed or not (a 10,000-repository organisation's is a few MB)."""
_COMMIT = re.compile(r"[0-9a-f]{40}")
_HEX = re.compile(r"[0-9a-f]*")
_KEY = re.compile(r"[0-9a-f]{40}(:.+)?")
_DIGEST = re.compile(r"[0-9a-f]{64}")
_GZIP_MAGIC = b"\x1f\x8b"
_NOT_SHAS = "a commit list is not 40-hex SHAs end to end"
# Sets of types and lengths, to check a whole list with one `issuperset(map(type, values))`.
_STR, _INT, _LIST, _TWO = frozenset({str}), frozenset({int}), frozenset({list}), frozenset({2})
_DEFAULT_WEB = "https://github.com"


def limit_text() -> str:
    """MAX_STATE_BYTES for a message: "256 MiB"."""
    if MAX_STATE_BYTES % (1 << 20) == 0:
        return f"{MAX_STATE_BYTES >> 20} MiB"
    return f"{MAX_STATE_BYTES} bytes"


@dataclass
class StateUnreadable(IndexgenError):
    """A previous build state that exists but cannot be used: corrupt, foreign or too large."""

    where: str
    problem: str

    def __str__(self) -> str:
        where = f" {self.where}" if self.where else ""
        return (
            f"the build state{where} {self.problem}; a build without it would skip the shrink and "
            "moved-tag checks: remove or replace it to build from scratch"
        )


@dataclass(frozen=True)
class BuildState:
    repos: Mapping[str, RepoSnapshot] = field(default_factory=dict)  # full name → snapshot with tags
    # Metadata key (commit SHA, or `<sha>:<dir>` below the root) → metadata result.
    commits: Mapping[str, MetadataResult] = field(default_factory=dict)
    published: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # project → version → commit
    generation: int = 0  # grows by one whenever the published pages change
    digest: str = ""  # sha256 of the published pages (everything but the state), "" when unknown
    # Full name → the default-branch tree the last build read and the projects found in it; absent
    # from states written before monorepo discovery (those repositories' trees are read once).
    trees: Mapping[str, KnownTree] = field(default_factory=dict)
    # The repositories that hold no Python project, unnamed: per repository, the metadata keys of its
    # tags' commits (all of them in `commits`, each a MetadataProblem).
    unlisted: tuple[tuple[str, ...], ...] = ()
    # The digest of the inputs of the full build that wrote it (unchanged.inputs_digest), "" for
    # a `--repo` build's state and older states: a rebuild with the same inputs reuses `raw`.
    inputs: str = ""
    raw: bytes = field(default=b"", repr=False, compare=False)  # the bytes it was read from

    @property
    def empty(self) -> bool:
        return not self.repos and not self.commits


# -- gzip with fixed header fields ------------------------------------------------------------------


def _gzip(pieces: Iterable[str]) -> bytes:
    """RFC 1952 by hand: mtime 0, no file name, OS "unknown", so the bytes depend on the text only
    (and on zlib's deflate, which is stable for a given zlib). The text comes in pieces, each
    compressed and dropped in turn: the whole text is never in memory, only the compressed bytes."""
    # Z_FILTERED: hex SHAs are most of the state, and short matches inside random hex cost more than
    # the literals they replace (about 10 % smaller than the default strategy). Level 5, memLevel 8
    # (`python benchmarks/state.py --compression`): on a 10,000-repository organisation's 16 MB the
    # smallest of the settings measured, 1 % smaller than level 6 with memLevel 9 for 40 % less CPU
    # (0.6 s instead of 1.0 s); only levels 1-3 (13 % larger) and Huffman-only (48 %) cost much less.
    compressor = zlib.compressobj(5, zlib.DEFLATED, -zlib.MAX_WBITS, 8, zlib.Z_FILTERED)
    body = [b"\x1f\x8b\x08\x00" + struct.pack("<I", 0) + b"\x00\xff"]
    crc = size = 0
    for piece in pieces:
        data = piece.encode("utf-8")
        crc, size = zlib.crc32(data, crc), size + len(data)
        body.append(compressor.compress(data))
    body += [compressor.flush(), struct.pack("<II", crc, size & 0xFFFFFFFF)]
    return b"".join(body)


_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def _json_pieces(data: Mapping[str, Any], split: frozenset[str]) -> Iterator[str]:
    """`json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"` a piece
    at a time: each key's value, and each entry of the objects named in `split` (a value that is
    already JSON text, a `_Json`, is put in as it is). Every piece is made by the C encoder."""
    separator = "{"
    for key in sorted(data):
        value = data[key]
        if key in split:
            yield f"{separator}{_ENCODE(key)}:"
            inner = "{"
            for name in sorted(value):
                entry = value[name]
                yield f"{inner}{_ENCODE(name)}:{entry if isinstance(entry, _Json) else _ENCODE(entry)}"
                inner = ","
            yield "{}" if inner == "{" else "}"
        else:
            yield f"{separator}{_ENCODE(key)}:{_ENCODE(value)}"
        separator = ","
    yield "{}\n" if separator == "{" else "}\n"


class _Json(str):
    """Text already encoded as JSON by `_ENCODE` (a repository's entry, made as its tags are placed)."""


def _gunzip(raw: bytes, where: str) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(raw, MAX_STATE_BYTES + 1)
    except zlib.error as exc:
        raise StateUnreadable(where, f"is corrupt (gzip: {exc})") from None
    if len(data) > MAX_STATE_BYTES:
        raise StateUnreadable(where, f"is larger than {limit_text()} uncompressed")
    if not decompressor.eof:
        raise StateUnreadable(where, "is corrupt (truncated gzip data)")
    return data


# -- metadata -------------------------------------------------------------------------------------


def _record_json(
    name: str, requires_python: str | None, summary: str | None, dependencies: tuple[str, ...]
) -> dict[str, Any]:
    """Everything but the version: the part most tags of a repository share, stored once."""
    # Short keys, and absent rather than empty: the state is read on every build.
    data: dict[str, Any] = {"n": name}
    if requires_python is not None:
        data["r"] = requires_python
    if summary is not None:
        data["s"] = summary
    if dependencies:
        data["d"] = list(dependencies)
    return data


def _record_from_json(data: Mapping[str, Any]) -> ProjectMetadata:
    requires, summary = data.get("r"), data.get("s")
    return ProjectMetadata(
        name=_str(data["n"]),
        version=None,
        requires_python=None if requires is None else _str(requires),
        summary=None if summary is None else _str(summary),
        dependencies=tuple(_str(d) for d in data.get("d", ())),
    )


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


# -- repositories ---------------------------------------------------------------------------------

# `tree_oid` is the listing's, given afresh on every build; the trees read are in the `trees` block.
_REPO_FIELDS = tuple(
    f for f in dataclasses.fields(RepoSnapshot) if f.name not in ("full_name", "tags", "tree_oid")
)


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def _derived(full_name: str, web: str) -> dict[str, str]:
    """The URLs GitHub gives every repository, from its name and the host's web address."""
    host = web.split("://", 1)[-1]
    return {
        "html_url": f"{web}/{full_name}",
        "clone_url": f"{web}/{full_name}.git",
        "ssh_url": f"git@{host}:{full_name}.git",
    }


def _web_of(repos: Iterable[RepoSnapshot]) -> str:
    """The web address the repositories' `html_url`s share (github.com when there are none)."""
    for repo in repos:
        suffix = "/" + repo.full_name
        if repo.html_url.endswith(suffix):
            return repo.html_url[: -len(suffix)]
    return _DEFAULT_WEB


def _repo_to_json(repo: RepoSnapshot, web: str) -> dict[str, Any]:
    """Every field but the tags and those equal to their default or to what follows from the name:
    a field added to RepoSnapshot later is stored (and loaded) without touching this module, if JSON
    can hold it."""
    derived = _derived(repo.full_name, web)
    data: dict[str, Any] = {}
    for f in _REPO_FIELDS:
        value = getattr(repo, f.name)
        if value == derived.get(f.name, _default(f)):
            continue
        data[f.name] = list(value) if isinstance(value, tuple) else value
    return data


def _repo_from_json(full_name: str, data: Mapping[str, Any], web: str) -> dict[str, Any]:
    derived = _derived(full_name, web)
    values: dict[str, Any] = {}
    for f in _REPO_FIELDS:
        if f.name in data:
            value = data[f.name]
            values[f.name] = tuple(value) if isinstance(value, list) else value
        elif f.name in derived:
            values[f.name] = derived[f.name]
    return values


def _split_shas(text: str) -> list[str]:
    if not _HEX.fullmatch(text):
        raise ValueError(_NOT_SHAS)
    return _split_unchecked(text)


def _split_unchecked(text: str) -> list[str]:
    """`text` cut into 40-character SHAs; the caller checks the hex digits (of many such lists at once)."""
    if len(text) % 40:
        raise ValueError(_NOT_SHAS)
    return [text[i : i + 40] for i in range(0, len(text), 40)]


# -- dump -----------------------------------------------------------------------------------------


def _sha(key: str) -> str:
    return key[:40]  # a metadata key is a SHA, or `<sha>:<directory>`


_RECORD = attrgetter("name", "requires_python", "summary", "dependencies")  # all but the version
_COMMIT_OF, _NAME_OF, _FULL_NAME_OF = attrgetter("commit"), attrgetter("name"), attrgetter("full_name")
_REASON_OF, _PROBLEM = attrgetter("reason"), frozenset({MetadataProblem})


@without_cycle_collection  # a few hundred thousand acyclic records: see heap.py
def dump_state(
    repos: Sequence[RepoSnapshot],
    commits: Mapping[str, MetadataResult],
    published: Mapping[str, Mapping[str, str]],
    *,
    generation: int = 0,
    digest: str = "",
    trees: Mapping[str, KnownTree] | None = None,
    carry: BuildState | None = None,
    inputs: str = "",
) -> bytes:
    """The state as deterministic gzip-compressed JSON (sorted keys, no timestamps).

    The state is published with the site, so it names only repositories that hold a Python project
    at some tag (whose names the index shows anyway): the organisation's other repositories stay
    unnamed, one entry each holding the commit SHAs of their tags and why those made no release.

    `repos` are the repositories this build knows; a full build drops whatever no current tag or
    published version needs, so the state never grows without bound. A `--repo` build passes the
    previous state as `carry`: the unnamed repositories' commits it did not rescan (and the trees
    it did not read again) are kept as they were.

    Layout: `commits` is every SHA a named repository's tag or a published version points to, end
    to end, in order of first use (repositories by name, their tags by name, then the published
    commits no tag points to). A tag takes the next SHA unless it gives the position of an earlier
    one, so positions cost nothing in the common case; `meta` runs parallel to `commits`.

    The document's bytes are those of one `json.dumps` with sorted keys, made and compressed a piece
    at a time (`_json_pieces`); reasons and project records are numbered in their final (sorted)
    order before the entries that refer to them are made.
    """
    # The keys below a project's root (`<sha>:<directory>`), by commit; every other key is a SHA.
    below: dict[str, list[str]] = {}
    for key in [k for k in commits if len(k) > 40]:
        below.setdefault(_sha(key), []).append(key)
    with_project = {_sha(k) for k, result in commits.items() if isinstance(result, ProjectMetadata)}
    listed = sorted(
        (r for r in repos if not with_project.isdisjoint(map(_COMMIT_OF, r.tags))), key=_FULL_NAME_OF
    )
    listed_names = {r.full_name for r in listed}
    web = _web_of(listed)
    table: list[str] = []
    position: dict[str, int] = {}
    repo_data: dict[str, _Json] = {}
    for repo in listed:
        entries: list[Any] = []
        for tag in sorted(repo.tags, key=_NAME_OF):
            at = position.get(tag.commit)
            if at is not None:
                entries.append([tag.name, tag.date, at])
                continue
            position[tag.commit] = len(table)
            table.append(tag.commit)
            entries.append([tag.name, tag.date] if tag.date else tag.name)
        # Encoded at once: its text is a fraction of the lists it is made from.
        repo_data[repo.full_name] = _Json(_ENCODE({**_repo_to_json(repo, web), "tags": entries}))
    for sha in sorted({c for v in published.values() for c in v.values()} - position.keys()):
        position[sha] = len(table)
        table.append(sha)

    results = list(map(commits.get, table))  # parallel to `table`, None where nothing was read
    sub_results = {
        f"{position[sha]}{key[40:]}": commits[key]
        for sha, keys in below.items()
        if sha in position
        for key in keys
    }

    # One entry per unnamed repository: reason → its commits. A commit already in the table, or in
    # an entry before (a fork shares its parent's commits), is not stored again.
    placed: set[str] = set()
    groups: list[tuple[str, dict[str, list[str]]]] = []

    def add_group(keys: Iterable[str]) -> None:
        fresh = set(keys).difference(placed)
        placed.update(fresh)  # whatever is skipped here is skipped in any later entry too
        # Not the SHAs in the table, nor (if there are any) the keys below a root whose SHA is.
        if below:
            fresh = {k for k in fresh if _sha(k) not in position}
        kept = sorted(filterfalse(position.__contains__, fresh))
        found = list(map(commits.get, kept))
        group: dict[str, list[str]] = {}
        if _PROBLEM.issuperset(map(type, found)) and len(one := set(map(_REASON_OF, found))) == 1:
            group[one.pop()] = kept  # the usual entry: every commit skipped for the same reason
        else:
            for key, result in zip(kept, found, strict=True):
                if isinstance(result, MetadataProblem):
                    group.setdefault(result.reason, []).append(key)
        if group:
            groups.append((min(keys[0] for keys in group.values()), group))

    for repo in sorted(repos, key=_FULL_NAME_OF):
        if repo.full_name not in listed_names:
            shas = set(map(_COMMIT_OF, repo.tags))
            keys = list(filter(commits.__contains__, shas))
            if below:
                keys += [key for sha in shas for key in below.get(sha, ())]
            add_group(keys)
    if carry is not None:
        for carried in carry.unlisted:
            add_group(carried)

    # Reasons and records numbered by sorted content, so that the bytes do not depend on the order
    # things were met in.
    found = [*results, *sub_results.values()]
    projects = [r for r in found if isinstance(r, ProjectMetadata)]
    reason_list = sorted(
        {r.reason for r in found if isinstance(r, MetadataProblem)}.union(*(g for _, g in groups))
    )
    reason_number = {r: i for i, r in enumerate(reason_list)}
    record_list = sorted(set(map(_RECORD, projects)), key=lambda r: json.dumps(r))
    record_number = {r: i for i, r in enumerate(record_list)}

    def encode(result: MetadataResult | None) -> Any:
        if result is None:
            return None
        if isinstance(result, MetadataProblem):
            return reason_number[result.reason]
        number = record_number[_RECORD(result)]
        return [number] if result.version is None else [number, result.version]

    def group_json(group: Mapping[str, list[str]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for reason, keys in group.items():
            roots = "".join(k for k in keys if len(k) == 40)
            deeper = [k for k in keys if len(k) != 40]
            out[str(reason_number[reason])] = [roots, *deeper] if deeper else roots
        return out

    data: dict[str, Any] = {
        "format": STATE_FORMAT,
        "reader": METADATA_READER,
        "generation": generation,
        "digest": digest,
        "web": web,
        "commits": "".join(table),
        "repos": repo_data,
        "meta": list(map(encode, results)),
        "published": {  # in key order, as every object: json.dumps sorts them
            name: {v: position[c] for v, c in versions.items()} for name, versions in published.items()
        },
        "reasons": reason_list,
        # What projects' metadata says apart from the version, each distinct record once.
        "projects": [_record_json(*r) for r in record_list],
        "unlisted": [group_json(g) for _, g in sorted(groups, key=lambda g: g[0])],
    }
    if sub_results:
        data["sub"] = {k: encode(v) for k, v in sub_results.items()}
    if inputs:
        data["inputs"] = inputs
    all_trees = {**(carry.trees if carry is not None else {}), **(trees or {})}
    kept_trees = {name: t for name, t in all_trees.items() if name in listed_names}
    if kept_trees:
        data["trees"] = {
            name: {"oid": t.oid, "projects": list(t.projects)} for name, t in sorted(kept_trees.items())
        }
    # Written a piece at a time: the whole text (54 MB at 5,000 repositories x 100 tags) and its
    # bytes would be held at once on top of the state's records.
    return _gzip(_json_pieces(data, frozenset({"repos", "published", "sub", "trees"})))


# -- load -----------------------------------------------------------------------------------------


@without_cycle_collection  # a few hundred thousand acyclic records: see heap.py
def parse_state(raw: bytes | str, where: str = "") -> BuildState:
    """The state in `raw` (format 2 gzip-compressed, or format 1 JSON).

    Raises StateUnreadable, naming `where`, when it is too large, corrupt or of another format."""
    blob = raw.encode("utf-8") if isinstance(raw, str) else raw
    if len(blob) > MAX_STATE_BYTES:
        raise StateUnreadable(where, f"is larger than {limit_text()}")
    if blob.startswith(_GZIP_MAGIC):
        blob = _gunzip(blob, where)
    try:
        # Decoded here rather than by json.loads, so that the bytes can go before the parse.
        text = blob.decode(json.detect_encoding(blob), "surrogatepass")
        del blob
        data = json.loads(text)
    except ValueError:
        raise StateUnreadable(where, "is corrupt (not gzip-compressed JSON)") from None
    del text
    if not isinstance(data, dict) or "format" not in data:
        raise StateUnreadable(where, "is not an indexgen build state")
    version = data["format"]
    if version not in READABLE_FORMATS or type(version) is not int:
        raise StateUnreadable(
            where, f"has format {json.dumps(version)}, which this indexgen cannot read: upgrade indexgen"
        )
    try:
        state = _parse_v2(data) if version == 2 else _parse_v1(data)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        raise StateUnreadable(where, f"is corrupt ({type(exc).__name__}: {exc})") from None
    if state is None:
        raise StateUnreadable(where, "is corrupt (bad generation or digest)")
    return dataclasses.replace(state, raw=raw.encode("utf-8") if isinstance(raw, str) else raw)


def _header(data: Mapping[str, Any]) -> tuple[int, str] | None:
    generation = data.get("generation", 0)
    digest = data.get("digest", "")
    if type(generation) is not int or generation < 0 or not isinstance(digest, str):
        return None
    return generation, digest if _DIGEST.fullmatch(digest) else ""


def _trees(data: Mapping[str, Any]) -> dict[str, KnownTree]:
    return {
        _str(name): KnownTree(_str(t["oid"]), tuple(_str(p) for p in t["projects"]))
        for name, t in data.get("trees", {}).items()
    }


def _position(value: Any, table: Sequence[str]) -> str:
    if type(value) is not int or not 0 <= value < len(table):
        raise ValueError(f"no commit at position {value!r}")
    return table[value]


def _check_strings(values: Sequence[Any]) -> None:
    """Checks in one pass that `values` are strings (TypeError naming the first that is not)."""
    if not _STR.issuperset(map(type, values)):
        for value in values:
            _str(value)


def _at(positions: Sequence[Any], table: Sequence[str]) -> list[str]:
    """The commits at `positions`, checked in one pass (ValueError naming the first bad one)."""
    if positions and (
        not _INT.issuperset(map(type, positions)) or min(positions) < 0 or max(positions) >= len(table)
    ):
        for value in positions:
            _position(value, table)
    return list(map(table.__getitem__, positions))


def _tags(entries: Any, table: Sequence[str], used: int, memo: dict[str, str]) -> tuple[list[TagRef], int]:
    """A repository's tags, and the position of the next commit no tag took yet.

    Tag names and dates are interned through `memo`: the same names (v1.0.0) recur across
    repositories, and so do dates in a synthetic organisation."""
    if type(entries) is list and entries:
        kinds = set(map(type, entries))
        names: Sequence[Any] | None = None
        dates: Sequence[Any] = ()
        if kinds == _LIST and set(map(len, entries)) == _TWO:  # every tag dated, none shares a commit
            names, dates = zip(*entries, strict=True)
        elif kinds == _STR:  # no tag dated (a REST scan), none shares a commit
            names, dates = entries, [""] * len(entries)
        if names is not None:
            end = used + len(names)
            if end > len(table):
                raise ValueError(f"no commit at position {len(table)!r}")
            _check_strings(names)
            _check_strings(dates)
            setdefault = memo.setdefault
            tags = list(
                map(TagRef, map(setdefault, names, names), table[used:end], map(setdefault, dates, dates))
            )
            return tags, end
    tags = []
    for tag in entries:
        if isinstance(tag, str):
            tag = [tag, ""]
        if len(tag) == 3:
            commit = _position(tag[2], table)
        else:
            commit = _position(used, table)
            used += 1
        tags.append(TagRef(_str(tag[0]), commit, _str(tag[1])))
    return tags, used


def _parse_v2(data: dict[str, Any]) -> BuildState | None:
    """Format 2. The large parts (tags, metadata, published positions, the unnamed repositories'
    SHAs) are checked in bulk, a list at a time, and each part of `data` is dropped once read, so
    that the decoded JSON and the state it becomes are not both whole in memory."""
    header = _header(data)
    if header is None:
        return None
    table = _split_shas(_str(data["commits"]))
    web, reasons = _str(data["web"]), list(data["reasons"])
    _check_strings(reasons)
    records = [_record_from_json(r) for r in data["projects"]]
    memo: dict[str, str] = {}
    repos = {}
    used = 0
    listing = data.pop("repos")
    for name, entry in listing.items():
        listing[name] = None  # its JSON can go once read (a new value, not a new key: no resize)
        tags, used = _tags(entry["tags"], table, used, memo)
        values = _repo_from_json(_str(name), entry, web)
        repos[name] = RepoSnapshot(name, **values, tags=tuple(tags))
    del listing

    commits: dict[str, MetadataResult] = {}
    meta = data.pop("meta")
    if len(meta) != len(table):
        raise ValueError("meta and commits differ in length")
    problems = [MetadataProblem(r) for r in reasons]

    def decode(value: Any) -> MetadataResult:
        if type(value) is int:
            return problems[value]
        if not isinstance(value, list) or len(value) not in (1, 2) or type(value[0]) is not int:
            raise ValueError("bad metadata entry")
        record = records[value[0]]
        if len(value) == 1:
            return record
        return ProjectMetadata(
            record.name, _str(value[1]), record.requires_python, record.summary, record.dependencies
        )

    # The common entry, [record, version], inline; anything else through `decode`.
    fields = [(r.name, r.requires_python, r.summary, r.dependencies) for r in records]
    setdefault = memo.setdefault
    for sha, value in zip(table, meta, strict=True):
        if value is None:
            continue
        if type(value) is list and len(value) == 2:
            number, version = value
            if type(number) is int and type(version) is str:
                name, requires, summary, dependencies = fields[number]
                commits[sha] = ProjectMetadata(
                    name, setdefault(version, version), requires, summary, dependencies
                )
                continue
        commits[sha] = decode(value)
    del meta
    for ref, value in data.get("sub", {}).items():
        number, colon, directory = _str(ref).partition(":")
        if not colon or not directory:
            raise ValueError("bad subdirectory key")
        commits[f"{_position(int(number), table)}:{directory}"] = decode(value)

    # The unnamed repositories' SHAs: one check over all of them at the end.
    unlisted = []
    all_roots = []
    for group in data.pop("unlisted"):
        keys: list[str] = []
        for reason, members in group.items():
            problem = problems[int(reason)]
            roots, below = (members, []) if isinstance(members, str) else (members[0], members[1:])
            shas = _split_unchecked(_str(roots))
            all_roots.append(roots)
            for key in below:
                if not _KEY.fullmatch(_str(key)):
                    raise ValueError("an unnamed repository's commit is not a 40-hex SHA")
            commits.update(zip(shas, repeat(problem)))
            commits.update(zip(below, repeat(problem)))
            keys += shas
            keys += below
        unlisted.append(tuple(sorted(keys)))
    if not _HEX.fullmatch("".join(all_roots)):
        raise ValueError(_NOT_SHAS)
    if data.get("reader") != METADATA_READER:
        commits, unlisted = {}, []
    published = {}
    for name, versions in data["published"].items():
        positions = [c for _, c in versions.items()]  # JSON object keys are strings
        published[_str(name)] = dict(zip(versions, _at(positions, table), strict=True))
    inputs = data.get("inputs", "")
    return BuildState(
        repos,
        commits,
        published,
        *header,
        _trees(data),
        tuple(unlisted),
        inputs=inputs if isinstance(inputs, str) and _DIGEST.fullmatch(inputs) else "",
    )


def _parse_v1(data: Mapping[str, Any]) -> BuildState | None:
    """Format 1: plain JSON, URLs and every SHA spelt out, one skip per commit of an unnamed
    repository. Those commits become one unnamed entry, so a `--repo` build still carries them."""
    header = _header(data)
    if header is None:
        return None
    repos = {}
    for name, r in data.get("repos", {}).items():
        fields = {f.name for f in dataclasses.fields(RepoSnapshot)} - {"tags"}
        values = {k: v for k, v in r.items() if k in fields}
        values["topics"] = tuple(_str(t) for t in r.get("topics", ()))
        dates = dict(r.get("tag_dates", {}))
        tags = tuple(
            TagRef(_str(tag), _str(commit), _str(dates.get(tag, "")))
            for tag, commit in sorted(dict(r.get("tags", {})).items())
        )
        repos[_str(name)] = RepoSnapshot(**values, tags=tags)
    commits: dict[str, MetadataResult] = {}
    for key, m in data.get("commits", {}).items():
        if "skip" in m:
            commits[_str(key)] = MetadataProblem(_str(m["skip"]))
        else:
            version, requires, summary = m.get("version"), m.get("requires_python"), m.get("summary")
            commits[_str(key)] = ProjectMetadata(
                name=_str(m["name"]),
                version=None if version is None else _str(version),
                requires_python=None if requires is None else _str(requires),
                summary=None if summary is None else _str(summary),
                dependencies=tuple(_str(d) for d in m.get("dependencies", ())),
            )
    if data.get("reader") != METADATA_READER:
        commits = {}
    published = {
        _str(name): {_str(v): _str(c) for v, c in versions.items() if _COMMIT.fullmatch(str(c))}
        for name, versions in data.get("published", {}).items()
    }
    named = {t.commit for r in repos.values() for t in r.tags} | {
        c for v in published.values() for c in v.values()
    }
    orphans = tuple(
        sorted(k for k, m in commits.items() if isinstance(m, MetadataProblem) and _sha(k) not in named)
    )
    return BuildState(repos, commits, published, *header, _trees(data), (orphans,) if orphans else ())
