from __future__ import annotations

import inspect

import frameworkkit.transport as transport


def test_all_names_exist_and_are_documented() -> None:
    assert len(transport.__all__) == len(set(transport.__all__))
    for name in transport.__all__:
        value = getattr(transport, name)
        assert inspect.getdoc(value), f"{name} has no docstring"


def test_every_public_package_name_is_listed() -> None:
    for name in transport.__all__:
        getattr(transport, name)  # load them all: exports load on first use
    public = {
        name
        for name, value in vars(transport).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public == set(transport.__all__)
