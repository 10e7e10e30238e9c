"""Decoding a PNG attachment for checks: size and that it is not blank."""

from __future__ import annotations

import io

import numpy as np
from matplotlib import image


def decode(data: bytes) -> np.ndarray:
    """The pixels (height × width × channels) of a PNG; fails on anything else."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return np.asarray(image.imread(io.BytesIO(data), format="png"))


def assert_chart(data: bytes, width: int = 800, height: int = 400, *, lines: bool = False) -> None:
    """A decodable PNG of that size with real content: several colours, not one flat fill;
    with `lines`, both topic colours are drawn (blue: guarantees, orange: troops)."""
    pixels = decode(data)
    assert pixels.shape[:2] == (height, width)
    rgb = pixels[..., :3].reshape(-1, 3)
    assert float(rgb.std()) > 0.05
    assert len(np.unique((rgb * 255).astype(np.uint8), axis=0)) > 20
    if not lines:
        return
    assert ((rgb[:, 2] > 0.6) & (rgb[:, 0] < 0.3)).sum() > 50
    assert ((rgb[:, 0] > 0.75) & (rgb[:, 2] < 0.3)).sum() > 50
