"""The copyable snippets of a project page: pip and its configuration, and the direct references and
source tables for the tools that cannot read the index (uv, Poetry), which must name every private
dependency themselves. Pure: text in, text out.
"""

from __future__ import annotations

import functools
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import NamedTuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from .models import Project, Release


class Snippet(NamedTuple):  # a tuple: macros.html unpacks it, nine times per project page
    id: str
    label: str
    text: str


@dataclass(frozen=True)
class Pin:
    """A private dependency pinned by a source: which version, and the range the pin replaces."""

    name: str
    version: str
    wanted: str  # the range the dependent asks for, "" when any version would do


@functools.lru_cache(maxsize=8192)
def parse_version(text: str) -> Version:
    """Parsed once: an org's projects share most version strings ("1.0.0"), and pages ask often."""
    return Version(text)


@functools.lru_cache(maxsize=8192)
def parse_requirement(text: str) -> Requirement | None:
    """Parsed once per text: every page that names a dependency asks again."""
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


@functools.lru_cache(maxsize=8192)
def named_requirement(text: str) -> tuple[Requirement, NormalizedName] | None:
    """The requirement and the canonical name it names, None when it does not parse. Cached like
    `parse_requirement`: the home page, every project page and "used by" ask for the same texts."""
    requirement = parse_requirement(text)
    return (requirement, canonicalize_name(requirement.name)) if requirement else None


def _newest_matching(project: Project, requirement: Requirement) -> Release:
    """The release a source would best pin: the newest that satisfies the range, else the latest."""
    latest = project.latest
    if not requirement.specifier or requirement.specifier.contains(parse_version(latest.version)):
        return latest  # the common case, without testing every version
    allowed = set(requirement.specifier.filter([r.version for r in project.releases]))
    matching = [r for r in project.releases if r.version in allowed]
    return matching[-1] if matching else project.latest


def private_closure(
    release: Release, by_name: Mapping[str, Project]
) -> list[tuple[Release, Requirement | None]]:
    """The release and every private project it needs, transitively through the static dependencies
    of the release each pin picks, each once: what a uv/Poetry/Pipfile source list must name, since
    neither uv nor Poetry applies a source to a transitive dependency (uv#11388, poetry#2610)."""
    pinned: list[tuple[Release, Requirement | None]] = [(release, None)]
    seen = {release.project}
    queue = [release]
    while queue:
        current = queue.pop(0)
        for text in current.dependencies:
            parsed = named_requirement(text)
            if parsed is None or parsed[1] in seen or parsed[1] not in by_name:
                continue
            requirement, name = parsed
            seen.add(name)
            chosen = _newest_matching(by_name[name], requirement)
            pinned.append((chosen, requirement))
            queue.append(chosen)
    return pinned


def _git_source(release: Release) -> tuple[str, str, str]:
    """(git URL, commit, subdirectory) of a release's link `git+URL@SHA#[subdirectory=…&]egg=…`."""
    base, _, fragment = release.url.partition("#")
    repo_url = base.removeprefix("git+").rsplit("@", 1)[0]
    # Only a monorepo's links carry one; parsing every fragment would cost most of a page's snippets.
    subdirectory = (
        urllib.parse.parse_qs(fragment).get("subdirectory", [""])[0] if "subdirectory=" in fragment else ""
    )
    return repo_url, release.commit, subdirectory


def _direct_reference(release: Release) -> str:
    repo_url, commit, subdirectory = _git_source(release)
    tail = f"#subdirectory={subdirectory}" if subdirectory else ""
    return f"{release.project} @ git+{repo_url}@{commit}{tail}"


def _toml(value: str) -> str:
    # A JSON string is a valid TOML basic string; this is json.dumps(value) without its checks.
    return encode_basestring_ascii(value)


def _source_table(release: Release) -> str:
    repo_url, commit, subdirectory = _git_source(release)
    sub = f", subdirectory = {_toml(subdirectory)}" if subdirectory else ""
    return f"{release.project} = {{ git = {_toml(repo_url)}, rev = {_toml(commit)}{sub} }}"


def setup_snippets(index_url: str) -> list[Snippet]:
    return [
        Snippet(
            "setup-config",
            "Once per machine: pip config",
            f"pip config set global.extra-index-url {index_url}",
        ),
        Snippet("setup-env", "Or per shell / CI job: environment", f"export PIP_EXTRA_INDEX_URL={index_url}"),
    ]


def install_snippets(release: Release, index_url: str) -> list[Snippet]:
    """The release's own install lines; the page follows them with `setup_snippets`, the same on
    every page."""
    name, version = release.project, release.version
    return [
        Snippet("pip-install", "pip install", f"pip install --extra-index-url {index_url} {name}"),
        Snippet("requirements", "requirements.txt", f"--extra-index-url {index_url}\n{name}=={version}"),
        Snippet("pyproject", "pyproject.toml", f'[project]\ndependencies = [\n    "{name}>={version}",\n]'),
    ]


def source_snippets(closure: list[tuple[Release, Requirement | None]], index_url: str) -> list[Snippet]:
    names = [r.project for r, _ in closure]
    dependencies = "".join(f'    "{n}",\n' for n in names)
    uv_sources = "\n".join(_source_table(r) for r, _ in closure)
    pipfile_packages = "\n".join(f'{n} = {{ version = "*", index = "private" }}' for n in names)
    return [
        Snippet("direct", "Direct reference (uv add, poetry add, pip)", _direct_reference(closure[0][0])),
        Snippet(
            "uv-sources",
            "uv: pyproject.toml",
            f"[project]\ndependencies = [\n{dependencies}]\n\n[tool.uv.sources]\n{uv_sources}",
        ),
        Snippet("poetry", "Poetry: pyproject.toml", f"[tool.poetry.dependencies]\n{uv_sources}"),
        Snippet(
            "pipfile",
            "pipenv: Pipfile (through the index)",
            '[[source]]\nname = "pypi"\nurl = "https://pypi.org/simple"\nverify_ssl = true\n\n'
            f'[[source]]\nname = "private"\nurl = "{index_url}"\nverify_ssl = true\n\n'
            f"[packages]\n{pipfile_packages}",
        ),
    ]


def pins(closure: list[tuple[Release, Requirement | None]]) -> list[Pin]:
    return [
        Pin(r.project, r.version, str(req.specifier) if req and req.specifier else "")
        for r, req in closure[1:]
    ]
