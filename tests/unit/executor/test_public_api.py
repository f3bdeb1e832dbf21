from __future__ import annotations

import inspect

import frameworkkit.executor as executor_package


def test_every_exported_name_exists_and_is_public() -> None:
    for name in executor_package.__all__:
        assert not name.startswith("_")
        assert getattr(executor_package, name) is not None


def test_the_exports_are_exactly_the_curated_list() -> None:
    for name in executor_package.__all__:
        getattr(executor_package, name)  # load them all: exports load on first use
    public = {
        name
        for name, value in vars(executor_package).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public == set(executor_package.__all__)
