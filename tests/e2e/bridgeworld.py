"""What the bridge's end-to-end tests serve: the acme site that `indexgen build` wrote, plus hand-written
project pages for the cases a build would not publish or that need other build back-ends.

Every clone URL is `https://git.acme.test/<area>/<name>.git`; the bridge's git config rewrites it
(`insteadOf`) to a local bare repository, or for `private/` and `nocreds/` to `git http-backend` behind
basic auth, with and without a credential helper.

- `acme-scm` (setuptools-scm), `acme-hvcs` (hatch-vcs), `acme-pdm` (pdm-backend, scm): version only
  from the tag `v1.2.0`;
- `acme-alpha`, `acme-beta`: one monorepo, `libs/alpha` and `libs/beta` (`#subdirectory=`), beta
  depending on alpha;
- `acme-mismatch`: the page says 3.1.0, the code says 3.0.0;
- `acme-lfs`, `acme-submod`: a Git LFS pointer, a submodule;
- `private-lib` twice: behind credentials the bridge's git has, and as `nocreds-lib` without them;
- `acme-evil`: hostile links only.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .gitrepo import GitRepo

HOST = "git.acme.test"


def setuptools_project(name: str, package: str, version: str, dependencies: tuple[str, ...] = ()) -> str:
    deps = ", ".join(f'"{d}"' for d in dependencies)
    return (
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\nrequires-python = ">=3.8"\n'
        f'dependencies = [{deps}]\n\n[tool.setuptools]\npackages = ["{package}"]\n'
    )


SCM_PROJECTS = {
    "acme-scm": (
        '[build-system]\nrequires = ["setuptools>=64", "setuptools-scm>=8"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "acme-scm"\ndynamic = ["version"]\nrequires-python = ">=3.8"\n\n'
        '[tool.setuptools]\npackages = ["acme_scm"]\n\n[tool.setuptools_scm]\n'
    ),
    "acme-hvcs": (
        '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "acme-hvcs"\ndynamic = ["version"]\nrequires-python = ">=3.8"\n\n'
        '[tool.hatch.version]\nsource = "vcs"\n\n[tool.hatch.build.targets.wheel]\npackages = ["acme_hvcs"]\n'
    ),
    "acme-pdm": (
        '[build-system]\nrequires = ["pdm-backend"]\nbuild-backend = "pdm.backend"\n\n'
        '[project]\nname = "acme-pdm"\ndynamic = ["version"]\nrequires-python = ">=3.8"\n\n'
        '[tool.pdm.version]\nsource = "scm"\n'
    ),
}
VERSION_OF_ITSELF = 'import importlib.metadata\n\nVERSION = importlib.metadata.version("{name}")\n'


@dataclass
class ExtraWorld:
    root: Path
    repos: dict[str, GitRepo] = field(default_factory=dict)
    links: dict[str, list[str]] = field(default_factory=dict)  # project → anchors' hrefs

    @property
    def bare_root(self) -> Path:
        return self.root / "bare"

    def add(self, name: str) -> GitRepo:
        repo = GitRepo.init(self.root / "src" / name)
        self.repos[name] = repo
        return repo

    def link(self, project: str, href: str) -> None:
        self.links.setdefault(project, []).append(href)

    def vcs(self, area: str, repo: str, commit: str, egg: str, subdirectory: str = "") -> str:
        sub = f"subdirectory={subdirectory}&" if subdirectory else ""
        return f"git+https://{HOST}/{area}/{repo}.git@{commit}#{sub}egg={egg}"


def _scm(world: ExtraWorld) -> None:
    for name, pyproject in SCM_PROJECTS.items():
        package = name.replace("-", "_")
        repo = world.add(name)
        repo.commit("start", {"pyproject.toml": pyproject, f"{package}/__init__.py": "VERSION = 'dev'\n"})
        repo.tag("v1.1.0", annotated=True)
        repo.commit(f"{name} 1.2.0", {f"{package}/__init__.py": VERSION_OF_ITSELF.format(name=name)})
        repo.tag("v1.2.0", annotated=True)
        world.link(name, world.vcs("extra", name, repo.commit_of("v1.2.0"), f"{name}-1.2.0"))


def _monorepo(world: ExtraWorld) -> None:
    repo = world.add("mono")
    repo.commit(
        "alpha and beta 0.5.0",
        {
            "README.md": "# two libraries\n",
            "libs/alpha/pyproject.toml": setuptools_project("acme-alpha", "acme_alpha", "0.5.0"),
            "libs/alpha/acme_alpha/__init__.py": "NAME = 'alpha'\n",
            "libs/beta/pyproject.toml": setuptools_project(
                "acme-beta", "acme_beta", "0.5.0", ("acme-alpha==0.5.0",)
            ),
            "libs/beta/acme_beta/__init__.py": "import acme_alpha\n\nNAME = 'beta on ' + acme_alpha.NAME\n",
        },
    )
    repo.tag("v0.5.0", annotated=True)
    sha = repo.commit_of("v0.5.0")
    world.link("acme-alpha", world.vcs("extra", "mono", sha, "acme-alpha-0.5.0", "libs/alpha"))
    world.link("acme-beta", world.vcs("extra", "mono", sha, "acme-beta-0.5.0", "libs/beta"))


def _refused(world: ExtraWorld) -> None:
    mismatch = world.add("mismatch")
    mismatch.commit(
        "3.0.0", {"pyproject.toml": setuptools_project("acme-mismatch", "m", "3.0.0"), "m/__init__.py": ""}
    )
    mismatch.tag("v3.1.0")
    world.link(
        "acme-mismatch", world.vcs("extra", "mismatch", mismatch.commit_of("v3.1.0"), "acme-mismatch-3.1.0")
    )

    lfs = world.add("lfs")
    lfs.commit(
        "with a large file",
        {
            "pyproject.toml": setuptools_project("acme-lfs", "acme_lfs", "1.0"),
            "acme_lfs/__init__.py": "",
            "acme_lfs/model.bin": "version https://git-lfs.github.com/spec/v1\n"
            "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
            ".gitattributes": "*.bin filter=lfs diff=lfs merge=lfs -text\n",
        },
    )
    lfs.tag("v1.0")
    world.link("acme-lfs", world.vcs("extra", "lfs", lfs.commit_of("v1.0"), "acme-lfs-1.0"))

    sub = world.add("submod")
    sub.write(
        {
            "pyproject.toml": setuptools_project("acme-submod", "acme_submod", "1.0"),
            "acme_submod/__init__.py": "",
        }
    )
    sub.write(
        {
            ".gitmodules": '[submodule "vendor"]\n\tpath = vendor\n\turl = https://git.acme.test/extra/lfs.git\n'
        }
    )
    sub.git("add", "-A")
    sub.git("update-index", "--add", "--cacheinfo", f"160000,{lfs.commit_of('v1.0')},vendor")
    sub.git("commit", "-q", "-m", "with a submodule")  # not `commit()`: its `add -A` would drop the gitlink
    sub.tag("v1.0")
    world.link("acme-submod", world.vcs("extra", "submod", sub.commit_of("v1.0"), "acme-submod-1.0"))


def _private(world: ExtraWorld, private_commit: str) -> None:
    world.link("private-lib", world.vcs("private", "private-lib", private_commit, "private-lib-1.0.0"))
    world.link("nocreds-lib", world.vcs("nocreds", "private-lib", private_commit, "nocreds-lib-1.0.0"))


HOSTILE_SUFFIXES = (
    "git+file:///{root}/bare/mono.git@{sha}#egg=acme-evil-1.0",
    "git+ext::sh -c id@{sha}#egg=acme-evil-1.1",
    "git+-uhttps://git.acme.test/extra/mono.git@{sha}#egg=acme-evil-1.2",
    "git+https://evil.example/extra/mono.git@{sha}#egg=acme-evil-1.3",
    "git+http://git.acme.test/extra/mono.git@{sha}#egg=acme-evil-1.4",
    "git+https://git.acme.test/extra/mono.git@{sha}#subdirectory=../..&egg=acme-evil-1.5",
    "git+https://git.acme.test/extra/mono.git@{sha}#subdirectory=/etc&egg=acme-evil-1.6",
    "git+ssh://-oProxyCommand=id/extra/mono.git@{sha}#egg=acme-evil-1.7",
    "git+{root}/bare/mono.git@{sha}#egg=acme-evil-1.8",
    "git+https://git.acme.test/extra/mono.git@main#egg=acme-evil-1.9",
)


def _hostile(world: ExtraWorld) -> None:
    sha = world.repos["mono"].commit_of("v0.5.0")
    for template in HOSTILE_SUFFIXES:
        world.link("acme-evil", template.format(root=world.root, sha=sha))


def build_extra(root: Path, private_commit: str) -> ExtraWorld:
    world = ExtraWorld(root)
    _scm(world)
    _monorepo(world)
    _refused(world)
    _private(world, private_commit)
    _hostile(world)
    for name, repo in world.repos.items():
        repo.mirror_to(world.bare_root / f"{name}.git")
    return world


def write_upstream(acme_site: Path, world: ExtraWorld, dest: Path) -> Path:
    """The acme site as `indexgen build` wrote it, plus the hand-written project pages."""
    shutil.copytree(acme_site, dest)
    simple = dest / "simple"
    for project, hrefs in world.links.items():
        page = simple / project / "index.html"
        page.parent.mkdir(parents=True)
        anchors = [f'<a href="{href.replace("&", "&amp;")}">{project}</a>' for href in hrefs]
        page.write_text("\n".join(anchors) + "\n", encoding="utf-8")
    root_page = simple / "index.html"
    extra = "".join(f'<a href="{p}/">{p}</a>\n' for p in sorted(world.links))
    root_page.write_text(root_page.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return dest
