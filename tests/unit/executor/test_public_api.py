from __future__ import annotations

import frameworkkit.executor as executor_package


def test_every_exported_name_exists_and_is_public() -> None:
    for name in executor_package.__all__:
        assert not name.startswith("_")
        assert getattr(executor_package, name) is not None


def test_the_exports_are_exactly_the_curated_list() -> None:
    modules = {"base", "client", "command", "environment", "health", "ports", "processes"}
    public = {
        name
        for name in vars(executor_package)
        if name.isidentifier() and not name.startswith("_") and name not in modules
    }
    assert public == set(executor_package.__all__)
