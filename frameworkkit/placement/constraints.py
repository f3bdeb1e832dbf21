"""Placement constraints with Marathon's syntax and meaning.

A constraint names a field (``hostname``/``@hostname``, ``@agent_id``, ``@region``, ``@zone`` or
an attribute name), an operator and maybe a value. It is checked against the agent's value of
the field and the values of the agents that tasks of the same group already occupy (running
tasks first, then what the batch placed). An agent lacking the field passes only ``UNLIKE``.
A hard constraint decides whether an agent may take the task; a soft one only scores it.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, cast

from frameworkkit.placement.agents import SPECIAL_FIELDS, Agent

Operator = Literal["UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS"]
OPERATORS: tuple[Operator, ...] = (
    "UNIQUE",
    "CLUSTER",
    "GROUP_BY",
    "LIKE",
    "UNLIKE",
    "MAX_PER",
    "IS",
)
COUNTING_OPERATORS = ("UNIQUE", "CLUSTER", "GROUP_BY", "MAX_PER")
"""Operators whose verdict depends on where the group's tasks are (CLUSTER only without value)."""


@dataclass(frozen=True)
class Constraint:
    """One placement rule, e.g. ``Constraint("hostname", "UNIQUE")``.

    Operators (as in Marathon): ``UNIQUE`` (no two tasks of the group share a value), ``CLUSTER``
    (all on one value: the given one, or the first task's), ``GROUP_BY`` [n] (spread evenly over
    the values; with n, over at least n values), ``LIKE``/``UNLIKE`` regex (must / must not
    match the whole value), ``MAX_PER`` n (at most n tasks per value), ``IS`` value (equal).
    Raises ValueError naming the field at construction when something is wrong.
    """

    field: str
    operator: Operator
    value: str | None = None
    soft: bool = False

    def __post_init__(self) -> None:
        name = self.field
        if not isinstance(name, str) or not name:
            raise ValueError(f"Constraint.field: must be a non-empty string, got {name!r}")
        if name.startswith("@") and name not in SPECIAL_FIELDS:
            raise ValueError(
                f"Constraint.field {name!r} is not known; fields starting with '@' are"
                f" {', '.join(SPECIAL_FIELDS[1:])}"
            )
        if self.operator not in OPERATORS:
            raise ValueError(
                f"Constraint.operator: must be one of {', '.join(OPERATORS)}, got"
                f" {self.operator!r} (field {name!r})"
            )
        if not isinstance(self.soft, bool):
            raise TypeError(f"Constraint.soft: must be a bool, got {self.soft!r} (field {name!r})")
        value = self.value
        if value is not None and not isinstance(value, str):
            raise TypeError(
                f"Constraint.value: must be a string or None, got {value!r} (field {name!r});"
                " write numbers as strings, as Marathon does"
            )
        required = self.operator in ("LIKE", "UNLIKE", "MAX_PER", "IS")
        if required and not value:
            raise ValueError(f"Constraint.value: is required for {self.operator} (field {name!r})")
        if self.operator == "UNIQUE" and value is not None:
            raise ValueError(f"Constraint.value: must be empty for UNIQUE (field {name!r})")
        if self.operator == "MAX_PER" or (self.operator == "GROUP_BY" and value):
            minimum = 1 if self.operator == "MAX_PER" else 0
            if value is None or not value.isdigit() or int(value) < minimum:
                raise ValueError(
                    f"Constraint.value: for {self.operator}, must be a whole number >= {minimum},"
                    f" got {value!r} (field {name!r})"
                )
        if self.operator in ("LIKE", "UNLIKE"):
            try:
                _compiled(cast(str, value))
            except re.error as error:
                raise ValueError(
                    f"Constraint.value: is not a valid regular expression: {error} (field {name!r})"
                ) from None

    @classmethod
    def parse(cls, spec: Constraint | Sequence[str]) -> Constraint:
        """Accept a Constraint or Marathon's list form ``["hostname", "UNIQUE"]`` (hard)."""
        if isinstance(spec, Constraint):
            return spec
        if isinstance(spec, str) or not isinstance(spec, Sequence) or not 2 <= len(spec) <= 3:
            raise ValueError(
                f"constraint: must be a Constraint or [field, operator(, value)], got {spec!r}"
            )
        value = spec[2] if len(spec) == 3 else None
        return cls(spec[0], cast(Operator, spec[1]), value)

    def __str__(self) -> str:
        text = f"{self.field}:{self.operator}" + (f":{self.value}" if self.value else "")
        return f"{text} (soft)" if self.soft else text

    @property
    def counting(self) -> bool:
        """True when the verdict depends on where the group's tasks already are."""
        return self.operator in COUNTING_OPERATORS and not (
            self.operator == "CLUSTER" and self.value
        )

    def accepts_value(self, value: str | None) -> bool:
        """The verdict of a non-counting constraint for an agent whose field value is ``value``."""
        if value is None:
            return self.operator == "UNLIKE"
        if self.operator == "LIKE":
            return _compiled(cast(str, self.value)).fullmatch(value) is not None
        if self.operator == "UNLIKE":
            return _compiled(cast(str, self.value)).fullmatch(value) is None
        return value == self.value  # IS, and CLUSTER with a value

    def allows(self, agent: Agent, placed: Sequence[Agent]) -> bool:
        """Whether ``agent`` may take one more task of a group whose tasks sit on ``placed``.

        ``placed`` lists the agents of the group's tasks, running ones first; one entry per task.
        """
        value = agent.field_value(self.field)
        if not self.counting or value is None:
            return self.accepts_value(value)
        values = [other.field_value(self.field) for other in placed]
        if self.operator == "CLUSTER":
            return not values or values[0] == value
        counts: Mapping[str | None, int] = Counter(values)
        taken = counts.get(value, 0)
        if self.operator == "UNIQUE":
            return taken == 0
        if self.operator == "MAX_PER":
            return taken < int(cast(str, self.value))
        return taken == 0 or (len(counts) >= int(self.value or 0) and taken == min(counts.values()))


ConstraintLike = Constraint | Sequence[str]


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    """A LIKE/UNLIKE pattern, compiled once (a Constraint stays plain data, so it persists)."""
    return re.compile(pattern)
