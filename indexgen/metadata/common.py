"""What every metadata reader shares: reasons, validation of names/versions/specifiers, TOML tables.

Bad input never raises: every failure is a `MetadataProblem` with a one-line reason, and untrusted text
reaches a reason only through `quote_value` (bounded, `repr`-style). `packaging` decides every name,
version and specifier.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidName, canonicalize_name
from packaging.version import InvalidVersion, Version

from ..models import MetadataProblem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    # tomli is the same parser as tomllib; the ignore covers a dev venv without it (mypy targets 3.10).
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

MAX_FILE_BYTES = 1024 * 1024
"""A metadata file larger than this (UTF-8 bytes) is not parsed: real ones are a few kB."""

QUOTE_LIMIT = 60
"""How many characters of an untrusted value a reason may quote."""

Table = Mapping[str, object]


def quote_value(value: str, limit: int = QUOTE_LIMIT) -> str:
    """`value` quoted for a reason: `repr` (so newlines and control characters are escaped and the
    result is one line), cut to `limit` characters with a trailing `…` when longer."""
    if len(value) <= limit:
        return repr(value)
    return repr(value[:limit]) + "…"


def one_line(text: str, limit: int = 120) -> str:
    """A message from a parser (it may quote the file) made single-line, printable and bounded."""
    flat = " ".join(text.split())
    flat = "".join(c if c.isprintable() else "?" for c in flat)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def problem(reason: str) -> MetadataProblem:
    return MetadataProblem(reason)


def is_valid_project_name(name: str) -> bool:
    """True when `name` is a valid project name: PEP 508's `^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$`,
    case-insensitive, ASCII only, matched against the whole string."""
    # packaging >= 23.2 checks the regex (26.x with fullmatch and re.ASCII). The same regex written as
    # pip writes it (`re.match`, `$`, IGNORECASE without re.ASCII) lets "a\n" and "\u212a" through, so
    # the ASCII/no-whitespace guard does not depend on how the installed packaging spells it.
    if not name.isascii() or any(c.isspace() for c in name):
        return False
    try:
        canonicalize_name(name, validate=True)
    except InvalidName:
        return False
    return True


def check_name(name: str) -> MetadataProblem | None:
    if not is_valid_project_name(name):
        return problem(f"invalid project name {quote_value(name)}")
    return None


def normalise_version(version: str, where: str = "") -> str | MetadataProblem:
    """The PEP 440 normal form of a static version, as the built metadata will carry it."""
    try:
        return str(Version(version))
    except InvalidVersion:
        suffix = f" in {where}" if where else ""
        return problem(f"invalid version {quote_value(version)}{suffix} (not PEP 440)")


def normalise_requires_python(spec: str) -> str | None | MetadataProblem:
    """Requires-Python as `packaging` writes it (it goes to `data-requires-python`); empty → None."""
    if not spec.strip():
        return None
    try:
        return str(SpecifierSet(spec))
    except InvalidSpecifier:
        return problem(f"invalid requires-python {quote_value(spec)}")


def summary_of(value: object) -> str | None:
    """A one-line summary, or None when the value is not a usable string."""
    if not isinstance(value, str):
        return None
    flat = " ".join(value.split())
    return flat or None


def requirements_of(values: object) -> tuple[str, ...]:
    """PEP 508 strings as `packaging` prints them; () when any entry is not a valid requirement (a
    partial list would mislead more than none)."""
    if isinstance(values, str):
        values = [line for line in values.splitlines() if line.strip() and not line.strip().startswith("#")]
    if not isinstance(values, list):
        return ()
    out: list[str] = []
    for value in values:
        if not isinstance(value, str):
            return ()
        try:
            out.append(str(Requirement(value.strip())))
        except InvalidRequirement:
            return ()
    return tuple(out)


def text_problem(filename: str, text: str) -> MetadataProblem | None:
    """Refuse text no parser should see: too big, binary, or not encodable as UTF-8."""
    if len(text) > MAX_FILE_BYTES:
        return problem(f"{filename} is larger than 1 MiB; not parsed")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:  # lone surrogates: not text a repository can hold
        return problem(f"{filename} is not valid UTF-8 text")
    if size > MAX_FILE_BYTES:
        return problem(f"{filename} is larger than 1 MiB; not parsed")
    if "\x00" in text:
        return problem(f"{filename} contains a NUL byte; not a text file")
    return None


def load_toml(text: str) -> Table | MetadataProblem:
    try:
        doc: Table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return problem(f"pyproject.toml is not valid TOML: {one_line(str(exc))}")
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        return problem("pyproject.toml nests too deeply to parse")
    return doc


def table(doc: Table, *keys: str) -> Table | None:
    """The table at `doc[k1][k2]…`, or None where it is absent or not a table."""
    node: object = doc
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node if isinstance(node, Mapping) else None


def is_list_of_str(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
