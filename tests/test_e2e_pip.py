"""End to end: real pip, in fresh venvs, installing through the index that `indexgen build` wrote.

The site is served on 127.0.0.1; the links name `https://git.acme.test/acme/…`, which git rewrites to
the local bare mirrors (`insteadOf` in a temporary global git config). pip reads no configuration of
this machine; the build backend comes from the session's wheelhouse, so builds run offline.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.acme import CLONE_BASE, ORG, AcmeWorld
from tests.e2e.fixtures import PipSetupFactory
from tests.e2e.pipvenv import PipSetup, Venv
from tests.e2e.servers import SiteServer

pytestmark = pytest.mark.e2e

GREET = "import acme_utils; print(acme_utils.greet('e2e'))"


def utils_clone_url(world: AcmeWorld) -> str:
    return world.clone_url("acme-utils")


def test_version_range_installs_the_matching_release(
    acme_pip: PipSetup, acme_world: AcmeWorld, tmp_path: Path
) -> None:
    env = Venv.create(tmp_path / "venv", acme_pip)
    run = env.install("acme-utils>=1.1,<2").check()
    assert env.version_of("acme-utils") == "1.1.0"
    assert env.run(GREET) == "hello e2e from acme-utils 1.1.0"
    # One clone, pinned to the commit behind the annotated tag v1.1.0.
    assert len(run.clones()) == 1, run.output
    assert f"to revision {acme_world.commit_of('acme-utils', 'v1.1.0')}" in run.output


def test_plain_install_takes_the_latest_final_release(acme_pip: PipSetup, tmp_path: Path) -> None:
    env = Venv.create(tmp_path / "venv", acme_pip)
    env.install("acme-utils").check()
    assert env.version_of("acme-utils") == "2.0.0"  # not 2.1.0rc1: pip ignores pre-releases unless asked
    assert env.run(GREET) == "hello e2e from acme-utils 2.0.0"


def test_pre_takes_the_release_candidate(acme_pip: PipSetup, tmp_path: Path) -> None:
    env = Venv.create(tmp_path / "venv", acme_pip)
    env.install("--pre", "acme-utils").check()
    assert env.version_of("acme-utils") == "2.1.0rc1"
    assert env.run(GREET) == "hello e2e from acme-utils 2.1.0rc1"


def test_private_dependency_by_name_resolves_through_the_index(
    acme_pip: PipSetup, acme_site: SiteServer, acme_world: AcmeWorld, tmp_path: Path
) -> None:
    """acme-core (private) requires `acme-utils>=2` by name: pip finds it on the same index."""
    env = Venv.create(tmp_path / "venv", acme_pip)
    seen = len(acme_site.paths)
    run = env.install("acme-core").check()
    assert env.version_of("acme-core") == "0.3.0"
    assert env.version_of("acme-utils") == "2.0.0"
    assert env.run("import acme_core; print(acme_core.status())") == (
        "acme-core 0.3.0 with hello core from acme-utils 2.0.0"
    )
    assert {"/simple/acme-core/", "/simple/acme-utils/"} <= set(acme_site.paths[seen:])
    assert len(run.clones(acme_world.clone_url("acme-core"))) == 1, run.output
    assert len(run.clones(utils_clone_url(acme_world))) == 1, run.output


def test_requires_python_skips_a_release_without_cloning_it(
    acme_pip: PipSetup, acme_world: AcmeWorld, tmp_path: Path
) -> None:
    """zeta.utils 2.0 requires Python >= 3.99: pip drops its link from `data-requires-python` alone
    and installs 1.0, cloning only the 1.0 commit."""
    env = Venv.create(tmp_path / "venv", acme_pip)
    run = env.install("zeta.utils").check()
    assert env.version_of("zeta.utils") == "1.0"
    assert env.run("import zeta_utils; print(zeta_utils.shout('hi'))") == "HI!"
    new, old = acme_world.commit_of("Zeta_Utils", "v2.0"), acme_world.commit_of("Zeta_Utils", "v1.0")
    skipped = [line for line in run.output.splitlines() if "Link requires a different Python" in line]
    assert len(skipped) == 1 and new in skipped[0] and ">=3.99" in skipped[0], run.output
    assert len(run.clones()) == 1, run.output
    assert f"to revision {old}" in run.output
    assert f"to revision {new}" not in run.output
    assert f"checkout -q {new}" not in run.output


def test_second_install_comes_from_the_wheel_cache(
    make_pip_setup: PipSetupFactory, acme_site: SiteServer, acme_world: AcmeWorld, tmp_path: Path
) -> None:
    """Commit-pinned links let pip cache the wheel it built: a second fresh venv sharing PIP_CACHE_DIR
    installs the same version without cloning or building (DESIGN.md §2)."""
    cache = tmp_path / "shared-cache"
    setup = make_pip_setup(
        acme_site.index_url,
        instead_of={acme_world.bare_root.as_uri() + "/": f"{CLONE_BASE}/{ORG}/"},
        cache_dir=cache,
        name="cached",
    )
    first_env = Venv.create(tmp_path / "first", setup)
    first = first_env.install("acme-utils==1.0.0").check()
    assert len(first.clones(utils_clone_url(acme_world))) == 1, first.output
    assert "Cloning https://git.acme.test/acme/acme-utils.git" in first.output
    assert "Stored in directory: " + str(cache) in first.output

    second_env = Venv.create(tmp_path / "second", setup)
    second = second_env.install("acme-utils==1.0.0").check()
    assert second.clones() == [], second.output
    assert "Cloning" not in second.output and "Building wheel" not in second.output, second.output
    assert "Using cached acme_utils-1.0.0-py3-none-any.whl" in second.output, second.output
    assert second_env.run(GREET) == "hello e2e from acme-utils 1.0.0"
