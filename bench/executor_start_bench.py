"""What starting a command executor costs: CPU (user + sys) of the process, median of N starts.

An agent starts one command executor per command task, so its start is paid once per task. This
measures, in one run and interleaved (so a busy machine weighs on every row alike):

* baselines: ``python -c pass``, ``python -I -S -c pass``, and the import graph the executor had
  before (asyncio, httpx, msgspec and frameworkkit's eager transport and protocol packages, the
  modules ``import frameworkkit.executor.command`` loaded), started as ``python -m`` started it;
* the command executor as the embedded cluster starts it (``command_line()``: ``-I -S``), and as
  ``python -m frameworkkit.executor``: from exec to its exit, against a loopback stand-in agent
  that answers SUBSCRIBE with SUBSCRIBED and SHUTDOWN (a start, with nothing to run);
* the same executor running one ``true`` task to its acknowledged end (the task's CPU included);
* ``from frameworkkit.executor import Executor`` (``-I -S``): what a user's own executor imports.

    python bench/executor_start_bench.py             # 20 starts each
    python bench/executor_start_bench.py --starts 50
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import socket
import statistics
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec

import frameworkkit
from frameworkkit.executor.command import command_line
from frameworkkit.protocol.recordio import encode_record

OLD_IMPORT_GRAPH = (
    "asyncio, httpx, msgspec, addict, frameworkkit.hooks, frameworkkit.loops, "
    "frameworkkit.transport.scheduler, frameworkkit.transport.detector, "
    "frameworkkit.transport.client, frameworkkit.transport.stream, frameworkkit.transport.options, "
    "frameworkkit.protocol.calls, frameworkkit.protocol.infos, frameworkkit.protocol.operations, "
    "frameworkkit.protocol.resources, frameworkkit.protocol.offer_constraints, "
    "frameworkkit.protocol.codec, frameworkkit.protocol.events, frameworkkit.protocol.views"
)
TASK = {
    "name": "bench",
    "task_id": {"value": "bench-task"},
    "agent_id": {"value": "agent-1"},
    "command": {"value": "true"},
}


class StandInAgent:
    """A loopback stand-in for an agent's executor API: SUBSCRIBE gets SUBSCRIBED, then either
    SHUTDOWN at once or a LAUNCH of one ``true`` task; every UPDATE is acknowledged."""

    def __init__(self, *, launch: bool) -> None:
        self.launch = launch
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        stream: list[socket.socket] = []  # the current subscription's connection
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock, stream), daemon=True).start()

    def _serve(self, sock: socket.socket, stream: list[socket.socket]) -> None:
        reader = sock.makefile("rb")
        try:
            while (call := _read_call(reader)) is not None:
                if call["type"] == "SUBSCRIBE":
                    stream[:] = [sock]
                    sock.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                    _send_event(sock, {"type": "SUBSCRIBED", "subscribed": {}})
                    if self.launch:
                        _send_event(sock, {"type": "LAUNCH", "launch": {"task": TASK}})
                    else:
                        _send_event(sock, {"type": "SHUTDOWN"})
                    continue
                sock.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                status = call["update"]["status"]
                ack = {"task_id": status["task_id"], "uuid": status["uuid"]}
                _send_event(stream[0], {"type": "ACKNOWLEDGED", "acknowledged": ack})
        except OSError:
            pass
        finally:
            reader.close()
            sock.close()


def _read_call(reader: object) -> dict[str, object] | None:
    length = 0
    while True:
        line = reader.readline()  # type: ignore[attr-defined]
        if not line:
            return None
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    call: dict[str, object] = json.loads(reader.read(length))  # type: ignore[attr-defined]
    return call


def _send_event(sock: socket.socket, event: dict[str, object]) -> None:
    record = encode_record(json.dumps(event).encode())
    sock.sendall(b"%x\r\n%s\r\n" % (len(record), record))


@contextmanager
def agent_environment(*, launch: bool) -> Iterator[dict[str, str]]:
    """The variables an agent sets for a command executor, pointing at a stand-in agent."""
    agent = StandInAgent(launch=launch)
    with tempfile.TemporaryDirectory(prefix="executor-bench-") as sandbox:
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith("MESOS_")
        }
        environment.update(
            MESOS_FRAMEWORK_ID="bench-framework",
            MESOS_EXECUTOR_ID="bench-executor",
            MESOS_SLAVE_PID=f"slave(1)@127.0.0.1:{agent.port}",
            MESOS_SANDBOX=sandbox,
            MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD="5secs",
        )
        try:
            yield environment
        finally:
            agent.close()


def cpu_ms(argv: list[str], environment: dict[str, str]) -> float:
    """CPU (user + sys) of one run of ``argv``, its waited-for children included, in ms."""
    pid = os.posix_spawn(argv[0], argv, environment, file_actions=_quiet())
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{shlex.join(argv)} exited with status {status}")
    return (usage.ru_utime + usage.ru_stime) * 1000


def _quiet() -> list[tuple[int, int, str, int, int]]:
    return [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=20, help="starts per row (default 20)")
    starts = parser.parse_args().starts

    python = sys.executable
    executor = shlex.split(command_line())
    packages = sorted(
        {str(Path(module.__file__ or "").parents[1]) for module in (frameworkkit, msgspec)}
    )
    user_import = (
        f"import sys; sys.path[:0] = {packages!r}; from frameworkkit.executor import Executor"
    )
    rows: list[tuple[str, list[str], bool]] = [
        ("python -c pass", [python, "-c", "pass"], False),
        ("python -I -S -c pass", [python, "-I", "-S", "-c", "pass"], False),
        (
            "before: the old import graph (python -c)",
            [python, "-c", f"import {OLD_IMPORT_GRAPH}"],
            False,
        ),
        ("command executor, start to exit (-I -S)", executor, False),
        (
            "command executor, start to exit (python -m)",
            [python, "-m", "frameworkkit.executor"],
            False,
        ),
        ("command executor, one `true` task (-I -S)", executor, True),
        (
            "from frameworkkit.executor import Executor (-I -S)",
            [python, "-I", "-S", "-c", user_import],
            False,
        ),
    ]
    samples: dict[str, list[float]] = {label: [] for label, _, _ in rows}
    with agent_environment(launch=False) as start_env, agent_environment(launch=True) as task_env:
        for _ in range(starts):
            for label, argv, launch in rows:
                samples[label].append(cpu_ms(argv, task_env if launch else start_env))

    old = statistics.median(samples[rows[2][0]])
    print(f"CPU per start (user + sys), median of {starts}, {python} {sys.version.split()[0]}\n")
    print("| what | median ms | p90 ms | vs old import graph |")
    print("|---|---|---|---|")
    for label, _, _ in rows:
        values = sorted(samples[label])
        median = statistics.median(values)
        p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
        print(f"| {label} | {median:.1f} | {p90:.1f} | {median / old:.2f}x |")


if __name__ == "__main__":
    main()
