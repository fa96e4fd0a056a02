"""The metadata idioms real projects write, read statically (indexgen.metadata), table-driven.

Each fixture is written in the style of a well-known project's file at some point of its history
(requests, attrs, flask, httpx, pytest, poetry-core, pdm, flit…), not copied from it. A case gives the
files of a repository at one commit; `resolve` reads them as a scanner does (the metadata files, then
rounds of the files they refer to, through `follow_references`) and parses the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from textwrap import dedent

import pytest

from indexgen.build import build_index
from indexgen.github.scanner import follow_references
from indexgen.metadata import files_wanted, parse_metadata
from indexgen.models import MetadataResult, ProjectMetadata, RepoSnapshot, SourceFiles, TagRef

Repo = Mapping[str, str]


def source_files(repo: Repo, project_dir: str = "") -> SourceFiles:
    def at(name: str) -> str | None:
        return repo.get(f"{project_dir}/{name}" if project_dir else name)

    return SourceFiles(at("pyproject.toml"), at("setup.cfg"), at("setup.py"))


def resolve(repo: Repo, project_dir: str = "", fetched: list[str] | None = None) -> MetadataResult:
    """Parse `repo` (path → text) as a scan would: fetch what the metadata refers to, in rounds."""

    def fetch(pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
        if fetched is not None:
            fetched.extend(path for _, path in pairs)
        return {(sha, path): repo.get(path) for sha, path in pairs}

    files = follow_references({"c0": source_files(repo, project_dir)}, fetch, project_dir)["c0"]
    assert not files_wanted(files, project_dir)
    return parse_metadata(files, project_dir)


def meta(
    name: str,
    version: str | None,
    requires_python: str | None = None,
    summary: str | None = None,
    dependencies: tuple[str, ...] = (),
) -> ProjectMetadata:
    return ProjectMetadata(name, version, requires_python, summary, dependencies)


def d(text: str) -> str:
    return dedent(text).lstrip("\n")


SETUPTOOLS = d(
    """
    [build-system]
    requires = ["setuptools>=40.8", "wheel"]
    build-backend = "setuptools.build_meta"
    """
)

# --- setup.py computes the version --------------------------------------------------------------------

REQUESTS_2018 = d(
    """
    #!/usr/bin/env python
    # Learn more: https://github.com/kennethreitz/setup.py
    import os
    import sys

    from codecs import open

    from setuptools import setup
    from setuptools.command.test import test as TestCommand

    here = os.path.abspath(os.path.dirname(__file__))

    class PyTest(TestCommand):
        user_options = [("pytest-args=", "a", "Arguments to pass into py.test")]

    packages = ["requests"]
    requires = ["chardet>=3.0.2,<3.1.0", "idna>=2.5,<2.8"]

    about = {}
    with open(os.path.join(here, "requests", "__version__.py"), "r", "utf-8") as f:
        exec(f.read(), about)

    with open("README.md", "r", "utf-8") as f:
        readme = f.read()

    setup(
        name=about["__title__"],
        version=about["__version__"],
        description=about["__description__"],
        long_description=readme,
        author=about["__author__"],
        packages=packages,
        python_requires=">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*",
        install_requires=requires,
        cmdclass={"test": PyTest},
    )
    """
)
REQUESTS_VERSION = d(
    """
    # .-. .-. .-. . . .-. .-. .-. .-.
    __title__ = 'requests'
    __description__ = 'Python HTTP for Humans.'
    __url__ = 'http://python-requests.org'
    __version__ = '2.19.1'
    __build__ = 0x021901
    __author__ = 'Kenneth Reitz'
    """
)
REQUESTS_2014 = d(
    r"""
    import os
    import re
    import sys

    try:
        from setuptools import setup
    except ImportError:
        from distutils.core import setup

    version = ''
    with open('requests/__init__.py', 'r') as fd:
        version = re.search(r'^__version__\s*=\s*[\'"]([^\'"]*)[\'"]',
                            fd.read(), re.MULTILINE).group(1)

    if not version:
        raise RuntimeError('Cannot find version information')

    setup(name='requests', version=version, description='Python HTTP for Humans.')
    """
)
ATTRS_2019 = d(
    r"""
    import codecs
    import os
    import re

    from setuptools import find_packages, setup

    NAME = "attrs"
    PACKAGES = find_packages(where="src")
    META_PATH = os.path.join("src", "attr", "__init__.py")
    INSTALL_REQUIRES = []
    HERE = os.path.abspath(os.path.dirname(__file__))


    def read(*parts):
        with codecs.open(os.path.join(HERE, *parts), "rb", "utf-8") as f:
            return f.read()


    META_FILE = read(META_PATH)


    def find_meta(meta):
        meta_match = re.search(
            r"^__{meta}__ = ['\"]([^'\"]*)['\"]".format(meta=meta), META_FILE, re.M
        )
        if meta_match:
            return meta_match.group(1)
        raise RuntimeError("Unable to find __{meta}__ string.".format(meta=meta))


    if __name__ == "__main__":
        setup(
            name=NAME,
            description=find_meta("description"),
            version=find_meta("version"),
            long_description=read("README.rst"),
            packages=PACKAGES,
            package_dir={"": "src"},
            python_requires=">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*",
            install_requires=INSTALL_REQUIRES,
        )
    """
)
ATTRS_INIT = d(
    """
    from __future__ import absolute_import, division, print_function

    from functools import partial

    from . import converters, exceptions, filters, validators
    from ._make import Attribute, Factory, attrib, attrs


    __version__ = "19.1.0"

    __title__ = "attrs"
    __description__ = "Classes Without Boilerplate"
    __uri__ = "https://www.attrs.org/"
    """
)
FLASK_2012 = d(
    r"""
    import re
    import ast
    from setuptools import Command, setup

    _version_re = re.compile(r'__version__\s+=\s+(.*)')

    with open('flask/__init__.py', 'rb') as f:
        version = str(ast.literal_eval(_version_re.search(
            f.read().decode('utf-8')).group(1)))

    setup(
        name='Flask',
        version=version,
        url='http://github.com/pallets/flask/',
        description='A microframework based on Werkzeug, Jinja2 '
                    'and good intentions',
        install_requires=[
            'Werkzeug>=0.7',
            'Jinja2>=2.4',
            'itsdangerous>=0.21',
            'click>=2.0',
        ],
    )
    """
)
FLASK_2018 = d(
    r"""
    #!/usr/bin/env python
    # -*- coding: utf-8 -*-
    import io
    import re
    from collections import OrderedDict

    from setuptools import setup

    with io.open('README.rst', 'rt', encoding='utf8') as f:
        readme = f.read()

    with io.open('flask/__init__.py', 'rt', encoding='utf8') as f:
        version = re.search(r'__version__ = \'(.*?)\'', f.read()).group(1)

    setup(
        name='Flask',
        version=version,
        python_requires='>=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*',
    )
    """
)
HTTPX_2020 = d(
    r"""
    #!/usr/bin/env python
    # -*- coding: utf-8 -*-

    import re
    from pathlib import Path

    from setuptools import setup


    def get_version(package):
        # Return package version as listed in `__version__` in `init.py`.
        version = Path(package, "__version__.py").read_text()
        return re.search("__version__ = ['\"]([^'\"]+)['\"]", version).group(1)


    def get_long_description():
        # Return the README.
        long_description = ""
        with open("README.md", encoding="utf8") as f:
            long_description += f.read()
        return long_description


    setup(
        name="httpx",
        python_requires=">=3.6",
        version=get_version("httpx"),
        description="The next generation HTTP client.",
        long_description=get_long_description(),
        install_requires=["certifi", "sniffio", "rfc3986[idna2008]>=1.3,<2"],
    )
    """
)
HTTPX_2019 = d(
    r"""
    import os
    import re

    from setuptools import setup


    def get_version(package):
        version = open(os.path.join(package, "__version__.py")).read()
        return re.search("__version__ = ['\"]([^'\"]+)['\"]", version).group(1)


    setup(name="httpx", version=get_version("httpx"))
    """
)
HTTPX_VERSION = '__title__ = "httpx"\n__description__ = "A next generation HTTP client, for Python 3."\n'
HTTPX_VERSION += '__version__ = "0.16.1"\n'

IMPORT_FROM_PKG = d(
    """
    import sys
    from setuptools import setup, find_packages

    sys.path.insert(0, "src")
    from acme_tool import __version__  # noqa: E402

    setup(name="acme-tool", version=__version__, packages=find_packages("src"), package_dir={"": "src"})
    """
)
IMPORT_PKG = d(
    """
    from setuptools import setup

    import acme_tool

    setup(
        name="acme-tool",
        version=acme_tool.__version__,
        description=acme_tool.__doc__.strip(),
    )
    """
)
INIT_REEXPORTS = 'from ._version import __version__\nfrom .core import Tool\n\n__all__ = ["Tool"]\n'
VERSION_TUPLE = 'VERSION = (3, 2, 1)\n__version__ = ".".join(map(str, VERSION))\n'
VERSION_TUPLE_GEN = "version_info = (0, 9, 'b2')\n__version__ = '.'.join(str(v) for v in version_info)\n"
EXEC_GLOBALS = d(
    """
    from setuptools import setup
    exec(open("acme_tool/version.py").read())
    setup(name="acme-tool", version=__version__)
    """
)
RUNPY = d(
    """
    import runpy
    from setuptools import setup
    meta = runpy.run_path("acme_tool/__meta__.py")
    setup(name=meta["__title__"], version=meta["__version__"])
    """
)
VERSION_FILE_PY = d(
    """
    import os
    from setuptools import setup

    HERE = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(HERE, "VERSION")) as version_file:
        version = version_file.read().strip()

    setup(name="acme-tool", version=version)
    """
)
VERSION_FILE_PATHLIB = d(
    """
    from pathlib import Path
    from setuptools import setup

    here = Path(__file__).parent.resolve()
    setup(name="acme-tool", version=(here / "VERSION").read_text(encoding="utf-8").strip())
    """
)

PYTEST_2016 = d(
    """
    import os, sys
    import setuptools
    import pkg_resources
    from setuptools import setup, Command

    with open('README.rst') as fd:
        long_description = fd.read()

    def get_version():
        p = os.path.join(os.path.dirname(
                         os.path.abspath(__file__)), "_pytest", "__init__.py")
        with open(p) as f:
            for line in f.readlines():
                if "__version__" in line:
                    return line.strip().split("=")[-1].strip(" '")
        raise ValueError("could not read version")

    def main():
        setup(
            name='pytest',
            description='pytest: simple powerful testing with Python',
            long_description=long_description,
            version=get_version(),
        )

    if __name__ == '__main__':
        main()
    """
)
LINE_SCAN_BREAK = d(
    """
    from setuptools import setup

    version = None
    for line in open("acme_tool/__init__.py"):
        if line.startswith("__version__"):
            version = line.split("=")[1].strip().strip("'\\"")
            break

    setup(name="acme-tool", version=version)
    """
)
PYLIB_2009 = d(
    """
    import os, sys
    from setuptools import setup

    trunk = None
    def main():
        setup(name='py', version=trunk or '1.1.0')

    if __name__ == '__main__':
        main()
    """
)
PDM_2021 = d(
    """
    [project]
    name = "acme-tool"
    dynamic = ["version", "classifiers"]
    version = {version}
    requires-python = ">=3.7"
    dependencies = ["click", "pip<21,>=20.1"]

    [build-system]
    requires = ["pdm-pep517>=0.3.0"]
    build-backend = "pdm.pep517.api"
    """
)
PDM_INTREEHOOKS = d(
    """
    [tool.pdm]
    name = "acme-tool"
    version = {from = "acme_tool/__init__.py"}

    [tool.intreehooks]
    build-backend = "pdm.builders.api"

    [build-system]
    requires = ["intreehooks"]
    build-backend = "intreehooks:loader"
    """
)

# --- names not literal in the call, setup() under other names ------------------------------------------

KWARGS_DICT = d(
    """
    from setuptools import setup

    setup_kwargs = {
        "name": "acme-tool",
        "description": "Acme's tool",
        "install_requires": ["click>=7"],
    }
    setup_kwargs["version"] = "1.4.0"

    if __name__ == "__main__":
        setup(**setup_kwargs)
    """
)
KWARGS_DICT_CALL = d(
    """
    from setuptools import setup
    NAME = "acme-tool"
    setup(**dict(name=NAME, version="1.4.0", python_requires=">=3.7"))
    """
)
KWARGS_UPDATE = d(
    """
    from setuptools import setup
    about = {}
    with open("acme_tool/__about__.py") as fp:
        exec(fp.read(), about)
    kwargs = dict(name=about["__title__"])
    kwargs.update(version=about["__version__"])
    setup(**kwargs)
    """
)
ABOUT = '__title__ = "acme-tool"\n__version__ = "1.4.0"\n'
IMPL_ALIAS = d(
    """
    import setuptools as impl

    impl.setup(name="acme-tool", version="2.0.0")
    """
)
SETUP_AS_S = "from setuptools import setup as s\n\ns(name='acme-tool', version='2.0.0')\n"
DISTUTILS_CORE = "import distutils.core\n\ndistutils.core.setup(name='acme-tool', version='2.0.0')\n"
MAIN_FUNCTION = d(
    """
    from distutils.core import setup

    def main():
        setup(name="acme-tool", version=read_version())

    def read_version():
        with open("VERSION") as f:
            return f.read().strip()

    if __name__ == "__main__":
        main()
    """
)

# --- the tool tables ------------------------------------------------------------------------------------

FLIT_OLD = d(
    """
    [build-system]
    requires = ["flit_core >=2,<4"]
    build-backend = "flit_core.buildapi"

    [tool.flit.metadata]
    module = "acme_tool"
    dist-name = "acme-tool"
    author = "Acme"
    requires = ["requests >=2.6", "configparser; python_version == '2.7'"]
    requires-python = ">=3.6"
    """
)
FLIT_PEP621 = d(
    """
    [build-system]
    requires = ["flit_core >=3.2,<4"]
    build-backend = "flit_core.buildapi"

    [project]
    name = "acme-tool"
    dynamic = ["version", "description"]
    """
)
FLIT_MODULE = '"""Acme\'s tool."""\n\n__version__ = "0.7.1"\n'
POETRY = d(
    """
    [tool.poetry]
    name = "acme-tool"
    version = "1.2.0"
    description = "Acme's tool"
    authors = ["Acme <dev@acme.test>"]

    [tool.poetry.dependencies]
    python = "{python}"
    requests = "^2.25"
    click = {{ version = "~8.0", extras = ["color"] }}
    attrs = "20.3.0"
    rich = {{ version = "*", optional = true }}

    [build-system]
    requires = ["{requires}"]
    build-backend = "{backend}"
    """
)


def poetry(
    python: str = "^3.8", backend: str = "poetry.core.masonry.api", requires: str = "poetry-core>=1"
) -> str:
    return POETRY.format(python=python, backend=backend, requires=requires)


POETRY_DEPS = ("requests<3.0,>=2.25", "click[color]<8.1,>=8.0", "attrs==20.3.0")
PDM_OLD = d(
    """
    [tool.pdm]
    name = "acme-tool"
    version = {version}
    description = "Acme's tool"

    [build-system]
    requires = ["pdm-pep517"]
    build-backend = "pdm.pep517.api"
    """
)
HATCH = d(
    """
    [build-system]
    requires = ["hatchling"]
    build-backend = "hatchling.build"

    [project]
    name = "acme-tool"
    description = "Acme's tool"
    dynamic = ["version"]
    dependencies = ["httpx>=0.23"]

    [tool.hatch.version]
    path = "src/acme_tool/__about__.py"
    """
)
PDM_BACKEND = d(
    """
    [build-system]
    requires = ["pdm-backend"]
    build-backend = "pdm.backend"

    [project]
    name = "acme-tool"
    dynamic = ["version"]
    requires-python = ">=3.8"

    [tool.pdm.version]
    source = "file"
    path = "src/acme_tool/__init__.py"
    """
)
SETUPTOOLS_DYNAMIC = d(
    """
    [build-system]
    requires = ["setuptools>=61"]
    build-backend = "setuptools.build_meta"

    [project]
    name = "acme-tool"
    dynamic = ["version"]

    [tool.setuptools.dynamic]
    version = {directive}
    """
)
SETUP_CFG_ATTR = d(
    """
    [metadata]
    name = acme-tool
    version = attr: acme_tool.__version__
    description = Acme's tool

    [options]
    package_dir =
        =src
    packages = find:
    python_requires = >=3.7
    install_requires =
        requests>=2
        click
    """
)

# Each case: (id, files at the commit, project directory, expected metadata or a reason substring).
CASES: list[tuple[str, dict[str, str], str, ProjectMetadata | str]] = [
    # exec'd version file into a dict: name, version, description from it
    (
        "requests-2018-exec-about",
        {"setup.py": REQUESTS_2018, "requests/__version__.py": REQUESTS_VERSION, "README.md": "x"},
        "",
        meta(
            "requests",
            "2.19.1",
            "!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,>=2.7",
            "Python HTTP for Humans.",
            ("chardet<3.1.0,>=3.0.2", "idna<2.8,>=2.5"),
        ),
    ),
    (
        "requests-2014-regex-over-init",
        {"setup.py": REQUESTS_2014, "requests/__init__.py": "__version__ = '2.4.3'\n__build__ = 0x020403\n"},
        "",
        meta("requests", "2.4.3", summary="Python HTTP for Humans."),
    ),
    (
        "attrs-2019-find-meta-src-layout",
        {"setup.py": ATTRS_2019, "src/attr/__init__.py": ATTRS_INIT},
        "",
        meta("attrs", "19.1.0", "!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,>=2.7", "Classes Without Boilerplate"),
    ),
    (
        "flask-2012-compiled-regex-literal-eval",
        {"setup.py": FLASK_2012, "flask/__init__.py": "__version__ = '0.10.1'\n"},
        "",
        meta(
            "Flask",
            "0.10.1",
            summary="A microframework based on Werkzeug, Jinja2 and good intentions",
            dependencies=("Werkzeug>=0.7", "Jinja2>=2.4", "itsdangerous>=0.21", "click>=2.0"),
        ),
    ),
    (
        "flask-2018-io-open-regex",
        {"setup.py": FLASK_2018, "flask/__init__.py": "__version__ = '1.0.2'\n"},
        "",
        meta("Flask", "1.0.2", "!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,>=2.7"),
    ),
    (
        "httpx-2020-pathlib-get-version",
        {"setup.py": HTTPX_2020, "httpx/__version__.py": HTTPX_VERSION},
        "",
        meta(
            "httpx",
            "0.16.1",
            ">=3.6",
            "The next generation HTTP client.",
            ("certifi", "sniffio", "rfc3986[idna2008]<2,>=1.3"),
        ),
    ),
    (
        "httpx-2019-os-path-get-version",
        {"setup.py": HTTPX_2019, "httpx/__version__.py": HTTPX_VERSION},
        "",
        meta("httpx", "0.16.1"),
    ),
    (
        "from-pkg-import-version-src-layout-reexported",
        {
            "setup.py": IMPORT_FROM_PKG,
            "src/acme_tool/__init__.py": INIT_REEXPORTS,
            "src/acme_tool/_version.py": "__version__ = VERSION = '3.2.1'\n",
        },
        "",
        meta("acme-tool", "3.2.1"),
    ),
    (
        "import-pkg-attribute-tuple-joined",
        {"setup.py": IMPORT_PKG, "acme_tool/__init__.py": '"""Acme\'s tool."""\n' + VERSION_TUPLE},
        "",
        meta("acme-tool", "3.2.1"),
    ),
    (
        "import-pkg-attribute-generator-joined",
        {"setup.py": IMPORT_PKG, "acme_tool/__init__.py": VERSION_TUPLE_GEN},
        "",
        meta("acme-tool", "0.9b2"),
    ),
    (
        "exec-into-globals",
        {"setup.py": EXEC_GLOBALS, "acme_tool/version.py": "__version__ = '0.4.0'\n"},
        "",
        meta("acme-tool", "0.4.0"),
    ),
    (
        "runpy-run-path",
        {"setup.py": RUNPY, "acme_tool/__meta__.py": ABOUT},
        "",
        meta("acme-tool", "1.4.0"),
    ),
    (
        "version-file-os-path",
        {"setup.py": VERSION_FILE_PY, "VERSION": "5.0.2\n"},
        "",
        meta("acme-tool", "5.0.2"),
    ),
    (
        "version-file-pathlib",
        {"setup.py": VERSION_FILE_PATHLIB, "VERSION": "5.0.3\n"},
        "",
        meta("acme-tool", "5.0.3"),
    ),
    (
        "pytest-2016-line-scan-return",
        {"setup.py": PYTEST_2016, "_pytest/__init__.py": "#\n__version__ = '2.9.0'\n"},
        "",
        meta("pytest", "2.9.0", summary="pytest: simple powerful testing with Python"),
    ),
    (
        "line-scan-assign-break",
        {"setup.py": LINE_SCAN_BREAK, "acme_tool/__init__.py": '"""Doc."""\n__version__ = "0.8.1"\n'},
        "",
        meta("acme-tool", "0.8.1"),
    ),
    ("pylib-2009-or-literal", {"setup.py": PYLIB_2009}, "", meta("py", "1.1.0")),
    # names and versions assembled before the call; setup under other names
    (
        "kwargs-dict-literal-then-item",
        {"setup.py": KWARGS_DICT},
        "",
        meta("acme-tool", "1.4.0", summary="Acme's tool", dependencies=("click>=7",)),
    ),
    ("kwargs-dict-call", {"setup.py": KWARGS_DICT_CALL}, "", meta("acme-tool", "1.4.0", ">=3.7")),
    (
        "kwargs-update-from-exec",
        {"setup.py": KWARGS_UPDATE, "acme_tool/__about__.py": ABOUT},
        "",
        meta("acme-tool", "1.4.0"),
    ),
    ("import-setuptools-as-impl", {"setup.py": IMPL_ALIAS}, "", meta("acme-tool", "2.0.0")),
    ("from-setuptools-import-setup-as-s", {"setup.py": SETUP_AS_S}, "", meta("acme-tool", "2.0.0")),
    ("distutils-core-setup", {"setup.py": DISTUTILS_CORE}, "", meta("acme-tool", "2.0.0")),
    (
        "setup-in-main-function",
        {"setup.py": MAIN_FUNCTION, "VERSION": "0.0.9\n"},
        "",
        meta("acme-tool", "0.0.9"),
    ),
    # versions the build reads from a file: read, like a literal
    (
        "setup-cfg-attr-package-dir-src",
        {"pyproject.toml": SETUPTOOLS, "setup.cfg": SETUP_CFG_ATTR, "src/acme_tool/__init__.py": ATTRS_INIT},
        "",
        meta("acme-tool", "19.1.0", ">=3.7", "Acme's tool", ("requests>=2", "click")),
    ),
    (
        "setup-cfg-file-version",
        {
            "setup.py": "import setuptools\nsetuptools.setup()\n",
            "setup.cfg": "[metadata]\nname = acme-tool\nversion = file: src/acme_tool/VERSION.txt\n",
            "src/acme_tool/VERSION.txt": "  4.2.0 \n",
        },
        "",
        meta("acme-tool", "4.2.0"),
    ),
    (
        "tool-setuptools-dynamic-attr",
        {
            "pyproject.toml": SETUPTOOLS_DYNAMIC.format(directive='{attr = "acme_tool.__version__"}'),
            "acme_tool/__init__.py": INIT_REEXPORTS,
            "acme_tool/_version.py": "__version__ = '6.1'\n",
        },
        "",
        meta("acme-tool", "6.1"),
    ),
    (
        "tool-setuptools-dynamic-file",
        {"pyproject.toml": SETUPTOOLS_DYNAMIC.format(directive='{file = "VERSION"}'), "VERSION": "6.2\n"},
        "",
        meta("acme-tool", "6.2"),
    ),
    (
        "hatch-version-path",
        {"pyproject.toml": HATCH, "src/acme_tool/__about__.py": '# SPDX\n__version__ = "v1.0.0a3"\n'},
        "",
        meta("acme-tool", "1.0.0a3", summary="Acme's tool", dependencies=("httpx>=0.23",)),
    ),
    (
        "pdm-backend-version-file",
        {"pyproject.toml": PDM_BACKEND, "src/acme_tool/__init__.py": '__version__ = "2.3.0"\n'},
        "",
        meta("acme-tool", "2.3.0", ">=3.8"),
    ),
    (
        "flit-pep621-module-version",
        {"pyproject.toml": FLIT_PEP621, "acme_tool.py": FLIT_MODULE},
        "",
        meta("acme-tool", "0.7.1", summary="Acme's tool."),
    ),
    (
        "flit-metadata-table",
        {"pyproject.toml": FLIT_OLD, "acme_tool/__init__.py": FLIT_MODULE},
        "",
        meta(
            "acme-tool",
            "0.7.1",
            ">=3.6",
            "Acme's tool.",
            ("requests>=2.6", 'configparser; python_version == "2.7"'),
        ),
    ),
    (
        "flit-metadata-src-layout",
        {"pyproject.toml": FLIT_OLD, "src/acme_tool/__init__.py": FLIT_MODULE},
        "",
        meta(
            "acme-tool",
            "0.7.1",
            ">=3.6",
            "Acme's tool.",
            ("requests>=2.6", 'configparser; python_version == "2.7"'),
        ),
    ),
    # poetry: Requires-Python and dependencies as poetry-core writes them
    (
        "poetry-caret",
        {"pyproject.toml": poetry("^3.8")},
        "",
        meta("acme-tool", "1.2.0", "<4.0,>=3.8", "Acme's tool", POETRY_DEPS),
    ),
    (
        "poetry-tilde",
        {"pyproject.toml": poetry("~3.7")},
        "",
        meta("acme-tool", "1.2.0", "<3.8,>=3.7", "Acme's tool", POETRY_DEPS),
    ),
    (
        "poetry-range",
        {"pyproject.toml": poetry(">=3.6,<3.11")},
        "",
        meta("acme-tool", "1.2.0", "<3.11,>=3.6", "Acme's tool", POETRY_DEPS),
    ),
    (
        "poetry-star",
        {"pyproject.toml": poetry("*")},
        "",
        meta("acme-tool", "1.2.0", None, "Acme's tool", POETRY_DEPS),
    ),
    (
        "poetry-bare-minor",
        {"pyproject.toml": poetry("3.8")},
        "",
        meta("acme-tool", "1.2.0", "<3.9,>=3.8", "Acme's tool", POETRY_DEPS),
    ),
    (
        "poetry-union-left-unknown",
        {"pyproject.toml": poetry("^2.7 || ^3.6")},
        "",
        meta("acme-tool", "1.2.0", None, "Acme's tool", POETRY_DEPS),
    ),
    (
        "poetry-intreehooks",
        {
            "pyproject.toml": poetry("^3.6", "intreehooks:loader", "intreehooks")
            + '\n[tool.intreehooks]\nbuild-backend = "poetry.masonry.api"\n'
        },
        "",
        meta("acme-tool", "1.2.0", "<4.0,>=3.6", "Acme's tool", POETRY_DEPS),
    ),
    # the older pdm table
    (
        "pdm-old-literal",
        {"pyproject.toml": PDM_OLD.format(version='"0.3.0"')},
        "",
        meta("acme-tool", "0.3.0", summary="Acme's tool"),
    ),
    (
        "pdm-old-use-scm",
        {"pyproject.toml": PDM_OLD.format(version="{use_scm = true}")},
        "",
        meta("acme-tool", None, summary="Acme's tool"),
    ),
    (
        "pdm-old-from-file",
        {
            "pyproject.toml": PDM_OLD.format(version='{from = "acme_tool/__init__.py"}'),
            "acme_tool/__init__.py": '__version__ = "0.3.1"\n',
        },
        "",
        meta("acme-tool", "0.3.1", summary="Acme's tool"),
    ),
    (
        "pdm-2021-project-version-table-scm",
        {"pyproject.toml": PDM_2021.format(version="{use_scm = true}")},
        "",
        meta("acme-tool", None, ">=3.7", None, ("click", "pip<21,>=20.1")),
    ),
    (
        "pdm-2021-project-version-table-from",
        {
            "pyproject.toml": PDM_2021.format(version='{from = "acme_tool/__init__.py"}'),
            "acme_tool/__init__.py": '__version__ = "1.2.0"\n',
        },
        "",
        meta("acme-tool", "1.2.0", ">=3.7", None, ("click", "pip<21,>=20.1")),
    ),
    (
        "pdm-intreehooks-tool-pdm",
        {"pyproject.toml": PDM_INTREEHOOKS, "acme_tool/__init__.py": '__version__ = "0.5.0"\n'},
        "",
        meta("acme-tool", "0.5.0"),
    ),
    # a project in a subdirectory: every path is relative to it, expressed from the repository root
    (
        "subdirectory-exec-about",
        {"python/setup.py": REQUESTS_2018, "python/requests/__version__.py": REQUESTS_VERSION},
        "python",
        meta(
            "requests",
            "2.19.1",
            "!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,>=2.7",
            "Python HTTP for Humans.",
            ("chardet<3.1.0,>=3.0.2", "idna<2.8,>=2.5"),
        ),
    ),
    (
        "subdirectory-version-file-one-level-up",
        {
            "py/setup.py": "from setuptools import setup\nsetup(name='x', version=open('../VERSION').read().strip())",
            "VERSION": "1.0\n",
        },
        "py",
        meta("x", "1.0"),
    ),
    # --- near-misses: they must stay skipped, with a precise reason --------------------------------
    (
        "git-describe",
        {
            "setup.py": d(
                """
                import subprocess
                from setuptools import setup
                version = subprocess.check_output(["git", "describe", "--tags"]).decode().strip()
                setup(name="acme-tool", version=version)
                """
            )
        },
        "",
        "subprocess.check_output() is not evaluated",
    ),
    (
        "regex-matches-two-values",
        {
            "setup.py": FLASK_2018,
            "flask/__init__.py": "if PY2:\n    __version__ = '1.0'\nelse:\n    __version__ = '1.1'\n",
        },
        "",
        "the regex matches 2 values of __version__ in flask/__init__.py",
    ),
    (
        "regex-may-match-another-name",
        {
            "setup.py": "import re\nfrom setuptools import setup\n"
            "v = re.search(r\"version = '(.*)'\", open('pkg/__init__.py').read()).group(1)\n"
            "setup(name='pkg', version=v)\n",
            "pkg/__init__.py": "min_version = '0.1'\nversion = '0.2'\n",
        },
        "",
        "may match another name in pkg/__init__.py",
    ),
    (
        "regex-names-no-variable",
        {
            "setup.py": "import re\nfrom setuptools import setup\n"
            "v = re.search(r'(\\d+\\.\\d+\\.\\d+)', open('pkg/__init__.py').read()).group(1)\n"
            "setup(name='pkg', version=v)\n",
            "pkg/__init__.py": "X = '0.1.0'\n",
        },
        "",
        "does not name one variable",
    ),
    (
        "path-built-at-run-time",
        {
            "setup.py": "import os, sys\nfrom setuptools import setup\n"
            "setup(name='pkg', version=open(os.path.join(os.environ['PKG_DIR'], 'VERSION')).read())\n"
        },
        "",
        "the version is computed; cannot read it statically",
    ),
    (
        "version-computed-in-module",
        {
            "setup.py": IMPORT_PKG,
            "acme_tool/__init__.py": "from importlib.metadata import version\n__version__ = version('acme-tool')\n",
        },
        "",
        "importlib.metadata.version() is not evaluated",
    ),
    (
        "version-module-try-except-fallback",
        {
            "setup.py": IMPORT_PKG,
            "acme_tool/__init__.py": "try:\n    from ._version import version as __version__\n"
            "except ImportError:\n    __version__ = '0.0.0+unknown'\n",
            "acme_tool/_version.py": "version = '1.0'\n",
        },
        "",
        "__version__ depends on a condition",
    ),
    (
        "version-file-absent",
        {"setup.py": VERSION_FILE_PY},
        "",
        "VERSION is absent or not a text file at this commit",
    ),
    (
        "path-leaves-the-repository",
        {"setup.py": "from setuptools import setup\nsetup(name='x', version=open('../VERSION').read())"},
        "",
        "leaves the repository",
    ),
    (
        "module-not-in-project",
        {
            "setup.py": "from setuptools import setup\nimport acme_tool\nsetup(name='x', version=acme_tool.__version__)"
        },
        "",
        "module 'acme_tool' is not in the project",
    ),
    (
        "attr-module-without-the-attribute",
        {
            "pyproject.toml": SETUPTOOLS_DYNAMIC.format(directive='{attr = "acme_tool.VERSION"}'),
            "acme_tool.py": "X = 1\n",
        },
        "",
        "acme_tool.py does not assign VERSION",
    ),
    (
        "hatch-custom-pattern",
        {
            "pyproject.toml": HATCH + 'pattern = "BUILD = (?P<version>.+)"\n',
            "src/acme_tool/__about__.py": "BUILD = 1\n",
        },
        "",
        "custom pattern",
    ),
    (
        "hatch-two-values",
        {"pyproject.toml": HATCH, "src/acme_tool/__about__.py": '__version__ = "1.0"\nVERSION = "2.0"\n'},
        "",
        "2 different values",
    ),
    (
        "line-scan-no-matching-line",
        {"setup.py": LINE_SCAN_BREAK, "acme_tool/__init__.py": "VERSION = (1, 0)\n"},
        "",
        "no line of acme_tool/__init__.py matches '__version__'",
    ),
    (
        "line-scan-of-a-file-list",
        {
            "setup.py": "from setuptools import setup\nfor line in FILES:\n    if 'v' in line:\n"
            "        version = line\n        break\nsetup(name='x', version=version)\n"
        },
        "",
        "version is set in a loop",
    ),
    (
        "or-over-a-run-time-value",
        {
            "setup.py": "import os\nfrom setuptools import setup\nsetup(name='x', version=os.environ.get('V') or '1.0')"
        },
        "",
        "a boolean expression over a value that is not a literal",
    ),
    (
        "version-assigned-in-a-loop",
        {
            "setup.py": "from setuptools import setup\nfor v in ['1', '2']:\n    version = v\nsetup(name='x', version=version)"
        },
        "",
        "version is set in a loop",
    ),
    (
        "exec-of-a-string-built-at-run-time",
        {
            "setup.py": "from setuptools import setup\nabout = {}\nexec(SOURCE, about)\nsetup(name='x', version=about['v'])"
        },
        "",
        "the version is computed",
    ),
    (
        "flit-module-missing",
        {"pyproject.toml": FLIT_OLD},
        "",
        "flit reads the version from module acme_tool: module 'acme_tool' is not in the project",
    ),
]


@pytest.mark.parametrize(
    ("repo", "project_dir", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_idiom(repo: dict[str, str], project_dir: str, expected: ProjectMetadata | str) -> None:
    result = resolve(repo, project_dir)
    if isinstance(expected, ProjectMetadata):
        assert result == expected
    else:
        assert not isinstance(result, ProjectMetadata), result
        assert expected in result.reason
        assert "\n" not in result.reason


def test_only_the_files_needed_are_fetched() -> None:
    """README.rst is opened for `long_description` but never needed: it costs no request."""
    fetched: list[str] = []
    resolve({"setup.py": REQUESTS_2018, "requests/__version__.py": REQUESTS_VERSION}, fetched=fetched)
    assert fetched == ["requests/__version__.py"]


def test_a_chain_of_modules_is_fetched_in_rounds() -> None:
    fetched: list[str] = []
    repo = {
        "setup.py": IMPORT_FROM_PKG,
        "src/acme_tool/__init__.py": INIT_REEXPORTS,
        "src/acme_tool/_version.py": "__version__ = '1'\n",
    }
    assert resolve(repo, fetched=fetched) == meta("acme-tool", "1")
    # round 1: where the package is (flat or src layout); round 2: the module it re-exports from
    assert fetched == [
        "acme_tool.py",
        "acme_tool/__init__.py",
        "src/acme_tool.py",
        "src/acme_tool/__init__.py",
        "src/acme_tool/_version.py",
        "src/acme_tool/_version/__init__.py",
    ]


def test_a_static_project_fetches_nothing() -> None:
    fetched: list[str] = []
    assert resolve({"setup.py": IMPL_ALIAS}, fetched=fetched) == meta("acme-tool", "2.0.0")
    assert fetched == []


def test_unread_references_are_a_precise_skip() -> None:
    result = parse_metadata(SourceFiles(setup_py=HTTPX_2020))
    assert result == parse_metadata(SourceFiles(setup_py=HTTPX_2020))
    assert not isinstance(result, ProjectMetadata)
    assert result.reason == "the metadata refers to files that were not read: httpx/__version__.py"


@pytest.mark.parametrize(
    ("tag", "file_version", "published"),
    [("v2.19.1", "2.19.1", True), ("v2.20.0", "2.19.1", False), ("2.19.1", "2.19.1", True)],
)
def test_a_version_read_from_a_file_is_checked_against_the_tag(
    tag: str, file_version: str, published: bool
) -> None:
    """The risk closed: a file that disagrees with the tag is a skip with a reason, not an unchecked
    release every user pays a clone for."""
    version_file = REQUESTS_VERSION.replace("2.19.1", file_version)
    result = resolve({"setup.py": REQUESTS_2018, "requests/__version__.py": version_file})
    commit = "a" * 40
    repo = RepoSnapshot(
        "acme/requests",
        "https://x/acme/requests.git",
        "https://x/acme/requests",
        "2020",
        tags=(TagRef(tag, commit),),
    )
    index = build_index([repo], {commit: result})
    assert (index.release_count == 1) is published
    if not published:
        (skip,) = index.skipped
        assert "2.19.1" in skip.reason and skip.tag == tag


def test_a_state_from_older_readers_reads_its_commits_again() -> None:
    """Results cached by the previous readers (say "setup.py computes its version") would never be
    read again; the state keeps repositories and published versions, and drops those commits once."""
    import json

    from indexgen.state import dump_state, parse_state

    commit = "a" * 40
    repo = RepoSnapshot(
        "acme/x", "https://x/acme/x.git", "https://x/acme/x", "2020", tags=(TagRef("v1", commit),)
    )
    raw = dump_state([repo], {commit: meta("x", "1")}, {"x": {"1": commit}})
    current = parse_state(raw)
    assert current is not None and commit in current.commits
    import gzip

    older = json.loads(gzip.decompress(raw))
    del older["reader"]
    state = parse_state(json.dumps(older))
    assert state is not None
    assert state.commits == {}
    assert state.published == {"x": {"1": commit}} and "acme/x" in state.repos
