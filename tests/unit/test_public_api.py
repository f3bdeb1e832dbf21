"""The public surface and the layers under it, guarded."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import frameworkkit

PACKAGE = Path(frameworkkit.__file__).parent

EXPECTED = [
    "AccessDenied",
    "CommandExecutor",
    "Constraint",
    "DockerContainer",
    "Executor",
    "FileStateStore",
    "Framework",
    "HealthCheck",
    "MesosContainer",
    "PackedExecutor",
    "PortMapping",
    "Secret",
    "StateStore",
    "Task",
    "TaskSpec",
    "TaskSpecError",
    "TaskState",
    "TransportOptions",
    "Volume",
    "ZooKeeperStateStore",
    "__version__",
]


def test_the_root_exports_exactly_the_curated_names_and_each_resolves() -> None:
    assert frameworkkit.__all__ == EXPECTED  # a change to the public surface is deliberate
    for name in frameworkkit.__all__:
        assert getattr(frameworkkit, name) is not None
    public = {n for n in dir(frameworkkit) if n.isidentifier() and not n.startswith("_")}
    submodules = {
        p.stem for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()
    }
    assert public - submodules <= set(EXPECTED)


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_protocol_does_no_io_and_imports_nothing_above_it() -> None:
    forbidden = (
        "frameworkkit.scheduler",
        "frameworkkit.transport",
        "frameworkkit.executor",
        "frameworkkit.placement",
        "frameworkkit.testing",
        "frameworkkit.compat",
        "httpx",
        "socket",
        "asyncio",
        "subprocess",
        "kazoo",
    )
    for path in (PACKAGE / "protocol").glob("*.py"):
        for name in imported_modules(path):
            assert not name.startswith(forbidden), f"protocol/{path.name} imports {name}"


def test_the_shared_vocabulary_and_bridges_use_the_standard_library_only() -> None:
    for module in ("hooks", "loops", "states", "validation", "_lazy"):
        for name in imported_modules(PACKAGE / f"{module}.py"):
            root = name.split(".")[0]
            assert root in sys.stdlib_module_names or root == "__future__", (module, name)


def test_importing_the_package_loads_no_part_of_it() -> None:
    code = "import sys, frameworkkit; print(sorted(m for m in sys.modules if 'frameworkkit.' in m))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "['frameworkkit._lazy']"
