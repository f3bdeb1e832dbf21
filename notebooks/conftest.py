"""The notebooks run as tests (nbmake, see pyproject's pytest options), each on an embedded real
Mesos cluster of its own: mark them, so that ``pytest -m "not integration"`` leaves them out."""

from pathlib import Path

import pytest

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(item.fspath).parent == _HERE:
            item.add_marker(pytest.mark.integration)
