"""Properties of placement over generated clusters and batches.

Each scenario has a few agents (some with two offers, some resources reserved to role ``web``,
MOUNT disks, racks that may be missing), running tasks and a batch whose groups each share one
set of constraints (as the tasks of one Marathon app do). The checks use the resource model's
arithmetic and the plain (non-vectorised) constraint verdicts as independent oracles.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frameworkkit.placement import (
    Agent,
    Alignment,
    BinPack,
    Constraint,
    FirstFit,
    Fitness,
    OfferPool,
    PlacementResult,
    Resources,
    RunningTask,
    Spread,
    TaskRequest,
    Weighted,
    _ranges,
    place,
)
from frameworkkit.placement.resources import MOUNT_DISK, PORTS, ResourceEntry, to_units
from frameworkkit.protocol import messages
from tests.unit.placement import factories as f

PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

CONSTRAINT_CHOICES = [
    Constraint("hostname", "UNIQUE"),
    Constraint("rack", "UNIQUE"),
    Constraint("rack", "MAX_PER", "2"),
    Constraint("rack", "GROUP_BY"),
    Constraint("rack", "GROUP_BY", "2"),
    Constraint("rack", "CLUSTER"),
    Constraint("hostname", "CLUSTER"),
    Constraint("rack", "CLUSTER", "r1"),
    Constraint("rack", "LIKE", "r[01]"),
    Constraint("rack", "UNLIKE", "r1"),
    Constraint("rack", "IS", "r2"),
    Constraint("@agent_id", "UNLIKE", "a0"),
    Constraint("rack", "UNIQUE", soft=True),
    Constraint("rack", "IS", "r0", soft=True),
]


@dataclass
class Scenario:
    pool: OfferPool
    tasks: list[TaskRequest]
    running: list[RunningTask]
    strategy: Fitness
    seed: int


def amount(draw: st.DrawFn, top: int, step: float) -> float:
    return draw(st.integers(0, top)) * step


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    offers: list[messages.Offer] = []
    agents: list[Agent] = []
    for n in range(draw(st.integers(0, 6))):
        agent_id = f"a{n}"
        hostname = f"h{draw(st.integers(0, 3))}"
        rack = draw(st.sampled_from(["r0", "r1", "r2", None]))
        resources = [
            f.scalar("cpus", amount(draw, 8, 0.5), allocation_role=None),
            f.scalar("mem", amount(draw, 8, 256), allocation_role=None),
            f.scalar("disk", amount(draw, 4, 500), allocation_role=None),
        ]
        begin = 31000 + draw(st.integers(0, 6))
        resources.append(f.ports((begin, begin + draw(st.integers(0, 4))), allocation_role=None))
        if draw(st.booleans()):
            resources.append(
                f.scalar("cpus", amount(draw, 4, 0.5), reserved_to="web", allocation_role=None)
            )
            resources.append(
                f.ports(
                    (32000, 32000 + draw(st.integers(0, 2))),
                    reserved_to="web",
                    allocation_role=None,
                )
            )
        if draw(st.booleans()):
            resources.append(
                f.mount_disk(amount(draw, 4, 250) + 250, f"/mnt/{n}", allocation_role=None)
            )
        attributes = {"rack": rack} if rack else {}
        split = draw(st.integers(0, len(resources)))
        for part, chunk in enumerate((resources[:split], resources[split:])):
            if chunk or part == 0:
                offers.append(
                    f.offer(
                        agent_id,
                        *chunk,
                        hostname=hostname,
                        offer_id=f"o{n}-{part}",
                        attributes=attributes,
                        allocation_role=None,
                    )
                )
        agents.append(Agent(agent_id, hostname, attributes))
    groups = {
        group: draw(st.lists(st.sampled_from(CONSTRAINT_CHOICES), max_size=2, unique=True))
        for group in ("g0", "g1")
    }
    tasks = []
    for n in range(draw(st.integers(1, 9))):
        group = draw(st.sampled_from(sorted(groups)))
        port_count = draw(st.integers(0, 2))
        fixed = [31000 + draw(st.integers(0, 8))] if draw(st.integers(0, 4)) == 0 else []
        mount = draw(st.integers(0, 5)) == 0
        tasks.append(
            TaskRequest(
                f"t{n}",
                cpus=amount(draw, 6, 0.5),
                mem=amount(draw, 6, 256),
                disk=amount(draw, 2, 200) + (100 if mount else 0),
                disk_source="MOUNT" if mount else "ROOT",
                ports=[*fixed, *(["p"] if port_count else []), *[0] * max(port_count - 1, 0)],
                role=draw(st.sampled_from(["*", "web"])),
                group=group,
                constraints=groups[group],
            )
        )
    extra = [Agent("gone", "h9", {"rack": "r2"})]
    running = [
        RunningTask(draw(st.sampled_from(agents + extra)), draw(st.sampled_from(sorted(groups))))
        for _ in range(draw(st.integers(0, 3)))
    ]
    strategy = draw(
        st.sampled_from(
            [
                BinPack(),
                BinPack(consolidate=False),
                Spread(),
                FirstFit(),
                Alignment(),
                Weighted([(BinPack(), 1), (Spread(), 1)]),
            ]
        )
    )
    return Scenario(draw(pools(offers)), tasks, running, strategy, draw(st.integers(0, 2**16)))


@st.composite
def pools(draw: st.DrawFn, offers: list[messages.Offer]) -> OfferPool:
    """A pool holding ``offers``: built at once, or kept current through events (offers added
    in several events, with offers that are rescinded again in between)."""
    if draw(st.booleans()):
        return OfferPool.from_offers(offers)
    pool = OfferPool()
    if draw(st.booleans()):  # arrays already cached when the events come
        pool.totals("*")
        pool.totals("web")
        pool.field_codes("rack")
    rest = list(offers)
    serial = 0
    while rest:
        count = draw(st.integers(1, len(rest)))
        event, rest = rest[:count], rest[count:]
        decoys = []
        for _ in range(draw(st.integers(0, 2))):
            agent = draw(st.sampled_from([o.agent_id.value for o in offers] + ["z"]))
            serial += 1
            decoys.append(
                f.basic_offer(agent, cpus=64, offer_id=f"decoy-{serial}", attributes={"rack": "r9"})
            )
        pool.add([*event, *decoys])
        pool.remove([d.id.value for d in decoys])
    return pool


def run(s: Scenario) -> PlacementResult:
    return place(s.tasks, s.pool, running=s.running, strategy=s.strategy, seed=s.seed)


def assigned_by_agent(result: PlacementResult) -> dict[str, list[messages.Resource]]:
    taken: dict[str, list[messages.Resource]] = defaultdict(list)
    for assignment in result.assignments.values():
        taken[assignment.agent_id].extend(assignment.resources)
    return taken


@PROPERTY_SETTINGS
@given(scenarios())
def test_no_placement_exceeds_an_offer(s: Scenario) -> None:
    result = run(s)
    taken = assigned_by_agent(result)
    for agent_offers in s.pool.agents:
        used = Resources.from_messages(taken.get(agent_offers.agent.agent_id, []))
        assert agent_offers.resources.contains(used)  # same roles/reservations, never more
    for assignment in result.assignments.values():
        task = assignment.task
        (agent_offers,) = [a for a in s.pool.agents if a.agent.agent_id == assignment.agent_id]
        assert assignment.offer_ids == agent_offers.offer_ids
        entries = [ResourceEntry.from_message(r) for r in assignment.resources]
        assert all(e.usable_by(task.role, task.allow_revocable) for e in entries)
        for name, value in task.scalar_demand().items():
            assert sum(
                e.units for e in entries if e.name == name and e.traits.disk_source != "MOUNT"
            ) == (to_units(value) if name != "disk" or task.disk_source == "ROOT" else 0)
        mounts = [e for e in entries if e.traits.disk_source == "MOUNT"]
        assert len(mounts) == (1 if task.disk_source == "MOUNT" else 0)
        assert all(e.units >= to_units(task.disk) for e in mounts)
        ports = sorted(n for e in entries for begin, end in e.ranges for n in range(begin, end + 1))
        assert ports == sorted(p.port for p in assignment.ports)
        assert len(ports) == len(task.ports)
        assert all(
            spec.port in (0, given.port)
            for spec, given in zip(task.ports, assignment.ports, strict=True)
        )
    for agent_id, resources in taken.items():
        numbers = [
            n
            for r in resources
            if r.ranges
            for x in r.ranges.range
            for n in range(x.begin, x.end + 1)
        ]
        assert len(numbers) == len(set(numbers)), agent_id  # no port given twice


def group_agents(
    s: Scenario, result: PlacementResult, group: str, without: str | None = None
) -> list[Agent]:
    placed = [
        a.agent
        for a in result.assignments.values()
        if a.task.group == group and a.task.id != without
    ]
    return [r.agent for r in s.running if r.group == group] + placed


@PROPERTY_SETTINGS
@given(scenarios())
def test_hard_constraints_hold_over_the_batch_and_running_tasks(s: Scenario) -> None:
    result = run(s)
    for assignment in result.assignments.values():
        task = assignment.task
        others = group_agents(s, result, task.group, without=task.id)
        for constraint in task.constraints:
            if not constraint.soft and not order_dependent(constraint):
                assert constraint.allows(assignment.agent, others), (constraint, task.id)


def order_dependent(constraint: Constraint) -> bool:
    """GROUP_BY without a count is judged as Marathon does, one task at a time against the
    values seen so far: the first tasks may share a value before a second value appears, so
    any final spread can be reached and no final-state check applies. With a count n, the
    first n tasks take n distinct values and the final spread is even, which is checked."""
    return constraint.operator == "GROUP_BY" and constraint.value is None


@PROPERTY_SETTINGS
@given(scenarios())
def test_same_seed_replays_the_same_placement(s: Scenario) -> None:
    first, second = run(s), run(s)
    assert first.assignments == second.assignments
    assert first.unplaced == second.unplaced


def final_free(s: Scenario, result: PlacementResult) -> dict[str, Resources]:
    taken = assigned_by_agent(result)
    return {
        a.agent.agent_id: a.resources - Resources.from_messages(taken.get(a.agent.agent_id, []))
        for a in s.pool.agents
    }


def failed_checks(
    s: Scenario, result: PlacementResult, task: TaskRequest, agent: Agent, free: Resources
) -> set[tuple[str, str]]:
    """Every check ``task`` fails on ``agent`` in the final state, found without the engine."""
    usable = free.usable_by(task.role, allow_revocable=task.allow_revocable)
    failed: set[tuple[str, str]] = set()
    for name, value in task.scalar_demand().items():
        same = [e for e in usable if e.name == name]
        if name == "disk" and task.disk_source == "MOUNT":
            mounts = [e.units for e in same if e.traits.disk_source == "MOUNT"]
            if max(mounts, default=0) < to_units(value):
                failed.add(("resource", MOUNT_DISK))
        elif sum(e.units for e in same if e.traits.disk_source is None) < to_units(value):
            failed.add(("resource", name))
    port_ranges = usable.ranges("ports")
    if task.ports and _ranges.size(port_ranges) < len(task.ports):
        failed.add(("ports", PORTS))
    for spec in task.ports:
        if spec.port and not _ranges.contains(port_ranges, spec.port):
            failed.add(("ports", f"port {spec.port}"))
    placed = group_agents(s, result, task.group)
    for constraint in task.constraints:
        if not constraint.soft and not constraint.allows(agent, placed):
            failed.add(("constraint", str(constraint)))
    return failed


@PROPERTY_SETTINGS
@given(scenarios())
def test_every_unplaced_task_has_a_reason_that_holds_at_the_end(s: Scenario) -> None:
    result = run(s)
    free = final_free(s, result)
    for unplaced in result.unplaced.values():
        counted: dict[tuple[str, str], int] = defaultdict(int)
        for agent_offers in s.pool.agents:
            agent = agent_offers.agent
            failed = failed_checks(s, result, unplaced.task, agent, free[agent.agent_id])
            assert failed, f"{unplaced.task.id} fits on {agent.agent_id}"
            for check in failed:
                counted[check] += 1
        expected = {(kind, name, agents) for (kind, name), agents in counted.items()}
        assert {(r.kind, r.name, r.agents) for r in unplaced.rejections} == expected
        for rejection in unplaced.rejections:
            if rejection.kind == "resource" or rejection.name == PORTS:
                most = max(
                    free_amount(free[a.agent.agent_id], unplaced.task, rejection.name)
                    for a in s.pool.agents
                )
                assert (rejection.asked, rejection.largest) == (
                    needed_amount(unplaced.task, rejection.name),
                    most,
                ), rejection
            else:
                assert rejection.asked is rejection.largest is None
        assert unplaced.agents == len(s.pool)


def needed_amount(task: TaskRequest, name: str) -> float:
    if name == PORTS:
        return float(len(task.ports))
    return task.scalar_demand()["disk" if name.startswith("disk") else name]


def free_amount(free: Resources, task: TaskRequest, name: str) -> float:
    """What an agent has free of ``name`` for ``task`` (a count of ports, the largest MOUNT)."""
    usable = free.usable_by(task.role, allow_revocable=task.allow_revocable)
    if name == PORTS:
        return float(_ranges.size(usable.ranges("ports")))
    entries = [e for e in usable if e.name == ("disk" if name.startswith("disk") else name)]
    if name == MOUNT_DISK:
        mounts = [e.units for e in entries if e.traits.disk_source == "MOUNT"]
        return max(mounts, default=0) / 1000
    return sum(e.units for e in entries if e.traits.disk_source is None) / 1000
