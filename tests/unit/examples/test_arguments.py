"""The Spark-style and Storm-style command lines: a bad argument exits 2, naming its option."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from topology import parse_args as topology_arguments
from wordcount import parse_args as wordcount_arguments

HERE = __file__


@pytest.mark.parametrize(
    ("parse", "argv", "option"),
    [
        (wordcount_arguments, ["--input", "missing.txt"], "--input"),
        (wordcount_arguments, ["--input", HERE, "--executor-cores", "0"], "--executor-cores"),
        (wordcount_arguments, ["--input", HERE, "--executor-memory", "2t"], "--executor-memory"),
        (wordcount_arguments, ["--input", HERE, "--constraints", "os"], "--constraints"),
        (wordcount_arguments, ["--input", HERE, "--block-size", "1x"], "--block-size"),
        (topology_arguments, ["--sentences", "0"], "--sentences"),
        (topology_arguments, ["--sentences", "5", "--worker-cpus", "0"], "--worker-cpus"),
        (topology_arguments, ["--sentences", "5", "--topology", "a b"], "--topology"),
    ],
)
def test_a_bad_argument_exits_2_naming_its_option(
    parse: Callable[[Sequence[str]], Any],
    argv: list[str],
    option: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse(["--master", "http://127.0.0.1:5050", "--output", "out.tsv", *argv])
    assert exit_.value.code == 2
    assert option in capsys.readouterr().err


@pytest.mark.parametrize("parse", [wordcount_arguments, topology_arguments])
def test_help_exits_0(parse: Callable[[Sequence[str]], Any]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse(["--help"])
    assert exit_.value.code == 0
