from __future__ import annotations

import inspect
from types import ModuleType

import msgspec

import frameworkkit.protocol as protocol
from frameworkkit.protocol import (
    calls,
    executor_calls,
    infos,
    messages,
    offer_constraints,
    operations,
    resources,
)

BUILDER_MODULES = (calls, executor_calls, infos, offer_constraints, operations, resources)


def test_all_is_sorted_unique_and_complete() -> None:
    assert protocol.__all__ == sorted(set(protocol.__all__))
    for name in protocol.__all__:
        assert hasattr(protocol, name), name
    namespace: dict[str, object] = {}
    exec("from frameworkkit.protocol import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(protocol.__all__)


def test_no_private_module_is_exported() -> None:
    assert all(not name.startswith("_") for name in protocol.__all__)


def public_functions(module: ModuleType) -> list[str]:
    return [
        name
        for name, value in vars(module).items()
        if inspect.isfunction(value) and value.__module__ == module.__name__ and name[0] != "_"
    ]


def test_every_builder_says_when_to_use_it() -> None:
    for module in BUILDER_MODULES:
        assert module.__doc__, module.__name__
        for name in public_functions(module):
            assert getattr(module, name).__doc__, f"{module.__name__}.{name}"


def test_the_offer_model_keeps_the_fields_the_placement_engine_reads() -> None:
    assert messages.Offer.__struct_fields__[:8] == (
        "id",
        "framework_id",
        "agent_id",
        "hostname",
        "resources",
        "attributes",
        "executor_ids",
        "allocation_info",
    )
    assert messages.Resource.__struct_fields__[:3] == ("name", "type", "scalar")
    assert issubclass(messages.Offer, msgspec.Struct)


def test_an_encoded_resource_always_names_its_type() -> None:
    encoded = msgspec.json.decode(
        msgspec.json.encode(messages.Resource("cpus", scalar=messages.Scalar(1)))
    )
    assert encoded["type"] == "SCALAR"
