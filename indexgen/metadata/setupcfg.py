"""setup.cfg: `[metadata] name/version/description`, `[options] python_requires/install_requires/package_dir`,
as setuptools reads them (setuptools/config/setupcfg.py), with `attr:` and `file:` versions followed to
the module or file at the same commit."""

from __future__ import annotations

import configparser
from collections.abc import Mapping

from ..models import MetadataProblem
from .common import problem, quote_value, requirements_of, summary_of
from .declared import Computed, Declared, Value
from .files import Tree, Unresolved, module_candidates
from .pyeval import Context
from .pyvalues import version_text


def read_setup_cfg(text: str, tree: Tree) -> Declared | MetadataProblem:
    """No interpolation: a `%` in an unrelated value must not fail us."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source="setup.cfg")
    except configparser.MissingSectionHeaderError as exc:
        return problem(f"setup.cfg is not valid INI: line {exc.lineno} is outside any [section]")
    except configparser.DuplicateSectionError as exc:
        return problem(f"setup.cfg is not valid INI: section {quote_value(str(exc.section))} appears twice")
    except configparser.DuplicateOptionError as exc:
        return problem(
            f"setup.cfg is not valid INI: option {quote_value(str(exc.option))} appears twice in "
            f"[{quote_value(str(exc.section))}]"
        )
    except configparser.ParsingError as exc:
        lines = ", ".join(str(lineno) for lineno, _ in exc.errors[:5])
        return problem(f"setup.cfg is not valid INI: cannot parse line {lines}")
    except (configparser.Error, ValueError) as exc:
        return problem(f"setup.cfg is not valid INI: {type(exc).__name__}")

    def option(section: str, *keys: str) -> str | None:
        # setuptools still accepts dashed keys (`python-requires`, with a deprecation warning).
        for key in keys:
            if parser.has_option(section, key):
                value = parser.get(section, key).strip()
                return value or None
        return None

    version: Value = option("metadata", "version")
    if isinstance(version, str) and version.startswith(("attr:", "file:")):
        version = directive_version(version, tree, parse_package_dir(option("options", "package_dir")))
    requires = option("options", "install_requires")
    return Declared(
        name=option("metadata", "name"),
        version=version,
        requires_python=option("options", "python_requires", "python-requires"),
        summary=summary_of(option("metadata", "description", "summary")),
        dependencies=None if requires is None or requires.startswith("file:") else requirements_of(requires),
    )


def parse_package_dir(value: str | None) -> dict[str, str] | None:
    """`package_dir` as setuptools' `_parse_dict`: `key = value` lines (or `;`-separated), `=src` for the
    root; None when not given."""
    if value is None:
        return None
    out: dict[str, str] = {}
    for line in value.replace(";", "\n").splitlines():
        if "=" in line:
            key, _, val = line.partition("=")
            out[key.strip()] = val.strip().strip("/")
    return out


def directive_version(value: str, tree: Tree, package_dirs: Mapping[str, str] | None) -> Value:
    """`attr: pkg.__version__` (the module's assignment, read statically as setuptools first tries to)
    or `file: VERSION` (stripped, setupcfg.py `_parse_version`); NeedFiles propagates."""
    kind, _, rest = value.partition(":")
    target = rest.strip()
    try:
        if kind == "file":
            paths = [p.strip() for p in target.split(",") if p.strip()]
            if len(paths) != 1:
                raise Unresolved(f"file: {quote_value(target)} names more than one file")
            return tree.read(paths[0]).strip()
        return attr_version(target, tree, package_dirs)
    except Unresolved as exc:
        return Computed(f"version {kind}: {quote_value(target)}: {exc.reason}")


def attr_version(target: str, tree: Tree, package_dirs: Mapping[str, str] | None) -> str:
    module, _, attr = target.rpartition(".")
    if not module or not attr.isidentifier():
        raise Unresolved("not a module attribute")
    ctx = Context(tree)
    return version_text(ctx.module_attr(module_candidates(module, package_dirs), attr))
