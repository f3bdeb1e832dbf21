"""CPU per HTTP call: frameworkkit's blocking HTTP/1.1 client against httpx, in one run.

A loopback peer in a process of its own answers every ``POST`` with ``202 Accepted`` (what a Mesos
agent or master answers to a call); each client sends N calls of a 300-byte JSON body, one after
the other on one kept-alive connection, and the CPU this process spent (user + sys) is divided by
N. The rows run interleaved, several rounds, and report the median round:

* ``frameworkkit.transport.http1.HttpClient`` (what the executors use);
* ``httpx.Client`` (blocking) and ``httpx.AsyncClient`` (awaited one call at a time, as the
  scheduler's calls are).

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

import httpx

from frameworkkit.transport.http1 import HttpClient

PEER = """
import http.server, sys

class Accept(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

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


CLIENTS: dict[str, Callable[[str, int], None]] = {
    "frameworkkit http1.HttpClient (blocking)": http1_calls,
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
        f"{httpx.__version__}, Python {sys.version.split()[0]}\n"
    )
    print("| client | CPU ms per call | calls/s | CPU vs http1 |")
    print("|---|---|---|---|")
    for name in CLIENTS:
        median = statistics.median(cpu[name])
        rate = statistics.median(wall[name])
        print(f"| {name} | {median:.3f} | {rate:.0f} | {median / base:.1f}x |")


if __name__ == "__main__":
    main()
