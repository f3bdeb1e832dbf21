"""CPU per HTTP call: frameworkkit's HTTP/1.1 clients against httpx and h11, in one run.

A loopback peer in a process of its own answers every ``POST`` with ``202 Accepted`` (what a Mesos
agent or master answers to a call); each client sends N calls of a 300-byte JSON body on one
kept-alive connection, and the CPU this process spent (user + sys) is divided by N. The rows run
interleaved, several rounds, and report the median round:

* ``frameworkkit.transport.http1.HttpClient`` (blocking: what the executors use);
* ``frameworkkit.transport.HttpTransport`` (asyncio: what the scheduler uses), awaited one call
  at a time, and 50 calls at once (pipelined on the one connection, as a scheduler's
  acknowledgements go);
* the scheduler's other candidates: the blocking client in a thread the event loop hands each
  call to, and h11 on asyncio streams;
* ``httpx.Client`` (blocking) and ``httpx.AsyncClient`` (asyncio, one call at a time).

    python bench/http_client_bench.py                 # 2000 calls x 5 rounds
    python bench/http_client_bench.py --calls 500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import h11
import httpx

from frameworkkit.transport import HttpRequest, HttpTransport
from frameworkkit.transport.http1 import HttpClient

PEER = """
import http.server, sys

class Accept(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Accept)
print(server.server_address[1], flush=True)
server.serve_forever()
"""
BODY = (
    json.dumps(
        {
            "type": "ACKNOWLEDGE",
            "framework_id": {"value": "bench-framework-0000"},
            "acknowledge": {
                "agent_id": {"value": "bench-agent-0000-S0"},
                "task_id": {"value": "bench-task-0000"},
                "uuid": "ZmFrZSB1dWlkIGZvciBiZW5jaA==",
            },
        }
    )
    .encode()
    .ljust(300)
)
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def http1_calls(origin: str, calls: int) -> None:
    client = HttpClient(origin)
    for _ in range(calls):
        if client.request("POST", "/api/v1/scheduler", BODY, HEADERS).status != 202:
            raise SystemExit("unexpected answer")
    client.close()


def httpx_calls(origin: str, calls: int) -> None:
    with httpx.Client(base_url=origin) as client:
        for _ in range(calls):
            if client.post("/api/v1/scheduler", content=BODY, headers=HEADERS).status_code != 202:
                raise SystemExit("unexpected answer")


def httpx_async_calls(origin: str, calls: int) -> None:
    async def run() -> None:
        async with httpx.AsyncClient(base_url=origin) as client:
            for _ in range(calls):
                answer = await client.post("/api/v1/scheduler", content=BODY, headers=HEADERS)
                if answer.status_code != 202:
                    raise SystemExit("unexpected answer")

    asyncio.run(run())


def transport_calls(origin: str, calls: int, at_once: int = 1) -> None:
    async def run() -> None:
        transport = HttpTransport()
        request = HttpRequest("POST", f"{origin}/api/v1/scheduler", HEADERS, BODY)
        for _ in range(calls // at_once):
            if at_once == 1:
                answers = [await transport.handle(request)]
            else:
                answers = await asyncio.gather(*(transport.handle(request) for _ in range(at_once)))
            if any(answer.status != 202 for answer in answers):
                raise SystemExit("unexpected answer")
        await transport.aclose()

    asyncio.run(run())


def threaded_http1_calls(origin: str, calls: int) -> None:
    async def run() -> None:
        client = HttpClient(origin)
        with ThreadPoolExecutor(1) as thread:
            loop = asyncio.get_running_loop()
            for _ in range(calls):
                answer = await loop.run_in_executor(
                    thread, client.request, "POST", "/api/v1/scheduler", BODY, HEADERS
                )
                if answer.status != 202:
                    raise SystemExit("unexpected answer")
        client.close()

    asyncio.run(run())


def h11_calls(origin: str, calls: int) -> None:
    host, _, port = origin.removeprefix("http://").partition(":")
    headers = [("Host", f"{host}:{port}"), *HEADERS.items(), ("Content-Length", str(len(BODY)))]

    async def run() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        connection = h11.Connection(h11.CLIENT)
        for _ in range(calls):
            request = h11.Request(method="POST", target="/api/v1/scheduler", headers=headers)
            writer.write(connection.send(request) + connection.send(h11.Data(data=BODY)))
            writer.write(connection.send(h11.EndOfMessage()))
            while not isinstance(event := connection.next_event(), h11.EndOfMessage):
                if event is h11.NEED_DATA:
                    connection.receive_data(await reader.read(65536))
                elif isinstance(event, h11.Response) and event.status_code != 202:
                    raise SystemExit("unexpected answer")
            connection.start_next_cycle()
        writer.close()

    asyncio.run(run())


CLIENTS: dict[str, Callable[[str, int], None]] = {
    "frameworkkit http1.HttpClient (blocking)": http1_calls,
    "frameworkkit HttpTransport (asyncio, one call at a time)": transport_calls,
    "frameworkkit HttpTransport (asyncio, 50 calls at once)": partial(transport_calls, at_once=50),
    "http1.HttpClient in a calls thread (asyncio, one at a time)": threaded_http1_calls,
    "h11 on asyncio streams (one call at a time)": h11_calls,
    "httpx.Client (blocking)": httpx_calls,
    "httpx.AsyncClient (asyncio, one call at a time)": httpx_async_calls,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per round (default 2000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    arguments = parser.parse_args()
    peer = subprocess.Popen([sys.executable, "-c", PEER], stdout=subprocess.PIPE, text=True)
    try:
        assert peer.stdout is not None
        origin = f"http://127.0.0.1:{int(peer.stdout.readline())}"
        cpu: dict[str, list[float]] = {name: [] for name in CLIENTS}
        wall: dict[str, list[float]] = {name: [] for name in CLIENTS}
        for _ in range(arguments.rounds):
            for name, send in CLIENTS.items():
                started_cpu, started = time.process_time(), time.perf_counter()
                send(origin, arguments.calls)
                cpu[name].append((time.process_time() - started_cpu) / arguments.calls * 1000)
                wall[name].append(arguments.calls / (time.perf_counter() - started))
    finally:
        peer.terminate()
        peer.wait()
    base = statistics.median(cpu[next(iter(CLIENTS))])
    print(
        f"{arguments.calls} calls per round, median of {arguments.rounds} rounds, httpx "
        f"{httpx.__version__}, h11 {h11.__version__}, Python {sys.version.split()[0]}\n"
    )
    print("| client | CPU ms per call | calls/s | CPU vs http1 |")
    print("|---|---|---|---|")
    for name in CLIENTS:
        median = statistics.median(cpu[name])
        rate = statistics.median(wall[name])
        print(f"| {name} | {median:.3f} | {rate:.0f} | {median / base:.1f}x |")


if __name__ == "__main__":
    main()
