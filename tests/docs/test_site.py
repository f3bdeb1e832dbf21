"""The docs site builds with warnings as errors, with an API reference page for every public
name (generated from the docstrings) and the tutorial notebooks rendered into it."""

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

import frameworkkit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-4000:]
    return target


def text_of(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")))


def test_every_public_name_has_a_reference_page_rendered_from_its_docstring(site: Path) -> None:
    names = [n for n in frameworkkit.__all__ if not n.startswith("_")]
    assert names
    for name in names:
        page = site / "reference" / name / "index.html"
        assert page.is_file(), f"no reference page for {name}"
        source = page.read_text(encoding="utf-8")
        assert f'id="frameworkkit.{name}"' in source, name  # mkdocstrings rendered the object
        first_line = (getattr(frameworkkit, name).__doc__ or "").strip().splitlines()[0]
        words = " ".join(re.sub(r":\w+:|[`~*]", " ", first_line).split()[:3])
        assert words in " ".join(text_of(page).split()), (name, words)
    index = (site / "reference" / "index.html").read_text(encoding="utf-8")
    assert 'id="frameworkkit.__version__"' in index
    assert all(f'href="{name}/"' in index for name in names)


def test_no_docstring_shows_sphinx_markup(site: Path) -> None:
    for page in (site / "reference").glob("*/index.html"):
        found = re.findall(r":(?:class|meth|func|mod|attr|exc):`|``", text_of(page))
        assert not found, (page.parent.name, found[:3])


def test_the_tutorials_are_rendered_into_the_site(site: Path) -> None:
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        page = site / "tutorials" / notebook.stem / "index.html"
        assert page.is_file(), notebook.name
        assert "assert" in text_of(page), notebook.name  # the code cells are there
