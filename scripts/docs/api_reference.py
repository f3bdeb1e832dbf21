"""The API reference of the docs site: a page per name in ``frameworkkit.__all__``, rendered by
mkdocstrings from the docstrings.

Two parts, both named in ``mkdocs.yml``:

- an mkdocs hook (``on_config``, ``on_files``) that makes the pages at build time from
  ``__all__`` itself (``reference/<Name>.md`` and ``reference/index.md`` listing them) and
  lists them in the nav's "API reference" section, so a name added to the public surface gets
  its page without anyone writing one;
- a griffe extension (:class:`SphinxRoles`) for mkdocstrings: frameworkkit's docstrings name
  other objects the Sphinx way (``:class:`TaskSpec```, ``:meth:`~Framework.submit```), which
  Markdown would show as text. Each role becomes a code span, linked when it names a public
  name or one of its members; a paragraph ending in reST's ``::`` ends in ``:``.
"""

from __future__ import annotations

import re
from typing import Any

import griffe
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

import frameworkkit

SECTION = "API reference"
ROLE = re.compile(r":(?:class|meth|func|mod|attr|data|exc|obj):`(~?)([^`]+)`")
LITERAL_BLOCK = re.compile(r"(?<=\S)::$", re.MULTILINE)


def public_names() -> list[str]:
    """The names that get a page of their own (``__version__`` is on the index)."""
    return sorted(name for name in frameworkkit.__all__ if not name.startswith("_"))


# ---- docstrings -----------------------------------------------------------------------------


def _role(match: re.Match[str]) -> str:
    short, target = match[1] == "~", match[2].removeprefix("frameworkkit.")
    shown = target.rsplit(".", 1)[-1] if short else target
    parts = target.split(".")
    public = next((i for i, part in enumerate(parts) if part in public_names()), None)
    if public is not None and len(parts) - public <= 2:  # a public name or one of its members
        return f"[`{shown}`][frameworkkit.{'.'.join(parts[public:])}]"
    return f"`{shown}`"


def markdown(docstring: str) -> str:
    """``docstring`` with its Sphinx roles as Markdown code spans (links where the reference
    has a page) and reST's ``::`` before a literal block as ``:``."""
    return LITERAL_BLOCK.sub(":", ROLE.sub(_role, docstring))


class SphinxRoles(griffe.Extension):
    """Rewrites each docstring as :func:`markdown` once it is loaded."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown(obj.docstring.value)

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        self.on_object(obj=pkg)  # the package itself is no object's member


# ---- pages ------------------------------------------------------------------------------------


def _summary(name: str) -> str:
    doc = getattr(frameworkkit, name).__doc__ or ""
    return markdown(" ".join(doc.strip().split("\n\n")[0].split())).replace("|", "\\|")


def index_page() -> str:
    rows = "\n".join(f"| [`{n}`]({n}.md) | {_summary(n)} |" for n in public_names())
    return (
        "# API reference\n\n"
        "Every public name of frameworkkit, importable from the package itself "
        "(`from frameworkkit import Framework`), generated from its docstrings.\n\n"
        f"| name | what it is |\n| --- | --- |\n{rows}\n\n"
        "::: frameworkkit\n"
        "    options:\n"
        "      show_root_heading: true\n"
        "      members: [__version__]\n"
    )


def page(name: str) -> str:
    return f"::: frameworkkit.{name}\n    options:\n      heading_level: 1\n"


def on_config(config: MkDocsConfig, **kwargs: Any) -> MkDocsConfig:
    pages: list[Any] = ["reference/index.md", *(f"reference/{n}.md" for n in public_names())]
    for entry in config.nav or []:
        if isinstance(entry, dict) and SECTION in entry:
            entry[SECTION] = pages
            return config
    raise ValueError(f"nav: add an empty {SECTION!r} section for the reference pages")


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    files.append(File.generated(config, "reference/index.md", content=index_page()))
    for name in public_names():
        files.append(File.generated(config, f"reference/{name}.md", content=page(name)))
    return files
