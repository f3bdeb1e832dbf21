"""Reading a task's sandbox through Mesos's HTTP endpoints, on any Mesos 1.11 cluster.

The leading master's ``/master/slaves`` gives the agent's address (its libprocess PID); the
agent's ``/state`` gives the executor's sandbox directory; the agent's ``/files/read`` reads a
file in it. A command task's output is the sandbox's ``stdout``/``stderr``; a task run by the
packed executor writes ``<task id>.stdout``/``.stderr`` in the executor's sandbox instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from frameworkkit.transport import TransportOptions, detector_for

if TYPE_CHECKING:
    import httpx

    from frameworkkit.scheduler.tasks import Task

OUTPUT_FILES = ("stdout", "stderr")


class SandboxError(RuntimeError):
    """A sandbox could not be found or read (the agent is gone, the files were collected)."""


class Sandbox:
    """Finds and reads the sandboxes of one framework's tasks."""

    def __init__(self, master: str | Sequence[str], options: TransportOptions) -> None:
        self._master = master
        self._options = options
        self._directories: dict[str, str] = {}  # task id -> sandbox directory

    def directory_of(self, task: Task) -> str | None:
        """The current attempt's sandbox directory, once :meth:`read` looked it up."""
        return None if task.task_id is None else self._directories.get(task.task_id)

    async def read(self, task: Task, name: str, *, max_bytes: int) -> bytes:
        """The last ``max_bytes`` of file ``name`` in the sandbox of ``task``'s attempt."""
        if not isinstance(name, str) or not name or name.startswith("/") or ".." in name.split("/"):
            raise ValueError(f"name: a path inside the sandbox, got {name!r}")
        assert task.task_id is not None and task.agent_id is not None
        import httpx

        async with httpx.AsyncClient(
            auth=self._options.basic_auth(),
            verify=self._options.ssl_context(),
            timeout=self._options.timeout(),
        ) as http:
            agent = await self._agent_url(http, task.agent_id)
            directory = self._directories.get(task.task_id)
            if directory is None:
                directory = await self._find_directory(http, agent, task)
                self._directories[task.task_id] = directory
            if task.executor_id != task.task_id and name in OUTPUT_FILES:
                name = f"{task.task_id}.{name}"
            return await _read_tail(
                http, agent.split("/slave(")[0], f"{directory}/{name}", max_bytes
            )

    async def _agent_url(self, http: httpx.AsyncClient, agent_id: str) -> str:
        detector = detector_for(self._master, tls=self._options.tls)
        try:
            master = await detector.leader()
        finally:
            await detector.aclose()
        for agent in (await _get(http, f"{master}/master/slaves")).get("slaves", []):
            if agent.get("id") == agent_id:
                process, _, address = str(agent["pid"]).partition("@")
                scheme = "https" if self._options.tls else "http"
                return f"{scheme}://{address}/{process}"
        raise SandboxError(f"agent {agent_id} is not registered with the master {master}")

    async def _find_directory(self, http: httpx.AsyncClient, agent: str, task: Task) -> str:
        state = await _get(http, f"{agent}/state")
        for framework in state.get("frameworks", []) + state.get("completed_frameworks", []):
            if framework.get("id") != task.framework_id:
                continue
            for executor in framework.get("executors", []) + framework.get(
                "completed_executors", []
            ):
                if executor.get("id") == task.executor_id and executor.get("directory"):
                    return str(executor["directory"])
        raise SandboxError(
            f"task {task.name!r}: no sandbox of executor {task.executor_id} "
            f"on agent {task.agent_id}"
        )


async def _get(http: httpx.AsyncClient, url: str, **params: Any) -> dict[str, Any]:
    import httpx

    try:
        response = await http.get(url, params=params or None)
    except httpx.HTTPError as exc:
        raise SandboxError(f"cannot reach {url}: {exc}") from exc
    if response.status_code != 200:
        raise SandboxError(f"{url} answered HTTP {response.status_code}: {response.text[:200]!r}")
    answer: dict[str, Any] = response.json()
    return answer


async def _read_tail(http: httpx.AsyncClient, base: str, path: str, max_bytes: int) -> bytes:
    """The last ``max_bytes`` of ``path`` through ``/files/read`` (``offset=-1`` gives the size)."""
    size = int((await _get(http, f"{base}/files/read", path=path, offset=-1))["offset"])
    start = max(0, size - max_bytes)
    chunk = await _get(http, f"{base}/files/read", path=path, offset=start, length=size - start)
    return str(chunk.get("data", "")).encode()
