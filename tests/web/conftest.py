"""One real server and one Chromium for each module of browser tests (starting either costs a second or two)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from web_helpers import DRIVE_THRU, PASSWORD, WebServer, launch

# One event stream at a time: the second browser of a test is on the short-poll fallback, so both paths run.
MANAGE_TOML = (
    f'[sms.numbers]\n"{DRIVE_THRU}" = "Drive-thru"\n'
    "[manage]\nlive_streams = 1\nmax_failures = 3\nlockout_minutes = 10\nlogin_attempts_per_minute = 100\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    server = WebServer(tmp_path_factory.mktemp("web"), MANAGE_TOML).start()
    for name in ("Dee", "Eli", "Lou"):
        server.add_account(name, PASSWORD)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()
