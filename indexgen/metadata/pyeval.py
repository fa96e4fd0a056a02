"""Static evaluation of the little Python that setup.py files and version modules use to state a version.

Nothing here imports, `exec`s or `eval`s repository content: statements are walked with `ast` and only a
small, closed set of operations is modelled (string literals and their joins, `os.path`/`pathlib` paths,
`open(...).read()`, `exec(file, dict)`, `runpy.run_path`, `re.search(pattern, file).group(1)`, imports of
the project's own modules, calls of functions defined in the same file). Anything else is an `Unknown`
carrying the reason. Values that need a file (its text, a module's attribute) stay lazy until a reader
forces them, so a `long_description = open("README.rst").read()` costs no request.

Loops are never run, branches are run both ways and merged (a name that differs between them is
unknown), function calls nest at most `MAX_DEPTH` deep and a whole evaluation runs at most `MAX_STEPS`
statements: hostile files cost bounded time.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .common import quote_value
from .files import Tree, Unresolved, module_candidates, relative_module
from .pybuiltins import Builtins
from .pyvalues import (
    _BUILTINS,
    _KNOWN_MODULES,
    _LAZY,
    _MISSING,
    Builtin,
    Deferred,
    Func,
    LazyText,
    Loc,
    Match,
    ModAttr,
    ModuleRef,
    Namespace,
    Unknown,
    _as_text,
    _Bound,
    _bounded,
    _checked,
    _join,
    _module_label,
    _same,
    _unknown_of,
    literal_assignments,
    parse_python,
)

MAX_DEPTH = 12
MAX_STEPS = 5_000


@dataclass
class Setup:
    """One `setup(...)` call: its keyword values (lazy), and whether `**something` we cannot read was
    passed too."""

    keywords: dict[str, Any]
    opaque_star: bool


@dataclass
class Context:
    tree: Tree
    setup_calls: list[Setup] = field(default_factory=list)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    steps: int = 0
    depth: int = 0

    # --- forcing ---------------------------------------------------------------------------------

    def force(self, value: Any) -> Any:
        """The concrete value behind a lazy one; Unresolved when it is unknown."""
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise Unresolved("the value is computed through too many levels")
            while isinstance(value, _LAZY):
                if isinstance(value, Deferred):
                    value = value.thunk()
                elif isinstance(value, LazyText):
                    value = self.tree.read(value.path)
                else:
                    value = self.module_attr(value.candidates, value.name)
            if isinstance(value, Unknown):
                raise Unresolved(value.reason)
            return value
        finally:
            self.depth -= 1

    def force_str(self, value: Any) -> str:
        value = self.force(value)
        if not isinstance(value, str):
            raise Unresolved(f"expected a string, got {type(value).__name__}")
        return value

    def module_env(self, path: str) -> dict[str, Any]:
        if path not in self.modules:
            text = self.tree.read(path)
            module = parse_python(text, path)
            env: dict[str, Any] = {"__file__": Loc(path, True), "__name__": Unknown("__name__ of a module")}
            self.modules[path] = env
            Interpreter(self, path, env).run(module.body)
        return self.modules[path]

    def module_attr(self, candidates: Sequence[str], name: str) -> Any:
        path = self.tree.first(candidates)
        if path is None:
            raise Unresolved(f"module {quote_value(_module_label(candidates))} is not in the project")
        env = self.module_env(path)
        if name not in env:
            raise Unresolved(f"{self.tree.path(path)} does not assign {name}")
        return self.force(env[name])

    def regex_value(self, match: Match) -> str:
        """What `re.search(pattern, text).group(1)` captures, read from the file's assignment of the
        name the pattern targets; the regex itself is never run on repository text."""
        names = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", match.pattern)
        targets = [n for n in names if re.fullmatch(r"__\w+__", n)] or [
            n for n in names if "version" in n.lower()
        ]
        if len(set(targets)) != 1:
            raise Unresolved(f"the regex {quote_value(match.pattern)} does not name one variable")
        name = targets[0]
        text = self.tree.read(match.path)
        at = match.pattern.find(name)
        before, after = match.pattern[:at], match.pattern[at + len(name) :]
        # Unanchored, `version = '(.*)'` also matches inside `min_version = '…'`: only a pattern that
        # bounds the name on both sides is read when the file holds longer names containing it.
        left = before.endswith(("^", "\\b", "\\s", " ", "\\s+", "^\\s*", "\n"))
        right = after.startswith(("\\s", " ", "=", "\\b", ":"))
        bounded = left and right
        identifiers = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
        if not bounded and any(name in other and name != other for other in identifiers):
            raise Unresolved(f"the regex {quote_value(match.pattern)} may match another name in {match.path}")
        module = parse_python(text, match.path)
        values = literal_assignments(module, name)
        if not values:
            raise Unresolved(f'{self.tree.path(match.path)} has no {name} = "..." for the regex to match')
        if len(set(values)) > 1:
            raise Unresolved(
                f"the regex matches {len(values)} values of {name} in {self.tree.path(match.path)}"
            )
        return values[0]


class Interpreter(Builtins):
    """Runs statements of one file over `env` (its globals) within a shared `Context`."""

    def __init__(self, ctx: Context, path: str, env: dict[str, Any], *, is_setup_py: bool = False) -> None:
        self.ctx = ctx
        self.path = path  # relative to the project directory
        self.env = env
        self.is_setup_py = is_setup_py
        self.exec_globals: list[str] = []  # files exec'd into the globals, newest last

    # --- statements --------------------------------------------------------------------------------

    def run(
        self, body: Sequence[ast.stmt], env: dict[str, Any] | None = None, returns: list[Any] | None = None
    ) -> None:
        env = self.env if env is None else env
        for stmt in body:
            self.ctx.steps += 1
            if self.ctx.steps > MAX_STEPS:
                raise Unresolved("the file takes too many steps to evaluate")
            self.statement(stmt, env, returns)

    def statement(self, stmt: ast.stmt, env: dict[str, Any], returns: list[Any] | None) -> None:
        if isinstance(stmt, ast.Assign):
            value = self.expr(stmt.value, env)
            for target in stmt.targets:
                self.assign(target, value, env)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.assign(stmt.target, self.expr(stmt.value, env), env)
        elif isinstance(stmt, ast.AugAssign):
            self.assign(
                stmt.target, self.binop(stmt.op, self.expr(stmt.target, env), self.expr(stmt.value, env)), env
            )
        elif isinstance(stmt, ast.Expr):
            self.expr(stmt.value, env)
        elif isinstance(stmt, ast.With):
            for item in stmt.items:
                value = self.expr(item.context_expr, env)
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, value, env)
            self.run(stmt.body, env, returns)
        elif isinstance(stmt, ast.If):
            if self._is_main_guard(stmt.test):
                self.run(stmt.body, env, returns)
            else:
                self.branches([stmt.body, stmt.orelse], env, returns)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            handlers = [h.body for h in getattr(stmt, "handlers", [])]
            body: list[ast.stmt] = [*getattr(stmt, "body", []), *getattr(stmt, "orelse", [])]
            self.branches([body, *handlers], env, returns)
            self.run(getattr(stmt, "finalbody", []), env, returns)
        elif isinstance(stmt, ast.FunctionDef):
            env[stmt.name] = Func(stmt)
        elif isinstance(stmt, (ast.AsyncFunctionDef, ast.ClassDef)):
            env[stmt.name] = Unknown(f"{stmt.name} is a class or coroutine")
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                self.import_module(alias, env)
        elif isinstance(stmt, ast.ImportFrom):
            self.import_from(stmt, env)
        elif isinstance(stmt, ast.Return):
            if returns is not None:
                returns.append(self.expr(stmt.value, env) if stmt.value is not None else None)
        elif isinstance(stmt, ast.For) and self.line_scan(stmt, env, returns):
            pass
        elif isinstance(
            stmt,
            (
                ast.For,
                ast.AsyncFor,
                ast.While,
                ast.Delete,
                ast.Global,
                ast.Nonlocal,
                ast.Match,
                ast.AsyncWith,
            ),
        ):
            if returns is not None and any(isinstance(n, ast.Return) for n in ast.walk(stmt)):
                returns.append(Unknown("a value returned from inside a loop"))
            for node in ast.walk(stmt):
                if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                    env[node.id] = Unknown(f"{node.id} is set in a loop or deleted")
                if isinstance(node, ast.FunctionDef):
                    env[node.name] = Unknown(f"{node.name} is defined in a loop")

    def _is_main_guard(self, test: ast.expr) -> bool:
        return (
            isinstance(test, ast.Compare)
            and isinstance(test.left, ast.Name)
            and test.left.id == "__name__"
            and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__"
            and self.is_setup_py
        )

    def branches(
        self, bodies: Sequence[Sequence[ast.stmt]], env: dict[str, Any], returns: list[Any] | None
    ) -> None:
        results: list[dict[str, Any]] = []
        for body in bodies:
            copy = dict(env)
            self.run(body, copy, returns)
            results.append(copy)
        merged: dict[str, Any] = {}
        for key in set().union(*results):
            values = [r.get(key, _MISSING) for r in results]
            first = values[0]
            if all(_same(first, v) for v in values[1:]):
                merged[key] = first
            else:
                merged[key] = Unknown(f"{key} depends on a condition")
        env.clear()
        env.update({k: v for k, v in merged.items() if v is not _MISSING})

    def assign(self, target: ast.expr, value: Any, env: dict[str, Any]) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = value
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            container = env.get(target.value.id)
            key = self.expr(target.slice, env)
            if isinstance(container, dict) and isinstance(key, str):
                container[key] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = value if isinstance(value, tuple) and len(value) == len(target.elts) else None
            for i, element in enumerate(target.elts):
                self.assign(element, items[i] if items is not None else Unknown("unpacked at run time"), env)

    def import_module(self, alias: ast.alias, env: dict[str, Any]) -> None:
        top = alias.name.split(".")[0]
        bound = alias.asname or top
        qualified = alias.name if alias.asname else top
        if alias.name in _KNOWN_MODULES or top in _KNOWN_MODULES:
            env[bound] = Builtin(qualified)
        else:
            try:
                env[bound] = ModuleRef(tuple(module_candidates(qualified)))
            except Unresolved as exc:
                env[bound] = Unknown(exc.reason)

    def import_from(self, stmt: ast.ImportFrom, env: dict[str, Any]) -> None:
        module = stmt.module or ""
        for alias in stmt.names:
            bound = alias.asname or alias.name
            if alias.name == "*":
                continue
            if stmt.level == 0 and (module in _KNOWN_MODULES or module.split(".")[0] in _KNOWN_MODULES):
                env[bound] = Builtin(f"{module}.{alias.name}")
                continue
            try:
                if stmt.level:
                    if self.is_setup_py:
                        raise Unresolved("relative import in setup.py")
                    base = relative_module(self.path, stmt.level, stmt.module)
                    candidates: tuple[str, ...] = (
                        (posixpath.join(base, "__init__.py"), base + ".py") if base else ("__init__.py",)
                    )
                else:
                    candidates = tuple(module_candidates(module))
                env[bound] = ModAttr(candidates, alias.name)
            except Unresolved as exc:
                env[bound] = Unknown(exc.reason)

    # --- expressions -------------------------------------------------------------------------------

    def expr(self, node: ast.expr, env: dict[str, Any]) -> Any:
        try:
            return self._expr(node, env)
        except Unresolved as exc:
            return Unknown(exc.reason)
        except RecursionError:
            return Unknown("an expression nests too deeply")

    def lift(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(*args)` now when every argument is concrete, else later (when forced)."""
        if unknown := _unknown_of(*args):
            return unknown
        if any(isinstance(a, _LAZY) for a in args):
            ctx = self.ctx
            return Deferred(lambda: _bounded(fn(*(ctx.force(a) for a in args))))
        try:
            return _bounded(fn(*args))
        except Unresolved as exc:
            return Unknown(exc.reason)

    def _expr(self, node: ast.expr, env: dict[str, Any]) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.name(node.id, env)
        if isinstance(node, (ast.Tuple, ast.List)):
            return tuple(self.expr(e, env) for e in node.elts)
        if isinstance(node, ast.Dict):
            out: dict[str, Any] = {}
            for key, value in zip(node.keys, node.values, strict=False):
                if key is None:
                    inner = self.expr(value, env)
                    if not isinstance(inner, dict):
                        return Unknown("a dict built from a value we cannot read")
                    out.update(inner)
                    continue
                k = self.expr(key, env)
                if not isinstance(k, str):
                    return Unknown("a dict with keys that are not literal strings")
                out[k] = self.expr(value, env)
            return out
        if isinstance(node, ast.JoinedStr):
            parts = [self.expr(v.value if isinstance(v, ast.FormattedValue) else v, env) for v in node.values]
            if any(
                isinstance(v, ast.FormattedValue) and (v.format_spec or v.conversion not in (-1, 115))
                for v in node.values
            ):
                return Unknown("an f-string with a format specification")
            return self.lift(lambda *p: "".join(_as_text(x) for x in p), *parts)
        if isinstance(node, ast.BinOp):
            return self.binop(node.op, self.expr(node.left, env), self.expr(node.right, env))
        if isinstance(node, ast.Attribute):
            return self.attribute(self.expr(node.value, env), node.attr)
        if isinstance(node, ast.Subscript):
            return self.subscript(self.expr(node.value, env), self.expr(node.slice, env))
        if isinstance(node, ast.Call):
            return self.call(node, env)
        if isinstance(node, (ast.GeneratorExp, ast.ListComp)):
            return self.comprehension(node, env)
        if isinstance(node, ast.BoolOp):
            return self.boolop(node, env)
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, int)
        ):
            return -node.operand.value
        return Unknown(f"a {type(node).__name__} expression is not evaluated")

    def name(self, name: str, env: dict[str, Any]) -> Any:
        if name in env:
            return env[name]
        if name == "__file__":
            return Loc(self.path, True)
        if name == "__name__":
            return "__main__" if self.is_setup_py else Unknown("__name__")
        if self.exec_globals:  # `exec(open("pkg/version.py").read())` put its names here
            return ModAttr((self.exec_globals[-1],), name)
        if name in _BUILTINS:
            return Builtin(name)
        return Unknown(f"{name} is not defined where it is used")

    def boolop(self, node: ast.BoolOp, env: dict[str, Any]) -> Any:
        """`trunk or "1.1.0"` with `trunk = None`: Python's short-circuit over literal values only."""
        values = [self.expr(v, env) for v in node.values]
        result: Any = None
        for i, value in enumerate(values):
            if not isinstance(value, (str, int, float, bool, tuple, type(None))):
                return Unknown("a boolean expression over a value that is not a literal")
            result = value
            last = i == len(values) - 1
            if not last and (bool(value) if isinstance(node.op, ast.Or) else not bool(value)):
                break
        return result

    def binop(self, op: ast.operator, left: Any, right: Any) -> Any:
        if isinstance(op, ast.Add):
            return self.lift(lambda a, b: _checked(a, str) + _checked(b, str), left, right)
        if isinstance(op, ast.Div) and isinstance(left, Loc):
            return self.lift(lambda b: Loc(_join(left.path, _checked(b, str)), left.anchored), right)
        if isinstance(op, ast.Mod):

            def mod(a: Any, b: Any) -> str:
                fmt = _checked(a, str)
                if re.search(r"%[^a-zA-Z%]*(\d{3,}|\*)", fmt):
                    raise Unresolved("%-format with a large or run-time width")
                args = b if isinstance(b, tuple) else (b,)
                if not all(isinstance(x, (str, int)) for x in args):
                    raise Unresolved("%-format of values that are not literals")
                try:
                    return str(fmt % args)
                except (TypeError, ValueError, KeyError):
                    raise Unresolved("%-format that does not match its arguments") from None

            return self.lift(mod, left, right)
        return Unknown(f"the operator {type(op).__name__} is not evaluated")

    def attribute(self, value: Any, attr: str) -> Any:
        if isinstance(value, Unknown):
            return value
        if isinstance(value, Builtin):
            return Builtin(f"{value.name}.{attr}")
        if isinstance(value, ModuleRef):
            return ModAttr(value.candidates, attr)
        if isinstance(value, ModAttr):  # `pkg.version.__version__`: a submodule's attribute
            subs: list[str] = []
            for c in value.candidates:
                if c.endswith("__init__.py"):
                    base = posixpath.join(posixpath.dirname(c), value.name)
                    subs += [posixpath.join(base, "__init__.py"), base + ".py"]
            return ModAttr(tuple(subs), attr) if subs else Unknown("attribute of a module attribute")
        if isinstance(value, Loc) and attr == "parent":
            return Loc(_join(value.path, ".."), value.anchored)
        return _Bound(value, attr)

    def subscript(self, value: Any, key: Any) -> Any:
        if unknown := _unknown_of(value, key):
            return unknown
        if isinstance(value, dict) and isinstance(key, str):
            return value.get(key, Unknown(f"no {key!r} in the dict"))
        if isinstance(value, Namespace) and isinstance(key, str):
            return ModAttr((value.origin,), key)
        if isinstance(value, Match) and value.findall and key == 0:
            return Deferred(lambda: self.ctx.regex_value(value))
        if isinstance(value, tuple) and isinstance(key, int) and -len(value) <= key < len(value):
            # Python evaluates every element first: one that cannot be read makes the whole unknown.
            return _unknown_of(*value) or value[key]
        return Unknown("a subscript that is not a literal key of a known dict")

    def comprehension(self, node: ast.GeneratorExp | ast.ListComp, env: dict[str, Any]) -> Any:
        # `str(x) for x in VERSION`: mapped over a literal tuple.
        if (
            len(node.generators) != 1
            or node.generators[0].ifs
            or not isinstance(node.generators[0].target, ast.Name)
        ):
            return Unknown("a comprehension is not evaluated")
        var = node.generators[0].target.id
        source = self.expr(node.generators[0].iter, env)

        def run(items: Any) -> tuple[Any, ...]:
            if not isinstance(items, tuple):
                raise Unresolved("a comprehension over a value that is not a literal tuple")
            out = []
            for item in items:
                inner = dict(env)
                inner[var] = item
                out.append(self.ctx.force(self.expr(node.elt, inner)))
            return tuple(out)

        return self.lift(run, source)

    # --- calls -------------------------------------------------------------------------------------

    def call(self, node: ast.Call, env: dict[str, Any]) -> Any:
        func = self.expr(node.func, env)
        if isinstance(func, Builtin) and func.name in ("setuptools.setup", "distutils.core.setup", "setup"):
            self.capture_setup(node, env)
            return None
        args: list[Any] = []
        for a in node.args:
            if isinstance(a, ast.Starred):  # `os.path.join(HERE, *parts)` over a known tuple
                spread = self.expr(a.value, env)
                if not isinstance(spread, tuple):
                    return Unknown("a call with *args we cannot read")
                args += spread
            else:
                args.append(self.expr(a, env))
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None:
                return Unknown("a call with **kwargs")
            kwargs[kw.arg] = self.expr(kw.value, env)
        if isinstance(func, Func):
            return self.call_function(func, args, kwargs)
        if isinstance(func, Builtin):
            return self.call_builtin(func.name, args, kwargs, node, env)
        if isinstance(func, _Bound):
            return self.call_method(func.obj, func.attr, args, kwargs)
        if isinstance(func, Unknown):
            return func
        if isinstance(func, ModAttr):
            return Unknown(f"{_module_label(func.candidates)}.{func.name}() is not evaluated")
        return Unknown("a call of something that is not evaluated")

    def capture_setup(self, node: ast.Call, env: dict[str, Any]) -> None:
        keywords: dict[str, Any] = {}
        opaque = False
        for kw in node.keywords:
            if kw.arg is None:
                inner = self.expr(kw.value, env)
                if isinstance(inner, dict):
                    keywords.update(inner)
                else:
                    opaque = True
            else:
                keywords[kw.arg] = self.expr(kw.value, env)
        self.ctx.setup_calls.append(Setup(keywords, opaque))

    def call_function(self, func: Func, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if self.ctx.depth > MAX_DEPTH:
            return Unknown("functions nest too deeply")
        spec = func.node.args
        local = dict(self.env)
        params = [*spec.posonlyargs, *spec.args]
        defaults = [None] * (len(params) - len(spec.defaults)) + list(spec.defaults)
        for i, param in enumerate(params):
            if i < len(args):
                local[param.arg] = args[i]
            elif param.arg in kwargs:
                local[param.arg] = kwargs.pop(param.arg)
            elif defaults[i] is not None:
                local[param.arg] = self.expr(defaults[i], self.env)  # type: ignore[arg-type]
            else:
                return Unknown(f"{func.node.name}() is called without {param.arg}")
        if spec.vararg is not None:
            local[spec.vararg.arg] = tuple(args[len(params) :])
        elif len(args) > len(params):
            return Unknown(f"{func.node.name}() is called with too many arguments")
        for param in spec.kwonlyargs:
            local[param.arg] = kwargs.pop(param.arg, Unknown(f"{param.arg} is not given"))
        if spec.kwarg is not None:
            local[spec.kwarg.arg] = dict(kwargs)
        returns: list[Any] = []
        self.ctx.depth += 1
        try:
            self.run(func.node.body, local, returns)
        finally:
            self.ctx.depth -= 1
        if not returns:
            return None
        if all(_same(returns[0], r) for r in returns[1:]):
            return returns[0]
        concrete = [r for r in returns if r is not None and not isinstance(r, Unknown)]
        if len(concrete) == 1 and all(
            r is None or isinstance(r, Unknown) for r in returns if r is not concrete[0]
        ):
            # `if m: return m.group(1)` then `raise`/`return None`: the one value a build can use.
            return concrete[0]
        return Unknown(f"{func.node.name}() returns different values")
