"""Argument checks shared by the builders, each turning a Python value into its JSON form.

Every check takes the name of the argument it looks at, so a bad value fails with a message
naming the field: ``TypeError`` for a value of the wrong kind, ``ValueError`` for a wrong value.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Iterable, Mapping, Sized
from typing import Any, TypeVar

import msgspec

from frameworkkit.protocol.messages import ID, Resource

JsonDict = dict[str, Any]
IdLike = str | ID
"""A Mesos ID given as its string value or as a decoded :class:`~messages.ID`."""
ResourceLike = Resource | Mapping[str, Any]
"""A resource as a decoded :class:`~messages.Resource` or as its JSON form (a mapping)."""
LabelsLike = Mapping[str, str | None] | Iterable[tuple[str, str | None]]
"""Labels as a mapping or as ``(key, value)`` pairs (pairs allow repeated keys)."""

ID_MAX_BYTES = 255  # NAME_MAX: Mesos maps IDs to directory names
UUID_BYTES = 16
_ROLE_FORBIDDEN_CHARACTERS = frozenset("\b\t\n\v\f\r ")
_RESOURCE_VALUE_FIELDS = {"SCALAR": "scalar", "RANGES": "ranges", "SET": "set"}

SizedT = TypeVar("SizedT", bound=Sized)
Check = Callable[[str, Any], object]
"""A check as :func:`put` takes it: ``check(field, value)`` returns the JSON form."""


def text(field: str, value: object) -> str:
    """A non-empty string."""
    if value is None:
        raise ValueError(f"{field} is required")
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a string, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{field} must not be empty")
    return value


def flag(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{field} must be a bool, got {type(value).__name__}")
    return value


def choice(field: str, value: object, allowed: Iterable[str]) -> str:
    """One of the enum names in ``allowed``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{field} must be one of {', '.join(allowed)}; got {value!r}")
    return text(field, value)


def number(field: str, value: object) -> float:
    """A finite, non-negative int or float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{field} must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{field} must be a finite number >= 0, got {value!r}")
    return float(value)


def whole_number(field: str, value: object, *, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{field} must be an int, got {type(value).__name__}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and <= {maximum}"
        raise ValueError(f"{field} must be >= {minimum}{upper}, got {value}")
    return value


def port(field: str, value: object) -> int:
    return whole_number(field, value, minimum=1, maximum=65535)


def duration(field: str, seconds: object) -> JsonDict:
    """A ``DurationInfo`` from seconds."""
    return {"nanoseconds": round(number(field, seconds) * 1_000_000_000)}


def mesos_id(field: str, value: object) -> JsonDict:
    """An ``*ID`` message, checked by the rules Mesos applies to framework/task/executor IDs."""
    if isinstance(value, ID):
        value = value.value
    checked = text(field, value)
    if len(checked.encode()) > ID_MAX_BYTES:
        raise ValueError(f"{field} must be at most {ID_MAX_BYTES} bytes long")
    if checked in (".", ".."):
        raise ValueError(f"{field} must not be {checked!r}")
    if any(c in "/\\" or ord(c) < 32 or ord(c) == 127 for c in checked):
        raise ValueError(f"{field} must not contain slashes or control characters: {checked!r}")
    return {"value": checked}


def role(field: str, value: object) -> str:
    """A role name as Mesos accepts it: ``*`` or slash-separated components."""
    checked = text(field, value)
    if checked == "*":
        return checked
    if checked.startswith("/") or checked.endswith("/") or "//" in checked:
        raise ValueError(f"{field}: role {checked!r} has a leading, trailing or double slash")
    for component in checked.split("/"):
        if component in (".", "..", "*") or component.startswith("-"):
            raise ValueError(f"{field}: role {checked!r} has an invalid component {component!r}")
        if _ROLE_FORBIDDEN_CHARACTERS.intersection(component):
            raise ValueError(f"{field}: role {checked!r} contains whitespace or backspace")
    return checked


def roles(field: str, values: object) -> list[str]:
    """Distinct role names."""
    checked = [role(f"{field}[{i}]", value) for i, value in enumerate(sequence(field, values))]
    if len(set(checked)) != len(checked):
        raise ValueError(f"{field} must not repeat a role: {checked}")
    return checked


def sequence(field: str, values: object) -> list[Any]:
    """The items of an iterable that is not a string, bytes or mapping (a common slip)."""
    if isinstance(values, (str, bytes, bytearray, Mapping)) or not isinstance(values, Iterable):
        raise TypeError(f"{field} must be a list or other iterable of items, got {values!r}")
    return list(values)


def mapping(field: str, value: object) -> JsonDict:
    """A JSON object given as a mapping (copied) or as a decoded record."""
    if isinstance(value, msgspec.Struct):
        converted: JsonDict = _without_unset(msgspec.to_builtins(value))
        return converted
    if not isinstance(value, Mapping):
        raise TypeError(f"{field} must be a mapping, got {type(value).__name__}")
    return dict(value)


def raw_bytes(field: str, value: object) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{field} must be bytes, got {type(value).__name__}")
    return bytes(value)


def base64_bytes(field: str, value: object) -> str:
    """A proto ``bytes`` field: base64 text in JSON."""
    return base64.b64encode(raw_bytes(field, value)).decode("ascii")


def uuid_bytes(field: str, value: object) -> str:
    """A UUID (16 raw bytes of an RFC 4122 UUID, version 1 to 5, as Mesos checks) as base64."""
    checked = raw_bytes(field, value)
    if len(checked) != UUID_BYTES:
        raise ValueError(f"{field} must be {UUID_BYTES} bytes, got {len(checked)}")
    if not 1 <= checked[6] >> 4 <= 5:
        raise ValueError(f"{field} is not a UUID of version 1 to 5: {checked.hex()}")
    return base64_bytes(field, checked)


def labels(field: str, value: object) -> JsonDict:
    """A ``Labels`` message from a mapping or ``(key, value)`` pairs."""
    pairs = value.items() if isinstance(value, Mapping) else sequence(field, value)
    entries: list[JsonDict] = []
    for index, pair in enumerate(pairs):
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"{field}[{index}] must be a (key, value) pair, got {pair!r}")
        key, label_value = pair
        entry: JsonDict = {"key": text(f"{field}[{index}].key", key)}
        if label_value is not None:
            if not isinstance(label_value, str):
                raise TypeError(f"{field}[{key!r}] must be a string or None")
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
        raise ValueError(f"{field} must not be empty")
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
