"""The "acme" organisation: real git repositories for every case the end-to-end tests check.

- `acme-utils`: a buildable setuptools package with a static version; tags `v1.0.0` (lightweight),
  `v1.1.0`, `v1.2.0` (whose static version is still 1.1.0: skipped), `v2.0.0`, `v2.1.0rc1` (annotated)
  and `latest` (not a version).
- `Zeta_Utils`: publishes `zeta.utils` (normalised `zeta-utils`); `v1.0` needs Python >= 3.8, `v2.0`
  needs Python >= 3.99 so pip must skip it by `data-requires-python`.
- `acme-core`: private; depends on `acme-utils>=2` by name, resolved through the same index.
- `forked-tool`: a fork (skipped); `acme-website`: not Python (skipped as a whole).

The clone URLs live on `https://git.acme.test/acme/`, which nothing resolves: pip reaches the bare
mirrors under `repos/` only through a git `insteadOf` rewrite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .gitrepo import GitRepo

ORG = "acme"
CLONE_BASE = "https://git.acme.test"
TOKEN = "ghp_e2eAcmeBotTokenSeesPrivate0000000000"
TOKEN_LOGIN = "acme-bot"
REQUIRES_PYTHON = ">=3.8"
FUTURE_PYTHON = ">=3.99"


def pyproject(
    name: str,
    version: str,
    package: str,
    *,
    requires_python: str = REQUIRES_PYTHON,
    dependencies: tuple[str, ...] = (),
    scripts: tuple[tuple[str, str], ...] = (),
) -> str:
    deps = ", ".join(f'"{d}"' for d in dependencies)
    entry_points = "".join(f'{name} = "{target}"\n' for name, target in scripts)
    return (
        "[build-system]\n"
        'requires = ["setuptools>=61"]\n'
        'build-backend = "setuptools.build_meta"\n'
        "\n"
        "[project]\n"
        f'name = "{name}"\n'
        f'version = "{version}"\n'
        f'requires-python = "{requires_python}"\n'
        f"dependencies = [{deps}]\n"
        "\n" + (f"[project.scripts]\n{entry_points}\n" if scripts else "") + "[tool.setuptools]\n"
        f'packages = ["{package}"]\n'
    )


def utils_module(version: str) -> str:
    return (
        f'__version__ = "{version}"\n'
        "\n"
        "\n"
        "def greet(name: str) -> str:\n"
        f'    return f"hello {{name}} from acme-utils {version}"\n'
    )


def zeta_module(version: str) -> str:
    return f'__version__ = "{version}"\n\n\ndef shout(text: str) -> str:\n    return text.upper() + "!"\n'


CORE_MODULE = (
    "import acme_utils\n"
    "\n"
    '__version__ = "0.3.0"\n'
    "\n"
    "\n"
    "def status() -> str:\n"
    '    return f"acme-core {__version__} with " + acme_utils.greet("core")\n'
    "\n"
    "\n"
    "def main() -> None:\n"
    "    print(status())\n"
)


@dataclass(frozen=True)
class RepoSpec:
    """How the fake GitHub lists one repository."""

    name: str
    private: bool = False
    fork: bool = False
    created_at: str = "2021-01-01T00:00:00Z"
    description: str = ""


@dataclass
class AcmeWorld:
    """The repositories on disk: working trees under `src/`, bare mirrors (what gets cloned) under
    `repos/<name>.git`."""

    root: Path
    specs: dict[str, RepoSpec] = field(default_factory=dict)
    trees: dict[str, GitRepo] = field(default_factory=dict)

    @property
    def bare_root(self) -> Path:
        return self.root / "repos"

    def bare(self, name: str) -> Path:
        return self.bare_root / f"{name}.git"

    def clone_url(self, name: str) -> str:
        return f"{CLONE_BASE}/{ORG}/{name}.git"

    def commit_of(self, name: str, tag: str) -> str:
        return self.trees[name].commit_of(tag)

    def add(self, spec: RepoSpec) -> GitRepo:
        tree = GitRepo.init(self.root / "src" / spec.name)
        self.specs[spec.name] = spec
        self.trees[spec.name] = tree
        return tree

    def publish(self) -> None:
        for name, tree in self.trees.items():
            tree.mirror_to(self.bare(name))


def _acme_utils(world: AcmeWorld) -> None:
    repo = world.add(RepoSpec("acme-utils", created_at="2020-03-01T10:00:00Z", description="Shared helpers"))
    files = {"README.md": "# acme-utils\n", ".gitignore": "build/\n*.egg-info/\n"}
    for version, tag, annotated in (("1.0.0", "v1.0.0", False), ("1.1.0", "v1.1.0", True)):
        files |= {
            "pyproject.toml": pyproject("acme-utils", version, "acme_utils"),
            "acme_utils/__init__.py": utils_module(version),
        }
        repo.commit(f"acme-utils {version}", files)
        repo.tag(tag, annotated=annotated)
    # The tag moved on, the static version did not: pip would reject what it built, so no release.
    repo.commit("start 1.2", {"CHANGES.md": "1.2.0: unreleased\n"})
    repo.tag("v1.2.0", annotated=True)
    for version, tag in (("2.0.0", "v2.0.0"), ("2.1.0rc1", "v2.1.0rc1")):
        repo.commit(
            f"acme-utils {version}",
            {
                "pyproject.toml": pyproject("acme-utils", version, "acme_utils"),
                "acme_utils/__init__.py": utils_module(version),
            },
        )
        repo.tag(tag, annotated=True)
    repo.tag("latest")


def _zeta_utils(world: AcmeWorld) -> None:
    repo = world.add(RepoSpec("Zeta_Utils", created_at="2020-06-01T10:00:00Z"))
    for version, requires in (("1.0", REQUIRES_PYTHON), ("2.0", FUTURE_PYTHON)):
        repo.commit(
            f"zeta.utils {version}",
            {
                "pyproject.toml": pyproject("zeta.utils", version, "zeta_utils", requires_python=requires),
                "zeta_utils/__init__.py": zeta_module(version),
            },
        )
        repo.tag(f"v{version}", annotated=True)


def _acme_core(world: AcmeWorld) -> None:
    repo = world.add(RepoSpec("acme-core", private=True, created_at="2021-02-01T10:00:00Z"))
    repo.commit(
        "acme-core 0.3.0",
        {
            "pyproject.toml": pyproject(
                "acme-core",
                "0.3.0",
                "acme_core",
                dependencies=("acme-utils>=2",),
                scripts=(("acme-core", "acme_core:main"),),  # an application, for pipx
            ),
            "acme_core/__init__.py": CORE_MODULE,
        },
    )
    repo.tag("v0.3.0", annotated=True)


def _others(world: AcmeWorld) -> None:
    fork = world.add(RepoSpec("forked-tool", fork=True, created_at="2022-01-01T10:00:00Z"))
    fork.commit(
        "forked-tool 0.1.0",
        {"pyproject.toml": pyproject("forked-tool", "0.1.0", "forked_tool"), "forked_tool/__init__.py": ""},
    )
    fork.tag("v0.1.0")
    site = world.add(RepoSpec("acme-website", created_at="2022-02-01T10:00:00Z", description="Not Python"))
    site.commit("website", {"index.html": "<h1>acme</h1>\n", "README.md": "# website\n"})
    site.tag("v1.0")


def build_acme(root: Path) -> AcmeWorld:
    """Create every repository of the organisation under `root` and their bare mirrors."""
    world = AcmeWorld(root)
    _acme_utils(world)
    _zeta_utils(world)
    _acme_core(world)
    _others(world)
    world.publish()
    return world


# What a build of the whole organisation must publish: project → version → (repository, tag,
# requires-python), and the skipped (repository, tag) pairs with a word their reason must contain.
EXPECTED_RELEASES: dict[str, dict[str, tuple[str, str, str]]] = {
    "acme-core": {"0.3.0": ("acme-core", "v0.3.0", REQUIRES_PYTHON)},
    "acme-utils": {
        "1.0.0": ("acme-utils", "v1.0.0", REQUIRES_PYTHON),
        "1.1.0": ("acme-utils", "v1.1.0", REQUIRES_PYTHON),
        "2.0.0": ("acme-utils", "v2.0.0", REQUIRES_PYTHON),
        "2.1.0rc1": ("acme-utils", "v2.1.0rc1", REQUIRES_PYTHON),
    },
    "zeta-utils": {
        "1.0": ("Zeta_Utils", "v1.0", REQUIRES_PYTHON),
        "2.0": ("Zeta_Utils", "v2.0", FUTURE_PYTHON),
    },
}
EXPECTED_SKIPS: dict[tuple[str, str | None], str] = {
    ("acme/acme-utils", "latest"): "not a version",
    ("acme/acme-utils", "v1.2.0"): "1.1.0",
    ("acme/acme-website", None): "no Python project at its only tag",
    ("acme/forked-tool", None): "fork",
}


PRIVATE_LIB = "private-lib"
PRIVATE_MODULE = "def answer() -> int:\n    return 42\n"


def build_private_lib(root: Path) -> tuple[GitRepo, Path]:
    """`private-lib` 1.0.0 (tag `v1.0.0`), and the directory to serve it from over HTTP: the bare
    mirror sits at `<project root>/acme/private-lib.git`."""
    tree = GitRepo.init(root / "src" / PRIVATE_LIB)
    tree.commit(
        "private-lib 1.0.0",
        {
            "pyproject.toml": pyproject(PRIVATE_LIB, "1.0.0", "private_lib"),
            "private_lib/__init__.py": PRIVATE_MODULE,
        },
    )
    tree.tag("v1.0.0", annotated=True)
    project_root = root / "served"
    tree.mirror_to(project_root / ORG / f"{PRIVATE_LIB}.git")
    return tree, project_root
