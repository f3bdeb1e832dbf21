from __future__ import annotations

import inspect
import logging
from typing import cast

import pytest

import frameworkkit.compat as compat
from frameworkkit.compat import MesosSchedulerDriver, Scheduler


def test_all_names_exist_and_are_documented() -> None:
    assert len(compat.__all__) == len(set(compat.__all__))
    for name in compat.__all__:
        assert inspect.getdoc(getattr(compat, name)), f"{name} has no docstring"


def test_every_public_package_name_is_listed() -> None:
    public = {
        name
        for name, value in vars(compat).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public == set(compat.__all__)


def test_driver_signature_matches_pymesos() -> None:
    parameters = list(inspect.signature(MesosSchedulerDriver).parameters.values())
    positional = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional == [
        "sched",
        "framework",
        "master_uri",
        "use_addict",
        "implicit_acknowledgements",
        "principal",
        "secret",
        "failover",
        "timeout",
    ]
    assert [p.default for p in parameters[3:9]] == [False, True, None, None, False, 86400.0]


def test_default_error_callback_logs_the_message(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="frameworkkit.compat"):
        Scheduler().error(cast(MesosSchedulerDriver, None), "Framework has been removed")
    assert "Framework has been removed" in caplog.text
