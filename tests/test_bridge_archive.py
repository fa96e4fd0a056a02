"""The bridge's sdist recipe, byte for byte: a golden hash of a fixture commit's archive, the tar and
gzip layout every reader must accept, and the refusals (submodule, LFS, escaping link, mismatch)."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import subprocess
import tarfile
import zlib
from pathlib import Path

import pytest

from indexgen.bridge.archive import Member, gzip_stored, sdist_bytes, tar_bytes
from indexgen.bridge.fetch import GitCache, GitFailed
from indexgen.bridge.sdist import SourceTree, TreeEntry, build_sdist, pin_pdm_version, sdist_members
from tests.e2e.gitrepo import GitRepo
from tests.e2e.pipvenv import write_gitconfig

# Changing any byte of the recipe must change these: then bump `RECIPE` (lock files record hashes).
GOLDEN_MEMBERS_SHA256 = "419593201edc98c8c8b4500ffd1d814edf135b4666bb5b1ef770a8ab152ee0eb"
GOLDEN_COMMIT_SHA256 = "7301e2d334bfc701fc41289839e19c2ab27f458fddb07b26e29140cc236c7aea"
CLONE_URL = "https://git.example.test/acme/golden.git"
LONG = "pkg/" + "deep/" * 22 + "module.py"  # > 100 bytes: needs a pax header


def golden_members() -> list[Member]:
    return [
        Member("golden-1.0/PKG-INFO", 0o644, b"Metadata-Version: 2.1\nName: golden\nVersion: 1.0\n"),
        Member("golden-1.0/bin/run", 0o755, b"#!/bin/sh\necho hi\n"),
        Member("golden-1.0/big.bin", 0o644, bytes(range(256)) * 300),  # > one stored block
        Member("golden-1.0/link", 0o777, link="bin/run"),
        Member(f"golden-1.0/{LONG}", 0o644, b"x = 1\n"),
        Member("golden-1.0/caf\u00e9.txt", 0o644, b"\xc3\xa9\n"),
    ]


def test_golden_recipe_bytes() -> None:
    data = sdist_bytes(golden_members(), 1_700_000_000)
    assert hashlib.sha256(data).hexdigest() == GOLDEN_MEMBERS_SHA256


def test_every_reader_reads_it() -> None:
    members = golden_members()
    data = sdist_bytes(members, 1_700_000_000)
    assert data[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # gzip mtime 0, OS unknown
    raw = gzip.decompress(data)
    assert raw == tar_bytes(members, 1_700_000_000) and len(raw) % 10240 == 0
    assert zlib.decompress(data, wbits=31) == raw
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        infos = tar.getmembers()
        assert [i.name for i in infos] == [m.path for m in members]
        assert {(i.uid, i.gid, i.uname, i.gname, i.mtime) for i in infos} == {(0, 0, "", "", 1_700_000_000)}
        assert [i.mode for i in infos] == [0o644, 0o755, 0o644, 0o777, 0o644, 0o644]
        assert not any(i.isdir() for i in infos)
        assert infos[3].issym() and infos[3].linkname == "bin/run"
        for member, info in zip(members, infos, strict=True):
            if member.link is None:
                extracted = tar.extractfile(info)
                assert extracted is not None and extracted.read() == member.data


def test_gzip_stored_blocks_of_any_size() -> None:
    for size in (0, 1, 65535, 65536, 200_000):
        data = os.urandom(size)
        assert gzip.decompress(gzip_stored(data)) == data


def tree(*entries: TreeEntry) -> SourceTree:
    return SourceTree("a" * 40, 1_700_000_000, entries)


PYPROJECT = b'[project]\nname = "acme-utils"\nversion = "2.0.0"\n'


def test_members_pkg_info_first_and_sorted() -> None:
    found = sdist_members(
        tree(
            TreeEntry("zz.py", "file", b""),
            TreeEntry("pyproject.toml", "file", PYPROJECT),
            TreeEntry("PKG-INFO", "file", b"Metadata-Version: 2.2\nName: evil\n"),
            TreeEntry("a/b.sh", "executable", b""),
            TreeEntry("B.txt", "file", b""),
        ),
        "acme-utils",
        "2.0.0",
    )
    assert not isinstance(found, str)
    assert [m.path for m in found] == [
        "acme_utils-2.0.0/PKG-INFO",
        "acme_utils-2.0.0/B.txt",
        "acme_utils-2.0.0/a/b.sh",
        "acme_utils-2.0.0/pyproject.toml",
        "acme_utils-2.0.0/zz.py",
    ]
    assert found[0].data == b"Metadata-Version: 2.1\nName: acme-utils\nVersion: 2.0.0\n"
    assert [m.mode for m in found] == [0o644, 0o644, 0o755, 0o644, 0o644]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (TreeEntry("vendor/lib", "submodule"), "vendor/lib is a git submodule"),
        (
            TreeEntry(
                "data/model.bin",
                "file",
                b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 9\n",
            ),
            "Git LFS pointer",
        ),
        (TreeEntry("link", "symlink", b"../../etc/passwd"), "symbolic link out of the project"),
        (TreeEntry("sub/link", "symlink", b"/etc/passwd"), "symbolic link out of the project"),
        (
            TreeEntry("pyproject.toml", "file", b'[project]\nname = "acme-utils"\nversion = "1.1.0"\n'),
            "has version 1.1.0, the index says 2.0.0",
        ),
        (
            TreeEntry("pyproject.toml", "file", b'[project]\nname = "other"\nversion = "2.0.0"\n'),
            "named 'other'",
        ),
    ],
)
def test_refusals(entry: TreeEntry, reason: str) -> None:
    found = build_sdist(tree(entry, TreeEntry("x.py", "file", b"")), "acme-utils", "2.0.0")
    assert isinstance(found, str) and reason in found


def test_a_link_inside_the_project_is_kept() -> None:
    found = sdist_members(tree(TreeEntry("a/link", "symlink", b"../README.md")), "acme-utils", "2.0.0")
    assert not isinstance(found, str) and found[1].link == "../README.md"


PDM = """\
[build-system]
requires = ["pdm-backend"]
build-backend = "pdm.backend"

[project]  # the project
name = "acme-pdm"
dynamic = [
    "readme",
    "version",
]
readme = "README.md"

[tool.pdm.version]
source = "scm"
"""


def test_pdm_scm_version_is_pinned() -> None:
    pinned = pin_pdm_version(PDM, "1.2.0")
    assert pinned is not None
    assert '[project]  # the project\nversion = "1.2.0"\nname = "acme-pdm"' in pinned
    assert 'dynamic = [\n    "readme",\n    ]' in pinned
    found = sdist_members(tree(TreeEntry("pyproject.toml", "file", PDM.encode())), "acme-pdm", "1.2.0")
    assert not isinstance(found, str) and found[1].data == pinned.encode()
    # Other back-ends keep their file untouched.
    other = PDM.replace('"pdm.backend"', '"hatchling.build"')
    found = sdist_members(tree(TreeEntry("pyproject.toml", "file", other.encode())), "acme-pdm", "1.2.0")
    assert not isinstance(found, str) and found[1].data == other.encode()


def test_pdm_pin_refuses_what_it_cannot_edit_safely() -> None:
    dotted = PDM.replace("[project]  # the project\n", "").replace("name = ", "project.name = ")
    assert pin_pdm_version(dotted, "1.2.0") is None


# -- the fixture commit, through real git -----------------------------------------------------------


@pytest.fixture(scope="module")
def golden_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[GitRepo, Path]:
    root = tmp_path_factory.mktemp("golden")
    repo = GitRepo.init(root / "golden")
    repo.write(
        {
            "pyproject.toml": '[build-system]\nrequires = ["setuptools>=61", "setuptools-scm>=8"]\n'
            'build-backend = "setuptools.build_meta"\n\n[project]\nname = "golden"\ndynamic = ["version"]\n',
            "golden/__init__.py": "ANSWER = 42\n",
            LONG: "x = 1\n",
            "bin/run": "#!/bin/sh\necho hi\n",
        }
    )
    (repo.path / "bin/run").chmod(0o755)
    os.symlink("golden/__init__.py", repo.path / "init-link")
    repo.commit("golden 1.0")
    repo.tag("v1.0")
    bare = repo.mirror_to(root / "served" / "golden.git")
    gitconfig = write_gitconfig(root / "gitconfig", instead_of={bare.as_uri(): CLONE_URL})
    return repo, gitconfig


def test_golden_fixture_commit(golden_repo: tuple[GitRepo, Path], tmp_path: Path) -> None:
    repo, gitconfig = golden_repo
    cache = GitCache(
        tmp_path, {"PATH": os.environ["PATH"], "GIT_CONFIG_GLOBAL": str(gitconfig), "HOME": str(tmp_path)}
    )
    source = cache.read_tree(CLONE_URL, repo.commit_of("v1.0"))
    data = build_sdist(source, "golden", "1.0")
    assert isinstance(data, bytes)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = tar.getnames()
        assert names[0] == "golden-1.0/PKG-INFO"
        assert tar.getmember("golden-1.0/bin/run").mode == 0o755
        assert tar.getmember("golden-1.0/init-link").linkname == "golden/__init__.py"
        assert f"golden-1.0/{LONG}" in names
        assert {m.mtime for m in tar.getmembers()} == {source.commit_time}
    assert hashlib.sha256(data).hexdigest() == GOLDEN_COMMIT_SHA256
    # A second cache (another machine) fetches again and makes the same bytes.
    again = GitCache(tmp_path / "other", cache.env).read_tree(CLONE_URL, repo.commit_of("v1.0"))
    assert build_sdist(again, "golden", "1.0") == data


def test_git_fetch_failures_name_the_reason(golden_repo: tuple[GitRepo, Path], tmp_path: Path) -> None:
    _, gitconfig = golden_repo
    cache = GitCache(
        tmp_path, {"PATH": os.environ["PATH"], "GIT_CONFIG_GLOBAL": str(gitconfig), "HOME": str(tmp_path)}
    )
    with pytest.raises(GitFailed, match="could not fetch 1111111111") as gone:
        cache.read_tree(CLONE_URL, "1" * 40)
    assert "\n" not in str(gone.value)
    repo, _ = golden_repo
    with pytest.raises(GitFailed, match="no subdirectory 'nope'"):
        cache.read_tree(CLONE_URL, repo.commit_of("v1.0"), "nope")


def test_git_never_sees_a_terminal(tmp_path: Path) -> None:
    cache = GitCache(tmp_path, {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "GIT_SSH_COMMAND": "x"})
    assert cache.env["GIT_TERMINAL_PROMPT"] == "0" and cache.env["GIT_ASKPASS"] == ""
    assert cache.env["GIT_SSH_COMMAND"] == "x"  # the user's own ssh command is theirs
    assert GitCache(tmp_path, {})._git  # noqa: SLF001 - constructed without any environment
    assert GitCache(tmp_path, {}).env["GIT_SSH_COMMAND"] == "ssh -o BatchMode=yes"
    done = subprocess.run(["git", "--version"], capture_output=True, check=True)
    assert done.returncode == 0
