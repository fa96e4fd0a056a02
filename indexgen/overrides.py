"""`uv/overrides.txt`: one direct reference per project, for tools that cannot read the index.

uv and Poetry reject or ignore VCS links on index pages, but they install direct references
(PEP 508 `name @ url`). uv's overrides (`uv pip install --override FILE`, `[tool.uv]
override-dependencies`) replace every requirement on a name, direct or transitive, so one line per
project lets private dependencies that name each other resolve. Pure: text in, text out.
"""

from __future__ import annotations

from .models import Index, Project, Release

OVERRIDES_FILE = "uv/overrides.txt"


def direct_url(release: Release) -> str:
    """The release's link as a PEP 508 direct URL: `git+URL@<sha>`, keeping `#subdirectory=` and
    dropping `egg=` (a direct reference names the project before the `@`)."""
    url, _, fragment = release.url.partition("#")
    subdirectories = [part for part in fragment.split("&") if part.startswith("subdirectory=")]
    return f"{url}#{subdirectories[0]}" if subdirectories else url


def override_line(project: Project) -> str:
    """`name @ git+URL@<sha>` for the project's newest release (`Project.latest`)."""
    return f"{project.name} @ {direct_url(project.latest)}"


def render_overrides(index: Index) -> str:
    """The whole file, one line per project sorted by canonical name: byte-identical for one index."""
    lines = sorted(override_line(p) for p in index.projects if p.releases)
    return "".join(f"{line}\n" for line in lines)
