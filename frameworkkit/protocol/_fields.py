"""Argument checks shared by the builders, each turning a Python value into its JSON form.

Every check takes the name of the argument it looks at, so a bad value fails with a message
naming the field: ``TypeError`` for a value of the wrong kind, ``ValueError`` for a wrong value.

Standard library only (executors build their calls with these checks at start): the checks that
also take typed records (:mod:`.messages`, msgspec) look for them only once they were imported.
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Iterable, Mapping

from frameworkkit.validation import number, role, sequence, text, whole_number

TYPE_CHECKING = False  # typing's would load typing, at every executor's start
if TYPE_CHECKING:
    from collections.abc import Callable, Sized
    from typing import Any, TypeVar

    from frameworkkit.protocol.messages import ID, Resource

    JsonDict = dict[str, Any]
    IdLike = str | ID
    """A Mesos ID given as its string value or as a decoded :class:`~messages.ID`."""
    ResourceLike = Resource | Mapping[str, Any]
    """A resource as a decoded :class:`~messages.Resource` or as its JSON form (a mapping)."""
    LabelsLike = Mapping[str, str | None] | Iterable[tuple[str, str | None]]
    """Labels as a mapping or as ``(key, value)`` pairs (pairs allow repeated keys)."""
    SizedT = TypeVar("SizedT", bound=Sized)
    Check = Callable[[str, Any], object]
    """A check as :func:`put` takes it: ``check(field, value)`` returns the JSON form."""

ID_MAX_BYTES = 255  # NAME_MAX: Mesos maps IDs to directory names
UUID_BYTES = 16
MAX_INT64 = 2**63 - 1
_RESOURCE_VALUE_FIELDS = {"SCALAR": "scalar", "RANGES": "ranges", "SET": "set"}


def choice(field: str, value: object, allowed: Iterable[str]) -> str:
    """One of the enum names in ``allowed``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{field}: must be one of {', '.join(allowed)}; got {value!r}")
    return text(field, value)


def port(field: str, value: object) -> int:
    return whole_number(field, value, minimum=1, maximum=65535)


def duration(field: str, seconds: object) -> JsonDict:
    """A ``DurationInfo`` from seconds (its nanoseconds must fit Mesos's int64)."""
    nanoseconds = round(number(field, seconds) * 1_000_000_000)
    if nanoseconds > MAX_INT64:
        raise ValueError(f"{field}: too long for Mesos, got {seconds!r}")
    return {"nanoseconds": nanoseconds}


def mesos_id(field: str, value: object) -> JsonDict:
    """An ``*ID`` message, checked by the rules Mesos applies to framework/task/executor IDs."""
    messages = _loaded("frameworkkit.protocol.messages")
    if messages is not None and isinstance(value, messages.ID):
        value = value.value
    checked = text(field, value)
    if len(checked.encode()) > ID_MAX_BYTES:
        raise ValueError(f"{field}: must be at most {ID_MAX_BYTES} bytes long")
    if checked in (".", ".."):
        raise ValueError(f"{field}: must not be {checked!r}")
    # isprintable(), in C, settles the common case; only an unprintable ID is looked at closely
    if (
        "/" in checked
        or "\\" in checked
        or (not checked.isprintable() and any(_is_control(c) for c in checked))
    ):
        raise ValueError(f"{field}: must not contain slashes or control characters: {checked!r}")
    return {"value": checked}


def _is_control(character: str) -> bool:
    return ord(character) < 32 or ord(character) == 127


def roles(field: str, values: object) -> list[str]:
    """Distinct role names."""
    checked = [role(f"{field}[{i}]", value) for i, value in enumerate(sequence(field, values))]
    if len(set(checked)) != len(checked):
        raise ValueError(f"{field}: must not repeat a role: {checked}")
    return checked


def mapping(field: str, value: object) -> JsonDict:
    """A JSON object given as a mapping (copied) or as a decoded record."""
    msgspec = _loaded("msgspec")
    if msgspec is not None and isinstance(value, msgspec.Struct):
        converted: JsonDict = _without_unset(msgspec.to_builtins(value))
        return converted
    if not isinstance(value, Mapping):
        raise TypeError(f"{field}: must be a mapping, got {type(value).__name__}")
    return dict(value)


def raw_bytes(field: str, value: object) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{field}: must be bytes, got {type(value).__name__}")
    return bytes(value)


def base64_bytes(field: str, value: object) -> str:
    """A proto ``bytes`` field: base64 text in JSON."""
    return base64.b64encode(raw_bytes(field, value)).decode("ascii")


def uuid_bytes(field: str, value: object) -> str:
    """A UUID (16 raw bytes of an RFC 4122 UUID, version 1 to 5, as Mesos checks) as base64."""
    checked = raw_bytes(field, value)
    if len(checked) != UUID_BYTES:
        raise ValueError(f"{field}: must be {UUID_BYTES} bytes, got {len(checked)}")
    if not 1 <= checked[6] >> 4 <= 5:
        raise ValueError(f"{field}: is not a UUID of version 1 to 5: {checked.hex()}")
    return base64_bytes(field, checked)


def labels(field: str, value: object) -> JsonDict:
    """A ``Labels`` message from a mapping or ``(key, value)`` pairs."""
    pairs = value.items() if isinstance(value, Mapping) else sequence(field, value)
    entries: list[JsonDict] = []
    for index, pair in enumerate(pairs):
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"{field}[{index}]: must be a (key, value) pair, got {pair!r}")
        key, label_value = pair
        entry: JsonDict = {"key": text(f"{field}[{index}].key", key)}
        if label_value is not None:
            if not isinstance(label_value, str):
                raise TypeError(f"{field}[{key!r}]: must be a string or None")
            entry["value"] = label_value
        entries.append(entry)
    return {"labels": entries}


def resource(field: str, value: object) -> JsonDict:
    """A ``Resource`` in JSON form; the value field matching its ``type`` must be present."""
    data = mapping(field, value)
    text(f"{field}.name", data.get("name"))
    value_field = _RESOURCE_VALUE_FIELDS[
        choice(f"{field}.type", data.get("type"), _RESOURCE_VALUE_FIELDS)
    ]
    if data.get(value_field) is None:
        raise ValueError(f"{field}: a {data['type']} resource needs '{value_field}'")
    return data


def resources(field: str, values: object) -> list[JsonDict]:
    return [resource(f"{field}[{i}]", value) for i, value in enumerate(sequence(field, values))]


def ids(field: str, values: object) -> list[JsonDict]:
    return [mesos_id(f"{field}[{i}]", value) for i, value in enumerate(sequence(field, values))]


def non_empty(field: str, values: SizedT) -> SizedT:
    if not values:
        raise ValueError(f"{field}: must not be empty")
    return values


def put(
    message: JsonDict,
    key: str,
    check: Check,
    value: object,
    field: str | None = None,
) -> None:
    """Set ``message[key]`` to the checked ``value`` unless it is None (optional proto field).

    ``field`` names the argument in errors when it differs from ``key``.
    """
    if value is not None:
        message[key] = check(field or key, value)


def _without_unset(value: Any) -> Any:
    """JSON data without null or empty-list members: how a record writes unset fields."""
    if isinstance(value, dict):
        return {
            key: _without_unset(item)
            for key, item in value.items()
            if item is not None and item != []
        }
    if isinstance(value, list):
        return [_without_unset(item) for item in value]
    return value


def _loaded(module: str) -> Any:
    """``module`` if it was imported already, else None. A value can only be one of its types
    once whoever built the value imported it, so the checks need not import it themselves."""
    return sys.modules.get(module)


def __getattr__(name: str) -> Any:
    """The type aliases at run time (for the modules that import them): built on first use, so
    that importing the checks loads neither typing nor the records."""
    from typing import Any

    if name == "JsonDict":
        alias: Any = dict[str, Any]
    elif name == "LabelsLike":
        alias = Mapping[str, str | None] | Iterable[tuple[str, str | None]]
    elif name in ("IdLike", "ResourceLike"):
        from frameworkkit.protocol.messages import ID, Resource

        alias = str | ID if name == "IdLike" else Resource | Mapping[str, Any]
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = alias
    return alias
