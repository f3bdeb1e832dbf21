"""Reading a task's sandbox through Mesos's HTTP endpoints, on any Mesos 1.11 cluster.

The leading master's ``/master/slaves`` gives the agent's address (its libprocess PID); the
agent's ``/state`` gives the executor's sandbox directory; the agent's ``/files/read`` reads a
file in it. A command task's output is the sandbox's ``stdout``/``stderr``; a task run by the
packed executor writes ``<task id>.stdout``/``.stderr`` in the executor's sandbox instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from frameworkkit.loops import time_limit
from frameworkkit.transport import (
    HttpRequest,
    HttpTransport,
    Transport,
    TransportOptions,
    detector_for,
)
from frameworkkit.transport.errors import excerpt
from frameworkkit.transport.http1 import HttpError

if TYPE_CHECKING:
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
        options = self._options
        http = _Reader(
            HttpTransport(tls=options.ssl_context, connect_timeout=options.connect_timeout),
            options,
        )
        try:
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
        finally:
            await http.transport.aclose()

    async def _agent_url(self, http: _Reader, agent_id: str) -> str:
        detector = detector_for(self._master, tls=self._options.tls)
        try:
            master = await detector.leader()
        finally:
            await detector.aclose()
        for agent in (await http.get(f"{master}/master/slaves")).get("slaves", []):
            if agent.get("id") == agent_id:
                process, _, address = str(agent["pid"]).partition("@")
                scheme = "https" if self._options.tls else "http"
                return f"{scheme}://{address}/{process}"
        raise SandboxError(f"agent {agent_id} is not registered with the master {master}")

    async def _find_directory(self, http: _Reader, agent: str, task: Task) -> str:
        state = await http.get(f"{agent}/state")
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


class _Reader:
    """GETs JSON from the master and agents, with the options' auth and request timeout."""

    def __init__(self, transport: Transport, options: TransportOptions) -> None:
        self.transport = transport
        self._timeout = options.request_timeout
        authorization = options.authorization()
        self._headers = {"Accept": "application/json"}
        if authorization is not None:
            self._headers["Authorization"] = authorization.reveal()

    async def get(self, url: str, **params: Any) -> dict[str, Any]:
        if params:
            url = f"{url}?{urlencode(params)}"
        try:
            async with time_limit(self._timeout):
                answer = await self.transport.handle(HttpRequest("GET", url, self._headers))
        except (HttpError, TimeoutError) as exc:
            raise SandboxError(f"cannot reach {url}: {exc or 'timed out'}") from exc
        if answer.status != 200:
            quoted = excerpt(answer.content)
            raise SandboxError(f"{url} answered HTTP {answer.status}: {quoted!r}")
        try:
            decoded: dict[str, Any] = json.loads(answer.content)
        except ValueError as exc:
            raise SandboxError(f"{url} answered with what is not JSON: {exc}") from exc
        return decoded


async def _read_tail(http: _Reader, base: str, path: str, max_bytes: int) -> bytes:
    """The last ``max_bytes`` of ``path`` through ``/files/read`` (``offset=-1`` gives the size)."""
    size = int((await http.get(f"{base}/files/read", path=path, offset=-1))["offset"])
    start = max(0, size - max_bytes)
    chunk = await http.get(f"{base}/files/read", path=path, offset=start, length=size - start)
    return str(chunk.get("data", "")).encode()
