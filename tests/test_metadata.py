"""indexgen.metadata: static reading of pyproject.toml / setup.cfg / setup.py (DESIGN.md §3)."""

from __future__ import annotations

from textwrap import dedent

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexgen.metadata import MAX_FILE_BYTES, is_valid_project_name, parse_metadata, quote_value
from indexgen.models import MetadataProblem, ProjectMetadata, SourceFiles


def files(pyproject: str | None = None, cfg: str | None = None, py: str | None = None) -> SourceFiles:
    return SourceFiles(
        pyproject_toml=None if pyproject is None else dedent(pyproject),
        setup_cfg=None if cfg is None else dedent(cfg),
        setup_py=None if py is None else dedent(py),
    )


def meta(name: str, version: str | None, requires_python: str | None = None) -> ProjectMetadata:
    return ProjectMetadata(name=name, version=version, requires_python=requires_python)


SETUPTOOLS_ONLY = """
    [build-system]
    requires = ["setuptools>=64"]
    build-backend = "setuptools.build_meta"
"""
SETUPTOOLS_SCM = """
    [build-system]
    requires = ["setuptools>=64", "setuptools_scm[toml]>=8"]
    build-backend = "setuptools.build_meta"
"""
SHIM = "from setuptools import setup\nsetup()\n"


def project(body: str, build: str = SETUPTOOLS_ONLY) -> str:
    return dedent(build) + "\n[project]\n" + dedent(body)


# Each case: (id, files, expected ProjectMetadata, or a substring of the MetadataProblem reason).
CASES: list[tuple[str, SourceFiles, ProjectMetadata | str]] = [
    # --- pyproject.toml [project] (PEP 621) ---
    (
        "pyproject-static",
        files(project('name = "acme-utils"\nversion = "2.1.0"\nrequires-python = ">=3.9"\n')),
        meta("acme-utils", "2.1.0", ">=3.9"),
    ),
    (
        "pyproject-version-normalised",
        files(project('name = "Acme_Utils"\nversion = "2.1.0-RC.1"\n')),
        meta("Acme_Utils", "2.1.0rc1"),
    ),
    (
        "pyproject-dynamic-hatch-vcs",
        files(
            project(
                'name = "acme"\ndynamic = ["version"]\n',
                build='[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n'
                'build-backend = "hatchling.build"\n',
            )
        ),
        meta("acme", None),
    ),
    (
        "pyproject-dynamic-scm-ignores-setup-py-version",
        files(project('name = "acme"\ndynamic = ["version"]\n', SETUPTOOLS_SCM), py='setup(version="0.0.0")'),
        meta("acme", None),
    ),
    (
        "pyproject-dynamic-filled-by-setup-py",
        files(
            project('name = "acme"\ndynamic = ["version"]\n'),
            py='from setuptools import setup\nsetup(version="1.2")',
        ),
        meta("acme", "1.2"),
    ),
    (
        "pyproject-dynamic-filled-by-setup-cfg",
        files(project('name = "acme"\ndynamic = ["version"]\n'), cfg="[metadata]\nversion = 1.3\n"),
        meta("acme", "1.3"),
    ),
    (
        "pyproject-dynamic-attr-in-tool-setuptools",
        files(
            project('name = "acme"\ndynamic = ["version"]\n')
            + '\n[tool.setuptools.dynamic]\nversion = {attr = "acme.__version__"}\n',
            cfg="[metadata]\nversion = 9.9\n",
        ),
        "files that were not read: acme.py, acme/__init__.py",
    ),
    (
        "pyproject-dynamic-computed-in-setup-py",
        files(project('name = "acme"\ndynamic = ["version"]\n'), py="setup(version=get_version())"),
        "the build reads its version from a file we cannot read: get_version is not defined",
    ),
    (
        "pyproject-dynamic-requires-python",
        files(project('name = "acme"\nversion = "1"\ndynamic = ["requires-python"]\n')),
        meta("acme", "1"),
    ),
    (
        "pyproject-wins-over-setup-cfg",
        files(project('name = "acme"\nversion = "1.0"\n'), cfg="[metadata]\nname = other\nversion = 2.0\n"),
        meta("acme", "1.0"),
    ),
    (
        "pyproject-no-build-system",
        files('[project]\nname = "acme"\nversion = "1.0"\n'),
        meta("acme", "1.0"),
    ),
    (
        "pyproject-missing-version",
        files(project('name = "acme"\n')),
        "[project] has no version and does not list it in dynamic",
    ),
    (
        "pyproject-version-static-and-dynamic",
        files(project('name = "acme"\nversion = "1"\ndynamic = ["version"]\n')),
        "gives version and lists it in dynamic",
    ),
    ("pyproject-missing-name", files(project('version = "1"\n')), "[project] has no name"),
    ("pyproject-name-not-string", files(project('name = 1\nversion = "1"\n')), "name is not a string"),
    (
        "pyproject-name-dynamic",
        files(project('name = "a"\ndynamic = ["name", "version"]\n')),
        "lists name in dynamic",
    ),
    (
        "pyproject-version-not-string",
        files(project('name = "a"\nversion = 1.0\n')),
        "version is not a string",
    ),
    (
        "pyproject-version-invalid",
        files(project('name = "a"\nversion = "banana"\n')),
        "invalid version 'banana'",
    ),
    (
        "pyproject-dynamic-not-list",
        files(project('name = "a"\ndynamic = "version"\n')),
        "dynamic is not a list of strings",
    ),
    (
        "pyproject-requires-python-invalid",
        files(project('name = "a"\nversion = "1"\nrequires-python = ">=3.8,<"\n')),
        "invalid requires-python '>=3.8,<'",
    ),
    (
        "pyproject-requires-python-not-string",
        files(project('name = "a"\nversion = "1"\nrequires-python = 3.8\n')),
        "requires-python is not a string",
    ),
    (
        "pyproject-requires-python-normalised",
        files(project('name = "a"\nversion = "1"\nrequires-python = " >= 3.8 , < 4 "\n')),
        meta("a", "1", "<4,>=3.8"),
    ),
    (
        "pyproject-requires-python-empty",
        files(project('name = "a"\nversion = "1"\nrequires-python = ""\n')),
        meta("a", "1"),
    ),
    ("pyproject-project-not-table", files('project = "acme"\n'), "[project] is not a table"),
    (
        "pyproject-name-invalid",
        files(project('name = "-acme"\nversion = "1"\n')),
        "invalid project name '-acme'",
    ),
    ("pyproject-name-space", files(project('name = "acme utils"\nversion = "1"\n')), "invalid project name"),
    (
        "pyproject-name-newline",
        files(project('name = "acme\\n"\nversion = "1"\n')),
        "invalid project name 'acme\\n'",
    ),
    ("pyproject-name-non-ascii", files(project('name = "acmé"\nversion = "1"\n')), "invalid project name"),
    # --- pip's [build-system] checks (pip/_internal/pyproject.py) ---
    (
        "build-system-without-requires",
        files(
            '[build-system]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "a"\nversion = "1"\n'
        ),
        "[build-system] has no requires",
    ),
    (
        "build-system-requires-not-list",
        files('[build-system]\nrequires = "setuptools"\n[project]\nname = "a"\nversion = "1"\n'),
        "requires is not a list of strings",
    ),
    (
        "build-system-invalid-requirement",
        files('[build-system]\nrequires = ["setuptools >>> 1"]\n[project]\nname = "a"\nversion = "1"\n'),
        "invalid requirement 'setuptools >>> 1'",
    ),
    ("build-system-not-table", files('build-system = "x"\n'), "[build-system] is not a table"),
    ("toml-malformed", files('[project\nname = "a"\n'), "pyproject.toml is not valid TOML"),
    ("toml-duplicate-key", files('[project]\nname = "a"\nname = "b"\n'), "pyproject.toml is not valid TOML"),
    # --- [build-system]-only pyproject.toml + setup.cfg / setup.py ---
    (
        "build-system-only-plus-setup-cfg",
        files(
            SETUPTOOLS_ONLY,
            cfg="[metadata]\nname = acme\nversion = 1.0\n[options]\npython_requires = >=3.8\n",
        ),
        meta("acme", "1.0", ">=3.8"),
    ),
    (
        "build-system-only-plus-setup-cfg-attr-version",
        files(SETUPTOOLS_ONLY, cfg="[metadata]\nname = acme\nversion = attr: acme.__version__\n"),
        "files that were not read: acme.py, acme/__init__.py, src/acme.py, src/acme/__init__.py",
    ),
    (
        "build-system-only-plus-setup-cfg-file-version",
        files(SETUPTOOLS_ONLY, cfg="[metadata]\nname = acme\nversion = file: VERSION.txt\n"),
        "files that were not read: VERSION.txt",
    ),
    (
        "setup-cfg-no-version-with-setuptools-scm",
        files(SETUPTOOLS_SCM, cfg="[metadata]\nname = acme\n"),
        meta("acme", None),
    ),
    (
        "setup-cfg-no-version-with-tool-setuptools-scm-table",
        files(SETUPTOOLS_ONLY + "\n[tool.setuptools_scm]\n", cfg="[metadata]\nname = acme\n"),
        meta("acme", None),
    ),
    (
        "setup-cfg-no-version-with-hatch-vcs-source",
        files(SETUPTOOLS_ONLY + '\n[tool.hatch.version]\nsource = "vcs"\n', cfg="[metadata]\nname = acme\n"),
        meta("acme", None),
    ),
    (
        "setup-cfg-no-version-anywhere",
        files(SETUPTOOLS_ONLY, cfg="[metadata]\nname = acme\n"),
        "no version in the metadata",
    ),
    (
        "setup-cfg-no-name",
        files(SETUPTOOLS_ONLY, cfg="[metadata]\nversion = 1.0\n"),
        "no project name in the metadata",
    ),
    (
        "build-system-only-nothing-else",
        files(SETUPTOOLS_ONLY),
        "no [project] table and there is no setup.cfg or setup.py",
    ),
    (
        "setup-cfg-with-setup-py-shim",
        files(cfg="[metadata]\nname = acme\nversion = 1.0\n", py=SHIM),
        meta("acme", "1.0"),
    ),
    (
        "setup-py-keywords-override-setup-cfg",
        files(
            cfg="[metadata]\nname = acme\nversion = 1.0\n",
            py='from setuptools import setup\nsetup(version="1.1")',
        ),
        meta("acme", "1.1"),
    ),
    (
        "setup-cfg-dashed-python-requires-and-percent",
        files(
            cfg="[metadata]\nname = acme\nversion = 1.0\nlong_description = 100% static\n"
            "[options]\npython-requires = >=3.10\n",
            py=SHIM,
        ),
        meta("acme", "1.0", ">=3.10"),
    ),
    (
        "setup-cfg-invalid-requires-python",
        files(cfg="[metadata]\nname = acme\nversion = 1.0\n[options]\npython_requires = 3.8+\n", py=SHIM),
        "invalid requires-python '3.8+'",
    ),
    (
        "setup-cfg-inline-comment-is-part-of-value",  # as in setuptools: no inline comments
        files(cfg="[metadata]\nname = acme # the name\nversion = 1.0\n", py=SHIM),
        "invalid project name 'acme # the name'",
    ),
    # --- setup.cfg alone, nothing at all ---
    (
        "setup-cfg-alone-unbuildable",
        files(cfg="[metadata]\nname = acme\nversion = 1.0\n"),
        "setup.cfg without pyproject.toml or setup.py: pip cannot build it",
    ),
    ("no-files", SourceFiles(), "no pyproject.toml, setup.cfg or setup.py"),
    # --- malformed INI ---
    ("ini-no-section-header", files(cfg="name = acme\n", py=SHIM), "line 1 is outside any [section]"),
    (
        "ini-duplicate-option",
        files(cfg="[metadata]\nname = a\nname = b\n", py=SHIM),
        "option 'name' appears twice in ['metadata']",
    ),
    (
        "ini-duplicate-section",
        files(cfg="[metadata]\n[metadata]\n", py=SHIM),
        "section 'metadata' appears twice",
    ),
    # --- setup.py read with ast ---
    (
        "setup-py-literal",
        files(py='from setuptools import setup\nsetup(name="acme", version="1.0", python_requires=">=3.8")'),
        meta("acme", "1.0", ">=3.8"),
    ),
    (
        "setup-py-setuptools-dot-setup",
        files(py='import setuptools\nsetuptools.setup(name="acme", version="1.0")'),
        meta("acme", "1.0"),
    ),
    (
        "setup-py-distutils-core-setup",
        files(py='import distutils.core\ndistutils.core.setup(name="acme", version="1.0")'),
        meta("acme", "1.0"),
    ),
    (
        "setup-py-constant-reference",
        files(
            py='from setuptools import setup\nNAME = "acme"\nVERSION: str = "1.0"\n'
            "setup(name=NAME, version=VERSION)"
        ),
        meta("acme", "1.0"),
    ),
    (
        "setup-py-under-main-guard",
        files(
            py='from setuptools import setup\nif __name__ == "__main__":\n    setup(name="acme", version="1")'
        ),
        meta("acme", "1"),
    ),
    (
        "setup-py-reassigned-constant",
        files(py='NAME = "acme"\nV = "1.0"\nV = V + ".post1"\nsetup(name=NAME, version=V)'),
        meta("acme", "1.0.post1"),
    ),
    (
        "setup-py-imported-constant-shadows",
        files(py='VERSION = "1.0"\nfrom acme import VERSION\nsetup(name="acme", version=VERSION)'),
        "files that were not read: acme.py, acme/__init__.py, src/acme.py, src/acme/__init__.py",
    ),
    (
        "setup-py-non-literal-name",
        files(py='setup(name="acme" + "-utils", version="1.0")'),
        meta("acme-utils", "1.0"),
    ),
    (
        "setup-py-computed-version",
        files(
            py='about = {}\nexec(open("acme/__about__.py").read(), about)\n'
            'setup(name="acme", version=about["v"])'
        ),
        "files that were not read: acme/__about__.py",
    ),
    (
        "setup-py-use-scm-version",
        files(py='setup(name="acme", use_scm_version=True, setup_requires=["setuptools_scm"])'),
        meta("acme", None),
    ),
    (
        "setup-py-use-scm-version-dict-overrides-version",
        files(py='setup(name="acme", version="0.0.0", use_scm_version={"root": ".."})'),
        meta("acme", None),
    ),
    (
        "setup-py-use-scm-version-false",
        files(py='setup(name="acme", version="1.0", use_scm_version=False)'),
        meta("acme", "1.0"),
    ),
    (
        "setup-py-pbr",
        files(py='setup(setup_requires=["pbr"], pbr=True)', cfg="[metadata]\nname = acme\n"),
        meta("acme", None),
    ),
    (
        "setup-py-versioneer",
        files(py='import versioneer\nsetup(name="acme", version=versioneer.get_version())'),
        meta("acme", None),
    ),
    (
        "setup-py-computed-version-with-scm-in-build-requires",
        files(
            SETUPTOOLS_SCM,
            py='from setuptools_scm import get_version\nsetup(name="acme", version=get_version())',
        ),
        meta("acme", None),
    ),
    ("setup-py-no-version", files(py='setup(name="acme")'), "no version in the metadata"),
    (
        "setup-py-no-version-with-setuptools-scm",
        files(SETUPTOOLS_SCM, py='setup(name="acme")'),
        meta("acme", None),
    ),
    (
        "setup-py-computed-python-requires-ignored",
        files(py='setup(name="acme", version="1", python_requires=">=3.%d" % sys.version_info[0])'),
        meta("acme", "1"),
    ),
    (
        "setup-py-star-star-with-setup-cfg-name",
        files(cfg="[metadata]\nname = acme\nversion = 2.0\n", py="setup(**kwargs)"),
        meta("acme", "2.0"),
    ),
    (
        "setup-py-star-star-without-name",
        files(py="setup(**kwargs)"),
        "setup.py does not give its name as a literal",
    ),
    (
        "setup-py-star-star-without-version",
        files(py='setup(name="acme", **kwargs)'),
        "setup.py may pass its version through **kwargs",
    ),
    (
        "setup-py-two-identical-calls",
        files(py='if X:\n    setup(name="acme", version="1")\nelse:\n    setup(name="acme", version="1")'),
        meta("acme", "1"),
    ),
    (
        "setup-py-two-different-calls",
        files(py='if X:\n    setup(name="acme", version="1")\nelse:\n    setup(name="acme", version="2")'),
        "calls setup() in several places with different arguments",
    ),
    ("setup-py-syntax-error", files(py='setup(name="acme",\n'), "setup.py has a syntax error at line 1"),
    ("setup-py-python2", files(py='print "hello"\nsetup(name="acme")\n'), "setup.py has a syntax error"),
    ("setup-py-no-setup-call", files(py="import os\nprint(os.getcwd())\n"), "setup.py has no setup() call"),
    ("setup-py-version-invalid", files(py='setup(name="acme", version="one")'), "invalid version 'one'"),
    ("setup-py-name-invalid", files(py='setup(name="acme!", version="1")'), "invalid project name 'acme!'"),
    ("setup-py-deep-nesting", files(py="x = " + "-" * 200_000 + "1\nsetup()"), "setup.py"),
    # --- Poetry < 2: [tool.poetry] ---
    (
        "poetry-static",
        files(
            '[build-system]\nrequires = ["poetry-core"]\nbuild-backend = "poetry.core.masonry.api"\n'
            '[tool.poetry]\nname = "acme"\nversion = "1.0.0"\n'
        ),
        meta("acme", "1.0.0"),
    ),
    (
        "poetry-dynamic-versioning",
        files(
            '[build-system]\nrequires = ["poetry-core", "poetry-dynamic-versioning"]\n'
            'build-backend = "poetry_dynamic_versioning.backend"\n'
            '[tool.poetry]\nname = "acme"\nversion = "0.0.0"\n'
        ),
        meta("acme", None),
    ),
    (
        "poetry-table-with-other-backend",
        files(
            '[build-system]\nrequires = ["flit_core"]\nbuild-backend = "flit_core.buildapi"\n'
            '[tool.poetry]\nname = "a"\n'
        ),
        "no [project] table",  # not built by poetry-core: no guess
    ),
    (
        "poetry-core-with-dynamic-versioning-plugin",
        files(
            '[build-system]\nrequires = ["poetry-core", "poetry-dynamic-versioning"]\n'
            'build-backend = "poetry.core.masonry.api"\n'
            '[tool.poetry]\nname = "acme"\nversion = "0.0.0"\n'
        ),
        meta("acme", None),
    ),
    # --- unusable text ---
    ("nul-byte", files(py='setup(name="acme", version="1")\x00'), "setup.py contains a NUL byte"),
    (
        "lone-surrogate",
        files(cfg="[metadata]\nname = \udc80\n", py=SHIM),
        "setup.cfg is not valid UTF-8 text",
    ),
    (
        "huge-file",
        files(project('name = "a"\nversion = "1"\n') + "#" * MAX_FILE_BYTES),
        "pyproject.toml is larger than 1 MiB",
    ),
    (
        "huge-file-in-utf8-bytes",
        files(project('name = "a"\nversion = "1"\n') + "# " + "é" * (MAX_FILE_BYTES // 2)),
        "pyproject.toml is larger than 1 MiB",
    ),
    ("toml-deep-nesting", files("a = " + "[" * 100_000), "pyproject.toml"),
    (
        "scanner-problem",
        SourceFiles(setup_py=None, problems=("setup.py is binary",)),
        "setup.py is binary",
    ),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_parse_metadata(source: SourceFiles, expected: ProjectMetadata | str) -> None:
    result = parse_metadata(source)
    if isinstance(expected, ProjectMetadata):
        assert result == expected
    else:
        assert isinstance(result, MetadataProblem), result
        assert expected in result.reason
        assert "\n" not in result.reason


def test_scanner_problems_are_joined_and_flattened() -> None:
    result = parse_metadata(SourceFiles(problems=("setup.py: not\nUTF-8", "setup.cfg: too big")))
    assert result == MetadataProblem("setup.py: not UTF-8; setup.cfg: too big")


def test_untrusted_values_are_bounded_in_reasons() -> None:
    toml_name = "x" * 10_000 + "\\n<script>"  # a TOML escape: the name holds a real newline
    result = parse_metadata(files(project(f'name = "{toml_name}"\nversion = "1"\n')))
    assert isinstance(result, MetadataProblem)
    assert "\n" not in result.reason and len(result.reason) < 120
    assert result.reason.endswith("…")


@pytest.mark.parametrize(
    ("value", "quoted"),
    [("abc", "'abc'"), ("a\nb", "'a\\nb'"), ("é" * 61, repr("é" * 60) + "…"), ("\u202e", "'\\u202e'")],
    ids=["plain", "newline", "truncated", "bidi-override"],
)
def test_quote_value(value: str, quoted: str) -> None:
    assert quote_value(value) == quoted


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("acme-utils", True),
        ("zeta.utils", True),
        ("A_B", True),
        ("a", True),
        ("9", True),
        ("-a", False),
        ("a-", False),
        ("a b", False),
        ("a\n", False),
        ("", False),
        ("\u212a", False),  # Kelvin sign: pip's egg regex (IGNORECASE, no ASCII) would accept it
        ("acme[extra]", False),
    ],
)
def test_is_valid_project_name(name: str, valid: bool) -> None:
    assert is_valid_project_name(name) is valid


@settings(max_examples=150, deadline=None)
@given(pyproject=st.none() | st.text(), cfg=st.none() | st.text(), py=st.none() | st.text())
def test_never_raises_and_reasons_are_one_line(
    pyproject: str | None, cfg: str | None, py: str | None
) -> None:
    result = parse_metadata(SourceFiles(pyproject_toml=pyproject, setup_cfg=cfg, setup_py=py))
    if isinstance(result, MetadataProblem):
        assert "\n" not in result.reason and "\r" not in result.reason
        assert len(result.reason) < 300


@settings(max_examples=100, deadline=None)
@given(
    name=st.text(max_size=80),
    version=st.text(max_size=40),
    requires_python=st.text(max_size=40),
)
def test_never_raises_on_odd_values(name: str, version: str, requires_python: str) -> None:
    """Arbitrary values in well-formed files: a ProjectMetadata only with values packaging accepts."""
    setup_py = f"setup(name={name!r}, version={version!r}, python_requires={requires_python!r})"
    result = parse_metadata(SourceFiles(setup_py=setup_py))
    if isinstance(result, ProjectMetadata):
        assert is_valid_project_name(result.name)
    else:
        assert "\n" not in result.reason and len(result.reason) < 300
