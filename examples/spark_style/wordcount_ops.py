"""The word count's units of work, as an executor runs them: read a block, count, shuffle, merge.

A *word* is a maximal run of letters, digits or underscores (Python's ``\\w``), lower-cased. A
block ``[start, end)`` of the input holds the lines whose first byte lies in it, as Hadoop's
line reader splits files, so every line is counted by exactly one block. Map output is
partitioned by a stable hash of the word (CRC-32), so that every block sends a word to the same
reduce partition.
"""

from __future__ import annotations

import collections
import json
import re
import zlib
from collections.abc import Iterable, Iterator

WORD = re.compile(r"\w+")


def words(line: str) -> list[str]:
    """The words of ``line``, lower-cased."""
    return WORD.findall(line.lower())


def block_lines(path: str, start: int, end: int) -> Iterator[str]:
    """The lines of the file at ``path`` whose first byte is in ``[start, end)``."""
    with open(path, "rb") as source:
        if start > 0:
            source.seek(start - 1)
            source.readline()  # the line under way at ``start`` belongs to the block before
        while source.tell() < end:
            line = source.readline()
            if not line:
                return
            yield line.decode("utf-8", errors="replace")


def partition_of(word: str, partitions: int) -> int:
    return zlib.crc32(word.encode()) % partitions


def map_block(path: str, start: int, end: int, partitions: int) -> list[bytes]:
    """Count the words of one block, combined per word, split into one shuffle block per
    reduce partition (JSON ``{word: count}``)."""
    counts = collections.Counter(
        word for line in block_lines(path, start, end) for word in words(line)
    )
    buckets: list[dict[str, int]] = [{} for _ in range(partitions)]
    for word, count in counts.items():
        buckets[partition_of(word, partitions)][word] = count
    return [json.dumps(bucket).encode() for bucket in buckets]


def merge_blocks(blocks: Iterable[bytes]) -> dict[str, int]:
    """Add up the shuffle blocks of one reduce partition."""
    total: collections.Counter[str] = collections.Counter()
    for block in blocks:
        total.update(json.loads(block))
    return dict(total)


def block_name(map_index: int, partition: int) -> str:
    """The name a map's output for ``partition`` is served under."""
    return f"shuffle_{map_index}_{partition}"
