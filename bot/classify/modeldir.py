"""The versioned model directory: spaCy's pipeline files plus `watchbot.json`.

`watchbot.json` holds what spaCy does not know about: the version string recorded with every
classification, default thresholds, the calibrators, the training data hash and held-out figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.core.errors import ConfigError
from bot.core.models import TOPICS

MODEL_DIR = Path(__file__).with_name("model")  # the shipped model
META_NAME = "watchbot.json"
FORMAT = 1


def is_model_dir(path: Path) -> bool:
    """True when `path` looks like a trained Watchbot model (meta + spaCy config)."""
    return (path / META_NAME).is_file() and (path / "config.cfg").is_file()


def read_meta(path: Path) -> dict[str, Any]:
    """The model meta; ConfigError naming what is missing when `path` is not a model dir."""
    if not path.is_dir():
        raise ConfigError(
            f'classifier.model: {path} is not a directory; use "auto", "rules" or the folder '
            "written by `watchbot train`"
        )
    if not is_model_dir(path):
        raise ConfigError(
            f"classifier.model: {path} is not a Watchbot model directory (it needs {META_NAME} and "
            "config.cfg, as written by `watchbot train`)"
        )
    try:
        meta = json.loads((path / META_NAME).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"classifier.model: cannot read {path / META_NAME}: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ConfigError(
            f"classifier.model: {path / META_NAME} has an unknown format; retrain with "
            "`watchbot train`"
        )
    missing = [k for k in ("version", "thresholds", "calibration") if k not in meta]
    missing += [f"calibration.{t}" for t in TOPICS if t not in meta.get("calibration", {})]
    if missing:
        raise ConfigError(f"classifier.model: {path / META_NAME} lacks {', '.join(missing)}")
    return meta


def write_meta(path: Path, meta: dict[str, Any]) -> None:
    """Write `watchbot.json` (sorted keys, stable across runs)."""
    text = json.dumps({"format": FORMAT, **meta}, indent=2, sort_keys=True, ensure_ascii=False)
    (path / META_NAME).write_text(text + "\n", encoding="utf-8")
