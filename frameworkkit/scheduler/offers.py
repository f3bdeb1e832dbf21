"""Offer handling: place ready tasks, launch them, answer every offer, suppress and revive.

Every offer is answered at once: the offers of an agent that got tasks are accepted in one
ACCEPT, the rest declined, with a short filter while work waits (a retry in its backoff too) and
a long one when idle. The DECLINE (and the SUPPRESS, with nothing left to launch) leave first;
the ACCEPTs then leave one after the other, each once the master answered the one before, so
the cluster's own pace spreads a large wave of launches instead of its agents receiving every
launch of an offers event in the same instant. New work or a retry coming due revives offers
(at most once a second). Offers are never held, so a rescind needs no
action. A framework that screens offers (``Framework.screen_offers``) sees each batch first: what
it submits then is placed on that batch, what it refuses is declined for the time it says, and
its offers are never suppressed.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from frameworkkit import validation
from frameworkkit.hooks import HookRunner
from frameworkkit.placement import TaskRequest, Unplaced
from frameworkkit.protocol import calls
from frameworkkit.protocol.messages import Offer
from frameworkkit.scheduler.context import RunContext
from frameworkkit.scheduler.launch import task_info
from frameworkkit.scheduler.matching import Launch, Matcher
from frameworkkit.scheduler.packing import PackedExecutor
from frameworkkit.scheduler.tasks import Task, Transition

log = logging.getLogger("frameworkkit.scheduler")

REVIVE_INTERVAL = 1.0
"""Seconds between two REVIVE calls at the most."""
EXPLAIN_INTERVAL = 10.0
"""Seconds between two explanations of why one task fits nowhere."""


class OfferHandler:
    """Turns OFFERS events into launches and declines for one framework."""

    def __init__(
        self,
        context: RunContext,
        matcher: Matcher,
        *,
        decline_seconds: float,
        unfit_decline_seconds: float,
        on_broken: Callable[[Transition], None],
        screen: Callable[[list[Offer]], Any] | None = None,
        hooks: HookRunner | None = None,
    ) -> None:
        self.name, self.tracker, self.store = context.name, context.tracker, context.store
        self.link, self.metrics = context.link, context.metrics
        self.matcher = matcher
        self.decline_seconds = decline_seconds
        self.unfit_decline_seconds = unfit_decline_seconds
        self.suppressed = False
        self._on_broken = on_broken
        self.screen = screen
        self._hooks = hooks or HookRunner(context.name)
        self._handling = False  # screened offers in hand: work submitted meanwhile goes on them
        self._revive_after = False  # a REVIVE asked for while they were
        self._last_revive = 0.0
        self._explained: dict[str, float] = {}  # task key -> when it was last explained
        self._warned: set[str] = set()

    @property
    def executor(self) -> PackedExecutor | None:
        return self.matcher.executor

    def may_suppress(self) -> bool:
        """Whether offers may be suppressed: nothing waits, and no screen wants to see them."""
        return self.screen is None and not self.tracker.pending()

    async def handle(self, offers: list[Offer]) -> None:
        """Screen ``offers``, place what is ready on them, launch it, decline the rest,
        suppress if done."""
        self.metrics.offers_received += len(offers)
        self._handling = self.screen is not None
        try:
            await self._place_and_launch(await self._screened(offers))
        finally:
            self._handling = False
        if self._revive_after:  # for work still waiting once these offers were used
            self._revive_after = False
            await self.revive_if_needed()

    async def _place_and_launch(self, offers: list[Offer]) -> None:
        ready = self.tracker.ready()
        used: set[str] = set()
        accepts: list[dict[str, Any]] = []
        if ready:
            result = self.matcher.match(ready, offers, self.tracker.active())
            for key, message in result.broken.items():
                self._on_broken(self.tracker.fail_pending(self._task(key), message))
            self._note_unplaced(result.unplaced)
            by_agent = result.by_agent()
            for launches in by_agent.values():
                used.update(launches[0].offer_ids)
            accepts = self._accepts(by_agent, result.executor_resources)
        unused = [o.id.value for o in offers if o.id.value not in used]
        if unused:
            refuse = self.unfit_decline_seconds if self.tracker.pending() else self.decline_seconds
            self.metrics.offers_declined += len(unused)
            await self.link.call(
                calls.decline(self.link.framework_id or "", unused, refuse_seconds=refuse)
            )
        if self.may_suppress() and not self.suppressed:
            await self.suppress()
        for accept in accepts:
            await self.link.call(accept)

    async def _screened(self, offers: list[Offer]) -> list[Offer]:
        """The offers the framework's screen kept; those it refused are declined as it said."""
        if self.screen is None or not offers:
            return offers
        try:
            answer = await self._hooks.call(self.screen, offers) or {}
            refusals = {
                offer_id: validation.number(f"screen_offers()[{offer_id!r}]", seconds)
                for offer_id, seconds in dict(answer).items()
            }
        except Exception:
            log.exception("%s: screen_offers raised; its offers are used as usual", self.name)
            return offers
        by_seconds: dict[float, list[str]] = {}
        for offer in offers:
            seconds = refusals.get(offer.id.value)
            if seconds is not None:
                by_seconds.setdefault(seconds, []).append(offer.id.value)
        for seconds, offer_ids in by_seconds.items():
            self.metrics.offers_declined += len(offer_ids)
            await self.link.call(
                calls.decline(self.link.framework_id or "", offer_ids, refuse_seconds=seconds)
            )
        return [offer for offer in offers if offer.id.value not in refusals]

    async def suppress(self) -> None:
        await self.link.call(calls.suppress(self.link.framework_id or "", [self.matcher.role]))
        self.suppressed = True
        log.debug("%s: nothing pending; offers suppressed", self.name)

    async def revive_if_needed(self, *, force: bool = False) -> None:
        """REVIVE (clearing our decline filters) for ready work, at most once a second; while
        screened offers are in hand, once they are used (work the screen submits goes on
        them, and its refusals hold)."""
        if self._handling:
            self._revive_after = True
            return
        if not self.link.subscribed:
            return
        due = force or time.monotonic() - self._last_revive >= REVIVE_INTERVAL
        if due and self.tracker.ready():  # the cheap test first: ready() reads every task
            await self.revive()

    async def revive(self) -> None:
        """REVIVE: offers resume and the framework's decline filters are cleared."""
        self._last_revive = time.monotonic()
        self.suppressed = False
        await self.link.call(calls.revive(self.link.framework_id or "", [self.matcher.role]))

    def _note_unplaced(self, unplaced: dict[str, Unplaced]) -> None:
        """Keep why each task was left out; at most every few seconds per task, explain it
        against every agent offered lately, with a WARNING once if none of them could take it."""
        now = time.monotonic()
        by_shape: dict[Hashable, Unplaced | None] = {}  # tasks alike are explained once
        for key, why in unplaced.items():
            task = self._task(key)
            if task.unplaced is not None and now - self._explained.get(key, 0.0) < EXPLAIN_INTERVAL:
                continue
            self._explained[key] = now
            shape = _shape(why.task)
            if shape is None or shape not in by_shape:
                everywhere = self.matcher.explain(task)
                if shape is not None:
                    by_shape[shape] = everywhere
            elif (alike := by_shape[shape]) is not None:
                everywhere = dataclasses.replace(alike, task=why.task)
            else:
                everywhere = None
            task.unplaced = everywhere or why
            if everywhere is not None and everywhere.agents and key not in self._warned:
                self._warned.add(key)
                log.warning("%s: %s", self.name, everywhere)

    def _task(self, key: str) -> Task:
        task = self.tracker.get(key)
        assert task is not None, key
        return task

    def _accepts(
        self, by_agent: dict[str, list[Launch]], executor_resources: dict[str, list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        """Start an attempt of each placed task, durably, and return the ACCEPT calls that
        launch them, one per agent."""
        if not by_agent:
            return []
        framework_id = self.link.framework_id or ""
        accepts, records = [], []
        ready_left = len(self.tracker.ready())
        for agent_id, launches in by_agent.items():
            infos = []
            for launch in launches:
                task = launch.task
                task_id = self.tracker.start_attempt(
                    task, agent_id, launch.agent.hostname, launch.ports
                )
                own = launch.executor_resources  # set for an executor of the task's own
                executor = self._executor_info(
                    framework_id,
                    executor_resources.get(agent_id) if own is None else own,
                    None if own is None else task_id,
                )
                task.executor_id = executor["executor_id"]["value"] if executor else task_id
                task.framework_id = framework_id
                infos.append(
                    task_info(
                        task.spec,
                        task_id,
                        agent_id,
                        launch.resources,
                        launch.ports,
                        executor=executor,
                        commands_in_data=self.executor is None or self.executor.commands,
                    )
                )
                records.append(task.record())
            ready_left -= len(launches)
            more = ready_left > 0
            accepts.append(
                calls.accept(
                    framework_id,
                    launches[0].offer_ids,
                    [{"type": "LAUNCH", "launch": {"task_infos": infos}}],
                    refuse_seconds=REVIVE_INTERVAL if more else self.decline_seconds,
                )
            )
        self.store.put_tasks(records)  # durable before Mesos hears of them
        self.metrics.tasks_launched += len(records)
        log.info("%s: launching %d tasks on %d agents", self.name, len(records), len(by_agent))
        return accepts

    def _executor_info(
        self,
        framework_id: str,
        resources: list[dict[str, Any]] | None,
        executor_id: str | None = None,
    ) -> dict[str, Any] | None:
        """The packed executor's info for one agent (its share as that agent offered it), or
        for one task (``executor_id``) of a per-task executor."""
        executor = self.executor
        if executor is None:
            return None
        if resources is None:  # never offered here since start: the unreserved default
            resources = [
                {
                    "name": name,
                    "type": "SCALAR",
                    "scalar": {"value": amount},
                    "role": "*",
                    "allocation_info": {"role": self.matcher.role},
                }
                for name, amount in executor.scalars.items()
            ]
        return executor.executor_info(framework_id, resources, executor_id)


def _shape(request: TaskRequest) -> Hashable | None:
    """What decides where a task can go, its id apart (None if that cannot be compared)."""
    shape = tuple(
        tuple(sorted(value.items())) if isinstance(value, Mapping) else value
        for field in dataclasses.fields(request)
        if field.compare and field.name != "id"
        for value in (getattr(request, field.name),)
    )
    try:
        hash(shape)
    except TypeError:
        return None
    return shape
