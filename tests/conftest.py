"""Test-suite configuration: the `e2e` marker and the end-to-end fixtures (`tests/e2e/fixtures.py`).

End-to-end tests run by default; `pytest -m "not e2e"` leaves them out.
"""

import pytest

pytest_plugins = ["tests.e2e.fixtures", "tests.e2e.tools", "tests.githubschema"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: end to end through the real CLI, git and pip, against local servers (slow)"
    )
