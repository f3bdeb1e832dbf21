"""Argument checks with one error format: ``<field>: <problem>, got <value>``.

Every public constructor and method checks what it was given with these, at the call, so that a
wrong value fails where it was written, naming the field (``TaskSpec.cpus``, ``role``,
``constraints[2]``). ``TypeError`` is for a value of the wrong kind, ``ValueError`` for a wrong
value of the right kind. Standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

TYPE_CHECKING = False  # typing's would load typing, at every executor's start
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "binary",
    "fail",
    "flag",
    "number",
    "role",
    "sequence",
    "text",
    "whole_number",
]

_ROLE_FORBIDDEN = frozenset("\b\t\n\v\f\r ")


def fail(field: str, problem: str, kind: type[Exception] = ValueError) -> None:
    """Raise ``kind`` with the standard message for ``field``."""
    raise kind(f"{field}: {problem}")


def text(field: str, value: object) -> str:
    """A non-empty string (``None`` is a missing value: ValueError)."""
    if value is None:
        raise ValueError(f"{field}: is required")
    if not isinstance(value, str):
        raise TypeError(f"{field}: must be a string, got {value!r}")
    if not value:
        raise ValueError(f"{field}: must not be empty")
    return value


def flag(field: str, value: object) -> bool:
    """A bool (not merely something truthy)."""
    if not isinstance(value, bool):
        raise TypeError(f"{field}: must be True or False, got {value!r}")
    return value


def number(field: str, value: object, *, minimum: float = 0.0, above: bool = False) -> float:
    """A finite int or float (never a bool) of at least ``minimum`` (above it, with ``above``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{field}: must be a number, got {value!r}")
    too_small = value <= minimum if above else value < minimum
    if not math.isfinite(value) or too_small:
        bound = f"> {minimum:g}" if above else f">= {minimum:g}"
        raise ValueError(f"{field}: must be a finite number {bound}, got {value!r}")
    return float(value)


def whole_number(field: str, value: object, *, minimum: int = 0, maximum: int | None = None) -> int:
    """An int (never a bool) within ``minimum``..``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{field}: must be a whole number, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and <= {maximum}" if maximum is not None else ""
        raise ValueError(f"{field}: must be >= {minimum}{upper}, got {value!r}")
    return value


def binary(field: str, value: object) -> bytes:
    """Bytes (not text: encode it yourself, so the encoding is yours to choose)."""
    if not isinstance(value, bytes):
        raise TypeError(f"{field}: must be bytes, got {type(value).__name__}")
    return value


def role(field: str, value: object) -> str:
    """A role name as Mesos 1.11 accepts it: ``*``, or ``/``-separated components none of which
    is empty, ``.``, ``..`` or ``*``, starts with ``-`` or holds whitespace."""
    checked = text(field, value)
    if checked == "*":
        return checked
    for component in checked.split("/"):
        if component in ("", ".", "..", "*") or component.startswith("-"):
            raise ValueError(
                f"{field}: {checked!r} is not a Mesos role name (component {component!r})"
            )
        if _ROLE_FORBIDDEN.intersection(component):
            raise ValueError(f"{field}: {checked!r} is not a Mesos role name (whitespace)")
    return checked


def sequence(field: str, values: object) -> list[Any]:
    """The items of an iterable that is not a string, bytes or mapping (a common slip)."""
    if isinstance(values, (str, bytes, bytearray, Mapping)) or not isinstance(values, Iterable):
        raise TypeError(f"{field}: must be a list of items, got {values!r}")
    return list(values)
