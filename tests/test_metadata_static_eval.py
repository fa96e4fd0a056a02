"""Property tests of the static evaluation of setup.py (indexgen.metadata.pyeval): an expression that
depends on anything not literal is skipped, never guessed; one built from literals with the modelled
operations evaluates to exactly what Python makes of it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import InvalidVersion, Version

from indexgen.metadata import parse_metadata
from indexgen.models import ProjectMetadata, SourceFiles

SETUP = "import os, sys, subprocess\nfrom setuptools import setup\n{prelude}\nsetup(name='acme', version={expr})\n"

PARTS = st.sampled_from(["1", "0", "2", "10", "3", "dev0", "rc1", "post2", "a1", ".", ""])
INTS = st.integers(min_value=0, max_value=30)

# Values a build only knows at run time (or that a static reader must not pretend to know).
OPAQUE = st.sampled_from(
    [
        "os.environ['VERSION']",
        "os.environ.get('VERSION', '1.0')",
        "sys.argv[1]",
        "sys.version.split()[0]",
        "subprocess.check_output(['git', 'describe']).decode().strip()",
        "get_version()",
        "UNDEFINED",
        "version_module.__version__.strip()",
        "open(os.environ['V']).read()",
        "'1.0' if os.environ.get('RELEASE') else '1.0.dev0'",
        "('1.0', '2.0')[len(sys.argv) > 1]",
        "max('1.0', '2.0')",
        "lambda: '1.0'",
        "[v for v in ('1.0',) if sys.argv]",
        "UNDEFINED or '1.0'",
        "{'v': '1'}[sys.argv[0]]",
        "getattr(sys, 'ver', '1.0')",
        "__import__('acme').__version__",
    ]
)


def literal_exprs() -> st.SearchStrategy[str]:
    leaf = PARTS.map(repr) | INTS.map(lambda i: f"str({i})")

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, inner).map(lambda t: f"({t[0]} + {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"'%s.%s' % ({t[0]}, {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"'{{}}.{{}}'.format({t[0]}, {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"'.'.join(({t[0]}, {t[1]}))"),
            st.tuples(INTS, INTS, INTS).map(lambda t: f"'.'.join(map(str, {t!r}))"),
            st.tuples(INTS, INTS).map(lambda t: f"'.'.join(str(x) for x in {t!r})"),
            st.tuples(leaf, leaf).map(lambda t: f'f"{{{t[0]}}}.{{{t[1]}}}"'),
            inner.map(lambda e: f"({e}).strip()"),
        )

    return st.recursive(leaf, extend, max_leaves=6)


def mixed_exprs() -> st.SearchStrategy[str]:
    """Expressions in which an opaque value flows into the result."""

    def combine(pair: tuple[str, str]) -> st.SearchStrategy[str]:
        lit, opaque = pair
        return st.sampled_from(
            [
                opaque,
                f"{lit} + {opaque}",
                f"{opaque} + {lit}",
                f"'%s.%s' % ({lit}, {opaque})",
                f"'{{}}.{{}}'.format({opaque}, {lit})",
                f"'.'.join(({lit}, {opaque}))",
                f'f"{{{opaque}}}.1"',
                f"({opaque}).strip()",
                f"str({opaque})",
            ]
        )

    return st.tuples(literal_exprs(), OPAQUE).flatmap(combine)


def parse(expr: str, prelude: str = "") -> object:
    return parse_metadata(SourceFiles(setup_py=SETUP.format(prelude=prelude, expr=expr)))


@settings(max_examples=300, deadline=None)
@given(mixed_exprs())
def test_an_expression_that_depends_on_a_run_time_value_is_skipped(expr: str) -> None:
    result = parse(expr)
    assert not isinstance(result, ProjectMetadata), (expr, result)


@settings(max_examples=100, deadline=None)
@given(mixed_exprs())
def test_through_a_variable_and_a_function_it_is_still_skipped(expr: str) -> None:
    prelude = f"def compute():\n    value = {expr}\n    return value\nVERSION = compute()"
    result = parse("VERSION", prelude)
    assert not isinstance(result, ProjectMetadata), (expr, result)


@settings(max_examples=300, deadline=None)
@given(literal_exprs())
def test_an_expression_of_literals_is_what_python_makes_of_it(expr: str) -> None:
    # eval of an expression this test generated (never of repository content): the oracle.
    expected = eval(expr, {})  # noqa: S307
    result = parse(expr)
    try:
        normal = str(Version(expected))
    except InvalidVersion:
        assert not isinstance(result, ProjectMetadata), (expr, result)
        return
    assert result == ProjectMetadata("acme", normal), (expr, expected, result)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("v = 'ab'\n" + "v = v + v\n" * 60, "a computed string longer than 64 KiB"),
        ("v = '%999999999s' % '1'\n", "%-format with a large or run-time width"),
        ("v = '{:>999999999}'.format('1')\n", "format() with conversions"),
        ("def f(n):\n    return f(n) + f(n)\nv = f(1)\n", "too many steps"),
        (
            "def f():\n"
            + "    x = g()\n" * 50
            + "    return 'a'\ndef g():\n"
            + "    y = f()\n" * 50
            + "    return 'b'\n"
            "v = f()\n",
            "too many steps",
        ),
        ("while True:\n    v = '1'\n", "v is set in a loop"),
    ],
    ids=["doubling-string", "percent-width", "format-width", "recursion", "mutual-recursion", "endless-loop"],
)
def test_hostile_evaluation_is_bounded(body: str, reason: str) -> None:
    result = parse("v", body)
    assert not isinstance(result, ProjectMetadata)
    assert reason in result.reason  # type: ignore[attr-defined]
