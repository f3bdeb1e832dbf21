"""A tiny HTTP service to keep: answers on ``$PORT0`` with who it is.

    python3 hello.py --version 2 [--events FILE] [--bind 0.0.0.0]

``GET /`` answers ``{"pid": ..., "port": ..., "version": ...}``; ``GET /health`` answers 200
(``--unhealthy-after N`` makes it answer 503 after N seconds). With ``--events``, it appends
``serving <time> <pid> <port> <version>`` once it listens and ``stopped ...`` when SIGTERM ends
it, so a test can tell how many instances served at any moment.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any


def main() -> int:
    parser = argparse.ArgumentParser(description="Answer on $PORT0 with pid, port and version.")
    parser.add_argument("--version", default="1", help="what to answer as the version")
    parser.add_argument("--events", type=Path, help="append serving/stopped lines to this file")
    parser.add_argument("--unhealthy-after", type=float, help="fail /health after this long")
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on")
    args = parser.parse_args()
    port = int(os.environ["PORT0"])
    started = time.monotonic()
    about = json.dumps({"pid": os.getpid(), "port": port, "version": args.version}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/health":
                late = args.unhealthy_after is not None
                sick = late and time.monotonic() - started > args.unhealthy_after
                self.send_response(503 if sick else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(about)))
            self.end_headers()
            self.wfile.write(about)

        def log_message(self, format: str, *more: Any) -> None:
            pass

    def note(event: str) -> None:
        if args.events is not None:
            with open(args.events, "a") as out:  # one short append: lines never interleave
                out.write(f"{event} {time.time():.6f} {os.getpid()} {port} {args.version}\n")

    def stop(signum: int, frame: Any) -> None:
        note("stopped")
        sys.exit(0)

    server = HTTPServer((args.bind, port), Handler)
    signal.signal(signal.SIGTERM, stop)
    note("serving")
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
