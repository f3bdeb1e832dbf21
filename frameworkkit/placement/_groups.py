"""Constraint state of one placement run: field values per agent as codes, where each group's
tasks sit, and the masks over agents that constraints and locality hints give."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

from frameworkkit.placement.agents import attribute_names
from frameworkkit.placement.constraints import Constraint
from frameworkkit.placement.offers import OfferPool
from frameworkkit.placement.request import RunningTask, TaskRequest

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Codes = npt.NDArray[np.intp]


@dataclass
class _Field:
    """One field's value code per agent of the pool (``len(values)`` where it is missing) and
    the values by code: the pool's, then those only agents of running tasks have."""

    pool: OfferPool
    name: str
    codes: Codes
    values: Sequence[str]
    extra: dict[str, int]

    @classmethod
    def read(cls, pool: OfferPool, name: str, running: Sequence[RunningTask]) -> _Field:
        pool_codes, values = pool.field_codes(name)
        extra: dict[str, int] = {}
        for item in running:  # running tasks may sit on agents the pool has no offer from
            value = item.agent.field_value(name)
            if value is not None and pool.field_code(name, value) is None:
                extra.setdefault(value, len(values) + len(extra))
        missing = len(values) + len(extra)
        codes = np.where(pool_codes < 0, missing, pool_codes).astype(np.intp, copy=False)
        return cls(pool, name, codes, (*values, *extra) if extra else values, extra)

    def code(self, value: str | None) -> int:
        """The code of a value (the last code when the agent lacks the field)."""
        if value is None:
            return len(self.values)
        code = self.pool.field_code(self.name, value)
        return code if code is not None else self.extra[value]


@dataclass
class _FieldCounts:
    """Where one group's tasks sit: how many per value code of one field (the last code,
    ``missing``, for agents without the field), only for codes that have any."""

    codes: Codes
    missing: int
    placed: dict[int, int]
    first: int | None = None

    def add(self, code: int) -> None:
        self.placed[code] = self.placed.get(code, 0) + 1
        if self.first is None:
            self.first = code


class Groups:
    """Field codes for every field the batch names, and per group the counts that counting
    constraints (UNIQUE, CLUSTER, GROUP_BY, MAX_PER) read, running tasks included."""

    def __init__(
        self, pool: OfferPool, tasks: Sequence[TaskRequest], running: Sequence[RunningTask]
    ) -> None:
        constrained = [task for task in tasks if task.constraints]
        names = {c.field for task in constrained for c in task.constraints}
        names |= {hint.attribute for task in tasks if task.locality for hint in task.locality}
        self._fields = {name: _Field.read(pool, name, running) for name in sorted(names)}
        self._groups: dict[str, dict[str, _FieldCounts]] = {}
        for task in constrained:
            fields = self._groups.setdefault(task.group, {})
            for constraint in task.constraints:
                if constraint.counting and constraint.field not in fields:
                    field = self._fields[constraint.field]
                    missing = len(field.values)
                    fields[constraint.field] = _FieldCounts(field.codes, missing, {})
        for item in running:
            for name, tracker in self._groups.get(item.group, {}).items():
                tracker.add(self._fields[name].code(item.agent.field_value(name)))
        self._static: dict[Constraint, BoolArray] = {}

    def counted(self, group: str) -> bool:
        """Whether any task of the group has a counting constraint."""
        return bool(self._groups.get(group))

    def record(self, group: str, agent: int) -> None:
        """A task of ``group`` was placed on ``agent``."""
        trackers = self._groups.get(group)
        if trackers:
            for tracker in trackers.values():
                tracker.add(int(tracker.codes[agent]))

    def mask(self, constraint: Constraint, group: str) -> BoolArray:
        """Per agent, whether ``constraint`` lets one more task of ``group`` go there."""
        if not constraint.counting:
            return self._static_mask(constraint)
        tracker = self._groups[group][constraint.field]
        return value_mask(constraint, tracker.placed, tracker.first, tracker.codes, tracker.missing)

    def allows(self, constraint: Constraint, group: str, agent: int) -> bool:
        """Whether ``constraint`` lets one more task of ``group`` go to ``agent``."""
        if not constraint.counting:
            return bool(self._static_mask(constraint)[agent])
        tracker = self._groups[group][constraint.field]
        code = int(tracker.codes[agent])
        return bool(value_mask(constraint, tracker.placed, tracker.first, code, tracker.missing))

    def _static_mask(self, constraint: Constraint) -> BoolArray:
        mask = self._static.get(constraint)
        if mask is None:
            field = self._fields[constraint.field]
            verdicts = [constraint.accepts_value(value) for value in field.values]
            mask = np.array([*verdicts, constraint.accepts_value(None)])[field.codes]
            self._static[constraint] = mask
        return mask

    def locality(self, task: TaskRequest) -> FloatArray | None:
        """Per agent, the mean over the task's hints of the share of items the agent names."""
        if not task.locality:
            return None
        total = np.zeros(0)
        for hint in task.locality:
            field = self._fields[hint.attribute]
            named = [
                sum(attribute_names(value, item) for item in hint.items) / len(hint.items)
                for value in field.values
            ]
            score = np.array([*named, 0.0])[field.codes]
            total = score if not total.size else total + score
        return total / len(task.locality)


def value_mask(
    constraint: Constraint,
    placed: Mapping[int, int],
    first: int | None,
    codes: Codes | int,
    missing: int,
) -> BoolArray:
    """Per entry of ``codes`` (value codes; or for one code), whether an agent with that value
    may take one more task of a group under ``constraint`` (a counting one).

    ``placed[code]`` is how many of the group's tasks sit on each value that has any;
    ``missing`` is the code that stands for "field missing". ``first`` is the code of the
    group's first task (CLUSTER).
    """
    here: IntArray | int
    if isinstance(codes, int):
        here = placed.get(codes, 0)
    else:
        counts = np.zeros(missing + 1, np.int64)
        if placed:
            counts[list(placed)] = list(placed.values())
        here = counts[codes]
    allowed: BoolArray | np.bool_ | bool
    if constraint.operator == "UNIQUE":
        allowed = here == 0
    elif constraint.operator == "MAX_PER":
        allowed = here < int(cast(str, constraint.value))
    elif constraint.operator == "CLUSTER":
        allowed = np.ones_like(codes, np.bool_) if first is None else codes == first
    elif not placed:  # GROUP_BY
        allowed = np.ones_like(codes, np.bool_)
    else:
        even = len(placed) >= int(constraint.value or 0)
        allowed = (here == 0) | (even & (here == min(placed.values())))
    return cast(BoolArray, allowed & (codes != missing))
