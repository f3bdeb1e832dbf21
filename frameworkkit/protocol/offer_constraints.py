"""Builders for ``OfferConstraints``: agent attribute filters the master applies before offering.

Give the result to SUBSCRIBE or UPDATE_FRAMEWORK. For each role, an agent is offered when it
satisfies any one group, and a group holds when all of its constraints hold::

    offer_constraints({"batch": [[attribute_constraint(attribute="rack", equals="r1")]]})
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from frameworkkit import validation
from frameworkkit.protocol import _fields
from frameworkkit.protocol._fields import JsonDict

PSEUDOATTRIBUTES = ("HOSTNAME", "REGION", "ZONE")


def attribute_constraint(
    *,
    attribute: str | None = None,
    pseudoattribute: Literal["HOSTNAME", "REGION", "ZONE"] | None = None,
    exists: bool | None = None,
    equals: str | None = None,
    not_equals: str | None = None,
    matches: str | None = None,
    not_matches: str | None = None,
) -> JsonDict:
    """An ``AttributeConstraint``: one selector and one predicate.

    Select an agent ``attribute`` by name or a ``pseudoattribute`` (hostname, fault domain region
    or zone); test that it ``exists`` (True) or not (False), equals / does not equal a text, or
    matches / does not match a regular expression (RE2 syntax, whole value).
    """
    if (attribute is None) == (pseudoattribute is None):
        raise ValueError("attribute_constraint needs exactly one of attribute, pseudoattribute")
    selector = (
        {"attribute_name": validation.text("attribute", attribute)}
        if attribute is not None
        else {
            "pseudoattribute_type": _fields.choice(
                "pseudoattribute", pseudoattribute, PSEUDOATTRIBUTES
            )
        }
    )
    predicates = {
        "exists": exists,
        "equals": equals,
        "not_equals": not_equals,
        "matches": matches,
        "not_matches": not_matches,
    }
    given = [name for name, value in predicates.items() if value is not None]
    if len(given) != 1:
        raise ValueError(
            "attribute_constraint needs exactly one of exists, equals, not_equals, matches, "
            f"not_matches; got {given or 'none'}"
        )
    name = given[0]
    value = predicates[name]
    predicate: JsonDict
    if name == "exists":
        predicate = {"exists" if validation.flag("exists", value) else "not_exists": {}}
    elif name.endswith("equals"):
        predicate = {f"text_{name}": {"value": validation.text(name, value)}}
    else:
        predicate = {f"text_{name}": {"regex": validation.text(name, value)}}
    return {"selector": selector, "predicate": predicate}


def offer_constraints(role_groups: Mapping[str, Iterable[Iterable[Mapping[str, Any]]]]) -> JsonDict:
    """An ``OfferConstraints``: per role, groups (any may hold) of constraints (all must hold)."""
    role_constraints: JsonDict = {}
    for role, groups in _fields.mapping("role_groups", role_groups).items():
        where = f"role_groups[{role!r}]"
        checked_groups: list[JsonDict] = []
        for i, group in enumerate(validation.sequence(where, groups)):
            constraints = [
                _fields.mapping(f"{where}[{i}][{j}]", constraint)
                for j, constraint in enumerate(validation.sequence(f"{where}[{i}]", group))
            ]
            checked_groups.append(
                {"attribute_constraints": _fields.non_empty(f"{where}[{i}]", constraints)}
            )
        role_constraints[validation.role("role_groups key", role)] = {"groups": checked_groups}
    return {"role_constraints": role_constraints}
