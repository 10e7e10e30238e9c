"""Prometheus metrics, updated by the app from the core's reports."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

REGISTRY = CollectorRegistry()
POLLS = Counter(
    "watchbot_feed_polls_total", "Feed polls by outcome", ["outcome"], registry=REGISTRY
)
ITEMS = Counter("watchbot_items_stored_total", "Items stored for the first time", registry=REGISTRY)
DELIVERIES = Counter(
    "watchbot_deliveries_total", "Deliveries by result", ["result"], registry=REGISTRY
)
PENDING = Gauge("watchbot_deliveries_pending", "Deliveries waiting to be sent", registry=REGISTRY)
FEEDS_FAILING = Gauge("watchbot_feeds_failing", "Feeds whose last poll failed", registry=REGISTRY)
LAST_CYCLE = Gauge(
    "watchbot_last_poll_cycle_timestamp_seconds", "End of the last poll cycle", registry=REGISTRY
)
