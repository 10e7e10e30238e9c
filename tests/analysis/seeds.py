"""The bundled seed corpus as normalised candidates, keyed by the file's number (000…004)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from bot.core.models import Candidate
from bot.core.normalise import normalise
from bot.ingest.localfiles import load_sidecar, text_entry
from tests.fakes import REPO

SEEDS = REPO / "seeds"
NOW = datetime(2026, 1, 1, tzinfo=UTC)  # after every seed: no date is clamped to "now"


@lru_cache(maxsize=1)
def seed_candidates() -> dict[str, Candidate]:
    """000…004 → the candidate the pipeline would build for that seed document."""
    sidecar = load_sidecar(SEEDS)
    out = {}
    for path in sorted(SEEDS.glob("*.txt")):
        entry = text_entry(path, path.read_bytes(), sidecar.get(path.name, {}))
        out[path.name[:3]] = normalise(entry, feed_url=f"local:{SEEDS}", source="seeds", now=NOW)
    return out
