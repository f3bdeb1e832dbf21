from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from frameworkkit.placement import (
    Agent,
    Alignment,
    BestFit,
    BinPack,
    Constraint,
    FirstFit,
    Fitness,
    FitView,
    Locality,
    OfferPool,
    Rejection,
    RunningTask,
    Spread,
    TaskRequest,
    Weighted,
    place,
    resources_to_json,
)
from frameworkkit.protocol import messages
from tests.unit.placement import factories as f

ETL = "analytics/etl"


def agents_used(result: object) -> set[str]:
    return {a.agent_id for a in result.assignments.values()}  # type: ignore[attr-defined]


def test_local_mode_offers_batch() -> None:
    offers = f.fixture_offers("offers_local_1_11.json")
    tasks = [
        TaskRequest(
            f"web-{n}", cpus=1, mem=1024, ports=["http"], constraints=[["@agent_id", "UNIQUE"]]
        )
        for n in range(4)
    ]
    result = place(tasks, offers)
    assert len(result.assignments) == 3
    assert len(agents_used(result)) == 3
    placed = result.assignments["web-0"]
    assert placed.offer_ids == (f"{placed.agent_id[:-3]}-O{placed.agent_id[-1]}",)
    http = placed.port("http")
    assert resources_to_json(placed.resources) == [
        {
            "name": "cpus",
            "type": "SCALAR",
            "scalar": {"value": 1.0},
            "role": "*",
            "allocation_info": {"role": "*"},
        },
        {
            "name": "mem",
            "type": "SCALAR",
            "scalar": {"value": 1024.0},
            "role": "*",
            "allocation_info": {"role": "*"},
        },
        {
            "name": "ports",
            "type": "RANGES",
            "ranges": {"range": [{"begin": http, "end": http}]},
            "role": "*",
            "allocation_info": {"role": "*"},
        },
    ]
    left_out = result.unplaced["web-3"]
    assert left_out.rejections == (Rejection("constraint", "@agent_id:UNIQUE", 3),)
    assert "fits none of 3 agent(s)" in str(left_out)
    assert result.unused_offer_ids == ()


def by_name(resources: tuple[messages.Resource, ...], name: str) -> list[messages.Resource]:
    return [r for r in resources if r.name == name]


def test_role_takes_reserved_first_and_keeps_reservations() -> None:
    offers = f.fixture_offers("offers_reservations_1_11.json")
    result = place([TaskRequest("etl", cpus=6, mem=9000, ports=1, role=ETL)], offers)
    placed = result.assignments["etl"]
    assert placed.agent_id.endswith("-S10")
    assert placed.offer_ids == tuple(o.id.value for o in offers[:2])  # both offers of the agent
    cpus = by_name(placed.resources, "cpus")
    assert [
        (r.scalar.value if r.scalar else None, [x.role for x in r.reservations]) for r in cpus
    ] == [
        (1.0, ["analytics", ETL]),
        (2.0, ["analytics"]),
        (3.0, []),
    ]
    assert cpus[0].reservations == offers[0].resources[2].reservations  # labels, principal kept
    assert all(r.allocation_info == messages.AllocationInfo(role=ETL) for r in placed.resources)
    assert [r.scalar.value for r in by_name(placed.resources, "mem") if r.scalar] == [
        2048.0,
        6952.0,
    ]
    assert resources_to_json(by_name(placed.resources, "ports")) == [
        {
            "name": "ports",
            "type": "RANGES",
            "ranges": {"range": [{"begin": 8080, "end": 8080}]},
            "reservations": [
                {
                    "type": "DYNAMIC",
                    "role": ETL,
                    "principal": "ops",
                    "labels": {"labels": [{"key": "team", "value": "etl"}]},
                }
            ],
            "allocation_info": {"role": ETL},
        }
    ]


def test_roles_see_only_their_resources() -> None:
    offers = f.fixture_offers("offers_reservations_1_11.json")
    result = place(
        [
            TaskRequest("star", cpus=1),
            TaskRequest("parent", cpus=2, mem=1024, role="analytics"),
            TaskRequest("too-big", cpus=8, role=ETL),
        ],
        offers,
    )
    # Every offer is allocated to a named role, so a "*" task finds nothing.
    assert result.unplaced["star"].rejections == (Rejection("resource", "cpus", 2, 1.0, 0.0),)
    parent = result.assignments["parent"]
    assert parent.agent_id.endswith("-S11")
    assert [r.role for r in parent.resources] == ["analytics", "analytics"]
    (too_big,) = result.unplaced["too-big"].rejections
    assert (too_big.name, too_big.agents, too_big.asked) == ("cpus", 2, 8.0)
    assert too_big.largest is not None and too_big.largest < 8


def test_revocable_only_when_allowed() -> None:
    offers = f.fixture_offers("offers_reservations_1_11.json")
    denied = place([TaskRequest("t", cpus=8, role=ETL)], offers)
    assert "t" in denied.unplaced
    allowed = place([TaskRequest("t", cpus=8, role=ETL, allow_revocable=True)], offers)
    cpus = by_name(allowed.assignments["t"].resources, "cpus")
    assert [r.revocable for r in cpus] == [None, None, None, {}]
    assert sum(r.scalar.value for r in cpus if r.scalar) == 8.0


def test_disk_sources_and_volumes() -> None:
    offers = f.fixture_offers("offers_reservations_1_11.json")
    result = place(
        [
            TaskRequest("mount", disk=100, disk_source="MOUNT", role=ETL),
            TaskRequest("path", disk=3000, disk_source="PATH", role=ETL),
            TaskRequest("db", cpus=1, volumes=["pg-data"], role=ETL),
            TaskRequest("huge-mount", disk=30000, disk_source="MOUNT", role=ETL),
        ],
        offers,
    )
    (mount,) = result.assignments["mount"].resources
    assert mount.scalar == messages.Scalar(value=20000.0)  # a MOUNT disk is taken whole
    assert mount.disk == offers[0].resources[7].disk
    (path,) = result.assignments["path"].resources
    assert path.scalar == messages.Scalar(value=3000.0) and path.disk == offers[0].resources[8].disk
    volume = by_name(result.assignments["db"].resources, "disk")
    assert volume == [offers[0].resources[9]]
    assert result.unplaced["huge-mount"].rejections == (
        Rejection("resource", "disk(MOUNT)", 2, 30000.0, 0.0),
    )


def test_a_mount_disk_serves_one_task() -> None:
    offers = [f.offer("a1", f.mount_disk(500, "/m1"), f.mount_disk(900, "/m2"))]
    tasks = [TaskRequest(f"t{n}", disk=400, disk_source="MOUNT") for n in range(3)]
    result = place(tasks, offers, strategy=FirstFit())
    sizes = sorted(
        a.resources[0].scalar.value for a in result.assignments.values() if a.resources[0].scalar
    )
    assert sizes == [500.0, 900.0]
    assert len(result.unplaced) == 1


def test_a_shared_volume_serves_many_tasks() -> None:
    shared = f.volume(64, "cache", reserved_to="web", shared=True)
    offers = [
        f.offer("a1", f.scalar("cpus", 4, allocation_role="web"), shared, allocation_role="web")
    ]
    tasks = [TaskRequest(f"t{n}", cpus=1, volumes=["cache"], role="web") for n in range(3)]
    result = place(tasks, offers)
    assert len(result.assignments) == 3
    assert all(shared in a.resources for a in result.assignments.values())


def test_ports_named_fixed_and_any() -> None:
    offers = [f.basic_offer("a1", port_span=(31000, 31004))]
    result = place(
        [
            TaskRequest("a", ports=["http", 31003, 0]),
            TaskRequest("b", ports=2),
            TaskRequest("c", ports=[9999]),
        ],
        offers,
        strategy=FirstFit(),
    )
    a, b = result.assignments["a"], result.assignments["b"]
    assert [p.port for p in a.ports] == [31000, 31003, 31001]
    assert a.port("http") == 31000
    assert [p.port for p in b.ports] == [31002, 31004]
    assert result.unplaced["c"].rejections == (
        Rejection("ports", "ports", 1, 1.0, 0.0),  # all five are taken by now
        Rejection("ports", "port 9999", 1),
    )
    with pytest.raises(KeyError, match="admin"):
        a.port("admin")


def test_gpu_agents_are_kept_for_gpu_tasks() -> None:
    offers = [
        f.offer("gpu", f.scalar("cpus", 2), f.scalar("mem", 2048), f.scalar("gpus", 1)),
        f.offer("plain", f.scalar("cpus", 8), f.scalar("mem", 8192)),
    ]
    tasks = [
        TaskRequest("cpu-only", cpus=1, mem=512),
        TaskRequest("trainer", cpus=1, mem=512, gpus=1),
    ]
    result = place(tasks, offers, strategy=BestFit())  # best fit alone prefers the gpu agent
    assert result.assignments["cpu-only"].agent_id == "plain"
    assert result.assignments["trainer"].agent_id == "gpu"
    anywhere = place(tasks[:1], offers, strategy=BestFit(), reserve_gpu_agents=False)
    assert anywhere.assignments["cpu-only"].agent_id == "gpu"
    full = place(
        [TaskRequest("big", cpus=1, mem=8192 + 1)],
        [offers[0], f.offer("plain", f.scalar("cpus", 8))],
    )
    assert "big" in full.unplaced
    overflow = place(
        [TaskRequest("x", cpus=2, mem=100)], [offers[0], f.offer("plain", f.scalar("cpus", 1))]
    )
    assert overflow.assignments["x"].agent_id == "gpu"


def racks(*names: str) -> list[messages.Offer]:
    return [f.basic_offer(f"a{n}", attributes={"rack": rack}) for n, rack in enumerate(names)]


def test_soft_constraints_change_the_score_not_the_verdict() -> None:
    offers = racks("r1", "r2")
    soft = Constraint("rack", "IS", "r2", soft=True)
    result = place([TaskRequest(f"t{n}", cpus=2, constraints=[soft]) for n in range(4)], offers)
    where = [a.agent.attributes["rack"] for a in result.assignments.values()]
    assert sorted(where) == ["r1", "r1", "r2", "r2"]  # r2 first, r1 once r2 is full
    assert where[:2] == ["r2", "r2"]


def test_hard_constraints_and_running_tasks() -> None:
    offers = racks("r1", "r2", "r3")
    running = [RunningTask(Agent("elsewhere", "x", {"rack": "r1"}), group="db")]
    tasks = [
        TaskRequest(f"db-{n}", cpus=1, group="db", constraints=[["rack", "UNIQUE"]])
        for n in range(3)
    ]
    result = place(tasks, offers, running=running)
    assert sorted(a.agent.attributes["rack"] for a in result.assignments.values()) == ["r2", "r3"]
    (left,) = result.unplaced.values()
    assert left.rejections == (Rejection("constraint", "rack:UNIQUE", 3),)
    other_group = place(tasks[:1], offers, running=[RunningTask(running[0].agent, group="web")])
    assert len(other_group.assignments) == 1


def test_group_by_spreads_over_values() -> None:
    offers = racks("r1", "r1", "r2", "r2", "r3")
    tasks = [
        TaskRequest(f"t{n}", cpus=0.5, constraints=[["rack", "GROUP_BY", "3"]]) for n in range(6)
    ]
    result = place(tasks, offers)
    counts = {rack: 0 for rack in ("r1", "r2", "r3")}
    for assignment in result.assignments.values():
        counts[assignment.agent.attributes["rack"]] += 1
    assert counts == {"r1": 2, "r2": 2, "r3": 2}


def test_locality_prefers_agents_holding_the_data() -> None:
    offers = [
        f.offer("a", f.scalar("cpus", 4), hostname="a"),
        messages.Offer(
            id=messages.ID(value="o-b"),
            framework_id=messages.ID(value="fw"),
            agent_id=messages.ID(value="b"),
            hostname="b",
            resources=[f.scalar("cpus", 8)],
            attributes=[
                messages.Attribute(
                    name="datasets", type="SET", set=messages.ValueSet(item=["logs", "sales"])
                )
            ],
        ),
    ]
    reader = TaskRequest("reader", cpus=1, locality=[Locality("datasets", ("sales",))])
    best_fit = BestFit()  # on its own, it prefers the smaller agent "a"
    assert place([reader], offers, strategy=best_fit).assignments["reader"].agent_id == "b"
    plain = place([TaskRequest("plain", cpus=1)], offers, strategy=best_fit)
    assert plain.assignments["plain"].agent_id == "a"


def test_strategies_differ_as_described() -> None:
    offers = [f.basic_offer(f"a{n}", cpus=8, mem=8192) for n in range(4)]
    tasks = [TaskRequest(f"t{n}", cpus=1, mem=512) for n in range(4)]
    assert len(agents_used(place(tasks, offers, strategy=BinPack()))) == 1
    assert len(agents_used(place(tasks, offers, strategy=Spread()))) == 4
    assert agents_used(place(tasks, offers, strategy=FirstFit())) == {"a0"}
    assert len(agents_used(place(tasks, offers, strategy=Alignment()))) == 1
    mixed = Weighted([(BinPack(), 1), (Spread(), 3)])
    assert len(agents_used(place(tasks, offers, strategy=mixed))) == 4


class PreferLast(Fitness):
    def score(self, view: FitView) -> npt.NDArray[np.float64]:
        return view.agent_index / max(view.agent_count - 1, 1)


class Broken(Fitness):
    def score(self, view: FitView) -> npt.NDArray[np.float64]:
        return np.full(len(view.agent_index), 2.0)


def test_custom_fitness_is_used_and_checked() -> None:
    offers = [f.basic_offer(f"a{n}") for n in range(3)]
    result = place([TaskRequest("t", cpus=1)], offers, strategy=PreferLast())
    assert result.assignments["t"].agent_id == "a2"
    with pytest.raises(ValueError, match=r"Broken.score: must return .* within 0..1"):
        place([TaskRequest("t", cpus=1)], offers, strategy=Broken())


def test_seed_breaks_ties_and_replays() -> None:
    offers = OfferPool.from_offers([f.basic_offer(f"a{n}") for n in range(20)])
    task = [TaskRequest("t", cpus=1)]
    chosen = {place(task, offers, seed=seed).assignments["t"].agent_id for seed in range(12)}
    assert len(chosen) > 1  # ties go to a seeded random order
    again = [place(task, offers, seed=7).assignments["t"].agent_id for _ in range(3)]
    assert len(set(again)) == 1


def test_consolidation_frees_an_agent() -> None:
    offers = [f.offer(f"a{n}", f.scalar("cpus", 10), f.scalar("mem", 10)) for n in range(4)]
    shapes = [(5, 1), (5, 1), (1, 5), (1, 5), (4, 4)]
    tasks = [TaskRequest(f"t{n}", cpus=c, mem=m) for n, (c, m) in enumerate(shapes)]
    greedy = place(tasks, offers, strategy=BestFit())
    packed = place(tasks, offers)
    # Best fit puts both (5,1) on one agent and both (1,5) on another, leaving (4,4) a third;
    # the optimum is two agents: (5,1)+(1,5)+(4,4) and (5,1)+(1,5).
    assert len(agents_used(greedy)) == 3
    assert len(agents_used(packed)) == 2
    assert len(packed.assignments) == 5


def test_tasks_that_must_spread_are_placed_before_they_strand() -> None:
    offers = [f.offer(f"a{n}", f.scalar("cpus", 4)) for n in range(5)]
    unique = [["hostname", "UNIQUE"]]
    tasks = [TaskRequest(f"plain-{n}", cpus=1) for n in range(8)]
    tasks += [TaskRequest(f"web-{n}", cpus=0.5, group="web", constraints=unique) for n in range(3)]
    # Filling agents with the plain tasks first would leave the three web tasks to three more
    # agents (they may not share one); they go first, one to each agent being filled.
    for strategy in (BinPack(), BinPack(consolidate=False)):
        result = place(tasks, offers, strategy=strategy)
        assert len(result.assignments) == 11
        assert len(agents_used(result)) == 3


def test_any_ports_are_chosen_after_fixed_ones_on_the_same_agent() -> None:
    offers = [f.basic_offer("a1", port_span=(31000, 31001))]
    tasks = [TaskRequest("any", ports=1), TaskRequest("fixed", ports=[31000])]
    result = place(tasks, offers)  # "any" is placed first, its port chosen at the end
    assert [p.port for p in result.assignments["fixed"].ports] == [31000]
    assert [p.port for p in result.assignments["any"].ports] == [31001]


def test_by_agent_and_unused_offers() -> None:
    offers = [f.basic_offer(f"a{n}", cpus=2) for n in range(3)]
    result = place(
        [TaskRequest("x", cpus=2), TaskRequest("y", cpus=2)], offers, strategy=FirstFit()
    )
    assert {k: [a.task.id for a in v] for k, v in result.by_agent().items()} == {
        "a0": ["x"],
        "a1": ["y"],
    }
    assert result.unused_offer_ids == ("offer-a2",)
    assert result.assignments["x"].as_running() == RunningTask(
        result.assignments["x"].agent, "default"
    )


def test_no_offers() -> None:
    result = place([TaskRequest("t", cpus=1)], [])
    assert str(result.unplaced["t"]) == "task 't': no offers"


def test_bad_arguments_fail_at_the_call() -> None:
    with pytest.raises(ValueError, match="tasks: id 't'"):
        place([TaskRequest("t"), TaskRequest("t")], [])
    with pytest.raises(TypeError, match=r"tasks\[0\]"):
        place(["t"], [])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="strategy"):
        place([], [], strategy="binpack")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="preference_weight"):
        place([], [], preference_weight=2)
    with pytest.raises(TypeError, match="seed"):
        place([], [], seed="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"running\[0\]"):
        place([], [], running=["x"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"Weighted\.parts"):
        Weighted([])


def test_cached_scores_follow_when_every_agent_changed() -> None:
    offers = [
        f.offer("a0", f.scalar("disk", 100), f.ports((31000, 31000))),
        f.offer("a1", f.scalar("cpus", 2), f.scalar("mem", 1024), f.ports((31000, 31001))),
    ]
    tasks = [
        TaskRequest("fixed", cpus=1, mem=512, ports=[31000]),
        TaskRequest("disk", disk=100),
        TaskRequest("any", cpus=1, mem=512, ports=1),  # the same shape as "fixed"
    ]
    result = place(tasks, offers, strategy=Spread())
    assert {k: a.agent_id for k, a in result.assignments.items()} == {
        "fixed": "a1",
        "disk": "a0",
        "any": "a1",
    }


def test_reasons_carry_the_numbers() -> None:
    offers = [f.basic_offer("a0", cpus=2), f.basic_offer("a1", cpus=4, mem=64)]
    result = place([TaskRequest("crunch", cpus=100, mem=100)], offers)
    cpus, mem = result.unplaced["crunch"].rejections
    assert (cpus.asked, cpus.largest, cpus.agents) == (100.0, 4.0, 2)
    assert (mem.asked, mem.largest, mem.agents) == (100.0, 8192.0, 1)
    assert str(result.unplaced["crunch"]) == (
        "task 'crunch' fits none of 2 agent(s): cpus: needs 100, the most free on an agent"
        " is 4 (short on 2 agent(s)); mem: needs 100, the most free on an agent is 8192"
        " (short on 1 agent(s))"
    )
    assert str(Rejection("ports", "port 80", 2)) == "port 80 is not free on 2 agent(s)"
    assert str(Rejection("volume", "pg", 1)) == "volume pg is not free on 1 agent(s)"
