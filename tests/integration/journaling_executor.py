"""frameworkkit's multi-task command executor, keeping a journal of what happened to it.

Run as ``python journaling_executor.py JOURNAL``: it runs the tasks launched into it exactly as
``python -m frameworkkit.executor --multi_task`` does, and appends one JSON line to ``JOURNAL``
per subscription, disconnection, status update sent and acknowledgement received.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path

from frameworkkit.executor import CommandExecutor


class JournalingExecutor(CommandExecutor):
    """A :class:`CommandExecutor` (many tasks) that journals its hooks and status updates."""

    def __init__(self, journal: Path) -> None:
        super().__init__(multi_task=True)
        self._journal = journal
        self._journal_lock = threading.Lock()

    def record(self, event: str, **details: object) -> None:
        """Append one event to the journal (from any thread)."""
        with self._journal_lock, self._journal.open("a") as journal:
            journal.write(json.dumps({"event": event, **details}) + "\n")

    def send_status(
        self,
        task_id: str,
        state: str,
        message: str | None = None,
        data: bytes | None = None,
        *,
        reason: str | None = None,
        healthy: bool | None = None,
    ) -> None:
        super().send_status(task_id, state, message, data, reason=reason, healthy=healthy)
        self.record("status", task_id=task_id, state=state)

    def subscribed(self, info: dict[str, object]) -> None:
        self.record("subscribed")

    def disconnected(self) -> None:
        self.record("disconnected")

    def acknowledged(self, task_id: str, state: str) -> None:
        self.record("acknowledged", task_id=task_id, state=state)


def main() -> int:
    journal = Path(sys.argv[1])
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return JournalingExecutor(journal).run()


if __name__ == "__main__":
    raise SystemExit(main())
