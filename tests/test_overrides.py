"""`uv/overrides.txt`: one direct reference per project's newest release, sorted, golden-tested."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement

from indexgen.models import Index, Project, Release
from indexgen.overrides import direct_url, override_line, render_overrides

A, B, C, D = ("a" * 40, "b" * 40, "c" * 40, "d" * 40)


def release(project: str, version: str, commit: str, fragment_extra: str = "") -> Release:
    url = f"git+https://github.com/acme/{project}.git@{commit}#{fragment_extra}egg={project}-{version}"
    return Release(project, version, f"v{version}", commit, f"acme/{project}", url)


def project(name: str, *releases: Release) -> Project:
    return Project(name, name, f"acme/{name}", f"https://github.com/acme/{name}", "", releases)


def test_newest_final_release_wins_over_a_newer_pre_release() -> None:
    utils = project("acme-utils", release("acme-utils", "1.0.0", A), release("acme-utils", "2.0.0rc1", B))
    assert override_line(utils) == f"acme-utils @ git+https://github.com/acme/acme-utils.git@{A}"


def test_a_project_with_only_pre_releases_gets_its_newest() -> None:
    beta = project("beta", release("beta", "0.1.0a1", A), release("beta", "0.1.0b2", B))
    assert override_line(beta) == f"beta @ git+https://github.com/acme/beta.git@{B}"


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("", ""),
        ("subdirectory=libs/core&", "#subdirectory=libs/core"),
    ],
)
def test_subdirectory_is_kept_and_egg_is_dropped(fragment: str, expected: str) -> None:
    url = direct_url(release("core", "1.0", C, fragment))
    assert url == f"git+https://github.com/acme/core.git@{C}{expected}"
    assert "egg=" not in url


def test_lines_are_sorted_valid_pep_508_and_deterministic() -> None:
    index = Index(
        (
            project("zeta", release("zeta", "1.0", A)),
            project("acme-core", release("acme-core", "0.3.0", B, "subdirectory=py&")),
            project("acme-utils", release("acme-utils", "2.0.0", C)),
        )
    )
    text = render_overrides(index)
    lines = text.splitlines()
    assert text.endswith("\n") and len(lines) == 3
    assert [Requirement(line).name for line in lines] == ["acme-core", "acme-utils", "zeta"]
    assert [Requirement(line).url for line in lines] == [
        f"git+https://github.com/acme/acme-core.git@{B}#subdirectory=py",
        f"git+https://github.com/acme/acme-utils.git@{C}",
        f"git+https://github.com/acme/zeta.git@{A}",
    ]
    reordered = Index(tuple(reversed(index.projects)))
    assert render_overrides(reordered) == text


def test_an_empty_index_gives_an_empty_file() -> None:
    assert render_overrides(Index(())) == ""
