"""/docs and /redoc work without internet access: every asset they load is served by the service itself."""

from __future__ import annotations

import re

import pytest

from tests.factories import World


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_documentation_loads_only_local_assets(world: World, path: str) -> None:
    page = world.client.get(path)
    assert page.status_code == 200
    assert "cdn.jsdelivr.net" not in page.text and "fonts.googleapis.com" not in page.text
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', page.text)
    assert assets
    for asset in assets:
        assert asset.startswith("/static/docs/")
        assert world.client.get(asset).status_code == 200
    policy = page.headers["content-security-policy"]
    assert "https:" not in policy
