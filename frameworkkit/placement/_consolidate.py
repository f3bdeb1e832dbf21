"""Consolidation: move placed tasks between agents so the batch occupies as few as possible.

A local search on plain arrays. The load of an agent is the sum over resources of its used
share; the search raises the sum of squared loads, which moves work from lightly to heavily
loaded agents until light ones empty. Moves (one task to another agent) and swaps (a task for
a smaller one on another agent) are taken while they raise it; each round applies several that
touch different agents. Quantities are whole units, so a move fits exactly or not at all.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_EPSILON = 1e-9
PATIENCE = 50
"""Rounds the search goes on without freeing an agent before it gives up."""
LIGHT_SHARE = 4
"""Swaps move tasks off the lightest 1/LIGHT_SHARE of the agents (at least two)."""


def fewest(capacity: IntArray, free: IntArray, load_columns: BoolArray) -> int:
    """The fewest of these agents that could hold their load (agents x resources: what each
    had, what it has left): per load resource, the fewest of the largest that cover it."""
    used = (capacity - free).sum(axis=0)
    needed = 0
    for column in np.flatnonzero(load_columns):
        largest_first = np.cumsum(np.sort(capacity[:, column])[::-1])
        needed = max(needed, int(np.searchsorted(largest_first, used[column])) + 1)
    return needed


def holding(where: IntArray, agents: int) -> IntArray:
    """The agents (of ``agents``) that hold a task, given each task's agent."""
    return np.flatnonzero(np.bincount(where, minlength=agents))


def consolidate(
    demand: IntArray,
    free: IntArray,
    where: IntArray,
    allowed: BoolArray,
    weight: FloatArray,
    max_rounds: int,
    floor: int,
) -> IntArray:
    """New agent (column of ``free``) per task.

    ``demand`` is tasks x resources, ``free`` agents x resources (what each agent has now, with
    the tasks where they are), ``where`` each task's agent, ``allowed`` tasks x agents,
    ``weight`` per resource (1/scale for resources that count as load, 0 for the others).
    Stops after ``max_rounds`` rounds, when nothing helps, after :data:`PATIENCE` rounds
    without freeing an agent, or once the tasks use only ``floor`` agents (a lower bound).
    """
    free = free.copy()
    where = where.copy()
    tasks = np.arange(len(where))
    size = demand @ weight
    load = -(free @ weight)  # a constant apart from the true load; only differences matter
    most = demand.max(axis=0, initial=0)
    # A swap of two tasks that need the same amount of a resource always fits in it.
    varying = demand.min(axis=0, initial=0) != most
    used = len(holding(where, len(free)))
    since_freed = 0
    for _ in range(max_rounds):
        # Resources every agent has enough of for any task need no checking this round.
        short = free.min(axis=0, initial=np.iinfo(np.int64).max) < most
        columns = np.flatnonzero(short).tolist()
        swapped = np.flatnonzero(short & varying).tolist()
        if not _move(demand, free, where, allowed, size, load, columns, tasks) and not _swap(
            demand, free, where, allowed, size, load, swapped
        ):
            break
        now = len(holding(where, len(free)))
        since_freed = 0 if now < used else since_freed + 1
        used = now
        if since_freed >= PATIENCE or used <= floor:
            break
    return where


def _move(
    demand: IntArray,
    free: IntArray,
    where: IntArray,
    allowed: BoolArray,
    size: FloatArray,
    load: FloatArray,
    columns: list[int],
    tasks: IntArray,
) -> bool:
    fits = allowed.copy()
    for c in columns:
        fits &= free[None, :, c] >= demand[:, None, c]
    fits[tasks, where] = False
    # A move gains more the more loaded the agent moved to: a task's best target is the most
    # loaded agent it fits on.
    target = np.where(fits, load[None, :], -np.inf).argmax(axis=1)
    best = size * (load[target] - load[where] + size)
    best[~fits[tasks, target]] = 0.0
    movers = np.flatnonzero(best > _EPSILON)
    if not movers.size:
        return False
    # Applied one by one on plain lists: a move changes two agents, checked task by task.
    rooms, needs, loads, sizes = free.tolist(), demand.tolist(), load.tolist(), size.tolist()
    agents = where.tolist()
    moved = False
    for task in movers[np.argsort(-best[movers], kind="stable")].tolist():
        source, destination = agents[task], int(target[task])
        if loads[destination] + sizes[task] <= loads[source] + _EPSILON:
            continue
        need, room = needs[task], rooms[destination]
        if any(have < amount for have, amount in zip(room, need, strict=True)):
            continue
        rooms[source] = [have + amount for have, amount in zip(rooms[source], need, strict=True)]
        rooms[destination] = [have - amount for have, amount in zip(room, need, strict=True)]
        loads[source] -= sizes[task]
        loads[destination] += sizes[task]
        agents[task] = destination
        moved = True
    if moved:
        free[:] = rooms
        load[:] = loads
        where[:] = agents
    return moved


def _swap(
    demand: IntArray,
    free: IntArray,
    where: IntArray,
    allowed: BoolArray,
    size: FloatArray,
    load: FloatArray,
    columns: list[int],
) -> bool:
    """Swap a bigger task ``i`` on a light agent into the agent of a smaller one ``j`` (and
    back) when it helps."""
    slack = free[where] + demand  # what each task's agent would have without that task
    task_load = load[where]
    # Gains come from moving bigger tasks off light agents: only tasks on the lightest
    # agents are tried as the bigger one of a pair.
    busy = holding(where, len(free))
    light = busy[np.argsort(load[busy], kind="stable")[: max(2, len(busy) // LIGHT_SHARE)]]
    rows = np.flatnonzero(np.isin(where, light))
    ok = (size[rows, None] > size[None, :]) & (where[rows, None] != where[None, :])
    if not allowed.all():
        into = allowed[:, where]  # into[i, j]: task i may go where task j is
        ok &= into[rows] & into.T[rows]
    for c in columns:
        ok &= slack[None, :, c] >= demand[rows, None, c]
        ok &= slack[rows, None, c] >= demand[None, :, c]
    # Gains only for the pairs that fit: a small part of all pairs once agents are full.
    pairs = np.flatnonzero(ok)
    bigger, smaller = rows[pairs // len(where)], pairs % len(where)
    difference = size[bigger] - size[smaller]
    gain = difference * (task_load[smaller] - task_load[bigger] + difference)
    good = (difference > _EPSILON) & (gain > _EPSILON)
    if not good.any():
        return False
    bigger, smaller, difference, best = (
        bigger[good],
        smaller[good],
        difference[good],
        -gain[good],
    )
    if len(best) > 4 * len(free):  # only the best few can be applied in one round
        keep = np.argpartition(best, 4 * len(free))[: 4 * len(free)]
        bigger, smaller, difference, best = (
            bigger[keep],
            smaller[keep],
            difference[keep],
            best[keep],
        )
    touched: set[int] = set()
    for pair in np.argsort(best, kind="stable").tolist():
        if len(touched) >= len(free) - 1:
            break
        i, j = int(bigger[pair]), int(smaller[pair])
        a, b = int(where[i]), int(where[j])
        if a in touched or b in touched:
            continue
        touched.update((a, b))
        change = demand[i] - demand[j]
        free[a] += change
        free[b] -= change
        load[a] -= difference[pair]
        load[b] += difference[pair]
        where[i], where[j] = b, a
    return True
