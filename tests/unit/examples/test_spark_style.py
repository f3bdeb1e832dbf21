"""The Spark-style word count's decisions, without a cluster: constraints, executor sizing and
placement on offers, the job's reruns, and its units of work against an independent count."""

from __future__ import annotations

import collections
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest
from coarse_backend import (
    REFUSE_SECONDS,
    Constraints,
    ExecutorPlanner,
    executor_memory_mb,
)
from wordcount_job import MAX_UNIT_FAILURES, JobFailed, WordCountJob
from wordcount_ops import block_name, map_block, merge_blocks

from frameworkkit.protocol.messages import Attribute, Offer


def attribute(name: str, kind: str, value: Any) -> dict[str, Any]:
    field = {"SCALAR": "scalar", "RANGES": "ranges", "SET": "set", "TEXT": "text"}[kind]
    return {"name": name, "type": kind, field: value}


def offer(
    offer_id: str, agent: str, cpus: float = 2, mem: float = 4096, attributes: Any = ()
) -> Offer:
    resources = [
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}},
    ]
    body = {
        "id": {"value": offer_id},
        "framework_id": {"value": "fw"},
        "agent_id": {"value": agent},
        "hostname": "h",
        "resources": resources,
        "attributes": list(attributes),
    }
    return msgspec.convert(body, Offer)


AGENT = [
    attribute("os", "TEXT", {"value": "centos7"}),
    attribute("gpus", "SCALAR", {"value": 4.0}),
    attribute("rack", "RANGES", {"range": [{"begin": 10, "end": 20}]}),
    attribute("zones", "SET", {"item": ["a", "b", "c"]}),
]


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("", True),
        ("os:centos7", True),
        ("os:ubuntu,centos7", True),
        ("os:ubuntu", False),
        ("os:", True),
        ("kernel:", False),
        ("gpus:2", True),
        ("gpus:8", False),
        ("gpus:8,3", True),
        ("rack:15", True),
        ("rack:21", False),
        ("zones:a,c", True),
        ("zones:a,d", False),
        ("os:centos7;zones:b;gpus:4", True),
        ("os:centos7;zones:d", False),
        (" os : centos7 ", False),  # entries are trimmed, names and values are not
    ],
)
def test_constraints_match_as_spark_matches_them(text: str, matches: bool) -> None:
    attributes = [msgspec.convert(a, Attribute) for a in AGENT]
    assert Constraints.parse(text).matches(attributes) is matches


@pytest.mark.parametrize("text", ["os", "os:a:b", "os:a;os:b", "os:a;", ":a"])
def test_malformed_constraints_are_refused_with_the_text(text: str) -> None:
    with pytest.raises(ValueError, match="constraints"):
        Constraints.parse(text)


def test_executor_memory_gets_spark_overhead() -> None:
    assert executor_memory_mb(1024) == 1024 + 384
    assert executor_memory_mb(8192) == 8192 + 819


def test_executors_take_all_cpus_of_their_offer_without_executor_cores_up_to_the_cap() -> None:
    planner = ExecutorPlanner(memory_mb=1440, cores_max=5)
    plan = planner.plan([offer("o1", "a1", cpus=4), offer("o2", "a2", cpus=2.5)])
    assert [(o.id.value, cores) for o, cores in plan.launches] == [("o1", 4), ("o2", 1)]
    assert planner.acquired == 5 and plan.refusals == {}
    later = planner.plan([offer("o3", "a3")])  # the cap is reached: refused for 120 s
    assert later.launches == [] and later.refusals == {"o3": REFUSE_SECONDS}


def test_several_executors_per_offer_round_robin_while_cores_and_memory_allow() -> None:
    planner = ExecutorPlanner(memory_mb=1000, executor_cores=1, cores_max=7)
    plan = planner.plan([offer("o1", "a1", cpus=4, mem=2500), offer("o2", "a2", cpus=4)])
    assert [o.id.value for o, _ in plan.launches] == ["o1", "o2", "o1", "o2", "o2", "o2"]
    assert planner.max_cores == 7 and planner.acquired == 6  # o1 is out of memory


def test_work_waits_for_the_registered_share_of_cores_or_the_wait() -> None:
    planner = ExecutorPlanner(
        memory_mb=100, executor_cores=1, cores_max=4, min_registered_ratio=0.75, registered_wait=30
    )
    assert planner.dispatch_wait(registered_cores=2, waited=10.0) == 20.0
    assert planner.dispatch_wait(registered_cores=3, waited=10.0) == 0.0
    assert planner.dispatch_wait(registered_cores=0, waited=31.0) == 0.0
    # Spark's Mesos default: no share asked for, work goes out at once, cap or no cap
    assert ExecutorPlanner(memory_mb=100).dispatch_wait(registered_cores=0, waited=0.0) == 0.0


def test_the_cap_is_a_multiple_of_the_executor_size() -> None:
    planner = ExecutorPlanner(memory_mb=100, executor_cores=2, cores_max=5)
    plan = planner.plan([offer("o1", "a1", cpus=8)])
    assert [cores for _, cores in plan.launches] == [2, 2] and planner.max_cores == 4


def test_offers_failing_the_constraints_are_refused_and_waiting_agents_skipped() -> None:
    planner = ExecutorPlanner(memory_mb=100, constraints=Constraints.parse("os:centos7"))
    plan = planner.plan(
        [offer("o1", "a1"), offer("o2", "a2", attributes=AGENT), offer("o3", "a3")],
        busy_agents=frozenset({"a2"}),
    )
    assert plan.launches == [] and plan.refusals == {"o1": 120.0, "o3": 120.0}


def test_an_agent_where_two_executors_failed_gets_no_more() -> None:
    planner = ExecutorPlanner(memory_mb=100, executor_cores=1)
    planner.acquired = 2
    planner.ended("a1", 1, failed=True)
    assert planner.usable("a1") and planner.plan([offer("o1", "a1", cpus=1)]).launches
    planner.ended("a1", 1, failed=True)
    planner.ended("a2", 1, failed=False)  # a clean end counts nothing
    assert not planner.usable("a1") and planner.usable("a2")
    assert planner.plan([offer("o2", "a1")]).launches == []


def run_map(job: WordCountJob, executor: str) -> None:
    unit = job.next_unit()
    assert unit is not None and unit.stage == 0
    job.started(unit, executor, 0.0)
    assert job.map_finished(unit.name, executor, 1.0)


def test_reduces_wait_for_every_map_and_a_lost_executor_reruns_its_maps() -> None:
    job = WordCountJob(size=300, block_size=100, partitions=2)
    run_map(job, "e1")
    run_map(job, "e2")
    third = job.next_unit()
    assert third is not None and third.name == "map-2"
    job.started(third, "e1", 1.0)
    assert job.next_unit() is None  # reduces wait for the last map output
    job.executor_lost("e1")  # its running map and its map output run again
    assert sorted(u.name for u in job.waiting) == ["map-0", "map-2", "reduce-0", "reduce-1"]
    assert job.reruns == 2
    assert not job.map_finished("map-2", "e1", 2.0)  # a late answer of the lost executor
    run_map(job, "e2")
    run_map(job, "e2")
    reduce = job.next_unit()
    assert reduce is not None and reduce.name == "reduce-0"
    job.started(reduce, "e3", 3.0)
    job.fetch_failed("reduce-0", "e3", map_index=1, holder="e2")
    assert [u.name for u in job.waiting] == ["map-1", "reduce-1", "reduce-0"]


def test_every_run_of_a_unit_is_kept_with_its_executor_and_times() -> None:
    job = WordCountJob(size=200, block_size=100, partitions=1)
    first = job.next_unit()
    assert first is not None
    job.started(first, "e1", 1.0)
    job.executor_lost("e1")  # this run never completes; the map runs again
    again = job.next_unit()
    assert again is not None and again.name == "map-0"
    job.started(again, "e2", 2.0)
    assert job.map_finished("map-0", "e2", 2.5)
    runs = [(r.unit, r.stage, r.executor, r.started, r.ended) for r in job.runs]
    assert runs == [("map-0", 0, "e1", 1.0, None), ("map-0", 0, "e2", 2.0, 2.5)]


def test_a_unit_failing_too_often_fails_the_job() -> None:
    job = WordCountJob(size=10, block_size=10)
    for attempt in range(MAX_UNIT_FAILURES):
        unit = job.next_unit()
        assert unit is not None
        job.started(unit, "e1", 0.0)
        if attempt < MAX_UNIT_FAILURES - 1:
            job.unit_failed(unit.name, "e1", "boom")
    with pytest.raises(JobFailed, match="map-0 failed 4 times; last: boom"):
        job.unit_failed("map-0", "e1", "boom")


def test_blocks_map_and_reduce_to_an_independent_count(tmp_path: Path) -> None:
    text = "The cat, the HAT.\nA cat\u00e9 -- 42 cats\n\nthe end" * 37
    path = tmp_path / "in.txt"
    path.write_text(text, encoding="utf-8")
    job = WordCountJob(size=path.stat().st_size, block_size=29, partitions=3)
    outputs = [map_block(str(path), start, end, 3) for start, end in job.blocks]
    counts: dict[str, int] = {}
    for partition in range(3):
        counts.update(merge_blocks(blocks[partition] for blocks in outputs))
    assert counts == collections.Counter(re.findall(r"\w+", text.lower()))
    assert block_name(3, 1) == "shuffle_3_1"
