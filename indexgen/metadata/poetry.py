"""`[tool.poetry]` (Poetry < 2, built by poetry-core, also through the `intreehooks:loader` backend):
name, version, description, dependencies, and Requires-Python from the `python` dependency converted
the way poetry-core converts it.

poetry-core (`masonry/metadata.py`) writes `Requires-Python: format_python_constraint(python_constraint)`
when `python` is not `*` (`version/helpers.py`); the constraint is parsed by
`constraints/version/parser.py` and printed by `VersionRange.__str__` (`>=MIN,<MAX`, versions as
written). This module reproduces the common forms exactly — `^`, `~`, `~=`, `*`, `>=`/`>`/`<`/`<=`,
a bare version, comma- or space-separated intersections of them — and leaves every other form (`||`
unions, wildcards, `!=`, pre-releases) unknown rather than guessed: pip then checks Requires-Python
after the build, as before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import Version

from ..models import MetadataProblem, MetadataResult, ProjectMetadata
from .common import (
    Table,
    check_name,
    normalise_requires_python,
    normalise_version,
    problem,
    summary_of,
    table,
)
from .pyproject import build_backend, version_from_vcs

POETRY_BACKENDS = frozenset(
    {
        "poetry.core.masonry.api",
        "poetry.masonry.api",
        "poetry_core.masonry.api",  # poetry-core 1.0 alphas, loaded through intreehooks
        "poetry_dynamic_versioning.backend",
    }
)

_RELEASE = re.compile(r"^v?(\d+(?:\.\d+){0,3})$")


@dataclass(frozen=True)
class _Bound:
    text: str  # as poetry prints it
    inclusive: bool

    @property
    def version(self) -> Version:
        return Version(self.text)


@dataclass(frozen=True)
class _Range:
    low: _Bound | None = None
    high: _Bound | None = None

    def __str__(self) -> str:
        if self.low is None and self.high is None:
            return "*"
        parts = []
        if self.low is not None:
            parts.append((">=" if self.low.inclusive else ">") + self.low.text)
        if self.high is not None:
            parts.append(("<=" if self.high.inclusive else "<") + self.high.text)
        return ",".join(parts)


def _parts(text: str) -> list[int]:
    return [int(p) for p in text.split(".")]


def _fmt(parts: list[int]) -> str:
    return ".".join(str(p) for p in parts)


def _next_major(parts: list[int]) -> str:
    # Release.next_major: major + 1, the other given parts 0 (precision kept)
    return _fmt([parts[0] + 1] + [0] * (len(parts) - 1))


def _next_minor(parts: list[int]) -> str:
    if len(parts) == 1:
        return _fmt([parts[0], 1])
    return _fmt([parts[0], parts[1] + 1] + [0] * (len(parts) - 2))


def _next_patch(parts: list[int]) -> str:
    padded = parts + [0] * (3 - len(parts)) if len(parts) < 3 else parts
    return _fmt([padded[0], padded[1], padded[2] + 1] + [0] * (len(padded) - 3))


def _single(constraint: str) -> _Range | None:
    """One constraint of an intersection, as poetry-core's `parse_single_constraint`; None when the form
    is outside what is reproduced here."""
    c = constraint.strip()
    if re.fullmatch(r"(?i)v?[x*](\.[x*])*", c):
        return _Range()
    for op in ("^", "~=", "~", ">=", "<=", ">", "<", "==", "="):
        if c.startswith(op):
            body = c[len(op) :].strip()
            break
    else:
        op, body = "", c
    m = _RELEASE.match(body)
    if not m:
        return None
    text = m.group(1)
    parts = _parts(text)
    low = _Bound(text, True)
    if op == "^":
        # Version.next_breaking
        if parts[0] > 0 or len(parts) == 1:
            high = _next_major(parts)
        elif parts[1] > 0 or len(parts) == 2:
            high = _next_minor(parts)
        else:
            high = _next_patch(parts)
        return _Range(low, _Bound(high, False))
    if op == "~":
        return _Range(low, _Bound(_next_major(parts) if len(parts) == 1 else _next_minor(parts), False))
    if op == "~=":
        if len(parts) < 2:
            return None  # poetry raises for `~=3`
        return _Range(low, _Bound(_next_major(parts) if len(parts) == 2 else _next_minor(parts), False))
    if op == ">=":
        return _Range(low=low)
    if op == ">":
        return _Range(low=_Bound(text, False))
    if op == "<=":
        return _Range(high=_Bound(text, True))
    if op == "<":
        return _Range(high=_Bound(text, False))
    return None  # a bare version: handled by the caller (it is a Version, not a range)


def _intersect(a: _Range, b: _Range) -> _Range | None:
    def pick(x: _Bound | None, y: _Bound | None, higher: bool) -> _Bound | None:
        if x is None or y is None:
            return x or y
        if x.version == y.version:
            return x if not x.inclusive else y
        return x if (x.version > y.version) == higher else y

    low, high = pick(a.low, b.low, True), pick(a.high, b.high, False)
    if low is not None and high is not None and low.version >= high.version:
        return None  # empty or a single version: not reproduced
    return _Range(low, high)


def poetry_requires_python(constraint: str) -> str | None:
    """poetry-core's `Requires-Python` for the `python` dependency `constraint`, or None when it writes
    none (`*`) or the form is not reproduced here."""
    text = constraint.strip()
    if text == "*" or not text:
        return None
    if "|" in text or "!=" in text or ".*" in text or "," in text and text.rstrip().endswith(","):
        return None
    # a bare version: format_python_constraint turns 3.8 into ~3.8, 3 into ^3.0, 3.8.1 into ==3.8.1
    m = _RELEASE.match(text.lstrip("=").strip()) if not text.startswith(("^", "~", ">", "<")) else None
    if m:
        parts = _parts(m.group(1))
        if len(parts) >= 3:
            return f"=={m.group(1)}"
        single = _single(f"~{m.group(1)}" if len(parts) == 2 else f"^{parts[0]}.0")
        return str(single) if single else None
    pieces = [p for p in re.split(r"\s*,\s*|\s+(?=[<>=~^])", text) if p]
    result: _Range | None = _Range()
    for piece in pieces:
        single = _single(piece)
        if single is None or result is None:
            return None
        result = _intersect(result, single)
    if result is None or str(result) == "*":
        return None
    return str(result)


def poetry_dependency(name: str, spec: object) -> str | None:
    """One `[tool.poetry.dependencies]` entry as poetry-core's `Dependency.to_pep_508` writes it, for
    the forms reproduced here (a constraint string, or a table with only `version` and `extras`); None
    otherwise."""
    extras: list[str] = []
    if isinstance(spec, Mapping):
        if set(spec) - {"version", "extras", "optional"} or spec.get("optional", False) is not False:
            return None
        raw_extras = spec.get("extras", [])
        if not isinstance(raw_extras, list) or not all(isinstance(e, str) for e in raw_extras):
            return None
        extras = list(raw_extras)
        spec = spec.get("version", "*")
    if not isinstance(spec, str):
        return None
    head = name + (f"[{','.join(extras)}]" if extras else "")
    text = spec.strip()
    if text in ("*", ""):
        requirement = head
    else:
        m = (
            _RELEASE.match(text.lstrip("=").strip())
            if not text.startswith(("^", "~", ">", "<", "!"))
            else None
        )
        if m:
            requirement = f"{head} (=={m.group(1)})"
        else:
            if "|" in text or "!=" in text or ".*" in text:
                return None
            pieces = [p for p in re.split(r"\s*,\s*|\s+(?=[<>=~^])", text) if p]
            result: _Range | None = _Range()
            for piece in pieces:
                single = _single(piece)
                if single is None or result is None:
                    return None
                result = _intersect(result, single)
            if result is None:
                return None
            requirement = head if str(result) == "*" else f"{head} ({result})"
    try:
        return str(Requirement(requirement))
    except InvalidRequirement:
        return None


def from_poetry(doc: Table) -> MetadataResult | None:
    """Name, version, summary, dependencies and Requires-Python from `[tool.poetry]`; None when the
    project is not built by poetry-core (or `[project]` decides, Poetry 2)."""
    poetry = table(doc, "tool", "poetry")
    if poetry is None or build_backend(doc) not in POETRY_BACKENDS:
        return None
    name = poetry.get("name")
    if not isinstance(name, str):
        return problem("pyproject.toml [tool.poetry] has no name string")
    if bad := check_name(name):
        return bad
    deps = table(doc, "tool", "poetry", "dependencies") or {}
    requires_python: str | None = None
    python = deps.get("python")
    if isinstance(python, str):
        converted = poetry_requires_python(python)
        if converted is not None:
            normal = normalise_requires_python(converted)
            requires_python = normal if isinstance(normal, str) else None
    dependencies: list[str] = []
    for dep_name, spec in deps.items():
        if dep_name == "python":
            continue
        if isinstance(spec, Mapping) and spec.get("optional") is True:
            continue  # extras are left out
        converted_dep = poetry_dependency(dep_name, spec)
        if converted_dep is None:
            dependencies = []
            break
        dependencies.append(converted_dep)
    summary = summary_of(poetry.get("description"))
    if version_from_vcs(doc):
        return ProjectMetadata(name, None, requires_python, summary, tuple(dependencies))
    version = poetry.get("version")
    if not isinstance(version, str):
        return problem("pyproject.toml [tool.poetry] has no version string")
    normal_version = normalise_version(version)
    if isinstance(normal_version, MetadataProblem):
        return normal_version
    return ProjectMetadata(name, normal_version, requires_python, summary, tuple(dependencies))
