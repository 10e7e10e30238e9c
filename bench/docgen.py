"""Generated text documents for the ingest benchmark: storygen's reports, saved as articles.

The same realistic news as `bench/pipeline.py`'s feeds (bench/storygen.py: many events, each
reported by 1–30 outlets as originals, syndicated copies, rewrites and lede translations; about a
fifth on topic), written the way an archive is saved: one text file per article (a title line, a
blank line, paragraphs of three sentences) and, per folder, an `index.toml` giving each file's
publication date and outlet, so that stories form over time as they do when polled.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from storygen import reports

OUTLETS = 100  # sources the archive is drawn from


def write_documents(
    root: Path, count: int, *, per_folder: int = 1000, on_topic: float = 0.2, seed: int = 11
) -> list[Path]:
    """`count` documents in folders of `per_folder` under `root`; the folders, in order."""
    slots = {o: count // OUTLETS + (o < count % OUTLETS) for o in range(OUTLETS)}
    slots = {o: n for o, n in slots.items() if n}
    folders: list[Path] = []
    sidecar: list[str] = []
    for i, report in enumerate(reports(slots, random.Random(seed), on_topic=on_topic)):
        if i % per_folder == 0:
            _write_sidecar(folders, sidecar)
            folders.append(root / f"batch-{len(folders):04d}")
            folders[-1].mkdir(parents=True)
        name = f"doc-{i:06d}.txt"
        s = report.sentences
        paragraphs = [" ".join(s[k : k + 3]) for k in range(0, len(s), 3)]
        text = report.title + "\n\n" + "\n\n".join(paragraphs) + "\n"
        (folders[-1] / name).write_text(text, encoding="utf-8")
        sidecar.append(
            f'[documents."{name}"]\n'
            f"date = {report.published.isoformat()}\n"
            f"source = {json.dumps(f'Outlet {report.outlet}', ensure_ascii=False)}\n"
        )
    _write_sidecar(folders, sidecar)
    return folders


def _write_sidecar(folders: list[Path], entries: list[str]) -> None:
    """The metadata of the last folder's documents, written once it is full."""
    if folders and entries:
        (folders[-1] / "index.toml").write_text("\n".join(entries), encoding="utf-8")
    entries.clear()
