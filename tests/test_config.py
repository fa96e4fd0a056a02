"""The configuration file: every key's validation (table-driven, exact messages), all problems at once,
finding the file, and precedence flag > environment > file > default with each value's source."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from indexgen.cli import _parser, main
from indexgen.config import find_config, load_config, parse_config
from indexgen.errors import ConfigError
from indexgen.models import Owner, OwnerKind
from indexgen.rules import ProjectLayout, RepoRules
from indexgen.settings import config_report, settings_from

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

L = "indexgen.toml"


def problems_of(text: str) -> list[str]:
    _, problems = parse_config(tomllib.loads(text), L)
    return list(problems)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tag_patern = 'x'", "tag_patern: unknown key (did you mean tag_pattern?)"),
        ("ownerz = []", "ownerz: unknown key (did you mean owners?)"),
        (
            "colour = 1",
            "colour: unknown key (known keys: owners, include, exclude, topics, forks, archived, private, tag_pattern, prereleases, link_style, site_url, allow_public, repos, yanked, names, min_version)",
        ),
        ("owners = 'acme'", "owners: must be an array of strings, not a string"),
        ("owners = ['acme', '-bad']", "owners[1]: '-bad' is not a GitHub organisation or user name"),
        ("owners = [1]", "owners[0]: must be a string, not an integer"),
        ("include = 'x'", "include: must be an array of strings, not a string"),
        ("exclude = ['']", "exclude[0]: an empty glob matches nothing"),
        (
            "topics = ['Python']",
            "topics[0]: 'Python' is not a GitHub topic (lower-case letters, digits and hyphens)",
        ),
        ("forks = 'no'", "forks: must be true or false, not a string"),
        ("archived = 1", "archived: must be true or false, not an integer"),
        ("private = []", "private: must be true or false, not an array"),
        ("prereleases = {}", "prereleases: must be true or false, not a table"),
        ("tag_pattern = 3", "tag_pattern: must be a string, not an integer"),
        (
            "tag_pattern = '(unclosed'",
            "tag_pattern: tag pattern '(unclosed' is not a regex: missing ), unterminated subpattern at position 0",
        ),
        (
            "tag_pattern = '^v(?P<ver>.+)$'",
            "tag_pattern: tag pattern '^v(?P<ver>.+)$' has no (?P<version>…) group",
        ),
        (
            "tag_pattern = '^release-(?P<version>.*)$'",
            "tag_pattern: tag pattern '^release-(?P<version>.*)$': its (?P<version>…) group can match an empty version",
        ),
        (
            "tag_pattern = '^v(?P<version>[0-9.]*)$'",
            "tag_pattern: tag pattern '^v(?P<version>[0-9.]*)$': its (?P<version>…) group can match an empty version",
        ),
        (
            "tag_pattern = '^(?P<version>(1|)?)$'",
            "tag_pattern: tag pattern '^(?P<version>(1|)?)$': its (?P<version>…) group can match an empty version",
        ),
        ("link_style = 'git'", 'link_style: must be "https" or "ssh", not \'git\''),
        ("site_url = 'ftp://x'", "site_url: must be an http(s) URL, not 'ftp://x'"),
        ("allow_public = ['not a name!']", "allow_public[0]: 'not a name!' is not a valid project name"),
        ("repos = 1", "repos: must be a table, not an integer"),
        ("[repos.nope]", "repos.nope: must be a repository as OWNER/NAME"),
        (
            '[repos."acme/gamma"]\nprerelease = false',
            'repos."acme/gamma".prerelease: unknown key (did you mean prereleases?)',
        ),
        (
            '[repos."acme/gamma"]\ntag_pattern = "x"',
            "repos.\"acme/gamma\".tag_pattern: tag pattern 'x' has no (?P<version>…) group",
        ),
        (
            '[repos."acme/gamma"]\ninclude = [""]',
            'repos."acme/gamma".include[0]: an empty glob matches nothing',
        ),
        (
            '[repos."acme/gamma"]\nprereleases = "no"',
            'repos."acme/gamma".prereleases: must be true or false, not a string',
        ),
        (
            '[repos."acme/gamma"]\n[repos."ACME/Gamma"]',
            'repos."ACME/Gamma": names the same repository as another entry (names are case-insensitive)',
        ),
        (
            '[repos."acme/tools"]\nprojects = 1',
            'repos."acme/tools".projects: must be an array of tables ([[repos."owner/name".projects]])',
        ),
        (
            '[[repos."acme/tools".projects]]\ntag_pattern = "x(?P<version>.+)"',
            'repos."acme/tools".projects[0]: missing key path',
        ),
        (
            '[[repos."acme/tools".projects]]\npath = "../x"',
            "repos.\"acme/tools\".projects[0].path: '../x' must be a plain relative path (no '..', '.', empty or unusual segments)",
        ),
        (
            '[[repos."acme/tools".projects]]\npath = "/libs"',
            "repos.\"acme/tools\".projects[0].path: '/libs' must be a relative POSIX path",
        ),
        (
            '[[repos."acme/tools".projects]]\npath = ""',
            'repos."acme/tools".projects[0].path: must name a subdirectory (the repository root needs no entry)',
        ),
        (
            '[[repos."acme/tools".projects]]\npath = "a"\n[[repos."acme/tools".projects]]\npath = "a/"',
            "repos.\"acme/tools\".projects[1].path: 'a' is listed twice",
        ),
        (
            '[[repos."acme/tools".projects]]\npath = "a"\ndir = "b"',
            'repos."acme/tools".projects[0].dir: unknown key (known keys: path, tag_pattern)',
        ),
        (
            '[[repos."acme/tools".projects]]\npath = "a"\ntag_pattern = "a(?P<version>.?)"',
            "repos.\"acme/tools\".projects[0].tag_pattern: tag pattern 'a(?P<version>.?)': its (?P<version>…) group can match an empty version",
        ),
        ("[yanked]\nalpha = 'x'", "yanked.alpha: must be a table, not a string"),
        ("[yanked.alpha]\nzzz = 'x'", "yanked.alpha.zzz: 'zzz' is not a PEP 440 version"),
        ("[yanked.alpha]\n'1.0' = 3", 'yanked.alpha."1.0": must be a string, not an integer'),
        ("[yanked.alpha]\n'1.0' = 'a'\n'1.0.0' = 'b'", 'yanked.alpha."1.0.0": version 1.0 is listed twice'),
        (
            "[yanked.'not a name']\n'1.0' = ''",
            "yanked.\"not a name\": 'not a name' is not a valid project name",
        ),
        ("[yanked.alpha]\n[yanked.Alpha]", "yanked.Alpha: names the same project as 'alpha' (alpha)"),
        ("[names]\nbaz = 'nobody'", "names.baz: must name a repository as OWNER/NAME, not 'nobody'"),
        ("[names]\nbaz = ['acme/baz']", "names.baz: must be a string, not an array"),
        ("[min_version]\nbeta = 'x.y'", "min_version.beta: 'x.y' is not a PEP 440 version"),
        ("[min_version]\nbeta = 2", "min_version.beta: must be a string, not an integer"),
    ],
)
def test_each_problem_names_its_key_path(text: str, expected: str) -> None:
    assert problems_of(text) == [f"{L}: {expected}"]


def test_every_problem_is_reported_at_once() -> None:
    text = """
owners = ["-bad"]
tag_patern = "x"
forks = "no"
link_style = "git"
[repos."acme/gamma"]
tag_pattern = '(unclosed'
[[repos."acme/tools".projects]]
path = "../x"
tag_pattern = 'core-(?P<v>.+)'
[yanked.alpha]
"zzz" = "x"
[names]
baz = "nobody"
[min_version]
beta = "x.y"
"""
    assert sorted(problems_of(text)) == sorted(
        f"{L}: {p}"
        for p in [
            "tag_patern: unknown key (did you mean tag_pattern?)",
            "owners[0]: '-bad' is not a GitHub organisation or user name",
            "forks: must be true or false, not a string",
            'link_style: must be "https" or "ssh", not \'git\'',
            "repos.\"acme/gamma\".tag_pattern: tag pattern '(unclosed' is not a regex: missing ), unterminated subpattern at position 0",
            "repos.\"acme/tools\".projects[0].tag_pattern: tag pattern 'core-(?P<v>.+)' has no (?P<version>…) group",
            "repos.\"acme/tools\".projects[0].path: '../x' must be a plain relative path (no '..', '.', empty or unusual segments)",
            "yanked.alpha.zzz: 'zzz' is not a PEP 440 version",
            "names.baz: must name a repository as OWNER/NAME, not 'nobody'",
            "min_version.beta: 'x.y' is not a PEP 440 version",
        ]
    )


EXAMPLE = """
owners = ["acme", "acme-labs"]
include = ["*"]
exclude = ["sandbox-*"]
topics = []
forks = false
archived = true
private = true
tag_pattern = '^v?(?P<version>.+)$'
prereleases = true
link_style = "https"
site_url = "https://acme.github.io/python-index/"
allow_public = ["requests-toolbelt"]

[repos."acme/gamma"]
tag_pattern = '^release-(?P<version>.+)$'

[[repos."acme/tools".projects]]
path = "libs/core"
tag_pattern = '^core/v(?P<version>.+)$'

[yanked.alpha]
"0.1.0" = "broken wheel metadata"

[names]
foo-bar = "acme/Foo.Bar"

[min_version]
alpha = "0.2"
"""


def test_the_documented_example_is_valid_and_typed() -> None:
    config, problems = parse_config(tomllib.loads(EXAMPLE), L)
    assert problems == ()
    assert config.values["owners"] == ("acme", "acme-labs")
    assert config.values["exclude"] == ("sandbox-*",)
    assert config.repos == {
        "acme/gamma": RepoRules(tag_pattern="^release-(?P<version>.+)$"),
        "acme/tools": RepoRules(projects=(ProjectLayout("libs/core", "^core/v(?P<version>.+)$"),)),
    }
    assert config.yanked == {"alpha": {"0.1.0": "broken wheel metadata"}}
    assert config.names == {"foo-bar": "acme/Foo.Bar"}
    assert config.min_version == {"alpha": "0.2"}


def test_tables_are_keyed_by_canonical_name_and_normalised_version() -> None:
    config, problems = parse_config(
        tomllib.loads("[yanked.Foo_Bar]\n'1.0.0a1' = ''\n[min_version]\n'Foo.Bar' = '01.0'"), L
    )
    assert problems == ()
    assert config.yanked == {"foo-bar": {"1.0.0a1": ""}}
    assert config.min_version == {"foo-bar": "1.0"}


# --- finding and reading the file ---------------------------------------------------------------------


def test_invalid_toml_and_missing_files_are_one_problem_each(tmp_path: Path) -> None:
    bad = tmp_path / "indexgen.toml"
    bad.write_text("owners = [", encoding="utf-8")
    _, problems = load_config(bad)
    assert len(problems) == 1 and problems[0].startswith(f"{bad}: not valid TOML: ")
    _, problems = load_config(tmp_path / "absent.toml")
    assert problems == (f"{tmp_path / 'absent.toml'}: no such configuration file",)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[project]\nname = 'x'\n", encoding="utf-8")
    assert load_config(pyproject)[1] == (f"{pyproject}: has no [tool.indexgen] table",)


def test_find_config_order(tmp_path: Path) -> None:
    assert find_config(None, {}, tmp_path) is None
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    assert find_config(None, {}, tmp_path) is None  # a pyproject.toml without [tool.indexgen] is not ours
    (tmp_path / "pyproject.toml").write_text("[tool.indexgen]\nowners = ['acme']\n", encoding="utf-8")
    assert find_config(None, {}, tmp_path) == tmp_path / "pyproject.toml"
    (tmp_path / "indexgen.toml").write_text("", encoding="utf-8")
    assert find_config(None, {}, tmp_path) == tmp_path / "indexgen.toml"
    assert find_config(None, {"INDEXGEN_CONFIG": "env.toml"}, tmp_path) == Path("env.toml")
    assert find_config("flag.toml", {"INDEXGEN_CONFIG": "env.toml"}, tmp_path) == Path("flag.toml")


def test_pyproject_tool_table_is_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'x'\n[tool.indexgen]\nowners = ['acme']\nexclude = ['sandbox-*']\n",
        encoding="utf-8",
    )
    s = settings_from(args(), {}, tmp_path)
    assert s.owners == (Owner("acme", OwnerKind.ANY),)
    assert s.exclude == ("sandbox-*",)
    assert s.sources["exclude"] == "pyproject.toml [tool.indexgen]"


# --- precedence -------------------------------------------------------------------------------------------


def args(*argv: str) -> argparse.Namespace:
    return _parser().parse_args(["build", *argv])


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "indexgen.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_config_file(tmp_path: Path) -> None:
    s = settings_from(args("--org", "acme"), {}, tmp_path)
    assert (s.tag_pattern, s.link_style, s.include_forks, s.include, s.private) == (
        "^v?(?P<version>.+)$",
        "https",
        False,
        ("*",),
        True,
    )
    assert s.config_file is None
    assert {s.sources[k] for k in ("tag_pattern", "link_style", "forks", "include", "private")} == {"default"}


def test_file_beats_default_and_flag_beats_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        "owners = ['acme']\ntag_pattern = '^r(?P<version>.+)$'\nlink_style = 'ssh'\nforks = true\n"
        "site_url = 'https://file.example/'\nprereleases = false\n",
    )
    s = settings_from(args(), {}, tmp_path)
    assert (s.tag_pattern, s.link_style, s.include_forks, s.site_url, s.prereleases) == (
        "^r(?P<version>.+)$",
        "ssh",
        True,
        "https://file.example",
        False,
    )
    assert s.sources["tag_pattern"] == "indexgen.toml"
    flagged = settings_from(
        args(
            "--tag-pattern",
            "^x(?P<version>.+)$",
            "--link-style",
            "https",
            "--site-url",
            "https://flag.example",
        ),
        {},
        tmp_path,
    )
    assert (flagged.tag_pattern, flagged.link_style, flagged.site_url) == (
        "^x(?P<version>.+)$",
        "https",
        "https://flag.example",
    )
    assert flagged.sources["tag_pattern"] == flagged.sources["link_style"] == "flag"


def test_environment_beats_file_and_flag_beats_environment(tmp_path: Path) -> None:
    write(tmp_path, "owners = ['acme']\n")
    env = {"GITHUB_API_URL": "https://ghe.example/api/v3", "INDEXGEN_PYPI_URL": "https://pypi.example/simple"}
    s = settings_from(args(), env, tmp_path)
    assert (
        s.api_url == "https://ghe.example/api/v3" and s.sources["api_url"] == "environment (GITHUB_API_URL)"
    )
    assert s.sources["pypi_url"] == "environment (INDEXGEN_PYPI_URL)"
    s = settings_from(args("--api-url", "https://other.example/api/v3"), env, tmp_path)
    assert s.api_url == "https://other.example/api/v3" and s.sources["api_url"] == "flag"


def test_config_file_from_the_environment(tmp_path: Path) -> None:
    other = tmp_path / "conf" / "org.toml"
    other.parent.mkdir()
    other.write_text("owners = ['acme']\n", encoding="utf-8")
    s = settings_from(args(), {"INDEXGEN_CONFIG": str(other)}, tmp_path)
    assert s.config_file == other and s.owners == (Owner("acme", OwnerKind.ANY),)
    assert s.sources["config_file"] == "environment (INDEXGEN_CONFIG)"
    assert settings_from(args("--config", str(other)), {}, tmp_path).sources["config_file"] == "flag"


def test_org_user_and_allow_public_flags_add_to_the_file(tmp_path: Path) -> None:
    write(tmp_path, "owners = ['acme', 'alice']\nallow_public = ['Requests_Toolbelt']\n")
    s = settings_from(args("--org", "acme-labs", "--user", "alice", "--allow-public", "six"), {}, tmp_path)
    assert s.owners == (
        Owner("acme", OwnerKind.ANY),
        Owner("acme-labs", OwnerKind.ORG),
        Owner("alice", OwnerKind.USER),  # the flag says which kind; the file's entry gives way
    )
    assert s.allow_public == frozenset({"requests-toolbelt", "six"})
    assert s.sources["owners"] == "indexgen.toml+flag"


def test_config_and_flag_problems_are_reported_together(tmp_path: Path) -> None:
    write(tmp_path, "forks = 'yes'\nsite_url = 'nope'\n")
    with pytest.raises(ConfigError) as caught:
        settings_from(args("--repo", "bad"), {}, tmp_path)
    problems = caught.value.problems
    where = "indexgen.toml"
    assert f"{where}: forks: must be true or false, not a string" in problems
    assert f"{where}: site_url: must be an http(s) URL, not 'nope'" in problems
    assert "--repo takes OWNER/NAME, not 'bad'" in problems
    assert caught.value.exit_code == 2


def test_report_config_block_names_each_source(tmp_path: Path) -> None:
    write(
        tmp_path,
        EXAMPLE,
    )
    s = settings_from(args("--link-style", "ssh"), {"GITHUB_API_URL": "https://ghe.example/api/v3"}, tmp_path)
    block = config_report(s)
    where = "indexgen.toml"
    assert block["link_style"] == {"value": "ssh", "source": "flag"}
    assert block["api_url"] == {
        "value": "https://ghe.example/api/v3",
        "source": "environment (GITHUB_API_URL)",
    }
    assert block["exclude"] == {"value": ["sandbox-*"], "source": where}
    assert block["repos"]["value"]["acme/gamma"] == {"tag_pattern": "^release-(?P<version>.+)$"}
    assert block["repos"]["value"]["acme/tools"] == {
        "projects": [{"path": "libs/core", "tag_pattern": "^core/v(?P<version>.+)$"}]
    }
    assert block["yanked"] == {"value": {"alpha": {"0.1.0": "broken wheel metadata"}}, "source": where}
    assert block["min_version"]["value"] == {"alpha": "0.2"}
    assert block["names"]["value"] == {"foo-bar": "acme/Foo.Bar"}
    assert block["topics"] == {"value": [], "source": where}
    assert block["prereleases"]["source"] == where
    assert block["config_file"] == {"value": str(tmp_path / "indexgen.toml"), "source": "working directory"}
    assert block["scanner"] == {"value": "auto", "source": "default"}
    assert block["output"] == {"value": "site", "source": "default"}
    flags = config_report(
        settings_from(args("--scanner", "rest", "--repo", "acme/x", "--max-wait", "2"), {}, tmp_path)
    )
    assert flags["scanner"] == {"value": "rest", "source": "flag"}
    assert flags["rescan"] == {"value": ["acme/x"], "source": "flag"}
    assert flags["max_wait"] == {"value": 2.0, "source": "flag"}


def test_cli_exits_2_listing_every_config_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "owners = ['acme']\ntag_patern = 'x'\nforks = 1\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["build"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("indexgen build: error: ")
    assert "indexgen.toml: tag_patern: unknown key (did you mean tag_pattern?)" in err
    assert "indexgen.toml: forks: must be true or false, not an integer" in err
