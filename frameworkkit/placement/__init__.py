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

__all__ = [
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
]
