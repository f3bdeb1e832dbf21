"""Checks straight off the wire and the process table, independent of the SDK under test."""

import os
from pathlib import Path

import httpx

from frameworkkit.protocol.recordio import RecordIODecoder


def subscribe_until_offers(master_url: str, name: str = "stream-check") -> list[bytes]:
    """SUBSCRIBE a throw-away framework and return the frames up to the first OFFERS event."""
    subscribe = {
        "type": "SUBSCRIBE",
        "subscribe": {"framework_info": {"user": "root", "name": name}},
    }
    decoder = RecordIODecoder()
    events: list[bytes] = []
    with (
        httpx.Client(timeout=10) as client,
        client.stream("POST", f"{master_url}/api/v1/scheduler", json=subscribe) as response,
    ):
        assert response.status_code == 200
        assert response.headers["Mesos-Stream-Id"]
        for chunk in response.iter_bytes():
            events += decoder.feed(chunk)
            if any(b'"type":"OFFERS"' in e for e in events):
                return events
    raise AssertionError(f"the stream ended before any OFFERS: {events!r}")


def processes_using(directory: Path) -> list[int]:
    """PIDs whose working directory or command line lies under ``directory``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if cwd.startswith(str(directory)) or str(directory) in cmdline:
            found.append(int(entry.name))
    return found
