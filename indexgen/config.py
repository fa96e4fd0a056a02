"""The configuration file: found, read and validated as a whole before any API request.

`indexgen.toml` in the working directory, or `--config FILE` (or `$INDEXGEN_CONFIG`); a `pyproject.toml`
is read for its `[tool.indexgen]` table. Every problem is collected with its key path (unknown keys
with a "did you mean"), so one run lists them all. The key names are a contract: automation writes
them. `settings.py` merges the result with flags and environment into the one `Settings`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import re
import sys
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import InvalidName, canonicalize_name
from packaging.version import InvalidVersion, Version

from .metadata import quote_value
from .rules import ProjectLayout, RepoRules
from .versions import check_tag_pattern

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

CONFIG_FILE = "indexgen.toml"
PYPROJECT = "pyproject.toml"

# GitHub logins: alphanumerics and single hyphens, no leading hyphen, at most 39 characters.
LOGIN_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
REPO_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
# GitHub topics: lower-case letters, digits and hyphens, at most 50 characters.
TOPIC_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_PATH_PART = re.compile(r"^[A-Za-z0-9._~-]+$")


def is_login(value: str) -> bool:
    return bool(LOGIN_RE.match(value))


def is_repo_name(value: str) -> bool:
    owner, _, name = value.partition("/")
    return bool(LOGIN_RE.match(owner) and REPO_NAME_RE.match(name))


@dataclass(frozen=True)
class ConfigFile:
    """A validated configuration: only the keys the file sets, as typed values.

    `values` holds the top-level scalar and list keys (`owners` as a tuple of logins, `forks` as a
    bool, …); the tables are typed: `repos` by lower-cased `owner/name`, the others by canonical
    project name, versions normalised."""

    label: str  # how messages and the report name the file: "indexgen.toml", "pyproject.toml [tool.indexgen]"
    path: Path | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    repos: Mapping[str, RepoRules] = field(default_factory=dict)
    yanked: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)
    min_version: Mapping[str, str] = field(default_factory=dict)

    def has(self, key: str) -> bool:
        if key in ("repos", "yanked", "names", "min_version"):
            return bool(getattr(self, key))
        return key in self.values


# --- key paths and problems ---------------------------------------------------------------------------


def key_path(*parts: str | int) -> str:
    """A TOML key path as the user would write it: `repos."acme/gamma".projects[0].path`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        text = part if _BARE_KEY.match(part) else '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"'
        out += ("." if out else "") + text
    return out


class _Problems:
    def __init__(self, label: str) -> None:
        self.label = label
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{self.label}: {path}: {message}")

    def unknown(self, table: Mapping[str, Any], known: tuple[str, ...], *prefix: str | int) -> None:
        for key in table:
            if key in known:
                continue
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else f" (known keys: {', '.join(known)})"
            self.add(key_path(*prefix, key), "unknown key" + hint)


def _type_name(value: object) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array"}.get(
        type(value), "a table" if isinstance(value, dict) else type(value).__name__
    )


# --- value checks: each returns the typed value, or None after recording a problem ---------------------


def _string(value: object, path: str, problems: _Problems) -> str | None:
    if not isinstance(value, str):
        problems.add(path, f"must be a string, not {_type_name(value)}")
        return None
    return value


def _boolean(value: object, path: str, problems: _Problems) -> bool | None:
    if not isinstance(value, bool):
        problems.add(path, f"must be true or false, not {_type_name(value)}")
        return None
    return value


def _strings(
    value: object, path: str, problems: _Problems, check: Callable[[str], str | None] | None = None
) -> tuple[str, ...] | None:
    """An array of strings; `check` returns a problem for one item, or None."""
    if not isinstance(value, list):
        problems.add(path, f"must be an array of strings, not {_type_name(value)}")
        return None
    ok = True
    for i, item in enumerate(value):
        if not isinstance(item, str):
            problems.add(f"{path}[{i}]", f"must be a string, not {_type_name(item)}")
            ok = False
        elif (problem := (check(item) if check else None)) is not None:
            problems.add(f"{path}[{i}]", problem)
            ok = False
    return tuple(dict.fromkeys(value)) if ok else None


def _glob_problem(item: str) -> str | None:
    return "an empty glob matches nothing" if not item else None


def _login_problem(item: str) -> str | None:
    return None if is_login(item) else f"{quote_value(item)} is not a GitHub organisation or user name"


def _topic_problem(item: str) -> str | None:
    if TOPIC_RE.match(item):
        return None
    return f"{quote_value(item)} is not a GitHub topic (lower-case letters, digits and hyphens)"


def _name_problem(item: str) -> str | None:
    try:
        canonicalize_name(item, validate=True)
    except InvalidName:
        return f"{quote_value(item)} is not a valid project name"
    return None


def _pattern(value: object, path: str, problems: _Problems) -> str | None:
    text = _string(value, path, problems)
    if text is None:
        return None
    try:
        check_tag_pattern(text)
    except ValueError as exc:
        problems.add(path, str(exc))
        return None
    return text


def _url(value: object, path: str, problems: _Problems) -> str | None:
    text = _string(value, path, problems)
    if text is None:
        return None
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.add(path, f"must be an http(s) URL, not {quote_value(text[:80])}")
        return None
    return text.rstrip("/")


def _link_style(value: object, path: str, problems: _Problems) -> str | None:
    text = _string(value, path, problems)
    if text is not None and text not in ("https", "ssh"):
        problems.add(path, f'must be "https" or "ssh", not {quote_value(text[:80])}')
        return None
    return text


def _version(value: object, path: str, problems: _Problems) -> str | None:
    text = _string(value, path, problems)
    if text is None:
        return None
    try:
        return str(Version(text))
    except InvalidVersion:
        problems.add(path, f"{quote_value(text[:80])} is not a PEP 440 version")
        return None


def _table(value: object, path: str, problems: _Problems) -> Mapping[str, Any] | None:
    if not isinstance(value, dict):
        problems.add(path, f"must be a table, not {_type_name(value)}")
        return None
    return value


def _project_key(name: str, path: str, seen: dict[str, str], problems: _Problems) -> str | None:
    """The canonical name for a table key that names a project; None (with a problem) when invalid or
    when another key of the table names the same project."""
    if (problem := _name_problem(name)) is not None:
        problems.add(path, problem)
        return None
    canonical = canonicalize_name(name)
    if canonical in seen:
        problems.add(path, f"names the same project as {quote_value(seen[canonical])} ({canonical})")
        return None
    seen[canonical] = name
    return canonical


# --- the tables -----------------------------------------------------------------------------------------

TOP_KEYS = (
    "owners",
    "include",
    "exclude",
    "topics",
    "forks",
    "archived",
    "private",
    "tag_pattern",
    "prereleases",
    "link_style",
    "site_url",
    "allow_public",
    "repos",
    "yanked",
    "names",
    "min_version",
)
REPO_KEYS = ("tag_pattern", "include", "exclude", "prereleases", "projects")
PROJECT_KEYS = ("path", "tag_pattern")

_SCALARS: dict[str, Callable[[object, str, _Problems], Any]] = {
    "owners": lambda v, p, pr: _strings(v, p, pr, _login_problem),
    "include": lambda v, p, pr: _strings(v, p, pr, _glob_problem),
    "exclude": lambda v, p, pr: _strings(v, p, pr, _glob_problem),
    "topics": lambda v, p, pr: _strings(v, p, pr, _topic_problem),
    "forks": _boolean,
    "archived": _boolean,
    "private": _boolean,
    "tag_pattern": _pattern,
    "prereleases": _boolean,
    "link_style": _link_style,
    "site_url": _url,
    "allow_public": lambda v, p, pr: _strings(v, p, pr, _name_problem),
}


def _subdirectory_problem(path: str) -> str | None:
    if not path:
        return "must name a subdirectory (the repository root needs no entry)"
    if path.startswith("/") or "\\" in path:
        return f"{quote_value(path)} must be a relative POSIX path"
    parts = path.rstrip("/").split("/")
    if any(part in ("", ".", "..") or not _PATH_PART.match(part) for part in parts):
        return f"{quote_value(path)} must be a plain relative path (no '..', '.', empty or unusual segments)"
    return None


def _projects(value: object, prefix: tuple[str, ...], problems: _Problems) -> tuple[ProjectLayout, ...]:
    path = key_path(*prefix)
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.add(path, 'must be an array of tables ([[repos."owner/name".projects]])')
        return ()
    layouts = []
    seen: set[str] = set()
    for i, entry in enumerate(value):
        problems.unknown(entry, PROJECT_KEYS, *prefix, i)
        pattern = None
        if "tag_pattern" in entry:
            pattern = _pattern(entry["tag_pattern"], key_path(*prefix, i, "tag_pattern"), problems)
        if "path" not in entry:
            problems.add(key_path(*prefix, i), "missing key path")
            continue
        sub = _string(entry["path"], key_path(*prefix, i, "path"), problems)
        if sub is None:
            continue
        if (problem := _subdirectory_problem(sub)) is not None:
            problems.add(key_path(*prefix, i, "path"), problem)
            continue
        sub = sub.rstrip("/")
        if sub in seen:
            problems.add(key_path(*prefix, i, "path"), f"{quote_value(sub)} is listed twice")
            continue
        seen.add(sub)
        layouts.append(ProjectLayout(sub, pattern))
    return tuple(layouts)


def _repos(value: Mapping[str, Any], problems: _Problems) -> dict[str, RepoRules]:
    rules: dict[str, RepoRules] = {}
    for full_name, entry in value.items():
        where = ("repos", full_name)
        if not is_repo_name(full_name):
            problems.add(key_path(*where), "must be a repository as OWNER/NAME")
            continue
        if full_name.lower() in rules:
            problems.add(
                key_path(*where), "names the same repository as another entry (names are case-insensitive)"
            )
            continue
        table = _table(entry, key_path(*where), problems)
        if table is None:
            continue
        problems.unknown(table, REPO_KEYS, *where)
        get: dict[str, Any] = {}
        for key, check in (
            ("tag_pattern", _pattern),
            ("include", lambda v, p, pr: _strings(v, p, pr, _glob_problem)),
            ("exclude", lambda v, p, pr: _strings(v, p, pr, _glob_problem)),
            ("prereleases", _boolean),
        ):
            if key in table:
                get[key] = check(table[key], key_path(*where, key), problems)
        projects = _projects(table["projects"], (*where, "projects"), problems) if "projects" in table else ()
        rules[full_name.lower()] = RepoRules(
            tag_pattern=get.get("tag_pattern"),
            include=get.get("include") or (),
            exclude=get.get("exclude") or (),
            prereleases=get.get("prereleases"),
            projects=projects,
        )
    return rules


def _yanked(value: Mapping[str, Any], problems: _Problems) -> dict[str, dict[str, str]]:
    yanked: dict[str, dict[str, str]] = {}
    seen: dict[str, str] = {}
    for name, versions in value.items():
        canonical = _project_key(name, key_path("yanked", name), seen, problems)
        table = _table(versions, key_path("yanked", name), problems)
        if table is None:
            continue
        reasons: dict[str, str] = {}
        versions_seen: dict[Version, str] = {}
        for version, reason in table.items():
            where = key_path("yanked", name, version)
            normal = _version(version, where, problems)
            text = _string(reason, where, problems)
            if normal is None or text is None:
                continue
            if Version(normal) in versions_seen:  # 1.0 and 1.0.0 are one version (PEP 440)
                problems.add(where, f"version {versions_seen[Version(normal)]} is listed twice")
                continue
            versions_seen[Version(normal)] = normal
            reasons[normal] = text
        if canonical is not None:
            yanked[canonical] = reasons
    return yanked


def _names(value: Mapping[str, Any], problems: _Problems) -> dict[str, str]:
    names: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name, owner in value.items():
        where = key_path("names", name)
        canonical = _project_key(name, where, seen, problems)
        repo = _string(owner, where, problems)
        if repo is not None and not is_repo_name(repo):
            problems.add(where, f"must name a repository as OWNER/NAME, not {quote_value(repo[:80])}")
            continue
        if canonical is not None and repo is not None:
            names[canonical] = repo
    return names


def _min_versions(value: Mapping[str, Any], problems: _Problems) -> dict[str, str]:
    floors: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name, version in value.items():
        where = key_path("min_version", name)
        canonical = _project_key(name, where, seen, problems)
        normal = _version(version, where, problems)
        if canonical is not None and normal is not None:
            floors[canonical] = normal
    return floors


def parse_config(data: Mapping[str, Any], label: str) -> tuple[ConfigFile, tuple[str, ...]]:
    """The typed configuration in a parsed TOML table, and every problem found, each as
    `<label>: <key path>: <message>`. Pure: table-tested without files."""
    problems = _Problems(label)
    problems.unknown(data, TOP_KEYS)
    values: dict[str, Any] = {}
    for key, check in _SCALARS.items():
        if key in data:
            checked = check(data[key], key_path(key), problems)
            if checked is not None:
                values[key] = checked
    tables: dict[str, Any] = {}
    for key, parse in (
        ("repos", _repos),
        ("yanked", _yanked),
        ("names", _names),
        ("min_version", _min_versions),
    ):
        if key in data and (table := _table(data[key], key_path(key), problems)) is not None:
            tables[key] = parse(table, problems)
    config = ConfigFile(label, None, values, **tables)
    return config, tuple(problems.items)


# --- finding and reading the file ------------------------------------------------------------------------


def find_config(explicit: str | None, environ: Mapping[str, str], cwd: Path) -> Path | None:
    """The configuration file to read: `--config`, else `$INDEXGEN_CONFIG`, else `indexgen.toml` in
    the working directory, else its `pyproject.toml` when that has a `[tool.indexgen]` table."""
    given = explicit or environ.get("INDEXGEN_CONFIG")
    if given:
        return Path(given)
    if (cwd / CONFIG_FILE).is_file():
        return cwd / CONFIG_FILE
    pyproject = cwd / PYPROJECT
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None  # not ours to judge: a project's own pyproject.toml that indexgen need not read
        if isinstance(data.get("tool"), dict) and "indexgen" in data["tool"]:
            return pyproject
    return None


def load_config(path: Path, cwd: Path | None = None) -> tuple[ConfigFile, tuple[str, ...]]:
    """The configuration in `path` (a `pyproject.toml` is read for `[tool.indexgen]`), with every
    problem; an unreadable file or invalid TOML is one problem. Messages name the file relative to
    `cwd` when it lies below it, as the user would."""
    is_pyproject = path.name == PYPROJECT
    shown = path
    if cwd is not None and path.is_absolute():
        with contextlib.suppress(ValueError):
            shown = path.relative_to(cwd)
    label = f"{shown} [tool.indexgen]" if is_pyproject else str(shown)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ConfigFile(label), (f"{path}: no such configuration file",)
    except (OSError, UnicodeDecodeError) as exc:
        return ConfigFile(label), (f"{path}: cannot read the configuration: {exc}",)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return ConfigFile(label), (f"{path}: not valid TOML: {exc}",)
    if is_pyproject:
        tool = data.get("tool")
        table = tool.get("indexgen") if isinstance(tool, dict) else None
        if not isinstance(table, dict):
            return ConfigFile(label), (f"{path}: has no [tool.indexgen] table",)
        data = table
    config, problems = parse_config(data, label)
    return dataclasses.replace(config, path=path), problems
