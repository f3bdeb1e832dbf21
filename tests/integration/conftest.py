"""Every test under tests/integration runs against real Mesos: mark it, so that
``pytest -m "not integration"`` is the fast tier."""

from pathlib import Path

import pytest

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(item.fspath).parents:
            item.add_marker(pytest.mark.integration)
