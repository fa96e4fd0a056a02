"""The listed mutants of indexgen's safety-critical code, and the tests expected to kill each.

A mutant is one textual change (`old` must occur exactly once in `path`). `tests` are pytest runs,
each a test file and an optional `-k` expression; a mutant is killed when any of them fails. Entries
whose file does not exist in the tree under test are left out, so the list also runs against older
trees of the project.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[tuple[str, str | None], ...]


SWAP = ("tests/test_reliability.py", "signal_in_the_swap or signal_at_each_step")
KILLS = ("tests/test_reliability.py", "killed_while_writing or kill_in_the_swap or signal_at_each_step")
WRITER = "tests/test_write_promises.py"
WRITE = "indexgen/write.py"
VERSIONS = ("tests/test_versions.py", None)
BULK = ("tests/test_bulk_scanner.py", None)

MUTANTS: tuple[Mutant, ...] = (
    # -- the writer ------------------------------------------------------------------------------------
    Mutant("signals not deferred in the swap", WRITE, "with _deferred_signals() as received:",
           "with contextlib.nullcontext([]) as received:", (SWAP,)),
    Mutant("interrupted swap exits 0", WRITE, "    if received:\n        raise InterruptedAfterWrite",
           "    if False:\n        raise InterruptedAfterWrite", (SWAP,)),
    Mutant("any directory looks like a site", WRITE,
           "    return (\n        not entries\n", "    return True or (\n        not entries\n",
           ((WRITER, "not_look_like_a_site"),)),
    Mutant("top-level dotfiles dropped", WRITE, 'if kept.name.startswith(".") and kept.is_file()',
           "if False", ((WRITER, "dotfiles"),)),
    Mutant("staging left behind on a write error", WRITE,
           "        shutil.rmtree(staging, ignore_errors=True)\n        if isinstance(exc, OSError):",
           "        if isinstance(exc, OSError):", ((WRITER, "full_disk"),)),
    Mutant("site set aside is not put back", WRITE, "if retired and not output.exists():", "if False:",
           (KILLS,)),
    Mutant("leftovers of killed builds kept", WRITE,
           'for leftover in (*retired, *_leftovers(output, "new")):', "for leftover in ():", (KILLS,)),
    Mutant("renameat2 never used", WRITE, "    if renameat2(at_fdcwd,", "    if False and renameat2(at_fdcwd,",
           (SWAP,)),
    Mutant("no rollback when the second rename fails", WRITE,
           "    except OSError:\n        os.rename(retired, output)\n        raise", "    except OSError:\n        raise",
           ((WRITER, "second_rename"),)),
    Mutant("site stays private (0700)", WRITE, "        os.chmod(staging, 0o755)\n", "",
           ((WRITER, "world_readable"),)),
    Mutant("report written after the swap", "indexgen/commands.py",
           "    report = stage_file(settings.report, render_json(report_data(index, public))) if settings.report else None",
           "    report = None", ((WRITER, "report_that_cannot"), SWAP)),
    Mutant("staged report not dropped on failure", "indexgen/commands.py",
           "        if report is not None:\n            report.discard()", "        pass", ((WRITER, "full_disk"),)),
    # -- the shrink guard ------------------------------------------------------------------------------
    Mutant("a lost project alone passes", "indexgen/guard.py",
           "return bool(shrink.lost_projects) or shrink.release_share > threshold",
           "return shrink.release_share > threshold", (("tests/test_safety.py", None),)),
    Mutant("threshold is inclusive", "indexgen/guard.py", "shrink.release_share > threshold",
           "shrink.release_share >= threshold", (("tests/test_safety.py", None),)),
    Mutant("releases of a lost project not counted", "indexgen/guard.py",
           "if version not in now.get(name, set())", "if name in now and version not in now[name]",
           (("tests/test_safety.py", None),)),
    Mutant("guard not called", "indexgen/commands.py",
           "    if not settings.allow_shrink and shrink_refused(shrink):",
           "    if False and shrink_refused(shrink):",
           (("tests/test_reliability.py", "token_that_lost_access"),)),
    # -- tag → version ---------------------------------------------------------------------------------
    Mutant("epochs published", "indexgen/versions.py", "    if version.epoch != 0:", "    if False:", (VERSIONS,)),
    Mutant("local versions published", "indexgen/versions.py", "    if version.local is not None:",
           "    if False:", (VERSIONS,)),
    Mutant("static version may differ from the tag", "indexgen/versions.py", "    if static != tag_version:",
           "    if False:", (VERSIONS,)),
    Mutant("version group may start with v", "indexgen/versions.py",
           'if not text or text[0] in "vV" or text != text.strip():', "if not text:", (VERSIONS,)),
    # -- links and escaping ----------------------------------------------------------------------------
    Mutant("any commit string linked", "indexgen/versions.py", "    if not _COMMIT_RE.fullmatch(commit):",
           "    if False:", (VERSIONS,)),
    Mutant("clone URL path not quoted", "indexgen/versions.py",
           '    return urllib.parse.quote(_STRAY_PERCENT_RE.sub("%25", path), safe=_PATH_SAFE)', "    return path",
           (VERSIONS,)),
    Mutant("@ left unquoted", "indexgen/versions.py", '_PATH_SAFE = "/:-._~!$()*+,;=%"',
           '_PATH_SAFE = "/:-._~!$()*+,;=%@"', (VERSIONS,)),
    Mutant("credentials in https clone URLs kept", "indexgen/versions.py", '    if at and scheme != "ssh":',
           "    if False:", (VERSIONS,)),
    Mutant("subdirectory may climb out", "indexgen/versions.py", 'part in (".", "..") or not', "not",
           (VERSIONS,)),
    Mutant("templates not escaped", "indexgen/render.py", "    autoescape=True,", "    autoescape=False,",
           (("tests/test_render.py", None), ("tests/test_hostile.py", None))),
    # -- peeling and pagination in the scanners --------------------------------------------------------
    Mutant("tag chain end not checked", "indexgen/github/bulk.py", '        if "target" not in target:',
           "        if False:", (BULK, ("tests/test_transport_edges.py", "peel"), ("tests/test_strict_github.py", "usable_commit"))),
    Mutant("tags on trees peeled as commits", "indexgen/github/bulk.py", '        if kind != "Tag":',
           '        if kind not in ("Tag", "Tree", "Blob"):', (BULK, ("tests/test_transport_edges.py", "peel"), ("tests/test_strict_github.py", "usable_commit"))),
    Mutant("follow-up tag pages not fetched", "indexgen/github/bulk.py",
           "        if page.get(\"hasNextPage\"):\n            ref_nodes +=", "        if False:\n            ref_nodes +=",
           (BULK,)),
    Mutant("only one follow-up tag page", "indexgen/github/bulk.py",
           'cursor = str(page.get("endCursor") or "") if page.get("hasNextPage") else ""', 'cursor = ""',
           (BULK, ("tests/test_strict_github.py", "262_tags and graphql"))),
    Mutant("101 node IDs a lookup", "indexgen/github/bulk.py", "NODES_MAX = 100", "NODES_MAX = 101",
           (BULK, ("tests/test_strict_github.py", "262_tags and graphql"))),
    Mutant("only the first page of repositories", "indexgen/github/bulk.py",
           '            if not page.get("hasNextPage"):\n                return', "            return",
           (BULK,)),
    Mutant("vanished commits keep their tags", "indexgen/github/bulk.py", "        if not gone:\n",
           "        if True:\n", (BULK, ("tests/test_transport_edges.py", "gone"), ("tests/test_strict_github.py", "usable_commit"))),
    Mutant("files over 1 MB read as text", "indexgen/github/rest.py",
           'if content.encoding != "base64" or (content.size or 0) > MAX_FILE_BYTES:',
           'if content.encoding not in ("base64", "none"):',
           (("tests/test_rest_scanner.py", None), ("tests/test_transport_edges.py", None))),
    Mutant("REST tag pages not followed", "indexgen/github/rest.py",
           "lambda: list(repo.get_tags())", "lambda: list(repo.get_tags()[:100])",
           (("tests/test_rest_scanner.py", None),)),
)  # fmt: skip
