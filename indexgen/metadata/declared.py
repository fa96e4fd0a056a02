"""What setup.cfg and setup.py declare, field by field, and how setuptools merges the two."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Given(Enum):
    """A field a file sets without a literal."""

    DYNAMIC = "dynamic"  # taken from git on purpose: `use_scm_version`, `versioneer.get_version()`
    MAYBE = "maybe"  # not given by keyword, but `setup(**kwargs)` may carry it


@dataclass(frozen=True)
class Computed:
    """An explicit value that cannot be resolved to one literal: `reason` says why."""

    reason: str


Value = str | Given | Computed | None  # None: the file does not set the field


@dataclass(frozen=True)
class Declared:
    """What one of setup.cfg / setup.py declares."""

    name: Value = None
    version: Value = None
    requires_python: Value = None
    pbr: bool = False  # setup(pbr=True): pbr takes the version from git when none is written
    summary: str | None = None
    dependencies: tuple[str, ...] | None = None  # None: not given (or not literal)


def merge(cfg: Declared, py: Declared) -> Declared:
    """setup.py keywords win over setup.cfg (setuptools applies setup.cfg only to fields still unset:
    `ConfigHandler.__setitem__` in setuptools/config/setupcfg.py skips an option "Already inhabited");
    a field that setup.py may pass through `**kwargs` keeps setup.cfg's value when it has one."""

    def pick(py_value: Value, cfg_value: Value) -> Value:
        if py_value is None:
            return cfg_value
        if py_value is Given.MAYBE and cfg_value is not None:
            return cfg_value
        return py_value

    return Declared(
        name=pick(py.name, cfg.name),
        version=pick(py.version, cfg.version),
        requires_python=pick(py.requires_python, cfg.requires_python),
        pbr=py.pbr,
        summary=py.summary if py.summary is not None else cfg.summary,
        dependencies=py.dependencies if py.dependencies is not None else cfg.dependencies,
    )
