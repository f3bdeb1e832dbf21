"""What both executors share: their environment and agent connection, reporting task states,
and stopping. Standard library only: the command executor starts with it.

:class:`ExecutorCore` is the common base of the :class:`~.Executor` (asyncio, user hooks) and the
:class:`~.CommandExecutor` (a reactor thread, processes). Each subclass says how a call reaches
its own thread (``_on_thread``), how it stops (``_begin_stop``) and which task records it keeps
(``_record``).
"""

from __future__ import annotations

from frameworkkit._log import get_logger
from frameworkkit.protocol import executor_calls
from frameworkkit.states import TERMINAL_STATES
from frameworkkit.transport.executor import AgentConnection

from .environment import ExecutorEnvironment
from .rules import EXIT_OK

TYPE_CHECKING = False  # typing's would load typing, at every executor's start
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from .client import ExecutorClient
    from .interfaces import AgentApi, TaskRecord

__all__ = ["ExecutorCore"]

logger = get_logger("frameworkkit.executor")


class ExecutorCore:
    """An executor's environment, agent connection, status updates and stop; see the module.

    ``environment`` defaults to the one the agent set (:meth:`ExecutorEnvironment.from_environ`);
    ``agent_api`` replaces the HTTP connection to the agent (tests pass a fake one).
    """

    def __init__(
        self,
        environment: ExecutorEnvironment | None = None,
        *,
        agent_api: AgentApi | None = None,
    ) -> None:
        if environment is not None and not isinstance(environment, ExecutorEnvironment):
            raise TypeError(
                f"environment: expected ExecutorEnvironment, got {type(environment).__name__}"
            )
        self._environment = environment
        self._agent_api = agent_api
        self._client: ExecutorClient | None = None
        self._exit_status = EXIT_OK

    @property
    def environment(self) -> ExecutorEnvironment:
        """What the agent told this executor (read when :meth:`run` starts)."""
        if self._environment is None:
            self._environment = ExecutorEnvironment.from_environ()
        return self._environment

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
        """Report ``state`` (``"TASK_RUNNING"``, ``"TASK_FINISHED"``, ...) of ``task_id``.

        Safe from any thread. The update is resent until the agent acknowledges it. ``reason``
        is a ``TaskStatus.Reason`` name; ``data`` reaches the scheduler as ``status.data``.
        Once a task's terminal state was sent, later updates for it are dropped.
        """
        status = executor_calls.task_status(
            task_id,
            state,
            message=message,
            data=data,
            reason=reason,
            healthy=healthy,
            executor_id=self.environment.executor_id,
        )
        self._on_thread("send_status", self._send_status, status)

    def stop(self) -> None:
        """End the executor as if the agent had sent SHUTDOWN. Safe from any thread."""
        self._on_thread("stop", self._begin_stop, EXIT_OK, "stop requested")

    def _agent(self) -> AgentApi:
        """The connection to the agent: the one given, else HTTP to the environment's agent."""
        env = self.environment
        return self._agent_api or AgentConnection(env.url, auth_token=env.authentication_token)

    def _send_status(self, status: Mapping[str, Any]) -> None:
        record = self._record(status["task_id"]["value"])
        if record is not None:
            if record.terminal_sent:
                logger.warning(
                    "task %s already ended: dropping its %s update",
                    status["task_id"]["value"],
                    status["state"],
                )
                return
            record.terminal_sent = status["state"] in TERMINAL_STATES
        self._require_client().send_update(status)

    def _require_client(self) -> ExecutorClient:
        if self._client is None:
            raise RuntimeError("the executor is not running: call run() first")
        return self._client

    def _record(self, task_id: str) -> TaskRecord | None:
        """The running task ``task_id``, if any."""
        raise NotImplementedError

    def _on_thread(self, what: str, function: Callable[..., None], *args: Any) -> None:
        """Call ``function`` on the executor's own thread, from whatever thread we are on;
        ``what`` names the caller in the error raised when the executor is not running."""
        raise NotImplementedError

    def _begin_stop(self, exit_status: int, reason: str) -> None:
        """Begin shutting down; the process is to exit with ``exit_status``."""
        raise NotImplementedError
