"""Arithmetic on integer range sets such as ports: ``((begin, end), ...)``, ends included.

A normalised range set is sorted, with no two ranges overlapping or touching. Every function
here takes and returns normalised sets (``normalize`` makes one from any pairs).
"""

from __future__ import annotations

from collections.abc import Iterable

RangeSet = tuple[tuple[int, int], ...]


def normalize(pairs: Iterable[tuple[int, int]]) -> RangeSet:
    """Sort and merge ``(begin, end)`` pairs; pairs with ``end < begin`` are dropped."""
    merged: list[list[int]] = []
    for begin, end in sorted(pair for pair in pairs if pair[1] >= pair[0]):
        if merged and begin <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    return tuple((begin, end) for begin, end in merged)


def union(left: RangeSet, right: RangeSet) -> RangeSet:
    return normalize(left + right)


def difference(left: RangeSet, right: RangeSet) -> RangeSet:
    """The numbers of ``left`` that are not in ``right``."""
    result: list[tuple[int, int]] = []
    index = 0
    for begin, end in left:
        while index < len(right) and right[index][1] < begin:
            index += 1
        cursor = begin
        probe = index
        while probe < len(right) and right[probe][0] <= end:
            cut_begin, cut_end = right[probe]
            if cut_begin > cursor:
                result.append((cursor, cut_begin - 1))
            cursor = max(cursor, cut_end + 1)
            probe += 1
        if cursor <= end:
            result.append((cursor, end))
    return tuple(result)


def is_subset(inner: RangeSet, outer: RangeSet) -> bool:
    return not difference(inner, outer)


def size(ranges: RangeSet) -> int:
    """How many numbers the set holds."""
    return sum(end - begin + 1 for begin, end in ranges)


def contains(ranges: RangeSet, number: int) -> bool:
    return any(begin <= number <= end for begin, end in ranges)


def split_first(ranges: RangeSet, count: int) -> tuple[RangeSet, RangeSet]:
    """The ``count`` smallest numbers of the set (fewer if it holds fewer) and the rest of
    the set, as two range sets."""
    taken: list[tuple[int, int]] = []
    for position, (begin, end) in enumerate(ranges):
        if count <= 0:
            return tuple(taken), ranges[position:]
        last = min(end, begin + count - 1)
        taken.append((begin, last))
        count -= last - begin + 1
        if last < end:
            return tuple(taken), ((last + 1, end), *ranges[position + 1 :])
    return tuple(taken), ()
