"""The topic chart: a real PNG of the right size with content, written to disk for the console."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from bot.analysis.charts import MatplotlibCharts
from tests.analysis.png import assert_chart, decode

START = date(2025, 2, 1)
END = START + timedelta(days=29)


def test_daily_counts_png(tmp_path: Path) -> None:
    counts = {
        "troops": {START + timedelta(days=n): n % 4 for n in range(30)},
        "guarantees": {START + timedelta(days=n): (n * 7) % 3 for n in range(30)},
    }
    chart = MatplotlibCharts(tmp_path / "charts").daily_counts(
        counts, start=START, end=END, title="Items per day"
    )
    assert chart.media_type == "image/png" and chart.filename.endswith(".png")
    assert_chart(chart.data, lines=True)
    assert Path(chart.path).read_bytes() == chart.data


def test_empty_counts_still_draw_axes_and_no_directory_means_no_file() -> None:
    chart = MatplotlibCharts().daily_counts({}, start=START, end=END, title="Nothing yet")
    assert chart.path == ""
    pixels = decode(chart.data)
    assert pixels.shape[:2] == (400, 800) and float(pixels[..., :3].std()) > 0.01


def test_unwritable_directory_keeps_the_attachment(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    chart = MatplotlibCharts(blocker / "charts").daily_counts(
        {"troops": {START: 1}}, start=START, end=END, title="t"
    )
    assert chart.path == "" and chart.data
