"""Headless Chromium for tests that check a report renders to something a person can see."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from matplotlib.image import imread

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def chromium() -> str | None:
    """The first headless-capable browser on PATH, or None (tests then skip with a reason)."""
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def screenshot(browser: str, page: Path, shot: Path, size: tuple[int, int] = (1280, 2000)) -> None:
    """Render `page` to `shot` with no network chatter (the flags this machine needs offline)."""
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={shot.parent / 'chromium-profile'}",
            f"--window-size={size[0]},{size[1]}",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )


def pixel_spread(shot: Path) -> float:
    """Standard deviation of the screenshot's pixels: near zero for a blank page."""
    return float(imread(shot).std())
