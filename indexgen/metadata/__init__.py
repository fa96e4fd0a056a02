"""Static reading of a project's name, version, Requires-Python, summary and dependencies.

This package owns one decision: what the metadata files of a project at one commit say (DESIGN.md §3).
It turns a `SourceFiles` into a `ProjectMetadata`, or a `MetadataProblem` whose reason becomes the skip
reason of the commit's tags. Nothing is executed: setup.py and version modules are read with `ast` by
a small static evaluator (`pyeval` runs statements, `pybuiltins` knows the standard library calls,
`pyvalues` holds its values), never run or imported; bad input never raises.

Where the sources are read from, in order (first match decides name and version), one module each:
1. `pyproject.toml` `[project]` (`pyproject`), with a dynamic version read from the file the backend
   reads it from (setuptools `attr:`/`file:`, hatchling `path`, flit's module, pdm-backend `file`).
2. `[tool.poetry]` (`poetry`), when poetry-core builds it (also via `intreehooks:loader`).
3. `[tool.flit.metadata]` (`flit`) and `[tool.pdm]` with a name (`pdm`): the older tool tables.
4. `setup.cfg` (`setupcfg`) overridden field by field by the `setup(...)` call in `setup.py` (`setuppy`).

The version is None (the tag's) when the build takes it from git (`DYNAMIC_VERSION_PROVIDERS`,
`[tool.setuptools_scm]`, `[tool.hatch.version] source = "vcs"`, `use_scm_version`, `versioneer`…) or
from something not modelled that is not a file. A version read from a file at the commit is treated
exactly like a literal one: the build compares it with the tag.

Referenced files: the readers see a `files.Tree`. A file it does not hold yet raises `NeedFiles`;
`files_wanted` reports them so that a scanner can fetch them (a few rounds, batched) and parse again.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..models import MetadataProblem, MetadataResult, ProjectMetadata, SourceFiles
from .common import (
    MAX_FILE_BYTES,
    Table,
    check_name,
    is_valid_project_name,
    load_toml,
    normalise_requires_python,
    normalise_version,
    one_line,
    problem,
    quote_value,
    table,
    text_problem,
)
from .declared import Computed, Declared, Given, Value, merge
from .files import MAX_ROUNDS, NeedFiles, Tree
from .flit import from_flit_metadata
from .pdm import from_pdm_table
from .poetry import from_poetry
from .pyproject import (
    DYNAMIC_VERSION_PROVIDERS,
    build_system_problem,
    from_project_table,
    setuptools_version_directive,
    uses_setuptools,
    version_from_vcs,
)
from .setupcfg import read_setup_cfg
from .setuppy import read_setup_py

__all__ = [
    "DYNAMIC_VERSION_PROVIDERS",
    "MAX_FILE_BYTES",
    "MAX_ROUNDS",
    "NO_METADATA_FILES",
    "files_wanted",
    "is_valid_project_name",
    "parse_metadata",
    "pyproject_decides",
    "quote_value",
]

_ROOT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
NO_METADATA_FILES = "no pyproject.toml, setup.cfg or setup.py"
"""The reason for a commit that holds no packaging file at all: not a Python project (there)."""


def _tree(files: SourceFiles, project_dir: str) -> Tree:
    known: dict[str, str | None] = dict(files.referenced)
    for name, text in zip(_ROOT_FILES, (files.pyproject_toml, files.setup_cfg, files.setup_py), strict=False):
        known[f"{project_dir}/{name}" if project_dir else name] = text
    return Tree(known, project_dir)


def parse_metadata(files: SourceFiles, project_dir: str = "") -> MetadataResult:
    """Name, version and Requires-Python of the project in `files` (in `project_dir`, a posix path
    relative to the repository root, "" for the root), read statically, or why not.

    Never raises for bad input and never executes anything. `version` is None when the version is
    dynamic (taken from the tag).
    """
    try:
        return _parse(files, _tree(files, project_dir))
    except NeedFiles as need:
        return problem(f"the metadata refers to files that were not read: {one_line(str(need), 160)}")
    except RecursionError:
        return problem("the metadata nests too deeply to read")


def files_wanted(files: SourceFiles, project_dir: str = "") -> frozenset[str]:
    """Repository paths of the files parsing needs next (empty when it needs none)."""
    try:
        _parse(files, _tree(files, project_dir))
    except NeedFiles as need:
        return need.paths
    except RecursionError:
        pass
    return frozenset()


def _files_problem(problems: Iterable[str]) -> MetadataProblem:
    return problem("; ".join(one_line(p, 200) for p in problems))


def _parse(files: SourceFiles, tree: Tree) -> MetadataResult:
    if files.problems:
        return _files_problem(files.problems)
    for filename, text in zip(
        _ROOT_FILES, (files.pyproject_toml, files.setup_cfg, files.setup_py), strict=False
    ):
        if text is not None and (bad := text_problem(filename, text)):
            return bad

    # pip builds a source tree only through pyproject.toml (PEP 517/518) or setup.py
    # (pip/_internal/pyproject.py `load_pyproject_toml`: "neither 'setup.py' nor 'pyproject.toml' found").
    if files.pyproject_toml is None and files.setup_py is None:
        if files.setup_cfg is not None:
            return problem("setup.cfg without pyproject.toml or setup.py: pip cannot build it")
        return problem(NO_METADATA_FILES)

    doc: Table | None = None
    if files.pyproject_toml is not None:
        loaded = load_toml(files.pyproject_toml)
        if isinstance(loaded, MetadataProblem):
            return loaded
        doc = loaded
        if bad := build_system_problem(doc):
            return bad
        if "project" in doc:
            loaded_doc = doc
            return from_project_table(
                doc["project"], doc, tree, lambda: _setuptools_version(files, tree, loaded_doc)
            )
        for reader in (from_poetry, lambda d: from_flit_metadata(d, tree), lambda d: from_pdm_table(d, tree)):
            result = reader(doc)
            if result is not None:
                return result
        if files.setup_cfg is None and files.setup_py is None:
            return problem("pyproject.toml has no [project] table and there is no setup.cfg or setup.py")

    declared = _declared(files, tree)
    if isinstance(declared, MetadataProblem):
        return declared
    return _finish(declared, version_from_vcs(doc))


def _declared(files: SourceFiles, tree: Tree) -> Declared | MetadataProblem:
    """setup.cfg merged with setup.py, whichever of them is present."""
    cfg = read_setup_cfg(files.setup_cfg, tree) if files.setup_cfg is not None else Declared()
    if isinstance(cfg, MetadataProblem):
        return cfg
    py = read_setup_py(files.setup_py, tree) if files.setup_py is not None else Declared()
    if isinstance(py, MetadataProblem):
        return py
    return merge(cfg, py)


def _setuptools_version(files: SourceFiles, tree: Tree, doc: Table) -> Value:
    """The version setuptools fills into a dynamic `[project] version` from setup.cfg or setup.py.
    A setup.cfg or setup.py we cannot parse gives None (the tag's version): `[project]` is the
    authority here. setuptools applies setup.cfg and setup() keywords before pyproject.toml
    (`Distribution.parse_config_files`)."""
    declared = _declared(files, tree)
    if isinstance(declared, MetadataProblem) or declared.pbr:
        return None
    version = declared.version
    return version if isinstance(version, (str, Computed)) else None


def _finish(declared: Declared, vcs_version: bool) -> MetadataResult:
    """Validate what setup.cfg/setup.py declare into a `ProjectMetadata`.

    `vcs_version`: the build takes the version from git (`version_from_vcs`). A version that is not
    written then counts as dynamic."""
    name = declared.name
    if name is None:
        return problem("no project name in the metadata")
    if isinstance(name, Computed):
        return problem(f"cannot read the project name statically: {name.reason}")
    if not isinstance(name, str):
        return problem("setup.py does not give its name as a literal")
    if bad := check_name(name):
        return bad

    version: str | None
    raw_version = declared.version
    if isinstance(raw_version, str):
        normal = normalise_version(raw_version)
        if isinstance(normal, MetadataProblem):
            return normal
        version = normal
    elif raw_version is Given.DYNAMIC or declared.pbr:
        version = None
    elif isinstance(raw_version, Computed) and not vcs_version:
        return problem(f"the version is computed; cannot read it statically: {raw_version.reason}")
    elif vcs_version:
        version = None
    elif raw_version is None:
        return problem("no version in the metadata")
    else:
        return problem("setup.py may pass its version through **kwargs; cannot read it statically")

    requires_python: str | None = None
    if isinstance(declared.requires_python, str):
        rp = normalise_requires_python(declared.requires_python)
        if isinstance(rp, MetadataProblem):
            return rp
        requires_python = rp
    # A computed python_requires is left unknown: pip still checks Requires-Python after the build.
    return ProjectMetadata(
        name=name,
        version=version,
        requires_python=requires_python,
        summary=declared.summary,
        dependencies=declared.dependencies or (),
    )


def pyproject_decides(text: str) -> bool:
    """True when pyproject.toml alone decides the outcome, so setup.cfg and setup.py need not be read:
    its `[project]` names the project and gives a static version or one setuptools cannot fill from
    them, or the file is malformed (nothing else can repair it). Scanners use this to read less."""
    doc = load_toml(text)
    if isinstance(doc, MetadataProblem):
        return True
    project = table(doc, "project")
    if project is None or not isinstance(project.get("name"), str):
        return False
    dynamic = project.get("dynamic")
    if not (isinstance(dynamic, list) and "version" in dynamic):
        return True
    return not uses_setuptools(doc) or version_from_vcs(doc) or setuptools_version_directive(doc) is not None
