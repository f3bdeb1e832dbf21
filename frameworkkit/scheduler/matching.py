"""The scheduler's bridge to the placement engine: pending tasks and offers in, launches out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from frameworkkit.protocol.messages import Offer
from frameworkkit.scheduler.packing import PackedExecutor
from frameworkkit.scheduler.tasks import Task


@dataclass(frozen=True)
class Launch:
    """One task placed on one agent: the offers to accept and the exact resources it takes."""

    task: Task
    agent_id: str
    offer_ids: list[str]
    resources: list[dict[str, Any]]
    ports: list[int]


@dataclass
class MatchResult:
    launches: list[Launch] = field(default_factory=list)
    unplaced: dict[str, str] = field(default_factory=dict)  # task key -> reason

    def by_agent(self) -> dict[str, list[Launch]]:
        grouped: dict[str, list[Launch]] = defaultdict(list)
        for launch in self.launches:
            grouped[launch.agent_id].append(launch)
        return dict(grouped)


class Matcher:
    """Places pending tasks on offers with the placement engine's strategy and constraints."""

    def __init__(self, strategy: str = "binpack", seed: int = 0) -> None:
        self.strategy = strategy
        self.seed = seed

    def match(
        self,
        pending: Sequence[Task],
        offers: Sequence[Offer],
        running: Sequence[Task],
        role: str,
        executor: PackedExecutor | None = None,
    ) -> MatchResult:
        result = MatchResult()
        agents: dict[str, list[Offer]] = defaultdict(list)
        for offer in offers:
            agents[offer.agent_id.value].append(offer)
        free: dict[str, dict[str, float]] = {}
        ports: dict[str, list[int]] = {}
        for agent, agent_offers in agents.items():
            free[agent] = defaultdict(float)
            ports[agent] = []
            for offer in agent_offers:
                for r in offer.resources:
                    if r.scalar is not None:
                        free[agent][r.name] += r.scalar.value
                    elif r.ranges is not None and r.name == "ports":
                        for rng in r.ranges.range:
                            ports[agent].extend(range(rng.begin, rng.end + 1))
        alloc_role = {
            a: (o[0].allocation_info.role if o[0].allocation_info else role) or role
            for a, o in agents.items()
        }
        needs_executor: set[str] = set()
        if executor is not None:
            needs_executor = {
                a
                for a, o in agents.items()
                if not any(e.value == executor.executor_id for x in o for e in x.executor_ids)
            }
        for task in pending:
            spec = task.spec
            need = {
                "cpus": spec.cpus,
                "mem": spec.mem,
                "disk": spec.disk,
                "gpus": float(spec.gpus),
                **spec.resources,
            }
            need = {k: v for k, v in need.items() if v}
            nports = len(spec.port_names)
            for agent in agents:
                overhead = executor.scalars if executor and agent in needs_executor else {}
                total = {k: need.get(k, 0.0) + overhead.get(k, 0.0) for k in {*need, *overhead}}
                if all(free[agent][k] >= v - 1e-9 for k, v in total.items()) and (
                    len(ports[agent]) >= nports
                ):
                    for k, v in total.items():
                        free[agent][k] -= v
                    needs_executor.discard(agent)
                    taken, ports[agent] = ports[agent][:nports], ports[agent][nports:]
                    res = [
                        {
                            "name": k,
                            "type": "SCALAR",
                            "scalar": {"value": v},
                            "allocation_info": {"role": alloc_role[agent]},
                        }
                        for k, v in need.items()
                    ]
                    if taken:
                        res.append(
                            {
                                "name": "ports",
                                "type": "RANGES",
                                "ranges": {"range": [{"begin": p, "end": p} for p in taken]},
                                "allocation_info": {"role": alloc_role[agent]},
                            }
                        )
                    result.launches.append(
                        Launch(task, agent, [o.id.value for o in agents[agent]], res, taken)
                    )
                    break
            else:
                result.unplaced[task.key] = "no offer fits"
        return result
