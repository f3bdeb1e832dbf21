"""The command line's help is plain text: no reST or Markdown markup reaches a terminal."""

import argparse
import re

import pytest

from frameworkkit.batch import Batch
from frameworkkit.cli import build_parser

MARKUP = re.compile(r"`|:(class|meth|func|mod|attr|data|exc):|\*\*")


def every_parser(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found += every_parser(child)
    return found


def test_every_commands_help_is_plain_text() -> None:
    parsers = every_parser(build_parser())
    names = {p.prog for p in parsers}
    assert {"frameworkkit run", "frameworkkit tasks", "frameworkkit cluster up"} <= names
    for parser in parsers:
        text = parser.format_help()
        assert not MARKUP.search(text), (parser.prog, MARKUP.findall(text))


def test_a_batch_gives_each_task_its_index_and_runs_one_argument_in_a_shell() -> None:
    shell = Batch(["echo $FRAMEWORKKIT_TASK_INDEX"], count=3, name="b").specs()
    assert [s.name for s in shell] == ["b-0", "b-1", "b-2"]
    assert shell[2].command == "echo $FRAMEWORKKIT_TASK_INDEX"
    assert shell[2].env == {"FRAMEWORKKIT_TASK_INDEX": "2", "FRAMEWORKKIT_TASK_COUNT": "3"}
    assert Batch(["python3", "-c", "pass"]).specs()[0].command == ["python3", "-c", "pass"]
    with pytest.raises(ValueError, match="count: at least 1"):
        Batch(["true"], count=0)
    with pytest.raises(ValueError, match="command: give the command"):
        Batch([])
