"""Browser-test helpers: find Chromium and chromedriver, build Chrome options, fix selenium.

``dash[testing]`` pins ``selenium<=4.2.0``. With the crawl extra installed, trafilatura and
htmldate need ``urllib3>=2.8``, which selenium 4.0-4.2 refuse (``urllib3~=1.26``), so pip picks
selenium 3.141.0. That version hands urllib3 a sentinel object as its timeout and urllib3 2
rejects it ("Timeout value connect was <object ...>"); :func:`patch_selenium` sets a real one.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

REQUIRE_ENV = "PARTNERGRAPH_REQUIRE_BROWSER"
CHROME_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
DRIVER_NAMES = ("chromedriver",)
SELENIUM_TIMEOUT = 60.0

#: Chrome switches for a quiet, offline, headless run (root needs --no-sandbox).
CHROME_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--window-size=1400,1100",
)


def browser_required() -> bool:
    return os.environ.get(REQUIRE_ENV) == "1"


def find_chrome() -> str | None:
    """The Chrome/Chromium binary: ``DASH_TEST_CHROMEPATH`` if set, else the first on PATH."""
    explicit = os.environ.get("DASH_TEST_CHROMEPATH")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in CHROME_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def find_driver() -> str | None:
    for name in DRIVER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def missing_browser() -> str | None:
    """Why browser tests cannot run here, or ``None`` when they can."""
    try:
        import dash.testing.browser  # noqa: F401
        import selenium  # noqa: F401
    except ImportError as exc:
        return f"dash[testing] is not installed ({exc}); install the test extra"
    explicit = os.environ.get("DASH_TEST_CHROMEPATH")
    if explicit and not Path(explicit).is_file():
        return f"DASH_TEST_CHROMEPATH={explicit} is not a file"
    chrome = find_chrome()
    if chrome is None:
        return (
            "no Chromium/Chrome found (looked for " + ", ".join(CHROME_NAMES) + " and "
            "DASH_TEST_CHROMEPATH); install Debian's chromium"
        )
    if find_driver() is None:
        return "no chromedriver on PATH; install Debian's chromium-driver"
    return None


def patch_selenium() -> None:
    """Give selenium 3.x's HTTP pool a numeric timeout (needed with urllib3 2)."""
    import selenium

    if int(selenium.__version__.split(".")[0]) >= 4:
        return
    from selenium.webdriver.remote.remote_connection import RemoteConnection

    RemoteConnection.set_timeout(SELENIUM_TIMEOUT)


def chrome_options() -> Any:
    """``selenium`` ChromeOptions for dash_duo: headless, sandbox off, no network side trips."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    chrome = find_chrome()
    if chrome and not os.environ.get("DASH_TEST_CHROMEPATH"):
        options.binary_location = chrome
    return options


def wait_until(predicate: Any, timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll ``predicate`` every 0.1 s until it returns something truthy; fail after ``timeout``."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
