"""What the static evaluator knows of the standard library and of file, path, str, dict and regex
methods: `open`, `os.path`, `pathlib`, `re`, `exec`, `runpy`, `dict`, `map`, and the old loop that
scans a file's lines for `__version__`. A mixin of `pyeval.Interpreter`; nothing here runs repository
code."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .files import Unresolved
from .pyvalues import (
    Builtin,
    Deferred,
    Handle,
    LazyText,
    Loc,
    Match,
    ModAttr,
    Namespace,
    Regex,
    Unknown,
    VcsVersion,
    _as_loc,
    _Bound,
    _checked,
    _format,
    _join,
    _line_test,
    _literal_str,
    _origin,
    _path_join,
    _str_method,
    _unknown_of,
)

if TYPE_CHECKING:
    from .pyeval import Context


class Builtins:
    ctx: Context
    exec_globals: list[str]

    def expr(self, node: ast.expr, env: dict[str, Any]) -> Any:
        raise NotImplementedError

    def lift(self, fn: Callable[..., Any], *args: Any) -> Any:
        raise NotImplementedError

    def line_scan(self, loop: ast.For, env: dict[str, Any], returns: list[Any] | None) -> bool:
        """The old idiom `for line in f(.readlines()): if "__version__" in line: return <line…>` (or
        `line.startswith(…)`, or assign and `break`): the first matching line of the file, as the loop
        itself would find it. False when the loop is not of that shape."""
        if (
            loop.orelse
            or not isinstance(loop.target, ast.Name)
            or len(loop.body) != 1
            or not isinstance(loop.body[0], ast.If)
            or loop.body[0].orelse
        ):
            return False
        var, test, body = loop.target.id, loop.body[0].test, loop.body[0].body
        needle = _line_test(test, var)
        source = self.expr(loop.iter, env)
        if isinstance(source, _Bound) and source.attr == "readlines":  # not called: not a file
            return False
        path = source.path if isinstance(source, Handle) else None
        if path is None or needle is None:
            return False
        kind, text_needle = needle
        action = body[-1]
        result_name: str | None = None
        if isinstance(action, ast.Return) and len(body) == 1 and action.value is not None:
            value_expr = action.value
        elif (
            len(body) == 2
            and isinstance(body[0], ast.Assign)
            and len(body[0].targets) == 1
            and isinstance(body[0].targets[0], ast.Name)
            and isinstance(action, ast.Break)
        ):
            value_expr, result_name = body[0].value, body[0].targets[0].id
        else:
            return False
        ctx = self.ctx

        def scan() -> Any:
            for line in ctx.tree.read(path).splitlines(keepends=True):
                if (text_needle in line) if kind == "in" else line.startswith(text_needle):
                    inner = dict(env)
                    inner[var] = line
                    return ctx.force(self.expr(value_expr, inner))
            raise Unresolved(f"no line of {path} matches {text_needle!r}")

        if result_name is not None:
            env[result_name] = Deferred(scan)
        elif returns is not None:
            returns.append(Deferred(scan))
        return True

    def call_builtin(
        self, name: str, args: list[Any], kwargs: dict[str, Any], node: ast.Call, env: dict[str, Any]
    ) -> Any:
        short = name.rsplit(".", 1)[-1]
        if name in ("open", "io.open", "codecs.open") or name.endswith(("os.open",)):
            if not args:
                return Unknown("open() without a path")
            path = args[0]
            return self.lift(lambda p: Handle(_as_loc(p).path), path)
        if name in ("os.path.join", "os.path.join"):
            return self.lift(lambda *p: _path_join(p), *args)
        if name in ("os.path.dirname",):
            return self.lift(lambda p: Loc(_join(_as_loc(p).path, ".."), _as_loc(p).anchored), *args[:1])
        if name in ("os.path.abspath", "os.path.realpath"):
            return self.lift(lambda p: Loc(_as_loc(p).path, True), *args[:1])
        if name == "os.path.normpath":
            return self.lift(lambda p: _as_loc(p), *args[:1])
        if name in ("os.getcwd",):
            return Loc(".", True)
        if name in ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"):
            if not args:
                return Loc(".")
            return self.lift(lambda *p: _path_join(p), *args)
        if name in ("re.search", "re.match", "re.findall", "re.compile"):
            pattern = args[0] if args else Unknown("re without a pattern")
            if name == "re.compile":
                return self.lift(lambda p: Regex(_checked(p, str)), pattern)
            return self.regex(
                pattern,
                args[1] if len(args) > 1 else Unknown("re without a text"),
                findall=short == "findall",
            )
        if name in ("ast.literal_eval", "str") and len(args) == 1:
            value = args[0]
            if isinstance(value, (Match,)):
                return Unknown("a regex match is not a string")
            return self.lift(
                lambda v: _checked(v, str) if name != "str" or isinstance(v, str) else _literal_str(v), value
            )
        if name == "compile" and args:
            return args[0]
        if name in ("exec", "execfile"):
            return self.exec_call(name, node, args, env)
        if name == "runpy.run_path" and args:
            return self.lift(lambda p: Namespace(_as_loc(p).path), args[0])
        if name == "dict":
            out: dict[str, Any] = {}
            if args:
                if len(args) != 1 or not isinstance(args[0], dict):
                    return Unknown("dict() of a value we cannot read")
                out.update(args[0])
            out.update(kwargs)
            return out
        if name == "map" and len(args) == 2 and args[0] == Builtin("str"):
            return self.lift(lambda t: tuple(_literal_str(x) for x in _checked(t, tuple)), args[1])
        if name in ("versioneer.get_version", "setuptools_scm.get_version"):
            return VcsVersion()
        return Unknown(f"{name}() is not evaluated")

    def exec_call(self, name: str, node: ast.Call, args: list[Any], env: dict[str, Any]) -> Any:
        source = args[0] if args else None
        origin = _origin(source)
        if origin is None and name == "execfile" and args:
            try:
                origin = _as_loc(args[0]).path
            except Unresolved:
                origin = None
        if origin is None:
            return Unknown("exec() of text that is not one file's")
        if len(node.args) >= 2 and isinstance(node.args[1], ast.Name):
            env[node.args[1].id] = Namespace(origin)
        elif len(node.args) == 1:
            self.exec_globals.append(origin)
        return None

    def regex(self, pattern: Any, text: Any, *, findall: bool) -> Any:
        if isinstance(pattern, Regex):
            pattern = pattern.pattern
        if unknown := _unknown_of(pattern, text):
            return unknown
        origin = _origin(text)
        if not isinstance(pattern, str) or origin is None:
            return Unknown("a regex over text that is not one file's")
        return Match(pattern, origin, findall)

    def call_method(self, obj: Any, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if unknown := _unknown_of(obj, *args):
            return unknown
        if isinstance(obj, Handle):
            if method == "read":
                return LazyText(obj.path)
            if method == "readlines":
                return obj  # iterated by `line_scan` only
            if method == "readline":
                return Deferred(lambda: self.ctx.tree.read(obj.path).split("\n", 1)[0] + "\n")
            return Unknown(f"file.{method}() is not evaluated")
        if isinstance(obj, Loc):
            if method in ("read_text", "read_bytes"):
                return LazyText(obj.path)
            if method in ("resolve", "absolute"):
                return obj
            if method == "joinpath":
                return self.lift(
                    lambda *p: Loc(_join(obj.path, *(_checked(x, str) for x in p)), obj.anchored), *args
                )
            if method == "open":
                return Handle(obj.path)
            return Unknown(f"Path.{method}() is not evaluated")
        if isinstance(obj, Regex) and method in ("search", "match", "findall"):
            return self.regex(
                obj.pattern, args[0] if args else Unknown("no text"), findall=method == "findall"
            )
        if isinstance(obj, Match):
            if method == "group" and args in ([1], ["version"]) and not obj.findall:
                return Deferred(lambda: self.ctx.regex_value(obj))
            if method == "groups" and not args and not obj.findall:
                return (Deferred(lambda: self.ctx.regex_value(obj)),)
            return Unknown(f"match.{method}{tuple(args)!r} is not evaluated")
        if isinstance(obj, dict):
            if method == "get" and args and isinstance(args[0], str):
                return obj.get(args[0], args[1] if len(args) > 1 else None)
            if method == "update":
                if args and isinstance(args[0], dict):
                    obj.update(args[0])
                obj.update(kwargs)
                return None
            return Unknown(f"dict.{method}() is not evaluated")
        if isinstance(obj, Namespace) and method == "get" and args and isinstance(args[0], str):
            return ModAttr((obj.origin,), args[0])
        if isinstance(obj, LazyText) and method in ("decode", "encode"):
            return obj
        if isinstance(obj, (str, LazyText, ModAttr, Deferred)):
            if method == "format":
                return self.lift(lambda f, *a: _format(_checked(f, str), list(a), kwargs), obj, *args)
            return self.lift(lambda o, *a: _str_method(_checked(o, str), method, list(a)), obj, *args)
        return Unknown(f".{method}() is not evaluated")
