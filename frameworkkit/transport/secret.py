"""A credential that never shows itself in logs, reprs or exceptions."""

from __future__ import annotations

__all__ = ["Secret"]

_MASK = "********"


class Secret:
    """Holds a password or token; `str()` and `repr()` are masked, `reveal()` gives the value.

    Use it for anything that must not leak into logs: the framework's HTTP secret, ZooKeeper
    digest passwords, executor authentication tokens.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"secret: expected str, got {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """Return the real value; call it only where the value goes on the wire."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({_MASK!r})"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, format_spec: str) -> str:
        return format(_MASK, format_spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)
