"""GitHub Actions integration: the job summary, workflow commands and step outputs, and their escaping.

Only when `GITHUB_ACTIONS=true`. Repository names, tag names and skip reasons come from repositories,
so they are untrusted: GitHub reads every line a step prints on stdout *or* stderr for `::command::`,
and renders the job summary as Markdown with inline HTML. Every untrusted string passes through
`escape_data` (workflow commands, log lines) or `escape_markdown` (the summary) here, after `redact`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

from .changes import Changes
from .commands import BuildOutcome
from .errors import redact
from .models import Index

# The job summary of one step may hold 1 MiB; the lists stop well before that and point at the report.
MAX_ROWS = 1000
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def enabled(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    """`text` safe as the message of a workflow command or as one log line.

    `%`, CR and LF are escaped as the runner unescapes them (`%25`, `%0D`, `%0A`), so the text stays one
    line and cannot start a command of its own; `::` becomes `:%3A` so it cannot close or open one.
    """
    text = redact(text)
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace("::", ":%3A")


def workflow_command(command: str, message: str) -> str:
    """`::warning::message`, `::error::message`, …: the message escaped."""
    return f"::{command}::{escape_data(message)}"


def escape_markdown(text: str) -> str:
    """`text` as literal Markdown inline text: no HTML, no links or emphasis, no table cell breaks."""
    text = redact(text)
    text = " ".join(text.split())  # one line: no headings, lists or blocks from a newline
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "@\u200b")  # no @mentions


def _code(text: str) -> str:
    return f"`{redact(text)}`" if re.fullmatch(r"[A-Za-z0-9._/@+!~-]*", text) else escape_markdown(text)


def _rows(rows: list[str], what: str) -> list[str]:
    if len(rows) <= MAX_ROWS:
        return rows
    return [*rows[:MAX_ROWS], "", f"… and {len(rows) - MAX_ROWS} more {what}: see the JSON report."]


def _versions(title: str, pairs: Iterable[tuple[str, str]]) -> list[str]:
    rows = [f"| {_code(p)} | {_code(v)} |" for p, v in pairs]
    if not rows:
        return []
    header = [f"### {title} ({len(rows)})", "", "| project | version |", "|---|---|"]
    return [*header, *_rows(rows, "versions"), ""]


def render_summary(index: Index, changes: Changes, public: Mapping[str, str], usage: str) -> str:
    """The Markdown job summary of a successful build."""
    lines = [
        f"## indexgen: {len(index.projects)} projects, {index.release_count} releases",
        "",
    ]
    if changes.first_build:
        lines += ["No previous build to compare with: every release is new.", ""]
    elif not changes.pages_changed:
        lines += ["Nothing changed since the previous build: nothing to deploy.", ""]
    lines += _versions("Versions added", changes.added)
    lines += _versions("Versions removed", changes.removed)
    lines += _versions("Versions now published from another commit", changes.recommitted)
    for title, names in (("New projects", changes.new_projects), ("Projects gone", changes.gone_projects)):
        if names:
            lines += [f"### {title} ({len(names)})", "", ", ".join(_code(n) for n in names), ""]
    warnings = [
        *index.warnings,
        *(str(m) for m in index.moved),
        *(
            f"{n} also exists on PyPI ({v}): acknowledged with --allow-public"
            for n, v in sorted(public.items())
        ),
    ]
    if warnings:
        lines += [f"### Warnings ({len(warnings)})", ""]
        lines += _rows([f"- {escape_markdown(w)}" for w in warnings], "warnings")
        lines.append("")
    if index.skipped:
        tags = sum(1 for s in index.skipped if s.tag is not None)
        rows = [
            f"| {_code(s.repository)} | {_code(s.tag) if s.tag is not None else '(repository)'} | "
            f"{escape_markdown(s.reason)} |"
            for s in index.skipped
        ]
        lines += [
            "<details>",
            f"<summary>Skipped: {tags} tags, {len(index.skipped) - tags} repositories</summary>",
            "",
            "| repository | tag | reason |",
            "|---|---|---|",
            *_rows(rows, "skipped tags"),
            "",
            "</details>",
            "",
        ]
    lines += [escape_markdown(usage), ""]
    return "\n".join(lines)


def render_failure_summary(message: str) -> str:
    return f"## indexgen: failed\n\n{escape_markdown(message)}\n\nNothing was published.\n"


def render_outputs(outputs: Mapping[str, str]) -> str:
    """`$GITHUB_OUTPUT` lines; the multi-line form with a random delimiter keeps any value one value."""
    parts = []
    for name, value in outputs.items():
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        parts.append(f"{name}<<{delimiter}\n{redact(value)}\n{delimiter}\n")
    return "".join(parts)


def append_to(environ: Mapping[str, str], variable: str, text: str) -> None:
    """Append `text` to the file that `variable` names (`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`), if set."""
    path = environ.get(variable)
    if path:
        with Path(path).open("a", encoding="utf-8") as file:
            file.write(text)


def report_success(environ: Mapping[str, str], outcome: BuildOutcome, report: Path | None) -> None:
    """The step outputs and the job summary of a build that published."""
    index = outcome.index
    outputs = {
        "site": str(outcome.output.absolute()),
        "projects": str(len(index.projects)),
        "releases": str(index.release_count),
        "changed": "true" if outcome.changes.pages_changed else "false",
        "report": str(report.absolute()) if report else "",
    }
    append_to(environ, "GITHUB_OUTPUT", render_outputs(outputs))
    summary = render_summary(index, outcome.changes, outcome.public, outcome.usage.summary())
    append_to(environ, "GITHUB_STEP_SUMMARY", summary)


def report_failure(environ: Mapping[str, str], message: str) -> str:
    """Record a failed build (summary, `changed=false`) and return its `::error::` line to print."""
    append_to(environ, "GITHUB_STEP_SUMMARY", render_failure_summary(message))
    append_to(environ, "GITHUB_OUTPUT", render_outputs({"changed": "false"}))
    return workflow_command("error", message)
