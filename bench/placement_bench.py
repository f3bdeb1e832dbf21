"""Placement benchmarks: throughput (B1), packing quality (B2) and scaling.

Run ``python bench/placement_bench.py`` (about two and a half minutes on two cores) or with
``--quick`` (a few seconds, for CI). Everything is seeded; every baseline is measured in the
same run. Timings take the best of several repeats, to keep noise from other processes out.

B1  Batches of 200 tasks against 100, 1,000 and 10,000 agents, every agent searched for every
    task; tasks placed per second, against a plain Python best-fit scan over all agents.
B2  Agents used by one batch divided by the lower bound max over resources of
    ceil(total demand / agent capacity), on an anti-correlated and a uniform workload, against
    first-fit decreasing, best-fit decreasing and Tetris-style dot-product packing.
S   How the time of one batch grows with agents and with batch size.
M   Mixed agents (8, 16 and 32 cpus), anti-correlated demand, hostname UNIQUE and ports:
    agents used against the lower bound and tasks/s, counting the pool's work, for every
    strategy and for a plain Python best-fit loop, first-fit decreasing, best-fit decreasing
    and Tetris run in the same process; and the time to decode a 10,000-offer OFFERS event and
    add it to a pool.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import msgspec
import numpy as np

from frameworkkit.placement import (
    Alignment,
    BestFit,
    BinPack,
    FirstFit,
    Fitness,
    OfferPool,
    PlacementResult,
    RunningTask,
    Spread,
    TaskRequest,
    place,
)
from frameworkkit.protocol import decode_scheduler_event, messages

# -- workloads -------------------------------------------------------------------------------


def scalar(name: str, value: float) -> messages.Resource:
    return messages.Resource(
        name=name,
        scalar=messages.Scalar(value=value),
        role="*",
        allocation_info=messages.AllocationInfo(role="*"),
    )


MASTER = "7f3c2a61-9d2e-4b4f-8a57-1c0e5d7b9a10"
"""Offer, agent and framework ids are this master id with a suffix, as Mesos writes them."""


def agent_offer(index: int, cpus: float, mem: float, disk: float, ports: bool) -> messages.Offer:
    resources = [scalar("cpus", cpus), scalar("mem", mem), scalar("disk", disk)]
    if ports:
        resources.append(
            messages.Resource(
                name="ports",
                type="RANGES",
                ranges=messages.Ranges(range=[messages.Range(begin=31000, end=32000)]),
                role="*",
                allocation_info=messages.AllocationInfo(role="*"),
            )
        )
    return messages.Offer(
        id=messages.ID(value=f"{MASTER}-O{index}"),
        framework_id=messages.ID(value=f"{MASTER}-0001"),
        agent_id=messages.ID(value=f"{MASTER}-S{index}"),
        hostname=f"node-{index}",
        resources=resources,
        attributes=[
            messages.Attribute(name="rack", type="TEXT", text=messages.Text(value=f"r{index % 20}"))
        ],
        allocation_info=messages.AllocationInfo(role="*"),
    )


def b1_offers(count: int, seed: int = 0) -> list[messages.Offer]:
    """Agents of 8, 16, 32 or 64 cpus (4 GiB memory per cpu), 100 GiB disk, 1,001 ports."""
    rng = np.random.default_rng(seed)
    sizes = rng.choice([8.0, 16.0, 32.0, 64.0], size=count)
    return [agent_offer(i, cpus, cpus * 4096.0, 102400.0, True) for i, cpus in enumerate(sizes)]


def b1_tasks(count: int, seed: int = 1) -> list[TaskRequest]:
    """cpus from {0.5, 1, 2, 4}, memory from {256, ..., 4096} MB, 100 MB disk and one port."""
    rng = np.random.default_rng(seed)
    cpus = rng.choice([0.5, 1.0, 2.0, 4.0], size=count)
    mem = rng.choice([256.0, 512.0, 1024.0, 2048.0, 4096.0], size=count)
    return [
        TaskRequest(f"task-{i}", cpus=float(c), mem=float(m), disk=100.0, ports=1)
        for i, (c, m) in enumerate(zip(cpus, mem, strict=True))
    ]


AGENT_CPUS, AGENT_MEM = 32.0, 131072.0


def b2_offers(count: int) -> list[messages.Offer]:
    """Identical agents: 32 cpus, 128 GiB memory."""
    return [agent_offer(i, AGENT_CPUS, AGENT_MEM, 0.0, False) for i in range(count)]


def anti_correlated(count: int, seed: int) -> list[TaskRequest]:
    """cpu share c ~ U(0.02, 0.20) of an agent, memory share 0.22 - c + N(0, 0.01), at least
    0.01; cpus rounded to 0.01, memory to 1 MB."""
    rng = np.random.default_rng(seed)
    cpu_share = rng.uniform(0.02, 0.20, count)
    mem_share = np.clip(0.22 - cpu_share + rng.normal(0.0, 0.01, count), 0.01, 1.0)
    return [
        TaskRequest(f"task-{i}", cpus=round(c * AGENT_CPUS, 2), mem=float(round(m * AGENT_MEM)))
        for i, (c, m) in enumerate(zip(cpu_share, mem_share, strict=True))
    ]


def uniform(count: int, seed: int) -> list[TaskRequest]:
    """Identical tasks of 2 cpus and 8 GiB: 16 fit an agent exactly."""
    del seed
    return [TaskRequest(f"task-{i}", cpus=2.0, mem=8192.0) for i in range(count)]


def independent(count: int, seed: int) -> list[TaskRequest]:
    """cpu and memory shares independently ~ U(0.02, 0.20) (for reference, no target)."""
    rng = np.random.default_rng(seed)
    shares = rng.uniform(0.02, 0.20, (count, 2))
    return [
        TaskRequest(f"task-{i}", cpus=round(c * AGENT_CPUS, 2), mem=float(round(m * AGENT_MEM)))
        for i, (c, m) in enumerate(shares)
    ]


# -- measuring ----------------------------------------------------------------------------------


def best_times(actions: Sequence[Callable[[], object]], repeats: int) -> list[float]:
    """The best time of each action over ``repeats`` rounds; each round runs every action once,
    so a burst of load from elsewhere hits them all alike."""
    best = [math.inf] * len(actions)
    for _ in range(repeats):
        for index, action in enumerate(actions):
            gc.collect()
            start = time.perf_counter()
            action()
            best[index] = min(best[index], time.perf_counter() - start)
    return best


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for n, row in enumerate(cells):
        print("  " + "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))


def agents_used(result: PlacementResult) -> int:
    return len({a.agent_id for a in result.assignments.values()})


# -- the plain Python loop (baseline) -------------------------------------------------------


@dataclass(frozen=True)
class PlainAgent:
    """What the plain loop knows of an agent: its scalars and its port ranges."""

    cpus: float
    mem: float
    disk: float
    ports: tuple[tuple[int, int], ...]

    @property
    def port_count(self) -> int:
        return sum(end - begin + 1 for begin, end in self.ports)


def plain_agents(pool: OfferPool) -> list[PlainAgent]:
    return [
        PlainAgent(res.scalar("cpus"), res.scalar("mem"), res.scalar("disk"), res.ranges("ports"))
        for res in (agent_offers.resources for agent_offers in pool.agents)
    ]


@dataclass
class FreeAgent:
    """An agent's free resources while the plain loop places a batch."""

    cpus: float
    mem: float
    disk: float
    ports: list[list[int]]  # free [begin, end] spans
    port_count: int


def plain_best_fit(
    tasks: Sequence[TaskRequest], agents: Sequence[PlainAgent]
) -> list[tuple[int, list[int]] | None]:
    """The plain Python loop, written the straightforward way: per task, scan every agent;
    of those with the cpus, memory, disk and free ports it needs, and (for a task with a
    hostname UNIQUE constraint) no task of its group yet, keep the best fit, the one with the
    least cpus + memory left after it (as shares of the largest agent); the task takes the
    lowest free ports. Returns each task's agent and ports (None: unplaced)."""
    top_cpus = max(a.cpus for a in agents)
    top_mem = max(a.mem for a in agents)
    free = [
        FreeAgent(a.cpus, a.mem, a.disk, [list(span) for span in a.ports], a.port_count)
        for a in agents
    ]
    holders: dict[str, set[int]] = {}
    placed: list[tuple[int, list[int]] | None] = []
    for task in tasks:
        cpus, mem, disk, ports = task.cpus, task.mem, task.disk, len(task.ports)
        barred = holders.setdefault(task.group, set()) if task.constraints else set()
        best, best_left = -1, math.inf
        for index, agent in enumerate(free):
            if (
                agent.cpus >= cpus
                and agent.mem >= mem
                and agent.disk >= disk
                and agent.port_count >= ports
                and index not in barred
            ):
                left = (agent.cpus - cpus) / top_cpus + (agent.mem - mem) / top_mem
                if left < best_left:
                    best, best_left = index, left
        if best < 0:
            placed.append(None)
            continue
        chosen = free[best]
        chosen.cpus -= cpus
        chosen.mem -= mem
        chosen.disk -= disk
        chosen.port_count -= ports
        given = []
        for _ in range(ports):
            span = chosen.ports[0]
            given.append(span[0])
            if span[0] == span[1]:
                del chosen.ports[0]
            else:
                span[0] += 1
        if task.constraints:
            barred.add(best)
        placed.append((best, given))
    return placed


def plain_used(placed: Sequence[tuple[int, list[int]] | None]) -> set[int]:
    return {where[0] for where in placed if where is not None}


def run_b1(sizes: Sequence[int], repeats: int) -> None:
    tasks = b1_tasks(200)
    strategies: list[tuple[str, Fitness]] = [
        ("BinPack", BinPack()),
        ("BinPack, no consolidation", BinPack(consolidate=False)),
        ("Spread", Spread()),
    ]
    rows = []
    for size in sizes:
        offers = b1_offers(size)
        pool = OfferPool.from_offers(offers)
        place(tasks, pool)  # the pool computes its arrays once, on first use
        agents = plain_agents(pool)
        actions: list[Callable[[], object]] = [partial(plain_best_fit, tasks, agents)]
        actions += [partial(place, tasks, pool, strategy=strategy) for _, strategy in strategies]
        actions.append(partial(OfferPool.from_offers, offers))
        naive, *placing, build = best_times(actions, repeats)
        rows.append(
            [
                size,
                "plain Python best fit (baseline)",
                sum(where is not None for where in plain_best_fit(tasks, agents)),
                f"{len(tasks) / naive:,.0f}",
                "1.0x",
                "",
            ]
        )
        for (name, strategy), took in zip(strategies, placing, strict=True):
            result = place(tasks, pool, strategy=strategy)
            rows.append(
                [
                    size,
                    name,
                    len(result.assignments),
                    f"{len(tasks) / took:,.0f}",
                    f"{naive / took:.1f}x",
                    agents_used(result),
                ]
            )
        rows.append([size, "(pool built from offers)", "", f"{size / build:,.0f} offers/s", "", ""])
    table(
        "B1  throughput: batches of 200 tasks, every agent searched (best of"
        f" {repeats} interleaved runs)",
        ["agents", "placer", "placed", "tasks/s", "vs baseline", "agents used"],
        rows,
    )


# -- B2: packing quality ---------------------------------------------------------------------


def lower_bound(tasks: Sequence[TaskRequest]) -> int:
    cpus = sum(t.cpus for t in tasks) / AGENT_CPUS
    mem = sum(t.mem for t in tasks) / AGENT_MEM
    return max(math.ceil(cpus - 1e-9), math.ceil(mem - 1e-9))


def shares(tasks: Sequence[TaskRequest]) -> np.ndarray:
    return np.array([[t.cpus / AGENT_CPUS, t.mem / AGENT_MEM] for t in tasks])


def classic_packing(tasks: Sequence[TaskRequest], choose: str) -> int:
    """FFD, BFD or Tetris (dot product of demand and free) over open bins, largest task first
    (by its larger share); a new bin opens only when no open bin fits."""
    demand = shares(tasks)
    order = np.argsort(-demand.max(axis=1), kind="stable")
    free = np.ones((len(tasks), 2))
    opened = 0
    for i in order:
        need = demand[i]
        fits = np.flatnonzero(np.all(free[:opened] >= need - 1e-12, axis=1))
        if not fits.size:
            target = opened
            opened += 1
        elif choose == "first":
            target = int(fits[0])
        elif choose == "best":
            target = int(fits[np.argmin((free[fits] - need).sum(axis=1))])
        else:
            target = int(fits[np.argmax(free[fits] @ need)])
        free[target] -= need
    return opened


def remaining_offers(pool: OfferPool, result: PlacementResult) -> list[messages.Offer]:
    """The offers Mesos would send next: each agent's resources less what the batch took."""
    from frameworkkit.placement import Resources

    taken: dict[str, list[messages.Resource]] = {}
    for a in result.assignments.values():
        taken.setdefault(a.agent_id, []).extend(a.resources)
    offers = []
    for index, agent_offers in enumerate(pool.agents):
        left = agent_offers.resources - Resources.from_messages(
            taken.get(agent_offers.agent.agent_id, [])
        )
        offers.append(
            messages.Offer(
                id=messages.ID(value=f"again-{index}"),
                framework_id=messages.ID(value="bench"),
                agent_id=messages.ID(value=agent_offers.agent.agent_id),
                hostname=agent_offers.agent.hostname,
                resources=left.to_messages(),
            )
        )
    return offers


def in_batches(tasks: Sequence[TaskRequest], offers: list[messages.Offer], size: int) -> int:
    used: set[str] = set()
    running: list[RunningTask] = []  # as a scheduler passes them: the agents in use count
    for start in range(0, len(tasks), size):
        pool = OfferPool.from_offers(offers)
        result = place(tasks[start : start + size], pool, running=running)
        used |= {a.agent_id for a in result.assignments.values()}
        running += [a.as_running() for a in result.assignments.values()]
        offers = remaining_offers(pool, result)
    return len(used)


def run_b2(task_count: int, seeds: Sequence[int], batch: int) -> None:
    pool = OfferPool.from_offers(b2_offers(task_count))
    offers = b2_offers(task_count)
    workloads: list[tuple[str, Callable[[int, int], list[TaskRequest]]]] = [
        ("anti-correlated", anti_correlated),
        ("uniform", uniform),
        ("independent", independent),
    ]
    placers: list[tuple[str, Callable[[Sequence[TaskRequest]], int]]] = [
        ("FFD (baseline)", lambda t: classic_packing(t, "first")),
        ("BFD (baseline)", lambda t: classic_packing(t, "best")),
        ("Tetris dot product (baseline)", lambda t: classic_packing(t, "dot")),
        ("FirstFit", lambda t: agents_used(place(t, pool, strategy=FirstFit()))),
        ("Alignment", lambda t: agents_used(place(t, pool, strategy=Alignment()))),
        (
            "BinPack, no consolidation",
            lambda t: agents_used(place(t, pool, strategy=BinPack(consolidate=False))),
        ),
        ("BinPack", lambda t: agents_used(place(t, pool))),
        (f"BinPack, batches of {batch}", lambda t: in_batches(t, offers, batch)),
    ]
    rows = []
    for workload, make in workloads:
        for name, placer in placers:
            ratios, seconds = [], []
            for seed in seeds:
                tasks = make(task_count, seed)
                start = time.perf_counter()
                used = placer(tasks)
                seconds.append(time.perf_counter() - start)
                ratios.append(used / lower_bound(tasks))
            rows.append(
                [
                    workload,
                    name,
                    f"{np.mean(ratios):.3f}",
                    f"{max(ratios):.3f}",
                    f"{np.mean(seconds):.2f}",
                ]
            )
    table(
        f"B2  quality: {task_count} tasks in one batch on identical agents (32 cpus, 128 GiB),"
        f" seeds {list(seeds)}; agents used / lower bound",
        ["workload", "placer", "mean", "worst", "seconds"],
        rows,
    )


# -- scaling ---------------------------------------------------------------------------------


def run_scaling(
    sizes: Sequence[int], batches: Sequence[int], batch_agents: int, repeats: int
) -> None:
    cases: list[tuple[int, list[TaskRequest]]] = [(size, b1_tasks(200)) for size in sizes]
    cases += [(batch_agents, b1_tasks(count)) for count in batches]
    pools = {size: OfferPool.from_offers(b1_offers(size)) for size, _ in cases}
    for pool in pools.values():
        place(b1_tasks(10), pool)
    actions = [partial(place, tasks, pools[size]) for size, tasks in cases]
    times = best_times(actions, repeats)
    rows = [
        [size, len(tasks), f"{took * 1000:.1f}", f"{len(tasks) / took:,.0f}"]
        for (size, tasks), took in zip(cases, times, strict=True)
    ]
    table(
        f"S   scaling (BinPack, B1 workload): one batch, best of {repeats}",
        ["agents", "batch", "ms per batch", "tasks/s"],
        rows,
    )


# -- M: mixed agents -------------------------------------------------------------------------


def mixed_offers(count: int, seed: int = 0) -> list[messages.Offer]:
    """Agents of 8, 16 or 32 cpus (4 GiB memory per cpu), 100 GiB disk, 1,001 ports."""
    rng = np.random.default_rng(seed)
    sizes = rng.choice([8.0, 16.0, 32.0], size=count)
    return [
        agent_offer(i, float(c), float(c) * 4096.0, 102400.0, True) for i, c in enumerate(sizes)
    ]


def mixed_tasks(count: int, seed: int = 1) -> list[TaskRequest]:
    """A third each: cpu-heavy (3-7 cpus, 1-4 GiB), memory-heavy (0.5-1.5 cpus, 12-28 GiB) and
    small (0.1-1 cpus, 0.25-2 GiB); every tenth task in one of count/100 groups of ten with a
    hostname UNIQUE constraint, every fifth (another one) asking for a port; 100 MB disk."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 3, count)
    cpus = np.round(
        rng.uniform([3.0, 0.5, 0.1], [7.0, 1.5, 1.0], (count, 3))[np.arange(count), kind], 2
    )
    mem = np.round(
        rng.uniform([1024.0, 12288.0, 256.0], [4096.0, 28672.0, 2048.0], (count, 3))[
            np.arange(count), kind
        ]
    )
    groups = max(count // 100, 1)
    return [
        TaskRequest(
            f"task-{i}",
            cpus=float(cpus[i]),
            mem=float(mem[i]),
            disk=100.0,
            ports=1 if i % 5 == 1 else 0,
            group=f"svc-{i // 10 % groups}" if i % 10 == 0 else "default",
            constraints=[["hostname", "UNIQUE"]] if i % 10 == 0 else [],
        )
        for i in range(count)
    ]


def mixed_bound(tasks: Sequence[TaskRequest], agents: Sequence[PlainAgent]) -> int:
    """The fewest agents that could hold the batch: per resource, the fewest of the largest
    agents whose sum covers the demand; at least the largest UNIQUE group."""
    needed = 0
    for total, sizes in (
        (sum(t.cpus for t in tasks), [a.cpus for a in agents]),
        (sum(t.mem for t in tasks), [a.mem for a in agents]),
    ):
        largest_first = np.cumsum(np.sort(sizes)[::-1])
        needed = max(needed, int(np.searchsorted(largest_first, total - 1e-6)) + 1)
    unique: dict[str, int] = {}
    for task in tasks:
        if task.constraints:
            unique[task.group] = unique.get(task.group, 0) + 1
    return max(needed, *unique.values(), 1)


def classic_mixed(tasks: Sequence[TaskRequest], agents: Sequence[PlainAgent], rule: str) -> int:
    """FFD, BFD or Tetris over the agents in pool order as bins, largest task first (by its
    larger share of the largest agent); an agent opens only when no open one fits. UNIQUE
    respected. Returns the agents used."""
    capacity = np.array([[a.cpus, a.mem, a.port_count] for a in agents], dtype=np.float64)
    scale = capacity.max(axis=0)
    demand = np.array([[t.cpus, t.mem, len(t.ports)] for t in tasks], dtype=np.float64)
    free = capacity.copy()
    opened = np.zeros(len(agents), np.bool_)
    barred: dict[str, set[int]] = {}
    order = np.argsort(-(demand[:, :2] / scale[:2]).max(axis=1), kind="stable")
    for i in order:
        task = tasks[i]
        group = barred.setdefault(task.group, set()) if task.constraints else set()
        fits = np.all(free >= demand[i], axis=1)
        fits[list(group)] = False
        open_fits = np.flatnonzero(fits & opened)
        if open_fits.size == 0:
            target = int(np.flatnonzero(fits & ~opened)[0])
        elif rule == "first":
            target = int(open_fits[0])
        elif rule == "best":
            spare = ((free[open_fits] - demand[i]) / scale)[:, :2].sum(axis=1)
            target = int(open_fits[np.argmin(spare)])
        else:
            alignment = (free[open_fits] / scale)[:, :2] @ (demand[i] / scale)[:2]
            target = int(open_fits[np.argmax(alignment)])
        opened[target] = True
        free[target] -= demand[i]
        group.add(target)
    return int(opened.sum())


def current_pool(offers: Sequence[messages.Offer]) -> OfferPool:
    """A pool as a scheduler keeps it: its arrays known before the offers come in."""
    pool = OfferPool()
    pool.totals()
    pool.field_codes("hostname")
    pool.add(offers)
    return pool


def place_and_take(tasks: Sequence[TaskRequest], pool: OfferPool, strategy: Fitness) -> int:
    """One batch as a scheduler runs it: place, then drop the offers the ACCEPTs use."""
    result = place(tasks, pool, strategy=strategy)
    pool.take(result)
    return agents_used(result)


def offers_frame(offers: Sequence[messages.Offer]) -> bytes:
    """An OFFERS event as a Mesos 1.11 master writes it: unset fields left out, each offer with
    its agent's URL after the hostname (as in tests/unit/placement/fixtures)."""

    def written(value: object) -> object:
        if isinstance(value, dict):
            return {k: written(v) for k, v in value.items() if v is not None and v != []}
        if isinstance(value, list):
            return [written(item) for item in value]
        return value

    body = []
    for offer in offers:
        fields = written(msgspec.to_builtins(offer))
        assert isinstance(fields, dict)
        head = {name: fields.pop(name) for name in ("id", "framework_id", "agent_id", "hostname")}
        url = {
            "scheme": "http",
            "address": {"hostname": offer.hostname, "ip": "10.1.2.3", "port": 5051},
            "path": "/slave(1)",
        }
        body.append({**head, "url": url, **fields})
    return msgspec.json.encode({"type": "OFFERS", "offers": {"offers": body}})


def run_mixed(agent_count: int, task_count: int, repeats: int) -> None:
    offers = mixed_offers(agent_count)
    tasks = mixed_tasks(task_count)
    agents = plain_agents(OfferPool.from_offers(offers))
    bound = mixed_bound(tasks, agents)
    strategies: list[tuple[str, Fitness]] = [
        ("BinPack (default)", BinPack()),
        ("BinPack(consolidate=False)", BinPack(consolidate=False)),
        ("BestFit", BestFit()),
        ("Alignment", Alignment()),
        ("FirstFit", FirstFit()),
        ("Spread", Spread()),
    ]
    # Rounds interleave the plain loop and every strategy, so load from elsewhere hits all;
    # each round starts one further along, so each follows the plain loop (whose caches and
    # heap it inherits) as often as the others.
    plain_time, best, used = math.inf, [math.inf] * len(strategies), [0] * len(strategies)
    turns = [None, *range(len(strategies))]  # None: the plain loop
    for round_number in range(repeats):
        shift = round_number % len(turns)
        for index in turns[shift:] + turns[:shift]:
            gc.collect()
            if index is None:
                began = time.perf_counter()
                plain_best_fit(tasks, agents)
                plain_time = min(plain_time, time.perf_counter() - began)
                continue
            pool = current_pool(offers)
            gc.collect()
            began = time.perf_counter()
            used[index] = place_and_take(tasks, pool, strategies[index][1])
            best[index] = min(best[index], time.perf_counter() - began)
    plain_rate = task_count / plain_time
    plain = len(plain_used(plain_best_fit(tasks, agents)))
    rows: list[list[object]] = [
        [
            "plain Python best-fit loop (baseline)",
            plain,
            f"{plain / bound:.3f}",
            f"{plain_rate:,.0f}",
            "1x",
        ],
    ]
    for name, rule in (("FFD", "first"), ("BFD", "best"), ("Tetris dot product", "dot")):
        agents_taken = classic_mixed(tasks, agents, rule)
        rows.append([f"{name} (baseline)", agents_taken, f"{agents_taken / bound:.3f}", "", ""])
    for (name, _), took, count in zip(strategies, best, used, strict=True):
        rate = task_count / took
        rows.append(
            [name, count, f"{count / bound:.3f}", f"{rate:,.0f}", f"{rate / plain_rate:.1f}x"]
        )
    table(
        f"M   mixed agents: {task_count:,} tasks on {agent_count:,} agents of 8/16/32 cpus,"
        f" anti-correlated, 10% hostname UNIQUE, 20% one port; lower bound {bound} agents;"
        f" tasks/s of place + pool.take, best of {repeats}",
        ["placer", "agents used", "/ bound", "tasks/s", "vs plain loop"],
        rows,
    )
    print(
        f"    default (BinPack) vs the plain loop: {task_count / best[0] / plain_rate:.1f}x the"
        f" tasks/s, {used[0] / bound:.3f}x the bound on agents (the loop: {plain / bound:.3f}x)"
    )
    frame = offers_frame(offers)
    decode, add, rescind = math.inf, math.inf, math.inf
    for _ in range(repeats):
        pool = OfferPool()
        pool.totals()
        pool.field_codes("hostname")
        gc.collect()
        began = time.perf_counter()
        event = decode_scheduler_event(frame)
        decoded = time.perf_counter()
        assert event.offers is not None
        pool.add(event.offers.offers)
        added = time.perf_counter()
        pool.remove(offer.id.value for offer in event.offers.offers[::10])
        rescind = min(rescind, time.perf_counter() - added)
        decode, add = min(decode, decoded - began), min(add, added - decoded)
    print(
        f"    one OFFERS event of {agent_count:,} offers ({len(frame) / 1e6:.1f} MB): decode"
        f" {decode * 1000:.0f} ms + pool.add {add * 1000:.0f} ms = {(decode + add) * 1000:.0f}"
        f" ms; rescinding a tenth of them {rescind * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a few seconds, for CI")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.quick:
        run_b1([100, 1000], repeats=2)
        run_b2(200, seeds=[0], batch=50)
        run_scaling([100, 1000], [50], batch_agents=1000, repeats=2)
        run_mixed(1000, 400, repeats=2)
    else:
        run_b1([100, 1000, 10000], repeats=9)
        run_b2(1000, seeds=[0, 1, 2, 3, 4], batch=200)
        run_scaling([100, 1000, 10000], [50, 800], batch_agents=10000, repeats=5)
        run_mixed(1000, 400, repeats=5)
        run_mixed(10000, 1000, repeats=7)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
