from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frameworkkit.placement import Agent, Constraint
from frameworkkit.placement._groups import value_mask


def on(rack: str | None, host: str = "h") -> Agent:
    return Agent(f"id-{host}-{rack}", host, {"rack": rack} if rack is not None else {})


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("rack", "unique"), ValueError, "operator.*'rack'"),
        (("rack", "UNIQUE", "x"), ValueError, "empty for UNIQUE.*'rack'"),
        (("rack", "MAX_PER"), ValueError, "required for MAX_PER.*'rack'"),
        (("rack", "MAX_PER", "0"), ValueError, "whole number >= 1.*'rack'"),
        (("rack", "MAX_PER", "two"), ValueError, "whole number.*'rack'"),
        (("rack", "GROUP_BY", "-1"), ValueError, "whole number >= 0.*'rack'"),
        (("rack", "LIKE", "r[1-"), ValueError, "regular expression.*'rack'"),
        (("rack", "IS"), ValueError, "required for IS.*'rack'"),
        (("@rack", "UNIQUE"), ValueError, "'@rack' is not known"),
        (("", "UNIQUE"), ValueError, "Constraint.field"),
        (("rack", "MAX_PER", 2), TypeError, "value: must be a string.*'rack'"),
    ],
)
def test_bad_constraints_fail_at_construction_naming_the_field(
    args: tuple[object, ...], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        Constraint(*args)  # type: ignore[arg-type]


def test_marathon_list_form() -> None:
    assert Constraint.parse(["hostname", "UNIQUE"]) == Constraint("hostname", "UNIQUE")
    assert Constraint.parse(["rack", "GROUP_BY", "3"]) == Constraint("rack", "GROUP_BY", "3")
    same = Constraint("rack", "IS", "r1", soft=True)
    assert Constraint.parse(same) is same
    assert str(Constraint("rack", "MAX_PER", "2")) == "rack:MAX_PER:2"
    assert str(same) == "rack:IS:r1 (soft)"
    for bad in (["hostname"], "hostname:UNIQUE", ["a", "b", "c", "d"]):
        with pytest.raises(ValueError, match="constraint: must be"):
            Constraint.parse(bad)


def test_unique_and_max_per() -> None:
    unique = Constraint("hostname", "UNIQUE")
    assert not unique.allows(on("r1", "h1"), [on("r2", "h1")])
    assert unique.allows(on("r1", "h2"), [on("r2", "h1")])
    max_per = Constraint("rack", "MAX_PER", "2")
    assert max_per.allows(on("a"), [on("a")])
    assert not max_per.allows(on("a"), [on("a"), on("a")])


def test_cluster_follows_the_first_task_or_the_value() -> None:
    cluster = Constraint("rack", "CLUSTER")
    assert cluster.allows(on("a"), [])
    assert cluster.allows(on("a"), [on("a"), on("a")])
    assert not cluster.allows(on("b"), [on("a")])
    assert not cluster.allows(on(None), [])
    assert Constraint("rack", "CLUSTER", "b").allows(on("b"), [on("a")])
    assert not Constraint("rack", "CLUSTER", "b").allows(on("a"), [])


def test_group_by_spreads_evenly() -> None:
    group_by = Constraint("rack", "GROUP_BY")
    assert group_by.allows(on("a"), [on("a")])  # without a count, one value seen is even
    two = Constraint("rack", "GROUP_BY", "2")
    assert not two.allows(on("a"), [on("a")])
    assert two.allows(on("b"), [on("a")])
    assert not two.allows(on("a"), [on("a"), on("b"), on("a")])
    assert two.allows(on("b"), [on("a"), on("b"), on("a")])
    assert two.allows(on("c"), [on("a"), on("b"), on("a")])  # a value not used yet


def test_like_unlike_is_match_whole_values_and_missing_fields() -> None:
    like = Constraint("rack", "LIKE", "rack-[1-3]")
    assert like.allows(on("rack-2"), [])
    assert not like.allows(on("xrack-2"), [])  # a full match, as in Java's String.matches
    assert not like.allows(on(None), [])
    unlike = Constraint("rack", "UNLIKE", "rack-[1-3]")
    assert unlike.allows(on("rack-7"), []) and not unlike.allows(on("rack-1"), [])
    assert unlike.allows(on(None), [])  # only UNLIKE accepts an agent lacking the field
    assert Constraint("rack", "IS", "r1").allows(on("r1"), [])
    assert not Constraint("rack", "IS", "r1").allows(on("r10"), [])
    assert not Constraint("rack", "UNIQUE").allows(on(None), [])
    assert Constraint("@agent_id", "IS", "id-h-a").allows(on("a"), [])


counting = st.sampled_from(
    [
        Constraint("rack", "UNIQUE"),
        Constraint("rack", "CLUSTER"),
        Constraint("rack", "GROUP_BY"),
        Constraint("rack", "GROUP_BY", "3"),
        Constraint("rack", "MAX_PER", "2"),
    ]
)
values = st.sampled_from(["a", "b", "c", None])


@settings(max_examples=150)
@given(counting, st.lists(values, max_size=7))
def test_vectorised_verdicts_match_the_plain_ones(
    constraint: Constraint, placed: list[str | None]
) -> None:
    codes = {"a": 0, "b": 1, "c": 2, None: 3}
    tally = Counter(codes[value] for value in placed)
    first = codes[placed[0]] if placed else None
    mask = value_mask(constraint, dict(tally), first, np.arange(4), 3)
    for value, code in codes.items():
        plain = constraint.allows(on(value), [on(v) for v in placed])
        assert bool(mask[code]) == plain
        assert bool(value_mask(constraint, dict(tally), first, code, 3)) == plain
