"""B3: decoding a RecordIO stream of OFFERS events, typed decoder against json and orjson.

For events of 1, 100 and 1,000 realistic offers (port ranges, attributes, dynamic reservations,
some persistent volumes; compact JSON with keys in proto order, as a 1.11 master writes it), a
RecordIO stream is framed by the ``RecordIODecoder`` and every frame is decoded three ways, all
in this run on the same bytes:

- json:   ``json.loads(frame)["offers"]["offers"]`` (plain dicts)
- orjson: ``orjson.loads(frame)["offers"]["offers"]`` (plain dicts, for reference)
- typed:  ``decode_scheduler_event(frame).offers.offers`` (a list of ``messages.Offer``)

Timing is end to end (framing included). The stream is cut into blocks of about 1,000 offers;
each round times every block on every path (paths interleaved), a block's time is its best over
the rounds, and a path's rate is its offers over the sum of its block times. Taking the best per
block keeps bursts of other load on the machine out of the comparison. The goal is typed >= 3x
json.

Run: ``python bench/codec_bench.py`` (``--quick`` for a short CI run).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import time
from collections.abc import Callable
from typing import Any

import orjson

from frameworkkit.protocol import RecordIODecoder, decode_scheduler_event, encode_record

GOAL_RATIO = 3.0
CHUNK_BYTES = 64 * 1024  # what a stream read typically returns
BLOCK_OFFERS = 1000
FRAMEWORK_ID = "4f1a9c2e-7b3d-4e8a-9c1f-2d6b8e0a5c37-0012"
AGENT_PREFIX = "8c3e5a71-2f4b-4d9e-b6a0-1e7c9d3f5b28-S"


def realistic_offer(rng: random.Random, index: int) -> dict[str, Any]:
    """An offer as a Mesos 1.11 master sends it to a MULTI_ROLE, RESERVATION_REFINEMENT framework.

    Keys come in proto field-number order, as the master writes them.
    """
    role = rng.choice(["batch", "batch", "analytics"])
    agent = rng.randrange(5000)
    host = f"agent-{agent:04d}.dc1.example.internal"

    def resource(name: str, kind: str, value: dict[str, Any], **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "type": kind, kind.lower(): value}
        if "disk" in extra:
            body["disk"] = extra["disk"]
        body["allocation_info"] = {"role": role}
        if "reservations" in extra:
            body["reservations"] = extra["reservations"]
        return body

    port_start = rng.randrange(31000, 31500)
    port_ranges = []
    for _ in range(rng.randint(1, 4)):
        end = port_start + rng.randint(10, 200)
        port_ranges.append({"begin": port_start, "end": end})
        port_start = end + rng.randint(2, 50)
    resources = [
        resource("cpus", "SCALAR", {"value": float(rng.choice([4, 8, 16, 32, 64]))}),
        resource("mem", "SCALAR", {"value": float(rng.choice([15872, 31744, 64512, 128000]))}),
        resource("disk", "SCALAR", {"value": float(rng.randint(100, 900) * 1024)}),
        resource("ports", "RANGES", {"range": port_ranges}),
    ]
    if rng.random() < 0.6:
        owner = {"labels": [{"key": "owner", "value": rng.choice(["etl", "ml"])}]}
        dynamic = [{"principal": "ops", "labels": owner, "role": role, "type": "DYNAMIC"}]
        cpus = {"value": float(rng.randint(1, 8))}
        mem = {"value": float(rng.randint(1, 16) * 1024)}
        resources.append(resource("cpus", "SCALAR", cpus, reservations=dynamic))
        resources.append(resource("mem", "SCALAR", mem, reservations=dynamic))
        if rng.random() < 0.5:
            disk = {
                "persistence": {"id": f"vol-{index}", "principal": "ops"},
                "volume": {"container_path": "data", "mode": "RW"},
            }
            size = {"value": float(rng.randint(1, 64) * 1024)}
            resources.append(resource("disk", "SCALAR", size, disk=disk, reservations=dynamic))
    if rng.random() < 0.2:
        resources.append(resource("gpus", "SCALAR", {"value": float(rng.choice([1, 2, 4]))}))
    offer: dict[str, Any] = {
        "id": {"value": f"{FRAMEWORK_ID[:-5]}-O{index}"},
        "framework_id": {"value": FRAMEWORK_ID},
        "agent_id": {"value": f"{AGENT_PREFIX}{agent}"},
        "hostname": host,
        "resources": resources,
    }
    if rng.random() < 0.3:
        offer["executor_ids"] = [{"value": f"exec-{rng.randrange(100)}"}]
    offer["attributes"] = [
        {"name": "rack", "type": "TEXT", "text": {"value": f"r{agent % 48:02d}"}},
        {"name": "os", "type": "TEXT", "text": {"value": "centos7"}},
        {"name": "ssd", "type": "TEXT", "text": {"value": rng.choice(["true", "false"])}},
        {"name": "generation", "type": "SCALAR", "scalar": {"value": float(rng.randint(2, 5))}},
        {"name": "numa", "type": "RANGES", "ranges": {"range": [{"begin": 0, "end": 1}]}},
    ]
    offer["url"] = {
        "scheme": "http",
        "address": {"hostname": host, "ip": f"10.{agent // 250}.{agent % 250}.7", "port": 5051},
        "path": "/slave(1)",
    }
    offer["allocation_info"] = {"role": role}
    if rng.random() < 0.5:
        zone = f"eu-west-{agent % 3 + 1}"
        offer["domain"] = {"fault_domain": {"region": {"name": "eu-west"}, "zone": {"name": zone}}}
    return offer


def offers_blocks(
    rng: random.Random, offers_per_event: int, events: int, block_offers: int
) -> list[bytes]:
    """RecordIO streams of OFFERS events, each holding about ``block_offers`` offers."""
    events_per_block = max(1, block_offers // offers_per_event)
    blocks = []
    for first in range(0, events, events_per_block):
        records = []
        for event in range(first, min(events, first + events_per_block)):
            offers = [
                realistic_offer(rng, event * offers_per_event + i) for i in range(offers_per_event)
            ]
            event_json = {"type": "OFFERS", "offers": {"offers": offers}}
            records.append(encode_record(json.dumps(event_json, separators=(",", ":")).encode()))
        blocks.append(b"".join(records))
    return blocks


def decode_stream(stream: bytes, decode_offers: Callable[[bytes], list[Any]]) -> int:
    """Frame ``stream`` and decode every frame's offers; returns the number of offers."""
    decoder = RecordIODecoder()
    count = 0
    for start in range(0, len(stream), CHUNK_BYTES):
        for frame in decoder.feed(stream[start : start + CHUNK_BYTES]):
            count += len(decode_offers(frame))
    decoder.finish()
    return count


PATHS: dict[str, Callable[[bytes], list[Any]]] = {
    "json": lambda frame: json.loads(frame)["offers"]["offers"],
    "orjson": lambda frame: orjson.loads(frame)["offers"]["offers"],
    "typed": lambda frame: decode_scheduler_event(frame).offers.offers,  # type: ignore[union-attr]
}


def measure(blocks: list[bytes], expected_offers: int, rounds: int) -> dict[str, float]:
    """Offers/s of each path: its offers over the sum of each block's best time."""
    best = {name: [math.inf] * len(blocks) for name in PATHS}
    for _ in range(rounds):
        for name, decode_offers in PATHS.items():
            gc.collect()
            count = 0
            for index, block in enumerate(blocks):
                started = time.perf_counter()
                count += decode_stream(block, decode_offers)
                elapsed = time.perf_counter() - started
                best[name][index] = min(best[name][index], elapsed)
            if count != expected_offers:
                raise RuntimeError(f"{name} decoded {count} offers, expected {expected_offers}")
    return {name: expected_offers / sum(times) for name, times in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small stream, fewer rounds (CI)")
    args = parser.parse_args()
    offers_per_size = 2_000 if args.quick else 20_000
    rounds = 3 if args.quick else 7
    rng = random.Random(11)

    print(
        f"{offers_per_size} offers per row in blocks of ~{BLOCK_OFFERS}, best of {rounds} rounds "
        "per block, framing included"
    )
    header = (
        f"{'offers/event':>12} {'events':>6} {'bytes/offer':>11} {'json o/s':>10} "
        f"{'orjson o/s':>10} {'typed o/s':>10} {'typed/json':>10} {'typed/orjson':>12}"
    )
    print(header)
    print("-" * len(header))
    ratios = []
    for offers_per_event in (1, 100, 1000):
        events = offers_per_size // offers_per_event
        blocks = offers_blocks(rng, offers_per_event, events, BLOCK_OFFERS)
        offers = events * offers_per_event
        rate = measure(blocks, offers, rounds)
        ratio = rate["typed"] / rate["json"]
        ratios.append(ratio)
        bytes_per_offer = sum(map(len, blocks)) / offers
        print(
            f"{offers_per_event:>12} {events:>6} {bytes_per_offer:>11.0f} "
            f"{rate['json']:>10,.0f} {rate['orjson']:>10,.0f} {rate['typed']:>10,.0f} "
            f"{ratio:>9.2f}x {rate['typed'] / rate['orjson']:>11.2f}x"
        )
    verdict = "met" if min(ratios) >= GOAL_RATIO else "NOT met"
    print(f"goal typed >= {GOAL_RATIO:.0f}x json: {verdict} (lowest {min(ratios):.2f}x)")


if __name__ == "__main__":
    main()
