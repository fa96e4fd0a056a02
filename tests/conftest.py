"""Test-suite configuration: the `e2e` marker and the end-to-end fixtures (`tests/e2e/fixtures.py`).

End-to-end tests run by default; `pytest -m "not e2e"` leaves them out.
"""

import os
import signal

import pytest

pytest_plugins = ["tests.e2e.fixtures", "tests.e2e.tools", "tests.githubschema"]


def pytest_configure(config: pytest.Config) -> None:
    # A shell that starts pytest as a background job (`pytest &` in a script) hands it SIGINT ignored,
    # and every child inherits that: the tests that press Ctrl-C on a build or a server would see
    # nothing happen. With a handler here, each child starts with SIGINT at its default, as from a
    # terminal.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    config.addinivalue_line(
        "markers", "e2e: end to end through the real CLI, git and pip, against local servers (slow)"
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true a skipped test fails the run: CI must never pass by skipping a check."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if os.environ.get("CI") == "true" and skipped and exitstatus == 0:
        if reporter is not None:
            reporter.write_line(f"error: {len(skipped)} tests skipped under CI=true", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
