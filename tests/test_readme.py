"""The README's quickstart runs as written, against the offline exchange standing in for production."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hashkey_async.config import ENVIRONMENTS, EnvironmentURLs
from hashkey_async.testing import OfflineExchange

README = Path(__file__).resolve().parent.parent / "README.md"


def quickstart() -> str:
    """The first Python block after the "Quickstart" heading."""
    section = README.read_text().split("## Quickstart", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


async def test_readme_quickstart_places_and_cancels_an_order(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = quickstart()
    assert code.rstrip().endswith("asyncio.run(main())")
    body = code.rstrip().removesuffix("asyncio.run(main())")
    async with OfflineExchange() as ex:
        monkeypatch.setitem(ENVIRONMENTS, "production", EnvironmentURLs(ex.rest_url, ex.stream_url))
        monkeypatch.setenv("HASHKEY_API_KEY", ex.api_key)
        monkeypatch.setenv("HASHKEY_API_SECRET", ex.api_secret)
        namespace: dict[str, object] = {}
        exec(compile(body, str(README), "exec"), namespace)
        await namespace["main"]()  # type: ignore[operator]
        lines = capsys.readouterr().out.splitlines()
        order_id = int(lines[1].split()[0])
        assert ex.engine.orders[order_id].status == "CANCELED"
    assert len(lines) == 3 and lines[1].split()[1] == "NEW"
