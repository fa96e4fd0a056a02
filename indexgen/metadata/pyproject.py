"""pyproject.toml `[build-system]` and `[project]` (PEP 621 / the pyproject metadata spec), with the
version a backend reads from a file at the same commit when `[project]` lists it in `dynamic`:
setuptools `[tool.setuptools.dynamic] version = {attr|file}`, hatchling `[tool.hatch.version] path`,
flit's module `__version__`, pdm-backend `[tool.pdm.version] source = "file"`."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..models import MetadataProblem, MetadataResult, ProjectMetadata
from .common import (
    Table,
    check_name,
    is_list_of_str,
    normalise_requires_python,
    normalise_version,
    problem,
    quote_value,
    requirements_of,
    summary_of,
    table,
)
from .declared import Computed, Value
from .files import NeedFiles, Tree, Unresolved, module_candidates
from .pyeval import Context
from .pyvalues import literal_assignments, parse_python, version_text
from .setupcfg import attr_version

DYNAMIC_VERSION_PROVIDERS = frozenset(
    {
        "setuptools-scm",
        "hatch-vcs",
        "versioningit",
        "dunamai",
        "poetry-dynamic-versioning",
        "setuptools-git-versioning",
        "pbr",
        "versioneer",
        "pdm-backend-scm",
    }
)
"""Canonical names of build requirements that take the version from git: with one of them in
`[build-system] requires` and no version written anywhere, the version is the tag's."""

SETUPTOOLS_BACKENDS = frozenset({"setuptools.build_meta", "setuptools.build_meta:__legacy__"})
FLIT_BACKENDS = frozenset({"flit_core.buildapi", "flit.buildapi"})
HATCH_BACKENDS = frozenset({"hatchling.build"})
PDM_BACKENDS = frozenset({"pdm.backend", "pdm.pep517.api", "pdm.builders.api"})


def build_system_problem(doc: Table) -> MetadataProblem | None:
    """What pip refuses in `[build-system]` before building (pip/_internal/pyproject.py,
    `load_pyproject_toml`): a table without `requires`, a `requires` that is not a list of strings,
    or one that is not a valid PEP 508 requirement. Every install of such a tag fails after the clone."""
    if "build-system" not in doc:
        return None
    build_system = doc["build-system"]
    if not isinstance(build_system, Mapping):
        return problem("pyproject.toml [build-system] is not a table")
    if "requires" not in build_system:
        return problem("pyproject.toml [build-system] has no requires: pip refuses to build it")
    requires = build_system["requires"]
    if not isinstance(requires, list) or not is_list_of_str(requires):
        return problem("pyproject.toml [build-system] requires is not a list of strings")
    for requirement in requires:
        try:
            Requirement(requirement)
        except InvalidRequirement:
            bad = quote_value(requirement)
            return problem(f"pyproject.toml [build-system] requires has an invalid requirement {bad}")
    return None


def build_requires(doc: Table) -> frozenset[str]:
    """Canonical names of `[build-system] requires` (already checked by `build_system_problem`)."""
    build_system = table(doc, "build-system")
    requires = build_system.get("requires") if build_system is not None else None
    names: set[str] = set()
    for requirement in requires if isinstance(requires, list) else ():
        try:
            names.add(canonicalize_name(Requirement(str(requirement)).name))
        except InvalidRequirement:
            continue
    return frozenset(names)


def build_backend(doc: Table) -> str | None:
    """The backend that builds the project: through `intreehooks:loader`, the one it loads from
    `[tool.intreehooks] build-backend` (how poetry and pdm once built themselves)."""
    build_system = table(doc, "build-system")
    backend = build_system.get("build-backend") if build_system is not None else None
    if backend == "intreehooks:loader":
        backend = (table(doc, "tool", "intreehooks") or {}).get("build-backend")
    return backend if isinstance(backend, str) else None


def uses_setuptools(doc: Table) -> bool:
    """pip builds with setuptools when no backend is named (PEP 517's fallback, pip's
    `load_pyproject_toml` uses `setuptools.build_meta:__legacy__`)."""
    backend = build_backend(doc)
    return backend is None or backend in SETUPTOOLS_BACKENDS


def version_from_vcs(doc: Table | None) -> bool:
    """True when the build takes the version from git (setuptools-scm, hatch-vcs and friends)."""
    if doc is None:
        return False
    if build_requires(doc) & DYNAMIC_VERSION_PROVIDERS:
        return True
    if table(doc, "tool", "setuptools_scm") is not None or table(doc, "tool", "setuptools-scm") is not None:
        return True
    if table(doc, "tool", "versioningit") is not None:
        return True
    hatch_version = table(doc, "tool", "hatch", "version")
    if hatch_version is not None and hatch_version.get("source") == "vcs":
        return True
    pdm_version = table(doc, "tool", "pdm", "version")
    if pdm_version is not None and pdm_version.get("source") == "scm":
        return True
    pdv = table(doc, "tool", "poetry-dynamic-versioning")
    return pdv is not None and pdv.get("enable") is True


def setuptools_version_directive(doc: Table) -> Mapping[str, object] | None:
    dynamic = table(doc, "tool", "setuptools", "dynamic")
    directive = dynamic.get("version") if dynamic is not None else None
    return directive if isinstance(directive, Mapping) else None


def package_dirs(doc: Table) -> dict[str, str] | None:
    raw = (table(doc, "tool", "setuptools") or {}).get("package-dir")
    if not isinstance(raw, Mapping):
        return None
    return {str(k): str(v).strip("/") for k, v in raw.items() if isinstance(v, str)}


def file_version(doc: Table, tree: Tree, module_name: str) -> Value:
    """The version a backend reads from a file at this commit for a dynamic `[project] version`;
    None when the backend takes it from elsewhere (git, or something we do not model)."""
    backend = build_backend(doc)
    try:
        if uses_setuptools(doc):
            directive = setuptools_version_directive(doc)
            if directive is None:
                return None
            if isinstance(directive.get("attr"), str):
                return attr_version(str(directive["attr"]), tree, package_dirs(doc))
            files = directive.get("file")
            files = [files] if isinstance(files, str) else files
            if is_list_of_str(files) and isinstance(files, list) and len(files) == 1:
                return tree.read(files[0]).strip()
            raise Unresolved("[tool.setuptools.dynamic] version is neither attr nor one file")
        if backend in HATCH_BACKENDS:
            hatch = table(doc, "tool", "hatch", "version")
            if hatch is None or hatch.get("source", "regex") != "regex":
                return None
            if "pattern" in hatch:
                raise Unresolved("[tool.hatch.version] has a custom pattern")
            path = hatch.get("path")
            if not isinstance(path, str):
                raise Unresolved("[tool.hatch.version] has no path")
            return hatch_version(tree, path)
        if backend in FLIT_BACKENDS:
            module = (table(doc, "tool", "flit", "module") or {}).get("name", module_name)
            return flit_version(tree, str(module))
        if backend in PDM_BACKENDS:
            pdm = table(doc, "tool", "pdm", "version")
            if pdm is None or pdm.get("source") != "file":
                return None
            path = pdm.get("path")
            if not isinstance(path, str):
                raise Unresolved("[tool.pdm.version] has no path")
            return single_assignment(tree, path, ("__version__",))
    except Unresolved as exc:
        return Computed(exc.reason)
    return None


def single_assignment(tree: Tree, path: str, names: tuple[str, ...]) -> str:
    """The one `NAME = "literal"` a backend's regex finds in the file (hatchling's default pattern takes
    `__version__` or `VERSION`, pdm-backend's `__version__`); two different values are ambiguous."""
    module = parse_python(tree.read(path), tree.path(path))
    values = [v for name in names for v in literal_assignments(module, name)]
    if not values:
        raise Unresolved(f"{tree.path(path)} assigns no {' or '.join(names)} literal")
    if len(set(values)) > 1:
        raise Unresolved(f"{tree.path(path)} assigns {' / '.join(names)} {len(values)} different values")
    return values[0]


def hatch_version(tree: Tree, path: str) -> str:
    # hatchling/version/source/regex.py DEFAULT_PATTERN:
    # `^(__version__|VERSION) *= *(['"])v?(?P<version>.+?)\2`
    value = single_assignment(tree, path, ("__version__", "VERSION"))
    return value[1:] if value[:1] == "v" else value


def flit_version(tree: Tree, module: str) -> str:
    """flit reads the module's `__version__` from its AST (flit_core/common.py
    `get_docstring_and_version_via_ast`); we follow the same module with the static evaluator."""
    ctx = Context(tree)
    return version_text(ctx.module_attr(module_candidates(module), "__version__"))


def flit_summary(tree: Tree, module: str) -> str | None:
    """flit's summary: the first line of the module's docstring (flit_core/common.py `make_metadata`);
    None when the module has none or cannot be read (it was fetched for the version already)."""
    try:
        path = tree.first(module_candidates(module))
        if path is None:
            return None
        docstring = ast.get_docstring(parse_python(tree.read(path), path))
    except (Unresolved, NeedFiles):
        return None
    lines = (docstring or "").lstrip().splitlines()
    return summary_of(lines[0]) if lines else None


def from_project_table(
    project: object, doc: Table, tree: Tree, setuptools_version: Callable[[], Value]
) -> MetadataResult:
    """PEP 621 `[project]`. `setuptools_version` is what setup.cfg/setup.py give setuptools for a
    dynamic version (None when nothing)."""
    if not isinstance(project, Mapping):
        return problem("pyproject.toml [project] is not a table")
    dynamic = project.get("dynamic", [])
    if not is_list_of_str(dynamic):
        return problem("pyproject.toml [project] dynamic is not a list of strings")
    assert isinstance(dynamic, list)
    # PEP 621: "name" may not be dynamic, and a field given statically must not also be listed in dynamic.
    if "name" in dynamic:
        return problem("pyproject.toml [project] lists name in dynamic, which PEP 621 forbids")
    for field_name in ("version", "requires-python"):
        legacy_pdm = field_name == "version" and isinstance(project.get("version"), Mapping)
        if field_name in dynamic and field_name in project and not legacy_pdm:
            return problem(f"pyproject.toml [project] gives {field_name} and lists it in dynamic (PEP 621)")

    name = project.get("name")
    if name is None:
        return problem("pyproject.toml [project] has no name")
    if not isinstance(name, str):
        return problem("pyproject.toml [project] name is not a string")
    if bad := check_name(name):
        return bad

    module_name = name.replace("-", "_").replace(".", "_")  # flit's default module for the name
    version: str | None
    legacy = project.get("version")
    if build_backend(doc) in PDM_BACKENDS and isinstance(legacy, Mapping):
        # pdm-pep517 < 1 read `version = {use_scm = true}` / `{from = "pkg/__init__.py"}` in [project]
        # (next to `dynamic = ["version"]`, which PEP 621 would refuse).
        raw_legacy = pdm_legacy_version(legacy, tree)
        if isinstance(raw_legacy, Computed):
            return problem(f"pdm reads the version from a file we cannot read: {raw_legacy.reason}")
        version = raw_legacy
    elif "version" in dynamic:
        raw: Value = None
        if not version_from_vcs(doc):
            raw = file_version(doc, tree, module_name)
            if raw is None and uses_setuptools(doc) and setuptools_version_directive(doc) is None:
                raw = setuptools_version()
        if isinstance(raw, Computed):
            return problem(f"the build reads its version from a file we cannot read: {raw.reason}")
        version = raw if isinstance(raw, str) else None
    elif "version" in project:
        literal = project["version"]
        if not isinstance(literal, str):
            return problem("pyproject.toml [project] version is not a string")
        version = literal
    else:
        return problem("pyproject.toml [project] has no version and does not list it in dynamic")
    if version is not None:
        normal = normalise_version(version)
        if isinstance(normal, MetadataProblem):
            return normal
        version = normal

    requires_python: str | None = None
    raw_rp = project.get("requires-python")
    if raw_rp is not None:
        if not isinstance(raw_rp, str):
            return problem("pyproject.toml [project] requires-python is not a string")
        rp = normalise_requires_python(raw_rp)
        if isinstance(rp, MetadataProblem):
            return rp
        requires_python = rp
    return ProjectMetadata(
        name=name,
        version=version,
        requires_python=requires_python,
        summary=summary_of(project.get("description"))
        if "description" not in dynamic or build_backend(doc) not in FLIT_BACKENDS
        else flit_summary(tree, str((table(doc, "tool", "flit", "module") or {}).get("name", module_name))),
        dependencies=requirements_of(project.get("dependencies", [])),
    )


def pdm_legacy_version(raw: Mapping[str, object], tree: Tree) -> str | None | Computed:
    """pdm-pep517's older version table: `{use_scm = true}` (the tag's version, None) or
    `{from = "path"}` (the file's `__version__`, read with pdm-pep517's regex
    `__version__\\s*=\\s*["'](.+?)["']`, that is its one literal assignment)."""
    if raw.get("use_scm") is True:
        return None
    source = raw.get("from")
    if not isinstance(source, str):
        return Computed("the version table names neither use_scm nor from")
    try:
        return single_assignment(tree, source, ("__version__",))
    except Unresolved as exc:
        return Computed(exc.reason)
