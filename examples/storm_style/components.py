"""The topology's components as Storm runs them, without the network: spout, split, count.

Every tuple is anchored to the sentence it came from, and Storm's acker tracks each sentence's
tuple tree by XOR: the spout starts a tree with the sentence tuple's id, each bolt acks a tuple
with its id XOR the ids of the tuples it emitted from it, and the tree is complete when the XOR
comes back to zero. A sentence not complete within the message timeout is emitted again. The
count bolt counts each word of a sentence once (by sentence and position), so a replay never
counts twice: every word is counted exactly once.

A component turns each tuple it gets into ``(target, tuple)`` pairs to send; targets are worker
names such as ``split-1``. The spout is also the acker.
"""

from __future__ import annotations

import collections
import random
import zlib
from dataclasses import dataclass, field
from typing import Any

Emit = tuple[str, dict[str, Any]]
SPOUT = "spout-0"


def new_id(rng: random.Random) -> int:
    return rng.getrandbits(63) | 1  # never 0, which would end a tree early


def count_task(word: str, counters: int) -> str:
    """Fields grouping: the count task of a word."""
    return f"count-{zlib.crc32(word.encode()) % counters}"


@dataclass
class Pending:
    index: int
    xor: int
    emitted: float


@dataclass
class Spout:
    """Emits the sentences to the split tasks in turn (shuffle grouping) and acks their trees."""

    sentences: list[str]
    splitters: int
    max_pending: int
    timeout: float
    epoch: int = 0
    next_index: int = 0
    acked: set[int] = field(default_factory=set)
    pending: dict[int, Pending] = field(default_factory=dict)  # root id -> tree
    replays: list[int] = field(default_factory=list)
    emitted: int = 0
    rng: random.Random = field(default_factory=random.Random)

    @property
    def complete(self) -> bool:
        return len(self.acked) == len(self.sentences)

    def rewind(self, epoch: int) -> None:
        """Start the stream again (a bolt's state was lost): every sentence, new trees."""
        self.epoch, self.next_index = epoch, 0
        self.acked.clear()
        self.pending.clear()
        self.replays.clear()

    def emit(self, now: float) -> Emit | None:
        """The next sentence to send, if one is due and fewer than ``max_pending`` are out."""
        if len(self.pending) >= self.max_pending:
            return None
        if self.replays:
            index = self.replays.pop(0)
        elif self.next_index < len(self.sentences):
            index, self.next_index = self.next_index, self.next_index + 1
        else:
            return None
        root = new_id(self.rng)
        self.pending[root] = Pending(index, root, now)
        self.emitted += 1
        target = f"split-{self.emitted % self.splitters}"
        return target, {
            "t": "sentence",
            "root": root,
            "id": root,
            "i": index,
            "text": self.sentences[index],
        }

    def ack(self, root: int, xor: int) -> None:
        tree = self.pending.get(root)
        if tree is None:
            return  # a tree of an earlier epoch, or replayed already
        tree.xor ^= xor
        if tree.xor == 0:
            del self.pending[root]
            self.acked.add(tree.index)

    def expire(self, now: float) -> int:
        """Fail the trees older than the timeout: their sentences go out again."""
        late = [root for root, tree in self.pending.items() if now - tree.emitted > self.timeout]
        for root in late:
            index = self.pending.pop(root).index
            if index not in self.acked:
                self.replays.append(index)
        return len(late)


@dataclass
class Splitter:
    """Splits a sentence into word tuples, each to its count task (fields grouping)."""

    counters: int
    rng: random.Random = field(default_factory=random.Random)

    def receive(self, tuple_: dict[str, Any]) -> list[Emit]:
        emits: list[Emit] = []
        xor = tuple_["id"]
        for position, word in enumerate(tuple_["text"].split()):
            child = new_id(self.rng)
            xor ^= child
            word_tuple = {
                "t": "word",
                "root": tuple_["root"],
                "id": child,
                "i": tuple_["i"],
                "pos": position,
                "w": word,
            }
            emits.append((count_task(word, self.counters), word_tuple))
        return [*emits, (SPOUT, {"t": "ack", "root": tuple_["root"], "x": xor})]


@dataclass
class WordCounter:
    """Counts each word of each sentence once, and acks every word tuple it gets."""

    counts: collections.Counter[str] = field(default_factory=collections.Counter)
    seen: set[tuple[int, int]] = field(default_factory=set)

    def receive(self, tuple_: dict[str, Any]) -> list[Emit]:
        key = (tuple_["i"], tuple_["pos"])
        if key not in self.seen:
            self.seen.add(key)
            self.counts[tuple_["w"]] += 1
        return [(SPOUT, {"t": "ack", "root": tuple_["root"], "x": tuple_["id"]})]
