"""A task of one placement run with what the run works out for it once."""

from __future__ import annotations

import msgspec
import numpy as np
import numpy.typing as npt

from frameworkkit.placement._capacity import Profile
from frameworkkit.placement._ledger import Claim
from frameworkkit.placement.constraints import Constraint
from frameworkkit.placement.request import TaskRequest
from frameworkkit.placement.result import Rejection

FloatArray = npt.NDArray[np.float64]


class Plan(msgspec.Struct, gc=False):
    """A task with its profile, its constraints split hard and soft, its locality scores, whether
    consolidation may move it and whether its exact resources are claimed at the end; once
    decided, its agent (and claim) or the reasons it has none.

    A deferred task is placed on the numpy totals alone and its exact resources are claimed
    when the batch is done: only for tasks whose needs the totals count exactly (no fixed
    ports, volumes or PATH/MOUNT disks) in batches of one profile, so the claim cannot fail.

    A struct rather than a dataclass: a batch makes one per task, and a struct is built
    several times faster.
    """

    task: TaskRequest
    position: int  # in the batch
    profile: Profile
    hard: tuple[Constraint, ...]
    soft: tuple[Constraint, ...]
    locality: FloatArray | None
    movable: bool
    deferred: bool
    agent: int | None = None
    claim: Claim | None = None
    order: int = 0  # when it was placed: deferred claims are made in this order
    reasons: tuple[Rejection, ...] = ()

    @property
    def plain(self) -> bool:
        """Only resources decide where it may go."""
        return not (self.hard or self.soft or self.locality is not None or self.task.volumes)

    @property
    def fillable(self) -> bool:
        """Agent-by-agent filling may place it: it has no preferences and needs no volume."""
        return not (self.soft or self.locality is not None or self.task.volumes)

    def placed(self) -> int:
        """The agent of a placed task."""
        if self.agent is None:
            raise AssertionError(f"task {self.task.id!r} is not placed")
        return self.agent
