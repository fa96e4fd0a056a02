"""The values of the static evaluator (`pyeval`) and the small pure operations on them.

A value is a Python literal (str, int, tuple, dict, None), or one of the records below: a path relative
to the project directory, a file not read yet, a module attribute not resolved yet, a regex match over
a file, something deferred until a reader forces it, or an `Unknown` that carries why.
"""

from __future__ import annotations

import ast
import posixpath
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .common import one_line, quote_value
from .files import Unresolved


@dataclass(frozen=True)
class Unknown:
    reason: str


@dataclass(frozen=True)
class Loc:
    """A path relative to the project directory (normalised, "." for the directory itself)."""

    path: str
    anchored: bool = False  # derived from `__file__`/`abspath`: an absolute path at run time


@dataclass(frozen=True)
class Handle:
    path: str  # an open file


@dataclass(frozen=True)
class LazyText:
    path: str  # the text of a file, read when forced


@dataclass(frozen=True)
class Builtin:
    name: str  # a qualified name: "open", "os.path.join", "setuptools.setup", "re.search"…


@dataclass(frozen=True)
class ModAttr:
    """Attribute `name` of the module found first among `candidates` (paths), read when forced."""

    candidates: tuple[str, ...]
    name: str


@dataclass(frozen=True)
class ModuleRef:
    candidates: tuple[str, ...]  # a module of the project, imported but not read


@dataclass(frozen=True)
class Namespace:
    origin: str  # a dict filled by exec()/runpy of the file at this path


@dataclass(frozen=True)
class Regex:
    pattern: str


@dataclass(frozen=True)
class Match:
    """`re.search(pattern, text)` over the file `path`; `group(1)` is what it captures."""

    pattern: str
    path: str
    findall: bool = False


@dataclass(frozen=True)
class Func:
    node: ast.FunctionDef


@dataclass(frozen=True)
class VcsVersion:
    """`versioneer.get_version()` / `setuptools_scm.get_version()`: the checked-out tag's version."""


@dataclass(eq=False)
class Deferred:
    thunk: Callable[[], Any]


_LAZY = (LazyText, ModAttr, Deferred)

_KNOWN_MODULES = frozenset(
    {"os", "os.path", "re", "io", "codecs", "pathlib", "ast", "runpy", "sys", "setuptools", "distutils",
     "distutils.core", "versioneer", "setuptools_scm", "__future__", "subprocess", "platform"}
)  # fmt: skip
_BUILTINS = frozenset({"open", "str", "exec", "compile", "dict", "map", "execfile", "setup"})


def _unknown_of(*values: Any) -> Unknown | None:
    for value in values:
        if isinstance(value, Unknown):
            return value
    return None


def _module_label(candidates: Sequence[str]) -> str:
    first = candidates[0] if candidates else ""
    return first.removesuffix("/__init__.py").removesuffix(".py").replace("/", ".")


def parse_python(text: str, path: str) -> ast.Module:
    if len(text) > 1024 * 1024 or "\x00" in text:
        raise Unresolved(f"{path} is too large or not text")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise Unresolved(
            f"{path} has a syntax error at line {exc.lineno}: {one_line(exc.msg or '', 60)}"
        ) from None
    except (ValueError, RecursionError, MemoryError):
        raise Unresolved(f"{path} cannot be parsed") from None


def literal_assignments(module: ast.Module, name: str) -> list[str]:
    """Every `name = "literal"` in the module, as a regex over the text would find them (in functions too);
    an assignment to `name` of anything else counts as a different value."""
    values: list[str] = []
    for node in ast.walk(module):
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and len(targets) == 1:
                values.append(value.value)
            else:
                values.append(f"<computed at line {getattr(node, 'lineno', 0)}>")
    return values


def _join(base: str, *parts: str) -> str:
    return posixpath.normpath(posixpath.join(base, *parts))


def _as_loc(value: Any) -> Loc:
    if isinstance(value, Loc):
        return value
    if isinstance(value, str):
        if value.startswith("/"):
            raise Unresolved(f"absolute path {quote_value(value)}")
        return Loc(posixpath.normpath(value) if value else ".")
    raise Unresolved("a path built at run time")


def _str_method(obj: str, method: str, args: list[Any]) -> Any:
    if method in ("strip", "lstrip", "rstrip") and all(isinstance(a, str) for a in args):
        return getattr(obj, method)(*args)
    if method in ("decode", "encode"):
        return obj
    if method in ("split", "rsplit") and len(args) <= 2 and all(isinstance(a, (str, int)) for a in args):
        return tuple(getattr(obj, method)(*args))
    if method == "replace" and len(args) == 2 and all(isinstance(a, str) for a in args):
        return obj.replace(args[0], args[1])
    if method == "join" and len(args) == 1:
        items = args[0]
        if isinstance(items, tuple) and all(isinstance(i, str) for i in items):
            return obj.join(items)
        raise Unresolved("join over values that are not literal strings")
    raise Unresolved(f"str.{method}() is not evaluated")


def _format(fmt: str, args: list[Any], kwargs: dict[str, Any]) -> str:
    if not all(isinstance(a, (str, int)) for a in [*args, *kwargs.values()]):
        raise Unresolved("format() of values that are not literals")
    if re.search(r"\{[^}]*[!:.\[]", fmt):
        raise Unresolved("format() with conversions or attribute access")
    try:
        return fmt.format(*args, **kwargs)
    except (IndexError, KeyError, ValueError):
        raise Unresolved("format() that does not match its arguments") from None


@dataclass(frozen=True)
class _Bound:
    obj: Any
    attr: str


_MISSING = Unknown("unset")


def _line_test(test: ast.expr, var: str) -> tuple[str, str] | None:
    """`"NEEDLE" in line` → ("in", NEEDLE); `line.startswith("NEEDLE")` → ("startswith", NEEDLE)."""
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.In)
        and isinstance(test.left, ast.Constant)
        and isinstance(test.left.value, str)
        and isinstance(test.comparators[0], ast.Name)
        and test.comparators[0].id == var
    ):
        return "in", test.left.value
    if (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Attribute)
        and test.func.attr == "startswith"
        and isinstance(test.func.value, ast.Name)
        and test.func.value.id == var
        and len(test.args) == 1
        and isinstance(test.args[0], ast.Constant)
        and isinstance(test.args[0].value, str)
    ):
        return "startswith", test.args[0].value
    return None


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, Builtin) and isinstance(b, Builtin):
        # `try: from setuptools import setup` / `except ImportError: from distutils.core import setup`
        return a.name.rsplit(".", 1)[-1] == b.name.rsplit(".", 1)[-1] == "setup" or a == b
    if isinstance(a, Deferred) or isinstance(b, Deferred):
        return False
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:  # noqa: BLE001 (values from our own model only; be safe anyway)
        return False


MAX_TEXT = 64 * 1024
"""No value a version, name or path needs is longer; `v = v + v` twenty times is refused, not built."""


def _bounded(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise Unresolved("a computed string longer than 64 KiB")
    if isinstance(value, tuple) and len(value) > MAX_TEXT:
        raise Unresolved("a computed tuple longer than 64 KiB")
    return value


def _checked(value: Any, kind: type) -> Any:
    if isinstance(value, Unknown):
        raise Unresolved(value.reason)
    if not isinstance(value, kind):
        raise Unresolved(f"expected a {kind.__name__}, got {type(value).__name__}")
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise Unresolved("an f-string over a value that is not a literal")


def _literal_str(value: Any) -> str:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise Unresolved("str() of a value that is not a literal")


def _path_join(parts: Sequence[Any]) -> Loc:
    """`os.path.join` / `Path(a, b)`: a part derived from `__file__` (an absolute path at run time)
    replaces what comes before it, a relative string is appended."""
    if not parts:
        raise Unresolved("an empty path")
    first = _as_loc(parts[0])
    base, anchored = first.path, first.anchored
    for part in parts[1:]:
        if isinstance(part, Loc):
            base, anchored = (part.path, True) if part.anchored else (_join(base, part.path), anchored)
            continue
        text = _checked(part, str)
        if text.startswith("/"):
            raise Unresolved("an absolute path")
        base = _join(base, text)
    return Loc(base, anchored)


def _origin(value: Any) -> str | None:
    """The file a text value was read from, when it is one file's whole text."""
    if isinstance(value, LazyText):
        return value.path
    return None


def version_text(value: Any) -> str:
    """A forced version value as setuptools' `expand.version` makes it a string: a tuple is joined
    with "." (`__version__ = (1, 2, 3)`)."""
    if isinstance(value, str):
        return value
    if (
        isinstance(value, tuple)
        and value
        and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value)
    ):
        return ".".join(str(v) for v in value)
    raise Unresolved(f"the version is a {type(value).__name__}, not a string")
