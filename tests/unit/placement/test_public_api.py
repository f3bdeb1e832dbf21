from __future__ import annotations

import ast
from pathlib import Path

import frameworkkit.placement as placement


def test_all_is_unique_and_complete() -> None:
    assert len(placement.__all__) == len(set(placement.__all__))
    namespace: dict[str, object] = {}
    exec("from frameworkkit.placement import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(placement.__all__)


def test_placement_imports_no_io_layers() -> None:
    allowed: tuple[str, ...] = ("__future__", "abc", "collections", "contextlib", "dataclasses")
    allowed += ("functools", "operator")
    allowed += ("math", "re", "typing", "msgspec", "numpy")
    allowed += (
        "frameworkkit.placement",
        "frameworkkit.protocol",
        "frameworkkit.validation",
        "frameworkkit._lazy",
        "frameworkkit._collector",
    )
    for path in Path(placement.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
                if node.module == "frameworkkit":
                    names = [f"frameworkkit.{alias.name}" for alias in node.names]
            for name in names:
                root = next((a for a in allowed if name == a or name.startswith(a + ".")), None)
                assert root is not None, f"{path.name} imports {name}"
