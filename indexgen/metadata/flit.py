"""flit's older `[tool.flit.metadata]` table (flit < 3.2 style, still built by flit_core): the module,
the distribution name (`dist-name`, else the module's name), `requires-python`, `requires`, and the
version from the module's `__version__`, read statically at the same commit (flit itself reads it
from the module's AST first: flit_core/common.py `get_docstring_and_version_via_ast`)."""

from __future__ import annotations

from ..models import MetadataProblem, MetadataResult, ProjectMetadata
from .common import (
    Table,
    check_name,
    normalise_requires_python,
    normalise_version,
    problem,
    requirements_of,
    table,
)
from .files import Tree, Unresolved
from .pyproject import FLIT_BACKENDS, build_backend, flit_summary, flit_version


def from_flit_metadata(doc: Table, tree: Tree) -> MetadataResult | None:
    """None when there is no `[tool.flit.metadata]` or flit does not build the project."""
    meta = table(doc, "tool", "flit", "metadata")
    if meta is None or build_backend(doc) not in FLIT_BACKENDS:
        return None
    module = meta.get("module")
    if not isinstance(module, str):
        return problem("pyproject.toml [tool.flit.metadata] has no module string")
    name = meta.get("dist-name", module)
    if not isinstance(name, str):
        return problem("pyproject.toml [tool.flit.metadata] dist-name is not a string")
    if bad := check_name(name):
        return bad
    try:
        version = flit_version(tree, module)
    except Unresolved as exc:
        return problem(f"flit reads the version from module {module}: {exc.reason}")
    normal = normalise_version(version, f"{module}.__version__")
    if isinstance(normal, MetadataProblem):
        return normal
    requires_python: str | None = None
    raw_rp = meta.get("requires-python")
    if isinstance(raw_rp, str):
        rp = normalise_requires_python(raw_rp)
        if isinstance(rp, MetadataProblem):
            return rp
        requires_python = rp
    return ProjectMetadata(
        name=name,
        version=normal,
        requires_python=requires_python,
        summary=flit_summary(tree, module),
        dependencies=requirements_of(meta.get("requires", [])),
    )
