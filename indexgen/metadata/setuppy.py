"""setup.py: the keywords of its `setup(...)` call, evaluated statically (`pyeval`), never run.

`setup` is recognised under the names it is imported as (`from setuptools import setup as s`,
`import setuptools as impl` … `impl.setup`, `distutils.core.setup`) and, as before, as a bare `setup`.
Keywords passed through `**kwargs` / `**dict(...)` are read when the dict is assembled from literals in
setup.py; otherwise a field not given by keyword may come from them (`Given.MAYBE`).
"""

from __future__ import annotations

import ast
from typing import Any

from ..models import MetadataProblem
from .common import one_line, problem, requirements_of, summary_of
from .declared import Computed, Declared, Given, Value
from .files import NeedFiles, Tree, Unresolved
from .pyeval import Context, Interpreter, Setup
from .pyvalues import VcsVersion, parse_python, version_text


def read_setup_py(text: str, tree: Tree) -> Declared | MetadataProblem:
    try:
        module = parse_python(text, "setup.py")
    except Unresolved as exc:
        return problem(exc.reason if "syntax error" in exc.reason else "setup.py cannot be parsed")
    ctx = Context(tree)
    interpreter = Interpreter(ctx, "setup.py", {}, is_setup_py=True)
    try:
        interpreter.run(module.body)
        if not ctx.setup_calls:
            # `setup()` inside a function that is never called at module level: read it with what the
            # module level defines.
            for node in ast.walk(module):
                if isinstance(node, ast.Call) and _looks_like_setup(node.func):
                    interpreter.capture_setup(node, interpreter.env)
    except Unresolved as exc:
        return problem(f"setup.py: {one_line(exc.reason)}")
    except RecursionError:
        return problem("setup.py nests too deeply to read")
    if not ctx.setup_calls:
        return problem("setup.py has no setup() call")
    declared = {_declared(ctx, call) for call in ctx.setup_calls}
    if len(declared) > 1:
        # e.g. one call per Python version: which one runs is decided at run time.
        return problem("setup.py calls setup() in several places with different arguments")
    return declared.pop()


def _looks_like_setup(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "setup"
    return isinstance(func, ast.Attribute) and func.attr == "setup"


def _is_false(value: Any) -> bool:
    return value is False or value is None


def _field(ctx: Context, call: Setup, keyword: str, *, fetch: bool = True) -> Value:
    if keyword not in call.keywords:
        return Given.MAYBE if call.opaque_star else None
    try:
        value = ctx.force(call.keywords[keyword])
        if isinstance(value, VcsVersion):
            return Given.DYNAMIC
        return version_text(value) if keyword == "version" else _text(value)
    except Unresolved as exc:
        return Computed(one_line(exc.reason, 160))
    except NeedFiles:
        if fetch:
            raise
        return Computed("needs another file")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise Unresolved(f"a {type(value).__name__}, not a string")
    return value


def _dependencies(ctx: Context, call: Setup) -> tuple[str, ...] | None:
    if "install_requires" not in call.keywords:
        return None
    try:
        value = ctx.force(call.keywords["install_requires"])
        items = [ctx.force(v) for v in value] if isinstance(value, tuple) else value
    except (Unresolved, NeedFiles):
        return ()
    return requirements_of(list(items) if isinstance(items, list) else items)


def _declared(ctx: Context, call: Setup) -> Declared:
    version = _field(ctx, call, "version")
    scm = call.keywords.get("use_scm_version")
    if scm is not None and not _is_false(scm):
        version = Given.DYNAMIC  # setuptools-scm sets the version from git, over any `version=`
    pbr = call.keywords.get("pbr")
    summary = _field(ctx, call, "description", fetch=False)
    return Declared(
        name=_field(ctx, call, "name"),
        version=version,
        requires_python=_field(ctx, call, "python_requires"),
        pbr=pbr is not None and not _is_false(pbr),
        summary=summary_of(summary) if isinstance(summary, str) else None,
        dependencies=_dependencies(ctx, call),
    )
