"""pymesos-style arguments turned into what frameworkkit's call builders and transport take.

pymesos passes IDs as ``{"value": ...}`` mappings (one, or a list), filters as a ``Filters``
mapping and credentials as plain strings; these helpers check and convert them, naming the
argument in every error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

import msgspec

from frameworkkit.protocol import JsonDict, calls
from frameworkkit.transport import Secret, TransportOptions, detector_for

__all__ = [
    "DEFAULT_MASTER_PORT",
    "PYMESOS_FAILOVER_TIMEOUT",
    "framework_info",
    "id_value",
    "id_values",
    "master_address",
    "optional_id_value",
    "refuse_seconds",
    "transport_options",
]

DEFAULT_MASTER_PORT = 5050
PYMESOS_FAILOVER_TIMEOUT = 100.0
"""Seconds pymesos puts in ``failover_timeout`` when the framework sets none."""
_GPU_CAPABILITY = "GPU_RESOURCES"


def id_value(field: str, value: object) -> str:
    """The string of an ID given as ``{"value": "..."}`` (pymesos) or as the string itself."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("value"), str):
        return str(value["value"])
    raise TypeError(f"{field}: expected an ID like {{'value': '...'}}, got {value!r}")


def optional_id_value(field: str, value: object) -> str | None:
    """Like `id_value`, but None (or an absent, empty mapping) gives None."""
    if value is None or (isinstance(value, Mapping) and not value):
        return None
    return id_value(field, value)


def id_values(field: str, value: object) -> list[str]:
    """One ID or a list of IDs, as pymesos accepts for offer IDs."""
    if isinstance(value, (str, Mapping)):
        return [id_value(field, value)]
    if not isinstance(value, Iterable):
        raise TypeError(f"{field}: expected an ID or a list of IDs, got {value!r}")
    return [id_value(f"{field}[{index}]", item) for index, item in enumerate(value)]


def refuse_seconds(filters: object) -> float | None:
    """The ``refuse_seconds`` of a ``Filters`` mapping (None when absent)."""
    if filters is None:
        return None
    if not isinstance(filters, Mapping):
        raise TypeError(
            f"filters: expected a mapping like {{'refuse_seconds': 5}}, got {filters!r}"
        )
    unknown = sorted(str(key) for key in filters if key != "refuse_seconds")
    if unknown:
        raise ValueError(f"filters: unknown fields {unknown}; Filters has only refuse_seconds")
    seconds = filters.get("refuse_seconds")
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float))):
        raise TypeError(f"filters.refuse_seconds: expected a number, got {seconds!r}")
    return None if seconds is None else float(seconds)


def framework_info(framework: object) -> JsonDict:
    """A plain JSON copy of the framework's ``FrameworkInfo`` with pymesos's additions.

    Like pymesos, it asks for ``GPU_RESOURCES`` offers and, when the framework names no
    ``failover_timeout``, sets `PYMESOS_FAILOVER_TIMEOUT`.
    """
    if not isinstance(framework, Mapping):
        raise TypeError(f"framework: expected a FrameworkInfo mapping, got {framework!r}")
    try:
        info: JsonDict = msgspec.json.decode(msgspec.json.encode(framework))
    except (TypeError, msgspec.EncodeError) as exc:
        raise TypeError(f"framework: holds a value JSON cannot carry: {exc}") from exc
    capabilities = info.get("capabilities", [])
    if not isinstance(capabilities, list) or not all(
        isinstance(capability, dict) and isinstance(capability.get("type"), str)
        for capability in capabilities
    ):
        raise TypeError(
            f"framework.capabilities: expected [{{'type': ...}}, ...], got {capabilities!r}"
        )
    info["capabilities"] = [
        capability for capability in capabilities if capability["type"] != _GPU_CAPABILITY
    ] + [{"type": _GPU_CAPABILITY}]
    info.setdefault("failover_timeout", PYMESOS_FAILOVER_TIMEOUT)
    calls.subscribe(info)  # checks user, name and the rest as SUBSCRIBE will carry them
    return info


def master_address(master_uri: object, *, tls: bool = False) -> str:
    """The master as `MesosConnection` takes it: pymesos's ``zoo://`` becomes ``zk://`` and a
    host without a port gets port 5050."""
    if not isinstance(master_uri, str):
        raise TypeError(f"master_uri: expected str, got {type(master_uri).__name__}")
    text = master_uri.strip()
    if text.startswith("zoo://"):
        text = "zk://" + text.removeprefix("zoo://")
    if not text.startswith("zk://"):
        entries = [entry.strip() for entry in text.split(",")]
        text = ",".join(
            entry if ":" in entry else f"{entry}:{DEFAULT_MASTER_PORT}" for entry in entries
        )
    try:
        detector_for(text, tls=tls)  # checks the address the way the connection will read it
    except ValueError as exc:
        raise ValueError(f"master_uri: {exc}") from exc
    return text


def transport_options(
    options: TransportOptions | None, principal: str | None, secret: str | Secret | None
) -> TransportOptions:
    """`options` (or the defaults) with HTTP basic auth from `principal` and `secret`."""
    if options is not None and not isinstance(options, TransportOptions):
        raise TypeError(f"options: expected TransportOptions, got {type(options).__name__}")
    base = options or TransportOptions()
    if principal is None and secret is None:
        return base
    if principal is None or secret is None:
        raise ValueError("principal, secret: give both for authentication, or neither")
    wrapped = Secret(secret) if isinstance(secret, str) else secret
    return dataclasses.replace(base, principal=principal, secret=wrapped)
