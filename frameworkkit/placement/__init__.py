"""Placement: pure offer matching and packing. Offers and task requests in, assignments out.

No I/O. Build an :class:`OfferPool` from the offers you hold (or pass the offers), describe
tasks with :class:`TaskRequest`, and call :func:`place`::

    result = place([TaskRequest("web-1", cpus=1, mem=512, ports=["http"],
                                constraints=[["hostname", "UNIQUE"]])], offers)
    for task_id, assignment in result.assignments.items():
        resources = resources_to_json(assignment.resources)   # straight into the TaskInfo
    for task_id, unplaced in result.unplaced.items():
        print(unplaced)                                     # which check failed, on how many agents
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

from frameworkkit._lazy import lazy_exports as _lazy_exports

if _TYPE_CHECKING:
    from frameworkkit.placement.agents import Agent, render_attribute
    from frameworkkit.placement.constraints import Constraint, ConstraintLike, Operator
    from frameworkkit.placement.engine import place
    from frameworkkit.placement.offers import AgentOffers, OfferPool, group_offers
    from frameworkkit.placement.render import resource_to_json, resources_to_json
    from frameworkkit.placement.request import (
        DiskSource,
        Locality,
        PortSpec,
        RunningTask,
        TaskRequest,
    )
    from frameworkkit.placement.resources import (
        InsufficientResources,
        Reservation,
        ResourceEntry,
        Resources,
    )
    from frameworkkit.placement.result import (
        AssignedPort,
        Assignment,
        PlacementResult,
        Rejection,
        Unplaced,
    )
    from frameworkkit.placement.strategies import (
        Alignment,
        BestFit,
        BinPack,
        FirstFit,
        Fitness,
        FitView,
        Spread,
        Weighted,
    )

_EXPORTS = {
    "Agent": "frameworkkit.placement.agents",
    "AgentOffers": "frameworkkit.placement.offers",
    "Alignment": "frameworkkit.placement.strategies",
    "AssignedPort": "frameworkkit.placement.result",
    "Assignment": "frameworkkit.placement.result",
    "BestFit": "frameworkkit.placement.strategies",
    "BinPack": "frameworkkit.placement.strategies",
    "Constraint": "frameworkkit.placement.constraints",
    "ConstraintLike": "frameworkkit.placement.constraints",
    "DiskSource": "frameworkkit.placement.request",
    "FirstFit": "frameworkkit.placement.strategies",
    "FitView": "frameworkkit.placement.strategies",
    "Fitness": "frameworkkit.placement.strategies",
    "InsufficientResources": "frameworkkit.placement.resources",
    "Locality": "frameworkkit.placement.request",
    "OfferPool": "frameworkkit.placement.offers",
    "Operator": "frameworkkit.placement.constraints",
    "PlacementResult": "frameworkkit.placement.result",
    "PortSpec": "frameworkkit.placement.request",
    "Rejection": "frameworkkit.placement.result",
    "Reservation": "frameworkkit.placement.resources",
    "ResourceEntry": "frameworkkit.placement.resources",
    "Resources": "frameworkkit.placement.resources",
    "RunningTask": "frameworkkit.placement.request",
    "Spread": "frameworkkit.placement.strategies",
    "TaskRequest": "frameworkkit.placement.request",
    "Unplaced": "frameworkkit.placement.result",
    "Weighted": "frameworkkit.placement.strategies",
    "group_offers": "frameworkkit.placement.offers",
    "place": "frameworkkit.placement.engine",
    "render_attribute": "frameworkkit.placement.agents",
    "resource_to_json": "frameworkkit.placement.render",
    "resources_to_json": "frameworkkit.placement.render",
}
__getattr__ = _lazy_exports(__name__, _EXPORTS)

STRATEGY_NAMES = {
    "binpack": "BinPack",
    "bestfit": "BestFit",
    "spread": "Spread",
    "firstfit": "FirstFit",
    "alignment": "Alignment",
}
"""The strategies a scheduler may name, and their classes here."""


def strategy_named(strategy: "str | Fitness") -> "Fitness":
    """The strategy called ``strategy`` (a key of :data:`STRATEGY_NAMES`), or a Fitness as is."""
    if isinstance(strategy, str):
        if strategy not in STRATEGY_NAMES:
            raise ValueError(
                f"strategy: one of {sorted(STRATEGY_NAMES)} or a Fitness, got {strategy!r}"
            )
        fitness: Fitness = __getattr__(STRATEGY_NAMES[strategy])()
        return fitness
    if not isinstance(strategy, __getattr__("Fitness")):
        raise TypeError(f"strategy: a name or a Fitness, got {type(strategy).__name__}")
    chosen: Fitness = strategy
    return chosen


__all__ = [
    "STRATEGY_NAMES",
    "Agent",
    "AgentOffers",
    "Alignment",
    "AssignedPort",
    "Assignment",
    "BestFit",
    "BinPack",
    "Constraint",
    "ConstraintLike",
    "DiskSource",
    "FirstFit",
    "FitView",
    "Fitness",
    "InsufficientResources",
    "Locality",
    "OfferPool",
    "Operator",
    "PlacementResult",
    "PortSpec",
    "Rejection",
    "Reservation",
    "ResourceEntry",
    "Resources",
    "RunningTask",
    "Spread",
    "TaskRequest",
    "Unplaced",
    "Weighted",
    "group_offers",
    "place",
    "render_attribute",
    "resource_to_json",
    "resources_to_json",
    "strategy_named",
]
