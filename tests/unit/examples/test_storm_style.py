"""The Storm-style topology's components, without a cluster: acks by XOR, replays after the
message timeout, each word counted once, the stream replayed after a bolt's state was lost."""

from __future__ import annotations

import collections
from typing import Any

from components import SPOUT, Emit, Splitter, Spout, WordCounter, count_task
from sentences import sentences


class Topology:
    """One spout, two split and two count components wired in memory; the test decides which
    tuples are delivered."""

    def __init__(self, text: list[str]) -> None:
        self.spout = Spout(text, splitters=2, max_pending=50, timeout=5.0)
        self.splitters = {f"split-{i}": Splitter(counters=2) for i in range(2)}
        self.counters = {f"count-{i}": WordCounter() for i in range(2)}
        self.queue: list[Emit] = []

    def deliver(self, target: str, tuple_: dict[str, Any]) -> None:
        if target == SPOUT:
            self.spout.ack(tuple_["root"], tuple_["x"])
        elif target in self.splitters:
            self.queue += self.splitters[target].receive(tuple_)
        else:
            self.queue += self.counters[target].receive(tuple_)

    def run(self, now: float, drop: str | None = None) -> None:
        """Emit every due sentence and deliver every tuple, except those sent to ``drop``."""
        while (emit := self.spout.emit(now)) is not None or self.queue:
            if emit is not None:
                self.queue.append(emit)
            while self.queue:
                target, tuple_ = self.queue.pop(0)
                if target != drop:
                    self.deliver(target, tuple_)

    def counts(self) -> collections.Counter[str]:
        total: collections.Counter[str] = collections.Counter()
        for counter in self.counters.values():
            total.update(counter.counts)
        return total


TEXT = sentences(120, seed=3)
EXPECTED = collections.Counter(word for line in TEXT for word in line.split())


def test_every_sentence_is_acked_and_every_word_counted_once() -> None:
    topology = Topology(TEXT)
    topology.run(now=0.0)
    assert topology.spout.complete and not topology.spout.pending
    assert topology.counts() == EXPECTED
    for name, counter in topology.counters.items():  # fields grouping: a word has one home
        assert all(count_task(word, 2) == name for word in counter.counts)


def test_tuples_lost_with_a_worker_are_replayed_after_the_timeout_and_not_counted_twice() -> None:
    topology = Topology(TEXT)
    topology.run(now=0.0, drop="split-1")  # split-1 is gone: its sentences are never acked
    assert not topology.spout.complete and topology.spout.pending
    assert topology.spout.expire(now=4.0) == 0  # not late yet
    topology.run(now=4.0, drop="split-1")
    assert topology.spout.expire(now=10.0) > 0  # late: replayed, through either splitter
    for _ in range(10):
        topology.run(now=10.0)
        topology.spout.expire(now=20.0)
    assert topology.spout.complete and topology.counts() == EXPECTED


def test_a_count_worker_replaced_is_rebuilt_by_replaying_the_stream() -> None:
    topology = Topology(TEXT)
    topology.run(now=0.0)
    topology.counters["count-1"] = WordCounter()  # its state died with it
    topology.spout.rewind(epoch=1)
    assert not topology.spout.complete
    topology.run(now=1.0)
    assert topology.spout.complete and topology.spout.epoch == 1
    assert topology.counts() == EXPECTED  # the survivor skipped what it had counted


def test_the_sentences_are_the_same_for_a_seed() -> None:
    assert sentences(5, seed=7) == sentences(5, seed=7) != sentences(5, seed=8)
    assert all(3 <= len(line.split()) <= 9 for line in sentences(50, seed=7))
