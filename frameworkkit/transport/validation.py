"""Argument checks that name the offending field."""

from __future__ import annotations

import math

__all__ = ["require_bytes", "require_count", "require_positive_number"]


def require_positive_number(name: str, value: object, *, allow_zero: bool = False) -> float:
    """Return `value` as a float if it is a finite number > 0 (or >= 0), else raise naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}: must be a finite number {bound}, got {value!r}")
    return float(value)


def require_count(name: str, value: object, *, minimum: int) -> int:
    """Return `value` if it is an int >= `minimum`, else raise naming it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name}: must be >= {minimum}, got {value}")
    return value


def require_bytes(name: str, value: object) -> bytes:
    """Return `value` if it is bytes, else raise naming it."""
    if not isinstance(value, bytes):
        raise TypeError(f"{name}: expected bytes, got {type(value).__name__}")
    return value
