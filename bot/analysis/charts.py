"""Charts as PNG attachments, drawn with matplotlib's Agg canvas (headless, no pyplot state).

matplotlib and numpy are imported when the first chart is drawn, not with this module: every
`watchbot` command wires a chart renderer, few draw one, and matplotlib alone is about 30 MB
and half a second of start-up.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

from bot.core.messages import Attachment
from bot.core.models import TOPIC_TITLES, TOPICS

log = logging.getLogger("watchbot.charts")

SIZE_IN = (8.0, 4.0)
DPI = 100  # 800 × 400 px: readable in Slack and Discord previews, about 40 kB
COLOURS = {"guarantees": "#1f6fb4", "troops": "#d9541e"}


class MatplotlibCharts:
    """The ChartRenderer port. With `directory`, each chart is also written there (the console
    channel shows that path); chat adapters upload the bytes."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory

    def daily_counts(
        self, counts: Mapping[str, Mapping[date, int]], *, start: date, end: date, title: str
    ) -> Attachment:
        """A line per topic of items per day from `start` to `end` (both included)."""
        import numpy as np
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.dates import DateFormatter, DayLocator
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        figure = Figure(figsize=SIZE_IN, dpi=DPI)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        for topic in [*TOPICS, *sorted(set(counts) - set(TOPICS))]:
            per_day = counts.get(topic, {})
            axes.plot(
                np.array(days, dtype="datetime64[D]"),
                [per_day.get(d, 0) for d in days],
                marker="o",
                markersize=3,
                linewidth=1.8,
                color=COLOURS.get(topic),
                label=TOPIC_TITLES.get(topic, topic),
            )
        axes.set_title(title, fontsize=11)
        axes.set_ylabel("items per day")
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        # matplotlib.dates has no type annotations
        axes.xaxis.set_major_locator(DayLocator(interval=max(1, len(days) // 8)))  # type: ignore[no-untyped-call]
        axes.xaxis.set_major_formatter(DateFormatter("%d %b"))  # type: ignore[no-untyped-call]
        axes.grid(alpha=0.3)
        axes.legend(loc="upper left", frameon=False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        filename = f"topics-{start:%Y%m%d}-{end:%Y%m%d}.png"
        data = buffer.getvalue()
        return Attachment(filename, data, "image/png", title, self._save(filename, data))

    def _save(self, filename: str, data: bytes) -> str:
        if self.directory is None:
            return ""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / filename
            path.write_bytes(data)
        except OSError as exc:  # the chart still goes out as an attachment
            log.warning("chart.not_saved", extra={"path": str(self.directory), "error": str(exc)})
            return ""
        return str(path)
