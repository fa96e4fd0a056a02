"""`indexgen init`: the files of an organisation's index repository, written once, never over others.

The files are the ones under `examples/index-repository/` of indexgen's repository, kept in the package
(`templates/init/`), so `init` works from an installed indexgen without a checkout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .config import is_login
from .errors import IndexgenError

# Path in the index repository → file under templates/init/.
FILES = {".github/workflows/publish.yml": "publish.yml", "README.md": "README.md"}
OWNERS_LINE = "      owners: ${{ github.repository_owner }}\n"


@dataclass
class InitError(IndexgenError):
    message: str

    def __str__(self) -> str:
        return self.message


def render_init_files(owners: Sequence[str] = ()) -> dict[str, bytes]:
    """The files by path; `owners` (organisations, `user:LOGIN` for users) replace the default owner."""
    bad = [o for o in owners if not is_login(o.removeprefix("user:"))]
    if bad:
        raise InitError(f"--owner takes a GitHub organisation or user:LOGIN, not {bad[0][:80]!r}")
    templates = resources.files("indexgen").joinpath("templates").joinpath("init")
    files = {path: templates.joinpath(name).read_text(encoding="utf-8") for path, name in FILES.items()}
    if owners:
        workflow = files[".github/workflows/publish.yml"]
        assert OWNERS_LINE in workflow, "the publish.yml template lost its owners line"
        files[".github/workflows/publish.yml"] = workflow.replace(
            OWNERS_LINE, f"      owners: {' '.join(dict.fromkeys(owners))}\n"
        )
    return {path: text.encode("utf-8") for path, text in files.items()}


def write_init_files(directory: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write `files` under `directory`; when any of them exists already, write none and say which."""
    targets = {directory / path: data for path, data in files.items()}
    existing = [str(p) for p in targets if p.exists() or p.is_symlink()]
    if existing:
        verb = "exists" if len(existing) == 1 else "exist"
        raise InitError(f"{', '.join(existing)} already {verb}: not overwriting (move it away and run again)")
    if directory.exists() and not directory.is_dir():
        raise InitError(f"{directory} is not a directory")
    for path, data in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("xb") as file:  # "x": never replace a file created meanwhile
            file.write(data)
    return list(targets)
