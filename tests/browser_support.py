"""A real headless browser for tests of web pages: Debian's chromium driven by Playwright.

Playwright comes from PyPI (the dev dependency group) without its own browser download; the
browser is the distribution's ``chromium`` package (``make setup-browser`` installs it), found at
``$CHROMIUM`` or on PATH. When either is missing the test is skipped with the reason; under
``CI=true`` that is a failure, so a green CI run never hides the browser tests.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from shared_corpus import on_ci

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable(reason: str) -> None:
    if on_ci():
        pytest.fail(f"{reason}; CI is set, so this is a failure, not a skip", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not found:
        _unavailable("chromium is not installed (make setup-browser: apt-get install chromium)")
    assert found is not None
    return found


@contextmanager
def browser_page(viewport: dict[str, int] | None = None) -> Iterator[Any]:
    """A fresh page of a headless chromium, closed afterwards."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (it is in the dev dependency group)")
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=viewport or {"width": 1280, "height": 860})
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def screenshot_dir(fallback: Path) -> Path:
    """Where screenshots go: ``$CONSOLE_SCREENSHOTS`` (``make screenshots`` points it at the
    docs' images), else ``fallback`` (a test's tmp_path)."""
    target = Path(os.environ.get("CONSOLE_SCREENSHOTS") or fallback)
    target.mkdir(parents=True, exist_ok=True)
    return target
