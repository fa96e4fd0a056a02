"""Static reading of a project's name, version and Requires-Python from its metadata files.

This module owns one decision: what `pyproject.toml`, `setup.cfg` and `setup.py` at one commit say about
the project's name, version and Requires-Python (DESIGN.md §3). It turns a `SourceFiles` into a
`ProjectMetadata` or a `MetadataProblem` whose reason becomes the skip reason of the commit's tags.

Rules of the module:
- Nothing is executed: `setup.py` is read with `ast`, never run or imported.
- Bad input never raises: any file can come from any repository, so every failure is a `MetadataProblem`
  with a one-line reason. Reasons quote untrusted text only through `quote_value` (bounded, `repr`-style).
- `packaging` decides every name, version and specifier.

Where the sources are read from, in order (first match decides name and version):
1. `pyproject.toml` `[project]` (PEP 621 / the pyproject metadata spec).
2. `pyproject.toml` `[tool.poetry]` when the build backend is poetry-core and there is no `[project]`.
3. `setup.cfg` `[metadata]` / `[options]`, overridden field by field by a static `setup(...)` call in
   `setup.py`: setuptools lets `setup()` keywords win over `setup.cfg` (`ConfigHandler.__setitem__` in
   `setuptools/config/setupcfg.py` skips an option that is "Already inhabited").

The version is None (dynamic: the tag's) when `[project]` lists it in `dynamic` (unless setuptools fills
it from a literal in setup.cfg/setup.py), when setup.cfg uses `attr:`/`file:`, when setup.py passes
`use_scm_version` or calls `versioneer.get_version()`, or when no version is written and the build takes
it from git (`DYNAMIC_VERSION_PROVIDERS` in `[build-system] requires`, `[tool.setuptools_scm]`,
`[tool.hatch.version] source = "vcs"`...). Otherwise a missing or computed version is a problem.
"""

from __future__ import annotations

import ast
import configparser
import sys
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidName, canonicalize_name
from packaging.version import InvalidVersion, Version

from .models import MetadataProblem, MetadataResult, ProjectMetadata, SourceFiles

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    # tomli is the same parser as tomllib; the ignore covers a dev venv without it (mypy targets 3.10).
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = [
    "DYNAMIC_VERSION_PROVIDERS",
    "MAX_FILE_BYTES",
    "is_valid_project_name",
    "parse_metadata",
    "quote_value",
]

MAX_FILE_BYTES = 1024 * 1024
"""A metadata file larger than this (UTF-8 bytes) is not parsed: real ones are a few kB."""

QUOTE_LIMIT = 60
"""How many characters of an untrusted value a reason may quote."""

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
    }
)
"""Canonical names of build requirements that take the version from git: with one of them in
`[build-system] requires` and no version written anywhere, the version is the tag's."""

_SETUPTOOLS_BACKENDS = frozenset({"setuptools.build_meta", "setuptools.build_meta:__legacy__"})
# poetry-core, and poetry-dynamic-versioning's wrapper around it (which sets the version from git).
_POETRY_BACKENDS = frozenset(
    {"poetry.core.masonry.api", "poetry.masonry.api", "poetry_dynamic_versioning.backend"}
)


# --- reasons -------------------------------------------------------------------------------------------


def quote_value(value: str, limit: int = QUOTE_LIMIT) -> str:
    """`value` quoted for a reason: `repr` (so newlines and control characters are escaped and the
    result is one line), cut to `limit` characters with a trailing `…` when longer."""
    if len(value) <= limit:
        return repr(value)
    return repr(value[:limit]) + "…"


def _one_line(text: str, limit: int = 120) -> str:
    """A message from a parser (it may quote the file) made single-line, printable and bounded."""
    flat = " ".join(text.split())
    flat = "".join(c if c.isprintable() else "?" for c in flat)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _problem(reason: str) -> MetadataProblem:
    return MetadataProblem(reason)


# --- validation of the values ---------------------------------------------------------------------------


def is_valid_project_name(name: str) -> bool:
    """True when `name` is a valid project name: PEP 508's `^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$`,
    case-insensitive, ASCII only, matched against the whole string."""
    # packaging >= 23.2 checks the regex (26.x with fullmatch and re.ASCII). The same regex written as
    # pip writes it (`re.match`, `$`, IGNORECASE without re.ASCII) lets "a\n" and "\u212a" through, so
    # the ASCII/no-whitespace guard does not depend on how the installed packaging spells it.
    if not name.isascii() or any(c.isspace() for c in name):
        return False
    try:
        canonicalize_name(name, validate=True)
    except InvalidName:
        return False
    return True


def _check_name(name: str) -> MetadataProblem | None:
    if not is_valid_project_name(name):
        return _problem(f"invalid project name {quote_value(name)}")
    return None


def _normalise_version(version: str) -> str | MetadataProblem:
    """The PEP 440 normal form of a static version, as the built metadata will carry it."""
    try:
        return str(Version(version))
    except InvalidVersion:
        return _problem(f"invalid version {quote_value(version)} (not PEP 440)")


def _normalise_requires_python(spec: str) -> str | None | MetadataProblem:
    """Requires-Python as `packaging` writes it (it goes to `data-requires-python`); empty → None."""
    if not spec.strip():
        return None
    try:
        return str(SpecifierSet(spec))
    except InvalidSpecifier:
        return _problem(f"invalid requires-python {quote_value(spec)}")


# --- the text of one file -------------------------------------------------------------------------------


def _text_problem(filename: str, text: str) -> MetadataProblem | None:
    """Refuse text no parser should see: too big, binary, or not encodable as UTF-8."""
    if len(text) > MAX_FILE_BYTES:
        return _problem(f"{filename} is larger than 1 MiB; not parsed")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:  # lone surrogates: not text a repository can hold
        return _problem(f"{filename} is not valid UTF-8 text")
    if size > MAX_FILE_BYTES:
        return _problem(f"{filename} is larger than 1 MiB; not parsed")
    if "\x00" in text:
        return _problem(f"{filename} contains a NUL byte; not a text file")
    return None


# --- pyproject.toml -------------------------------------------------------------------------------------

_Table = Mapping[str, object]


def _load_toml(text: str) -> _Table | MetadataProblem:
    try:
        doc: _Table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return _problem(f"pyproject.toml is not valid TOML: {_one_line(str(exc))}")
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        return _problem("pyproject.toml nests too deeply to parse")
    return doc


def _table(doc: _Table, *keys: str) -> _Table | None:
    """The table at `doc[k1][k2]…`, or None where it is absent or not a table."""
    node: object = doc
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node if isinstance(node, Mapping) else None


def _is_list_of_str(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _build_system_problem(doc: _Table) -> MetadataProblem | None:
    """What pip refuses in `[build-system]` before building (pip/_internal/pyproject.py,
    `load_pyproject_toml`): a table without `requires`, a `requires` that is not a list of strings,
    or one that is not a valid PEP 508 requirement. Every install of such a tag fails after the clone."""
    if "build-system" not in doc:
        return None
    build_system = doc["build-system"]
    if not isinstance(build_system, Mapping):
        return _problem("pyproject.toml [build-system] is not a table")
    if "requires" not in build_system:
        return _problem("pyproject.toml [build-system] has no requires: pip refuses to build it")
    requires = build_system["requires"]
    if not isinstance(requires, list) or not _is_list_of_str(requires):
        return _problem("pyproject.toml [build-system] requires is not a list of strings")
    for requirement in requires:
        try:
            Requirement(requirement)
        except InvalidRequirement:
            bad = quote_value(requirement)
            return _problem(f"pyproject.toml [build-system] requires has an invalid requirement {bad}")
    return None


def _build_requires(doc: _Table) -> frozenset[str]:
    """Canonical names of `[build-system] requires` (already checked by `_build_system_problem`)."""
    build_system = _table(doc, "build-system")
    requires = build_system.get("requires") if build_system is not None else None
    names: set[str] = set()
    for requirement in requires if isinstance(requires, list) else ():
        try:
            names.add(canonicalize_name(Requirement(str(requirement)).name))
        except InvalidRequirement:
            continue
    return frozenset(names)


def _build_backend(doc: _Table) -> str | None:
    build_system = _table(doc, "build-system")
    backend = build_system.get("build-backend") if build_system is not None else None
    return backend if isinstance(backend, str) else None


def _uses_setuptools(doc: _Table) -> bool:
    """pip builds with setuptools when no backend is named (PEP 517's fallback, pip's
    `load_pyproject_toml` uses `setuptools.build_meta:__legacy__`)."""
    backend = _build_backend(doc)
    return backend is None or backend in _SETUPTOOLS_BACKENDS


def _version_from_vcs(doc: _Table | None) -> bool:
    """True when the build takes the version from git (setuptools-scm, hatch-vcs and friends)."""
    if doc is None:
        return False
    if _build_requires(doc) & DYNAMIC_VERSION_PROVIDERS:
        return True
    if _table(doc, "tool", "setuptools_scm") is not None or _table(doc, "tool", "setuptools-scm") is not None:
        return True
    if _table(doc, "tool", "versioningit") is not None:
        return True
    hatch_version = _table(doc, "tool", "hatch", "version")
    if hatch_version is not None and hatch_version.get("source") == "vcs":
        return True
    pdv = _table(doc, "tool", "poetry-dynamic-versioning")
    return pdv is not None and pdv.get("enable") is True


def _from_project_table(project: object, dynamic_version: str | None) -> MetadataResult:
    """PEP 621 `[project]`. `dynamic_version` is a version setuptools will fill in from setup.cfg or
    setup.py when `[project]` lists `version` as dynamic (None when unknown: the tag's is taken)."""
    if not isinstance(project, Mapping):
        return _problem("pyproject.toml [project] is not a table")
    dynamic = project.get("dynamic", [])
    if not _is_list_of_str(dynamic):
        return _problem("pyproject.toml [project] dynamic is not a list of strings")
    assert isinstance(dynamic, list)
    # PEP 621: "name" may not be dynamic, and a field given statically must not also be listed in dynamic.
    if "name" in dynamic:
        return _problem("pyproject.toml [project] lists name in dynamic, which PEP 621 forbids")
    for field in ("version", "requires-python"):
        if field in dynamic and field in project:
            return _problem(f"pyproject.toml [project] gives {field} and lists it in dynamic (PEP 621)")

    name = project.get("name")
    if name is None:
        return _problem("pyproject.toml [project] has no name")
    if not isinstance(name, str):
        return _problem("pyproject.toml [project] name is not a string")
    if problem := _check_name(name):
        return problem

    version: str | None
    if "version" in dynamic:
        version = dynamic_version
    elif "version" in project:
        raw = project["version"]
        if not isinstance(raw, str):
            return _problem("pyproject.toml [project] version is not a string")
        version = raw
    else:
        return _problem("pyproject.toml [project] has no version and does not list it in dynamic")
    if version is not None:
        normal = _normalise_version(version)
        if isinstance(normal, MetadataProblem):
            return normal
        version = normal

    requires_python: str | None = None
    raw_rp = project.get("requires-python")
    if raw_rp is not None:
        if not isinstance(raw_rp, str):
            return _problem("pyproject.toml [project] requires-python is not a string")
        rp = _normalise_requires_python(raw_rp)
        if isinstance(rp, MetadataProblem):
            return rp
        requires_python = rp
    return ProjectMetadata(name=name, version=version, requires_python=requires_python)


def _from_poetry(doc: _Table) -> MetadataResult | None:
    """Poetry < 2 keeps name and version in `[tool.poetry]` (poetry-core reads them there). None when
    the project is not built by poetry-core. Poetry's `python` constraint is not PEP 440, so
    Requires-Python is left unknown (pip still checks it after the build)."""
    poetry = _table(doc, "tool", "poetry")
    if poetry is None or _build_backend(doc) not in _POETRY_BACKENDS:
        return None
    name = poetry.get("name")
    if not isinstance(name, str):
        return _problem("pyproject.toml [tool.poetry] has no name string")
    if problem := _check_name(name):
        return problem
    if _version_from_vcs(doc):
        return ProjectMetadata(name=name, version=None)
    version = poetry.get("version")
    if not isinstance(version, str):
        return _problem("pyproject.toml [tool.poetry] has no version string")
    normal = _normalise_version(version)
    if isinstance(normal, MetadataProblem):
        return normal
    return ProjectMetadata(name=name, version=normal)


# --- what setup.cfg and setup.py declare ------------------------------------------------------------------


class _Given(Enum):
    """A field a file sets without a literal we can read."""

    DYNAMIC = "dynamic"  # deferred on purpose: `attr:` / `file:` in setup.cfg, `use_scm_version` in setup.py
    COMPUTED = "computed"  # an explicit keyword whose value is an expression
    MAYBE = "maybe"  # not given by keyword, but `setup(**kwargs)` may carry it


_Value = str | _Given | None  # None: the file does not set the field


@dataclass(frozen=True)
class _Declared:
    """What one of setup.cfg / setup.py declares."""

    name: _Value = None
    version: _Value = None
    requires_python: _Value = None
    pbr: bool = False  # setup(pbr=True): pbr takes the version from git when none is written


def _merge(cfg: _Declared, py: _Declared) -> _Declared:
    """setup.py keywords win over setup.cfg (setuptools applies setup.cfg only to fields still unset);
    a field that setup.py may pass through `**kwargs` keeps setup.cfg's value when it has one."""

    def pick(py_value: _Value, cfg_value: _Value) -> _Value:
        if py_value is None:
            return cfg_value
        if py_value is _Given.MAYBE and cfg_value is not None:
            return cfg_value
        return py_value

    return _Declared(
        name=pick(py.name, cfg.name),
        version=pick(py.version, cfg.version),
        requires_python=pick(py.requires_python, cfg.requires_python),
        pbr=py.pbr,
    )


def _read_setup_cfg(text: str) -> _Declared | MetadataProblem:
    """`[metadata] name`, `[metadata] version`, `[options] python_requires`, as setuptools reads them
    (setuptools/dist.py `_parse_config_files`; `attr:`/`file:` directives from
    setuptools/config/setupcfg.py). No interpolation: a `%` in an unrelated value must not fail us."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source="setup.cfg")
    except configparser.MissingSectionHeaderError as exc:
        return _problem(f"setup.cfg is not valid INI: line {exc.lineno} is outside any [section]")
    except configparser.DuplicateSectionError as exc:
        return _problem(f"setup.cfg is not valid INI: section {quote_value(str(exc.section))} appears twice")
    except configparser.DuplicateOptionError as exc:
        return _problem(
            f"setup.cfg is not valid INI: option {quote_value(str(exc.option))} appears twice in "
            f"[{quote_value(str(exc.section))}]"
        )
    except configparser.ParsingError as exc:
        lines = ", ".join(str(lineno) for lineno, _ in exc.errors[:5])
        return _problem(f"setup.cfg is not valid INI: cannot parse line {lines}")
    except (configparser.Error, ValueError) as exc:
        return _problem(f"setup.cfg is not valid INI: {type(exc).__name__}")

    def option(section: str, *keys: str) -> str | None:
        # setuptools still accepts dashed keys (`python-requires`, with a deprecation warning).
        for key in keys:
            if parser.has_option(section, key):
                value = parser.get(section, key).strip()
                return value or None
        return None

    version: _Value = option("metadata", "version")
    if isinstance(version, str) and version.startswith(("attr:", "file:")):
        version = _Given.DYNAMIC  # read at build time from the package or a file: not known statically
    return _Declared(
        name=option("metadata", "name"),
        version=version,
        requires_python=option("options", "python_requires", "python-requires"),
    )


def _is_setup_call(node: ast.AST) -> bool:
    """`setup(...)`, `setuptools.setup(...)` or `distutils.core.setup(...)`."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name):
        return func.id == "setup"
    if isinstance(func, ast.Attribute) and func.attr == "setup":
        root = func.value
        while isinstance(root, ast.Attribute):
            root = root.value
        return isinstance(root, ast.Name) and root.id in {"setuptools", "distutils"}
    return False


def _string_constants(module: ast.Module) -> dict[str, str]:
    """Module-level `NAME = "literal"` bound exactly once in the whole module. A name bound anywhere
    else too (another assignment, an import, a loop, a function's local) is not trusted as a constant."""
    bindings: dict[str, int] = {}
    for node in ast.walk(module):
        names: list[str] = []
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names = [node.id]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [(alias.asname or alias.name).split(".")[0] for alias in node.names]
        for name in names:
            bindings[name] = bindings.get(name, 0) + 1

    constants: dict[str, str] = {}
    for stmt in module.body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.simple:
            target, value = stmt.target, stmt.value
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
            and bindings.get(target.id) == 1
        ):
            constants[target.id] = value.value
    return constants


def _literal(node: ast.expr, constants: Mapping[str, str]) -> str | None:
    """A string literal, or a module constant referenced by name; None for anything computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


# `version=versioneer.get_version()` / `setuptools_scm.get_version()`: the version of the checked-out tag.
_VCS_VERSION_CALLS = frozenset({("versioneer", "get_version"), ("setuptools_scm", "get_version")})


def _is_vcs_version_call(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and (node.func.value.id, node.func.attr) in _VCS_VERSION_CALLS
    )


def _is_false(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value in (False, None)


def _declared_by_call(call: ast.Call, constants: Mapping[str, str]) -> _Declared:
    keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg is not None}
    has_star_star = any(kw.arg is None for kw in call.keywords)  # `**kwargs` is not followed

    def field(keyword: str) -> _Value:
        if keyword in keywords:
            literal = _literal(keywords[keyword], constants)
            return literal if literal is not None else _Given.COMPUTED
        return _Given.MAYBE if has_star_star else None

    version = field("version")
    scm = keywords.get("use_scm_version")
    if scm is not None and not _is_false(scm):
        version = _Given.DYNAMIC  # setuptools-scm sets the version from git, over any `version=`
    elif "version" in keywords and _is_vcs_version_call(keywords["version"]):
        version = _Given.DYNAMIC
    pbr = keywords.get("pbr")
    return _Declared(
        name=field("name"),
        version=version,
        requires_python=field("python_requires"),
        pbr=pbr is not None and not _is_false(pbr),
    )


def _read_setup_py(text: str) -> _Declared | MetadataProblem:
    """The keywords of the `setup()` call, read with `ast`: never executed."""
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences etc. warn at parse time; they are the project's business.
            warnings.simplefilter("ignore")
            module = ast.parse(text, filename="setup.py")
    except SyntaxError as exc:
        return _problem(f"setup.py has a syntax error at line {exc.lineno}: {_one_line(exc.msg or '', 60)}")
    except (ValueError, RecursionError, MemoryError):
        return _problem("setup.py cannot be parsed")

    calls = sorted(
        (node for node in ast.walk(module) if _is_setup_call(node)),
        key=lambda node: (getattr(node, "lineno", 0), getattr(node, "col_offset", 0)),
    )
    if not calls:
        return _problem("setup.py has no setup() call")
    constants = _string_constants(module)
    declared = {_declared_by_call(call, constants) for call in calls if isinstance(call, ast.Call)}
    if len(declared) > 1:
        # e.g. one call per Python version: which one runs is decided at run time.
        return _problem("setup.py calls setup() in several places with different arguments")
    return declared.pop()


# --- putting it together ----------------------------------------------------------------------------------


def _finish(declared: _Declared, vcs_version: bool) -> MetadataResult:
    """Validate what setup.cfg/setup.py declare into a `ProjectMetadata`.

    `vcs_version`: the build takes the version from git (`_version_from_vcs`). A version that is not
    written (or is computed) then counts as dynamic: leaving the release out would be worse than a
    rare build whose version disagrees (pip discards that one after the build)."""
    name = declared.name
    if name is None:
        return _problem("no project name in the metadata")
    if not isinstance(name, str):
        return _problem("setup.py does not give its name as a literal")
    if problem := _check_name(name):
        return problem

    version: str | None
    raw_version = declared.version
    if isinstance(raw_version, str):
        normal = _normalise_version(raw_version)
        if isinstance(normal, MetadataProblem):
            return normal
        version = normal
    elif raw_version is _Given.DYNAMIC or vcs_version or declared.pbr:
        version = None
    elif raw_version is None:
        return _problem("no version in the metadata")
    else:
        return _problem("setup.py computes its version; cannot read it statically")

    requires_python: str | None = None
    if isinstance(declared.requires_python, str):
        rp = _normalise_requires_python(declared.requires_python)
        if isinstance(rp, MetadataProblem):
            return rp
        requires_python = rp
    # A computed python_requires is left unknown: pip still checks Requires-Python after the build.
    return ProjectMetadata(name=name, version=version, requires_python=requires_python)


def _declared(files: SourceFiles) -> _Declared | MetadataProblem:
    """setup.cfg merged with setup.py, whichever of them is present."""
    cfg = _read_setup_cfg(files.setup_cfg) if files.setup_cfg is not None else _Declared()
    if isinstance(cfg, MetadataProblem):
        return cfg
    py = _read_setup_py(files.setup_py) if files.setup_py is not None else _Declared()
    if isinstance(py, MetadataProblem):
        return py
    return _merge(cfg, py)


def _setuptools_dynamic_version(files: SourceFiles, doc: _Table) -> str | None:
    """The literal version setuptools fills into a dynamic `[project] version` from setup.cfg or
    setup.py, when one is written there and nothing takes it from git. A setup.cfg or setup.py we cannot
    read gives None (the tag's version), never a problem: `[project]` is the authority here.

    setuptools applies setup.cfg and setup() keywords before pyproject.toml (`Distribution.
    parse_config_files`), and a dynamic version without `[tool.setuptools.dynamic] version` keeps the
    value set before (setuptools/config/pyprojecttoml.py `_obtain_version`)."""
    setuptools_dynamic = _table(doc, "tool", "setuptools", "dynamic")
    if (
        not _uses_setuptools(doc)
        or _version_from_vcs(doc)
        or (setuptools_dynamic is not None and "version" in setuptools_dynamic)
    ):
        return None
    declared = _declared(files)
    if isinstance(declared, MetadataProblem) or declared.pbr or not isinstance(declared.version, str):
        return None
    return declared.version


def pyproject_decides(text: str) -> bool:
    """True when pyproject.toml alone decides the outcome, so setup.cfg and setup.py need not be read:
    its `[project]` names the project and gives a static version or one setuptools cannot fill from
    them, or the file is malformed (nothing else can repair it). Scanners use this to read less."""
    doc = _load_toml(text)
    if isinstance(doc, MetadataProblem):
        return True
    project = _table(doc, "project")
    if project is None or not isinstance(project.get("name"), str):
        return False
    dynamic = project.get("dynamic")
    if not (isinstance(dynamic, list) and "version" in dynamic):
        return True
    setuptools_dynamic = _table(doc, "tool", "setuptools", "dynamic")
    return (
        not _uses_setuptools(doc)
        or _version_from_vcs(doc)
        or (setuptools_dynamic is not None and "version" in setuptools_dynamic)
    )


def _files_problem(problems: Iterable[str]) -> MetadataProblem:
    return _problem("; ".join(_one_line(p, 200) for p in problems))


def parse_metadata(files: SourceFiles) -> MetadataResult:
    """Name, version and Requires-Python of the project in `files`, read statically, or why not.

    Never raises for bad input and never executes anything. `version` is None when the version is
    dynamic (taken from the tag).
    """
    if files.problems:
        return _files_problem(files.problems)
    for filename, text in (
        ("pyproject.toml", files.pyproject_toml),
        ("setup.cfg", files.setup_cfg),
        ("setup.py", files.setup_py),
    ):
        if text is not None and (problem := _text_problem(filename, text)):
            return problem

    # pip builds a source tree only through pyproject.toml (PEP 517/518) or setup.py
    # (pip/_internal/pyproject.py `load_pyproject_toml`: "neither 'setup.py' nor 'pyproject.toml' found").
    if files.pyproject_toml is None and files.setup_py is None:
        if files.setup_cfg is not None:
            return _problem("setup.cfg without pyproject.toml or setup.py: pip cannot build it")
        return _problem("no pyproject.toml, setup.cfg or setup.py")

    doc: _Table | None = None
    if files.pyproject_toml is not None:
        loaded = _load_toml(files.pyproject_toml)
        if isinstance(loaded, MetadataProblem):
            return loaded
        doc = loaded
        if problem := _build_system_problem(doc):
            return problem
        if "project" in doc:
            return _from_project_table(doc["project"], _setuptools_dynamic_version(files, doc))
        poetry = _from_poetry(doc)
        if poetry is not None:
            return poetry
        if files.setup_cfg is None and files.setup_py is None:
            return _problem("pyproject.toml has no [project] table and there is no setup.cfg or setup.py")

    declared = _declared(files)
    if isinstance(declared, MetadataProblem):
        return declared
    return _finish(declared, _version_from_vcs(doc))
