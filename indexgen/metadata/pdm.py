"""pdm's older `[tool.pdm]` metadata table (pdm-pep517 before PEP 621): `name`, `version` as a string,
`{use_scm = true}` (the tag's version) or `{from = "pkg/__init__.py"}` (the file's `__version__`),
`description`. Dependencies and Requires-Python of that format are left unknown."""

from __future__ import annotations

from collections.abc import Mapping

from ..models import MetadataProblem, MetadataResult, ProjectMetadata
from .common import Table, check_name, normalise_version, problem, summary_of, table
from .declared import Computed
from .files import Tree
from .pyproject import PDM_BACKENDS, build_backend, pdm_legacy_version


def from_pdm_table(doc: Table, tree: Tree) -> MetadataResult | None:
    """None when there is no `[tool.pdm] name` or pdm does not build the project."""
    pdm = table(doc, "tool", "pdm")
    if pdm is None or "name" not in pdm or build_backend(doc) not in PDM_BACKENDS:
        return None
    name = pdm.get("name")
    if not isinstance(name, str):
        return problem("pyproject.toml [tool.pdm] name is not a string")
    if bad := check_name(name):
        return bad
    raw = pdm.get("version")
    version: str | None
    if isinstance(raw, str):
        version = raw
    elif isinstance(raw, Mapping):
        legacy = pdm_legacy_version(raw, tree)
        if isinstance(legacy, Computed):
            return problem(f"pdm reads the version from a file we cannot read: {legacy.reason}")
        version = legacy
    else:
        return problem("pyproject.toml [tool.pdm] has no version we can read")
    if version is not None:
        normal = normalise_version(version)
        if isinstance(normal, MetadataProblem):
            return normal
        version = normal
    return ProjectMetadata(name=name, version=version, summary=summary_of(pdm.get("description")))
