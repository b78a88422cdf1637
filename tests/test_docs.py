"""The documentation site builds strictly, offline, and its reference covers the public API."""

from __future__ import annotations

import html
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

import hashkey_async
from hashkey_async import HashKeyClient

ROOT = Path(__file__).resolve().parent.parent


def _text(page: Path) -> str:
    """A built page as plain text: tags stripped, entities decoded, whitespace collapsed."""
    raw = re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))
    return " ".join(html.unescape(raw).split())


def _squeezed(text: str) -> str:
    """``text`` without whitespace (markup around inline code adds spaces the source lacks)."""
    return "".join(text.replace("``", "").split())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=ROOT,
        check=True,
        timeout=180,
    )
    return out


@pytest.mark.timeout(200)  # a full site build: slower than a unit test on a loaded machine
def test_every_public_name_has_a_reference_entry(site: Path) -> None:
    page = (site / "reference" / "api" / "index.html").read_text(encoding="utf-8")
    missing = [n for n in hashkey_async.__all__ if f'id="hashkey_async.{n}"' not in page]
    assert missing == []


@pytest.mark.timeout(200)
def test_create_order_is_documented_with_its_docstring(site: Path) -> None:
    spot = type(HashKeyClient().spot)  # constructing makes no request
    page = site / "reference" / "resources" / "index.html"
    anchor = f'id="{spot.__module__}.{spot.__qualname__}.create_order"'
    assert anchor in page.read_text(encoding="utf-8")
    doc = inspect.getdoc(spot.create_order)
    assert doc is not None
    assert _squeezed(doc) in _squeezed(_text(page))  # the whole docstring, every paragraph


@pytest.mark.timeout(200)
def test_cli_reference_shows_every_command(site: Path) -> None:
    text = _text(site / "cli" / "index.html")
    for command in ("ticker", "depth", "balances", "order place", "cancel-all", "stream user"):
        assert f"usage: hashkey-async {command}" in text


def test_the_site_quickstart_is_the_readme_quickstart() -> None:
    def first_python_block(path: Path) -> str:
        section = path.read_text(encoding="utf-8").split("# Quickstart", 1)[1]
        match = re.search(r"```python\n(.*?)```", section, re.S)
        assert match is not None
        return match.group(1)

    assert first_python_block(ROOT / "docs" / "quickstart.md") == first_python_block(
        ROOT / "README.md"
    )
