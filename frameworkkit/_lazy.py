"""Package exports that load their module on first use (so start-up stays light).

Standard library only, and not even :mod:`typing` at run time: executors start with it. A
package writes ``_TYPE_CHECKING = False`` rather than importing typing's, for the same reason.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing's would load typing, at every executor's start
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``exports[name]`` when ``name`` is
    first used, and keeps the value in the package from then on. A name that is the package's
    own submodule (``{"calls": "frameworkkit.protocol.calls"}``) gives the module itself."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        loaded = importlib.import_module(module)
        value = loaded if module == f"{package}.{name}" else getattr(loaded, name)
        setattr(importlib.import_module(package), name, value)
        return value

    return __getattr__


def optional(module: str, extra: str, needed_for: str) -> Any:
    """Import ``module`` of an optional dependency, or say which extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as missing:
        raise ImportError(
            f"{needed_for} needs {module.split('.')[0]}: pip install 'frameworkkit[{extra}]'"
        ) from missing
