"""Render the resources of an assignment as Mesos v1 JSON: what goes into ``TaskInfo.resources``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from frameworkkit.protocol import messages


def resource_to_json(resource: messages.Resource) -> dict[str, Any]:
    """One ``Resource`` as a JSON-ready dict: proto field names, enums as strings, unset fields
    left out, ``type`` always present (Mesos requires it)."""
    rendered: dict[str, Any] = msgspec.to_builtins(resource)
    result = {key: value for key, value in rendered.items() if value is not None and value != []}
    result["type"] = resource.type
    return result


def resources_to_json(resources: Iterable[messages.Resource]) -> list[dict[str, Any]]:
    """Resources as JSON-ready dicts, e.g. ``resources_to_json(assignment.resources)``."""
    return [resource_to_json(resource) for resource in resources]
