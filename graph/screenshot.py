"""A PNG of an HTML view: the page (``graph/viz``) opened in headless Chromium through Playwright,
every request off the machine refused. Input: an HTML file; output: a PNG file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tiltaksgraf.errors import InputError
from tiltaksgraf.graph.store import write_atomic

# Flags for headless Chromium: no GPU, no sandbox (containers), and nothing that phones home.
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync")


def find_chromium(explicit: str | None = None) -> str:
    """A Chromium to drive: ``explicit``, else $TILTAKSGRAF_CHROMIUM, else chromium on PATH."""
    for candidate in (explicit, os.environ.get("TILTAKSGRAF_CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), shutil.which("google-chrome"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    raise InputError("no Chromium found", hint="install it (Debian: apt-get install chromium) or pass --chromium PATH")


def screenshot(html: str | Path, png: str | Path, *, width: int = 1400, height: int = 900,
               chromium: str | None = None, timeout_s: float = 60) -> Path:
    """Open ``html`` in headless Chromium (every request off the machine refused), wait until
    the layout has settled, and save the page as ``png``."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise InputError("the screenshot needs Playwright's Python package",
                         hint="pip install playwright (no browser download needed: the system Chromium is used)"
                         ) from exc
    executable = find_chromium(chromium)
    url = Path(html).resolve().as_uri()
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
        except PlaywrightError as exc:
            raise InputError(f"cannot start Chromium: {exc}", path=executable,
                             hint="pass another one with --chromium PATH") from exc
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                       else route.abort())
            page.goto(url)
            # A function, not an expression: the page's CSP forbids eval, which Playwright uses
            # for expressions.
            page.wait_for_function("() => window.tg && window.tg.ready === true", timeout=timeout_s * 1000)
            page.wait_for_timeout(300)  # let the last fit() paint
            data = page.screenshot(type="png")
        finally:
            browser.close()
    target = Path(png)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, data)
    return target
