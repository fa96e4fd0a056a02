"""The compact build state (format 2): round trips through a build, what a `--repo` build carries over,
the migration from format 1, its bytes, and what it keeps to itself."""

from __future__ import annotations

import dataclasses
import gzip
import json
import random
from pathlib import Path

import pytest
import responses
from hypothesis import given, settings
from hypothesis import strategies as st

from indexgen import state as state_module
from indexgen.build import BuildOptions, build_index
from indexgen.commands import published_versions
from indexgen.models import MetadataProblem, MetadataResult, ProjectMetadata, RepoSnapshot, TagRef
from indexgen.monorepo import KnownTree, metadata_key
from indexgen.previous import fetch_previous_state
from indexgen.render import render_site
from indexgen.state import StateUnreadable, dump_state, parse_state

from .state_samples import NO_METADATA, dump_state_v1, synthetic_state

REASONS = (NO_METADATA, "pyproject.toml is not valid TOML: line 3", "no [project] name")


def _sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


@dataclasses.dataclass
class Org:
    repos: list[RepoSnapshot]
    metadata: dict[str, MetadataResult]


def random_org(rng: random.Random) -> Org:
    """Repositories with a project at some tags, without one at any, forks sharing their parent's
    commits, tags that are no version, monorepo keys, odd URLs and fields set to anything."""
    repos: list[RepoSnapshot] = []
    metadata: dict[str, MetadataResult] = {}
    for i in range(rng.randint(0, 10)):
        name = f"acme/r{i}-{rng.choice(['utils', 'web', 'Docs', 'x.y', 'ünï'])}"
        kind = rng.choice(["python", "python", "other", "fork", "empty"])
        tags: list[TagRef] = []
        if kind == "fork" and repos:
            tags = list(rng.choice(repos).tags)
        elif kind != "empty":
            for t in range(rng.randint(0, 6)):
                commit = _sha(rng) if not tags or rng.random() > 0.1 else tags[-1].commit
                tag = rng.choice([f"v{t}.{rng.randint(0, 3)}", f"{t}.0", f"build-{t}", f"v{t}.0rc1"])
                date = rng.choice(["", f"2024-0{1 + t % 9}-01T00:00:00Z"])
                tags.append(TagRef(tag, commit, date))
                if tag.startswith("build"):
                    continue  # not a version: never read, no metadata
                if kind == "python" and rng.random() > 0.2:
                    metadata[commit] = ProjectMetadata(
                        name.split("/")[1].split("-")[1],
                        rng.choice([None, tag.lstrip("v")]),
                        rng.choice([None, ">=3.9"]),
                        rng.choice([None, "", 'Ünïcode "summary" <b>']),
                        tuple(
                            rng.sample(
                                ["requests>=2", "attrs", 'tomli; python_version < "3.11"'], rng.randint(0, 2)
                            )
                        ),
                    )
                    if rng.random() < 0.2:
                        metadata[metadata_key(commit, "libs/core")] = ProjectMetadata("core", None)
                else:
                    metadata[commit] = MetadataProblem(rng.choice(REASONS))
        web = rng.choice(["https://github.com", "https://github.com", "https://ghe.example.com"])
        repos.append(
            RepoSnapshot(
                name,
                rng.choice([f"{web}/{name}.git", f"https://mirror.example/{name}.git"]),
                f"{web}/{name}",
                f"2020-01-0{1 + i % 9}T00:00:00Z",
                private=rng.random() < 0.5,
                fork=kind == "fork",
                archived=rng.random() < 0.2,
                empty=kind == "empty",
                description=rng.choice(["", "A library", 'ü\n"quoted"']),
                ssh_url=rng.choice(["", f"git@{web.split('://')[1]}:{name}.git"]),
                tags=tuple(sorted(tags, key=lambda t: t.name)),
                topics=tuple(rng.sample(["http", "cli", "internal"], rng.randint(0, 2))),
            )
        )
    # Commits no tag points to any more (dropped by the next state).
    for _ in range(rng.randint(0, 3)):
        metadata[_sha(rng)] = rng.choice([MetadataProblem(NO_METADATA), ProjectMetadata("gone", "1")])
    return Org(repos, metadata)


def move_a_tag(org: Org, rng: random.Random) -> list[RepoSnapshot]:
    """The same organisation with one tag moved to a new commit (the published one stays)."""
    candidates = [(i, j) for i, r in enumerate(org.repos) for j in range(len(r.tags))]
    if not candidates:
        return org.repos
    i, j = rng.choice(candidates)
    repo = org.repos[i]
    old = repo.tags[j]
    new = _sha(rng)
    if old.commit in org.metadata:
        org.metadata[new] = org.metadata[old.commit]
    tags = (*repo.tags[:j], dataclasses.replace(old, commit=new), *repo.tags[j + 1 :])
    return [*org.repos[:i], dataclasses.replace(repo, tags=tags), *org.repos[i + 1 :]]


def used_keys(repos: list[RepoSnapshot], metadata: dict[str, MetadataResult], published: dict) -> set[str]:
    used = {t.commit for r in repos for t in r.tags} | {c for v in published.values() for c in v.values()}
    return {k for k in metadata if k.split(":")[0] in used}


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_build_dump_load_build_gives_the_same_index_and_bytes(seed: int) -> None:
    rng = random.Random(seed)
    org = random_org(rng)
    options = BuildOptions(tag_pattern=r"^v?(?P<version>.+)$")
    first = build_index(org.repos, org.metadata, options)
    repos = move_a_tag(org, rng)  # the second build sees a moved tag: it keeps the published commit
    index = build_index(repos, org.metadata, options, published_versions(first))
    published = published_versions(index)
    trees = {r.full_name: KnownTree(_sha(rng), ("libs/core",)) for r in repos if rng.random() < 0.3}

    raw = dump_state(repos, org.metadata, published, generation=seed % 7, digest="ab" * 32, trees=trees)
    loaded = parse_state(raw)
    # A warm build: every commit a tag or a published version needs is known, so none is read again.
    assert loaded.commits == {k: org.metadata[k] for k in used_keys(repos, org.metadata, published)}
    assert loaded.published == published
    assert (loaded.generation, loaded.digest) == (seed % 7, "ab" * 32)
    named = {r.full_name: r for r in repos if r.full_name in loaded.repos}
    assert loaded.repos == named
    assert loaded.trees == {n: t for n, t in trees.items() if n in named}
    again = build_index(repos, loaded.commits, options, loaded.published)
    assert again == index
    assert render_site(again, "https://acme.example/") == render_site(index, "https://acme.example/")
    # The next state from what was loaded: the same bytes.
    assert (
        dump_state(
            repos, loaded.commits, loaded.published, generation=seed % 7, digest="ab" * 32, trees=loaded.trees
        )
        == raw
    )
    # Repositories without a project stay unnamed: not in the state, not even inside a word.
    text = gzip.decompress(raw).decode()
    for repo in repos:
        if repo.full_name not in named:
            assert repo.full_name not in text


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_format_1_loads_as_the_same_state(seed: int) -> None:
    org = random_org(random.Random(seed))
    published = published_versions(build_index(org.repos, org.metadata))
    current = parse_state(dump_state(org.repos, org.metadata, published, generation=3))
    old = parse_state(dump_state_v1(org.repos, org.metadata, published, generation=3))
    # Format 1 kept the repositories that published a release; format 2 keeps every repository with
    # a project at one of its commits (one whose project has only pre-releases, say), so its tags can
    # be carried over by a --repo build. The commits read are the same (below).
    assert old.repos.keys() <= current.repos.keys()
    for name, repo in old.repos.items():
        assert repo == current.repos[name]
    assert (old.commits, old.published, old.generation) == (current.commits, current.published, 3)
    # The unnamed repositories' commits become one unnamed entry, so a --repo build carries them over
    # (with those of the repositories format 1 left out).
    named_now = {t.commit for n in current.repos.keys() - old.repos.keys() for t in current.repos[n].tags}
    unlisted_now = {k for group in current.unlisted for k in group}
    assert {k for group in old.unlisted for k in group} == unlisted_now | (named_now & old.commits.keys())
    # Migrated: the next state is format 2, the same as if format 2 had been written all along.
    assert dump_state(org.repos, old.commits, old.published, generation=3) == dump_state(
        org.repos, current.commits, current.published, generation=3
    )


def _repo(name: str, *tags: tuple[str, str]) -> RepoSnapshot:
    return RepoSnapshot(
        f"acme/{name}",
        f"https://github.com/acme/{name}.git",
        f"https://github.com/acme/{name}",
        "2020-01-01T00:00:00Z",
        ssh_url=f"git@github.com:acme/{name}.git",
        tags=tuple(TagRef(t, c) for t, c in tags),
    )


A, B, C, D, E = (c * 40 for c in "abcde")


def test_a_repo_build_carries_over_the_unnamed_repositories_it_did_not_rescan() -> None:
    utils = _repo("utils", ("v1", A))
    website, payroll = _repo("website", ("v1", B)), _repo("payroll", ("v1", C), ("v2", D))
    problem = MetadataProblem(NO_METADATA)
    metadata: dict[str, MetadataResult] = {A: ProjectMetadata("u", None), B: problem, C: problem, D: problem}
    full = parse_state(dump_state([utils, website, payroll], metadata, {"u": {"1": A}}))
    assert sorted(full.unlisted) == [(B,), (C, D)]  # one entry per unnamed repository

    # `--repo acme/payroll` after its v1 tag was deleted and v3 pushed: the scan holds the named
    # repositories and the rescanned one only.
    payroll = _repo("payroll", ("v2", D), ("v3", E))
    metadata = {**full.commits, E: problem}
    after = parse_state(dump_state([utils, payroll], metadata, {"u": {"1": A}}, carry=full))
    assert after.commits.keys() >= {B, D, E}  # website's commit carried over, payroll's new one added
    assert (E,) not in after.unlisted and any(E in group for group in after.unlisted)
    # Without carrying over (a full build's rule), website's commit would be read again next time.
    assert B not in parse_state(dump_state([utils, payroll], metadata, {"u": {"1": A}})).commits

    # The next full build needs nothing it lacks, and drops payroll's deleted tag's commit.
    final = parse_state(dump_state([utils, website, payroll], after.commits, {"u": {"1": A}}))
    assert set(final.commits) == {A, B, D, E}
    assert sorted(final.unlisted) == [(B,), (D, E)]


def test_a_repo_build_on_a_format_1_state_carries_its_loose_skips() -> None:
    utils, website = _repo("utils", ("v1", A)), _repo("website", ("v1", B))
    metadata: dict[str, MetadataResult] = {A: ProjectMetadata("u", None), B: MetadataProblem(NO_METADATA)}
    old = parse_state(dump_state_v1([utils, website], metadata, {"u": {"1": A}}))
    assert old.unlisted == ((B,),)
    after = parse_state(dump_state([utils], old.commits, {"u": {"1": A}}, carry=old))
    assert B in after.commits


def test_each_fact_is_stored_once_and_urls_are_derived() -> None:
    sample = synthetic_state(20, 5, 30, 4)
    raw = dump_state(sample.repos, sample.commits, sample.published)
    data = json.loads(gzip.decompress(raw))
    text = gzip.decompress(raw).decode()
    every = {t.commit for r in sample.repos for t in r.tags}
    assert all(text.count(sha) == 1 for sha in every)
    assert "https://github.com/acme" not in text and "git@github.com" not in text
    assert len(data["unlisted"]) == 30 and all(len(g) == 1 for g in data["unlisted"])
    assert data["reasons"] == [NO_METADATA]
    assert parse_state(raw).repos == {r.full_name: r for r in sample.repos[:20]}


def test_the_state_is_far_smaller_than_format_1() -> None:
    """A sanity check at 2,000 repositories; the figures are `python benchmarks/state.py`'s."""
    sample = synthetic_state(400, 50, 1600, 20)
    compact = dump_state(sample.repos, sample.commits, sample.published)
    old = dump_state_v1(sample.repos, sample.commits, sample.published)
    assert len(gzip.decompress(compact)) * 2 < len(old)
    assert len(compact) * 3 < len(gzip.compress(old, mtime=0)) * 2  # each SHA costs ~20 bytes anyway


def test_every_repository_field_round_trips_without_naming_it() -> None:
    """A field added to RepoSnapshot later is stored with a non-default value and loaded back; the
    listing's tree oid alone is not stored (the trees read have their own block)."""
    values: dict[str, object] = {}
    for f in dataclasses.fields(RepoSnapshot):
        if f.name in ("full_name", "tags", "tree_oid"):
            continue
        current = getattr(_repo("utils"), f.name)
        values[f.name] = {bool: not current, str: f"{current}-other", tuple: ("a", "b")}[type(current)]
    repo = dataclasses.replace(_repo("utils", ("v1", A)), **values)
    loaded = parse_state(dump_state([repo], {A: ProjectMetadata("u", None)}, {})).repos
    assert loaded == {"acme/utils": repo}
    with_tree = dataclasses.replace(repo, tree_oid="f" * 40)
    raw = dump_state([with_tree], {A: ProjectMetadata("u", None)}, {})
    assert "f" * 40 not in gzip.decompress(raw).decode()
    assert parse_state(raw).repos == {"acme/utils": repo}


def test_the_bytes_are_gzip_without_timestamp_or_name_and_deterministic() -> None:
    sample = synthetic_state(3, 2, 3, 2)
    raw = dump_state(sample.repos, sample.commits, sample.published, generation=1)
    assert raw[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no flags, mtime 0, OS unknown
    assert raw == dump_state(
        list(reversed(sample.repos)), dict(reversed(sample.commits.items())), sample.published, generation=1
    )
    assert json.loads(gzip.decompress(raw))["format"] == 2
    assert parse_state(gzip.decompress(raw)) == parse_state(raw)  # served decompressed: still read


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=4),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=6),
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
            ),
            max_leaves=8,
        ),
        max_size=5,
    ),
    st.data(),
)
def test_the_text_made_in_pieces_is_json_dumps_and_its_gzip_the_same_bytes(
    data: dict[str, object], draw: st.DataObject
) -> None:
    """The state's text is made a piece at a time so that it is never whole in memory; its bytes must
    be those of the one `json.dumps` that earlier versions wrote (the site's digest and the states
    already published depend on them), for any split of the objects, empty ones and non-ASCII too."""
    split = frozenset(k for k, v in data.items() if isinstance(v, dict) and draw.draw(st.booleans()))
    pieces = list(state_module._json_pieces(data, split))
    whole = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    assert "".join(pieces) == whole
    # A piece per plain value, per entry of a split object (with its key's and its closing piece).
    assert len(pieces) == 1 + sum(len(v) + 2 if k in split else 1 for k, v in data.items())  # type: ignore[arg-type]
    raw = state_module._gzip(pieces)
    assert gzip.decompress(raw) == whole.encode("utf-8")
    assert raw == state_module._gzip([whole])  # compressing in pieces or whole: the same bytes


def test_a_repositorys_entry_encoded_at_once_is_the_same_json() -> None:
    sample = synthetic_state(4, 3, 2, 2)
    raw = dump_state(sample.repos, sample.commits, sample.published, generation=1)
    text = gzip.decompress(raw).decode()
    assert (
        text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    )


def test_too_large_compressed_or_uncompressed_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    sample = synthetic_state(3, 2, 3, 2)
    raw = dump_state(sample.repos, sample.commits, sample.published)
    monkeypatch.setattr(state_module, "MAX_STATE_BYTES", len(raw) - 1)
    with pytest.raises(StateUnreadable, match="is larger than"):
        parse_state(raw, "at x")
    bomb = gzip.compress(b" " * 10_000_000, mtime=0)  # 10 kB that inflate to 10 MB
    monkeypatch.setattr(state_module, "MAX_STATE_BYTES", 1_000_000)
    with pytest.raises(StateUnreadable) as caught:
        parse_state(bomb, "at x")
    assert str(caught.value).startswith("the build state at x is larger than 1000000 bytes uncompressed")


@responses.activate
def test_a_previous_state_over_the_limit_is_an_error_and_an_absent_one_is_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(state_module, "MAX_STATE_BYTES", 100)
    site = "https://pages.example/index/"
    responses.get(site + "big.gz", body=b"x" * 101)  # Content-Length says so
    responses.get(site + "fits.gz", body=b"x" * 100)
    responses.get(site + "gone.gz", status=404)
    with pytest.raises(StateUnreadable) as caught:
        fetch_previous_state(site, "big.gz")
    assert str(caught.value).startswith(f"the build state at {site}big.gz is larger than 100 bytes;")
    assert fetch_previous_state(site, "fits.gz") == b"x" * 100
    assert fetch_previous_state(site, "gone.gz") is None
    assert fetch_previous_state("https://unreachable.example/", "x.gz") is None  # responses: no answer

    (tmp_path / "big.gz").write_bytes(b"x" * 101)
    with pytest.raises(StateUnreadable, match="is larger than 100 bytes"):
        fetch_previous_state(str(tmp_path), "big.gz")
    assert fetch_previous_state(str(tmp_path), "absent.gz") is None
