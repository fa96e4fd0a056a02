"""changes.py: `compare_builds` against its definition on random pairs of builds."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexgen.changes import Changes, SiteDigest, compare_builds

PUBLISHED = st.dictionaries(
    st.sampled_from(["a", "b", "c", "d"]),
    st.dictionaries(
        st.sampled_from(["1.0", "1.1", "2.0"]), st.sampled_from(["x" * 40, "y" * 40]), max_size=3
    ),
    max_size=4,
)


@given(PUBLISHED, PUBLISHED)
def test_the_changes_are_the_releases_added_removed_and_recommitted(
    previous: dict[str, dict[str, str]], current: dict[str, dict[str, str]]
) -> None:
    before = {(p, v): c for p, versions in previous.items() for v, c in versions.items()}
    after = {(p, v): c for p, versions in current.items() for v, c in versions.items()}
    assert compare_builds(previous, current) == Changes(
        added=tuple(sorted(after.keys() - before.keys())),
        removed=tuple(sorted(before.keys() - after.keys())),
        recommitted=tuple(sorted(k for k in after.keys() & before.keys() if after[k] != before[k])),
        new_projects=tuple(sorted(current.keys() - previous.keys())),
        gone_projects=tuple(sorted(previous.keys() - current.keys())),
    )


def test_a_file_read_in_chunks_adds_what_its_bytes_add(tmp_path: Path) -> None:
    data = bytes(range(256)) * 9000  # 2.3 MB: more than one chunk
    (tmp_path / "packages.json").write_bytes(data)
    whole, chunked = SiteDigest(), SiteDigest()
    whole.add("index.html", b"<html>")
    chunked.add("index.html", b"<html>")
    whole.add("packages.json", data)
    with open(tmp_path / "packages.json", "rb") as file:
        chunked.add_file("packages.json", file)
    assert chunked.hexdigest() == whole.hexdigest()
    with pytest.raises(ValueError, match="out of order"):
        chunked.add("a.html", b"")
