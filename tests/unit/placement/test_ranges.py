from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from frameworkkit.placement import _ranges

pairs = st.lists(
    st.tuples(st.integers(0, 60), st.integers(0, 60)).map(lambda p: (min(p), max(p))),
    max_size=6,
)


def numbers(ranges: _ranges.RangeSet) -> set[int]:
    return {n for begin, end in ranges for n in range(begin, end + 1)}


@settings(max_examples=150)
@given(pairs, pairs)
def test_range_arithmetic_matches_sets_of_numbers(
    left: list[tuple[int, int]], right: list[tuple[int, int]]
) -> None:
    a, b = _ranges.normalize(left), _ranges.normalize(right)
    assert numbers(a) == {n for begin, end in left for n in range(begin, end + 1)}
    assert all(a[i][1] + 1 < a[i + 1][0] for i in range(len(a) - 1))  # sorted, apart
    assert numbers(_ranges.union(a, b)) == numbers(a) | numbers(b)
    assert numbers(_ranges.difference(a, b)) == numbers(a) - numbers(b)
    assert _ranges.is_subset(a, b) == (numbers(a) <= numbers(b))
    assert _ranges.size(a) == len(numbers(a))
    taken, rest = _ranges.split_first(a, 3)
    assert numbers(taken) == set(sorted(numbers(a))[:3])
    assert rest == _ranges.difference(a, taken)
    assert all(_ranges.contains(a, n) == (n in numbers(a)) for n in range(-1, 62))


def test_normalize_merges_neighbours() -> None:
    assert _ranges.normalize([(5, 5), (3, 3), (4, 4), (9, 9)]) == ((3, 5), (9, 9))
    assert _ranges.normalize([(4, 2)]) == ()
