"""The bundled data (``assets/``, made by ``scripts/make_assets.py``): plain numpy, no JAX.

The convolution lab reads its photo and its digits here, and the digits CNN its data set,
so neither of those modules imports the other."""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

ASSETS_DIR = Path(__file__).resolve().parents[2] / "assets"


@functools.lru_cache(maxsize=1)
def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The bundled digits: images (1797, 8, 8) float32 in 0..16, labels (1797,) int32
    (read-only arrays, loaded once per process)."""
    with np.load(ASSETS_DIR / "digits.npz") as f:
        images, labels = f["images"].astype(np.float32), f["target"].astype(np.int32)
    images.flags.writeable = labels.flags.writeable = False
    return images, labels


def load_photo() -> np.ndarray:
    """The bundled grey photo (a temple by a lake): (64, 64) float64 grey levels 0..255."""
    with np.load(ASSETS_DIR / "photo.npz") as f:
        return f["image"].astype(np.float64)
