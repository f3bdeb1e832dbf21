"""Agents as constraints see them: id, hostname, fault domain and attributes rendered as text.

Attribute values are rendered the way Marathon renders them for matching: text as is; a
scalar with up to three decimals, trailing zeros dropped and thousands grouped (``2``, ``1.5``,
``12,345``); ranges as ``[begin-end,...]`` sorted by begin; a set as ``{a,b}`` with sorted items.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from frameworkkit.protocol import messages

HOSTNAME_FIELDS = ("hostname", "@hostname")
AGENT_ID_FIELD = "@agent_id"
REGION_FIELD = "@region"
ZONE_FIELD = "@zone"
SPECIAL_FIELDS = (*HOSTNAME_FIELDS, AGENT_ID_FIELD, REGION_FIELD, ZONE_FIELD)
"""Fields that name a property of the agent rather than an attribute."""


def render_scalar(value: float) -> str:
    """A scalar attribute as Marathon renders it (``2.0`` -> ``2``, ``1234.5`` -> ``1,234.5``)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def render_attribute(attribute: messages.Attribute) -> str:
    """An agent attribute's value as the text constraints match against."""
    kind = attribute.type
    if kind == "TEXT" and attribute.text is not None:
        return attribute.text.value
    if kind == "SCALAR" and attribute.scalar is not None:
        return render_scalar(attribute.scalar.value)
    if kind == "RANGES" and attribute.ranges is not None:
        spans = sorted((r.begin, r.end) for r in attribute.ranges.range)
        return "[" + ",".join(f"{begin}-{end}" for begin, end in spans) + "]"
    if kind == "SET" and attribute.set is not None:
        return "{" + ",".join(sorted(attribute.set.item)) + "}"
    raise ValueError(f"attribute {attribute.name!r}: type {kind!r} without its value")


def attribute_names(value: str, item: str) -> bool:
    """Whether a rendered attribute value names ``item``: equal to it, or a set holding it."""
    if value == item:
        return True
    return value.startswith("{") and value.endswith("}") and item in value[1:-1].split(",")


@dataclass(frozen=True)
class Agent:
    """What placement knows of an agent: ids, hostname, fault domain and rendered attributes.

    Build it from an offer (:meth:`from_offer`) or an ``AgentInfo`` (:meth:`from_agent_info`);
    keep it with a running task so constraints can count that task later.
    """

    agent_id: str
    hostname: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    region: str | None = None
    zone: str | None = None

    def __post_init__(self) -> None:
        for name in ("agent_id", "hostname"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"Agent.{name}: must be a non-empty string, got {value!r}")

    @classmethod
    def from_offer(cls, offer: messages.Offer) -> Agent:
        return cls._build(offer.agent_id.value, offer.hostname, offer.attributes, offer.domain)

    @classmethod
    def from_agent_info(cls, info: messages.AgentInfo) -> Agent:
        if info.id is None:
            raise ValueError("AgentInfo.id: is required to describe an agent")
        return cls._build(info.id.value, info.hostname, info.attributes, info.domain)

    @classmethod
    def _build(
        cls,
        agent_id: str,
        hostname: str,
        attributes: list[messages.Attribute],
        domain: messages.DomainInfo | None,
    ) -> Agent:
        rendered: dict[str, str] = {}
        for attribute in attributes:
            # Like Marathon, the first attribute of a name wins.
            rendered.setdefault(attribute.name, render_attribute(attribute))
        fault = domain.fault_domain if domain is not None else None
        return cls(
            agent_id=agent_id,
            hostname=hostname,
            attributes=rendered,
            region=fault.region.name if fault is not None else None,
            zone=fault.zone.name if fault is not None else None,
        )

    def field_value(self, name: str) -> str | None:
        """The value a constraint on ``name`` sees here; None when the agent lacks it."""
        if name in HOSTNAME_FIELDS:
            return self.hostname
        if name == AGENT_ID_FIELD:
            return self.agent_id
        if name == REGION_FIELD:
            return self.region
        if name == ZONE_FIELD:
            return self.zone
        return self.attributes.get(name)
