"""`helpdesk report`: the JSON names every metric, and the HTML is one self-contained, visibly drawn page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.cli import app
from tests.support.browser import chromium, screenshot
from tests.test_store import _metrics_dataset
from tools.store import open_store
from tools.store.html import render_html

METRICS = (
    "resolution_confirmation_rate",
    "false_confidence_rate",
    "writeback_success_rate",
    "time_to_resolution",
    "latency",
    "escalation",
    "specialist_outcomes",
    "tokens",
    "tickets",
    "runs",
)


@pytest.fixture
def filled_store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/helpdesk.db"
    with open_store(url) as store:
        _metrics_dataset(store)
    return url


def test_report_json_and_html_from_the_cli(filled_store: str, tmp_path: Path) -> None:
    page = tmp_path / "out" / "report.html"
    result = CliRunner().invoke(
        app, ["report", "--json", "--html", str(page), "--baseline-ttr", "3600", "--store", filled_store]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert set(METRICS) <= set(metrics)
    assert metrics["tickets"]["total"] == 7
    assert metrics["time_to_resolution"]["baseline_s"] == 3600
    html = page.read_text(encoding="utf-8")
    assert_self_contained(html)
    assert html.count("data:image/png;base64,") >= 8  # every chart with data is drawn
    assert metrics["specialist_outcomes"] == {"resolve:fits": 5} and "by rule" in html
    assert "60%" in html  # the confirmation rate headline


def test_report_table_and_bad_input(filled_store: str) -> None:
    runner = CliRunner()
    table = runner.invoke(app, ["report", "--store", filled_store])
    assert table.exit_code == 0 and "resolution confirmation" in table.stdout and "coordinator" in table.stdout
    assert "specialist outcomes" in table.stdout
    bad = runner.invoke(app, ["report", "--since", "yesterday-ish", "--store", filled_store])
    assert bad.exit_code == 2 and "--since" in bad.output and "Traceback" not in bad.output
    window = runner.invoke(app, ["report", "--json", "--since", "1d", "--store", filled_store])
    assert json.loads(window.stdout)["tickets"]["total"] == 0  # the dataset lives in January 2026


def test_an_empty_report_still_renders() -> None:
    with open_store("sqlite://") as store:
        html = render_html(store.report())
    assert_self_contained(html)
    assert "No data yet" in html and "data:image/png" not in html


def assert_self_contained(html: str) -> None:
    """No script, no stylesheet link, nothing fetched from anywhere: only inline CSS and data URIs."""
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "<link" not in html and "@import" not in html
    for url in re.findall(r"""(?:src|href)\s*=\s*['"]([^'"]+)""", html):
        assert url.startswith("data:"), url
    assert "url(" not in html


@pytest.mark.slow
def test_the_html_report_renders_in_headless_chromium(filled_store: str, tmp_path: Path) -> None:
    browser = chromium()
    if browser is None:
        pytest.skip("no chromium / chromium-browser / google-chrome on PATH to render the report")
    page, shot = tmp_path / "report.html", tmp_path / "shot.png"
    with open_store(filled_store) as store:
        page.write_text(render_html(store.report(baseline_ttr_s=3600)), encoding="utf-8")
    screenshot(browser, page, shot)
    assert shot.exists(), "chromium wrote no screenshot"
    from PIL import Image, ImageStat

    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        assert rgb.size == (1280, 2000)
        spread = ImageStat.Stat(rgb).stddev
        colours = len(rgb.resize((320, 500)).getcolors(maxcolors=1 << 20) or [])
    assert max(spread) > 20, f"screenshot looks blank (stddev {spread})"
    assert colours > 100, f"screenshot has only {colours} colours"
