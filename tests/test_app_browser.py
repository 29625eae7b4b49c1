"""The app in a real browser: `c360 app` on 127.0.0.1, every page opened in headless Chromium.

Chromium is Debian's package (`make test` installs it); Playwright drives it through
``executable_path``, since Playwright's own browser download needs the internet. A
screenshot of every page is saved under ``test-output/screenshots/``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.main import PAGE_LIST
from c360.settings import PROJECT_ROOT
from tests.conftest import Built

pytestmark = [pytest.mark.app, pytest.mark.xdist_group("built")]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"
# True once no element is still a loading placeholder and every chart has drawn.
DRAWN = """() =>
    document.querySelectorAll('[data-testid="stSkeleton"]').length === 0
    && [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
        .every((chart) => chart.querySelector('canvas, svg'))"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def running_app(built: Built) -> Iterator[str]:
    """`c360 app` on a free port of 127.0.0.1, stopped (by its PID) after the test."""
    port = _free_port()
    env = {
        **os.environ,
        "C360_TARGET": "local",
        "C360_PUBLISHED": str(built.settings.published),
        "STREAMLIT_SERVER_ADDRESS": "127.0.0.1",
    }
    command = [str(Path(sys.executable).parent / "c360"), "app", "--port", str(port)]
    process = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        # Starting takes seconds (imports, Streamlit); on a machine busy with builds, more.
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"c360 app exited with code {process.returncode} before answering")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"c360 app did not answer on {url} within 120 s")
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


def test_every_page_opens_in_chromium_without_an_exception(running_app: str) -> None:
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            # Last page first: a fresh server's first visit is to a page's own URL (a
            # bookmark), and it still gets the app's navigation and filters.
            for index, (name, title, _icon) in reversed(list(enumerate(PAGE_LIST))):
                path = "" if index == 0 else name.removesuffix(".py")
                page.goto(f"{running_app}/{path}", wait_until="domcontentloaded")
                page.get_by_role("heading", name=title, level=1).wait_for(timeout=30_000)
                # The page is done when Streamlit says its script is no longer running.
                page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
                    timeout=30_000
                )
                page.wait_for_function(DRAWN, timeout=30_000)  # charts and tables drawn, too
                links = page.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()
                assert [link.split("\n")[-1].strip() for link in links] == [
                    title for _n, title, _i in PAGE_LIST
                ]
                assert page.locator('[data-testid="stSidebar"]').get_by_text("Order dates").count() == 1
                errors = page.locator('[data-testid="stException"]')
                assert errors.count() == 0, f"{title}: {errors.first.inner_text()}"
                assert page.locator('[data-testid="stAlertContentError"]').count() == 0, title
                assert page.locator('[data-testid="stMetric"]').count() > 0 or name == "customer_360.py", (
                    title
                )
                page.screenshot(
                    path=str(SCREENSHOTS / f"{index + 1:02d}-{path or 'overview'}.png"), full_page=True
                )
        finally:
            browser.close()
