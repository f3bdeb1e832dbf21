"""Errors that end a framework's run and say why."""

from __future__ import annotations


class AccessDenied(PermissionError):
    """The master refused this framework: its credentials (HTTP 401/403) or its role (an ACL).

    ``principal`` and ``role`` say who asked for what; ``reason`` is the master's answer. The
    secret is never part of it.
    """

    def __init__(self, framework: str, principal: str | None, role: str, reason: str) -> None:
        who = f"principal {principal!r}" if principal else "no principal (no credentials)"
        super().__init__(f"{framework}: the master refused {who} with role {role!r}: {reason}")
        self.principal = principal
        self.role = role
        self.reason = reason
