"""Pytest plugin for browser (``dash_duo``) tests; register it in tests/conftest.py with
``pytest_plugins = ["tests.conftest_browser"]``.

- Tests marked ``browser`` skip with the reason when Chromium, chromedriver or dash[testing]
  is missing, and fail instead when ``PARTNERGRAPH_REQUIRE_BROWSER=1`` (CI).
- ``pytest_setup_options`` (a dash[testing] hook) hands dash_duo our Chrome options, which
  include ``--headless``: the ``--headless`` command-line flag is then optional.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import browser


def pytest_configure(config: pytest.Config) -> None:
    if browser.missing_browser() is None:
        browser.patch_selenium()


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("browser") is None:
        return
    reason = browser.missing_browser()
    if reason is None:
        return
    if browser.browser_required():
        pytest.fail(f"{browser.REQUIRE_ENV}=1 but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(f"browser test skipped: {reason}")


@pytest.hookimpl(optionalhook=True)
def pytest_setup_options() -> Any:
    """dash[testing] hook: the Chrome options dash_duo starts the browser with."""
    return browser.chrome_options()
