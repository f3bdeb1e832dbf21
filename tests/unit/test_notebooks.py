"""The tutorial notebooks are kept without outputs, each runnable by the test kernel."""

import json
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
EXPECTED = ["01-first-framework", "02-placement", "03-spark-style", "04-failover"]


def test_the_four_tutorials_are_committed_without_outputs() -> None:
    found = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert [p.stem for p in found] == EXPECTED
    for path in found:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        assert notebook["metadata"]["kernelspec"]["name"] == "python3", path.name
        for index, cell in enumerate(notebook["cells"]):
            where = f"{path.name} cell {index}"
            assert "outputs" not in cell or cell["outputs"] == [], f"{where} has outputs"
            assert cell.get("execution_count") is None, f"{where} has an execution count"
            assert "attachments" not in cell, f"{where} has attachments"


def test_each_notebook_asserts_its_result_in_a_cell() -> None:
    for name in EXPECTED:
        notebook = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
        code = [c["source"] for c in notebook["cells"] if c["cell_type"] == "code"]
        assert any("assert " in "".join(source) for source in code), name
