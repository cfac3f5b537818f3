"""Write the bundled data of the convolution lab and the digits CNN into assets/.

    python scripts/make_assets.py

* ``assets/digits.npz``: scikit-learn's 8×8 handwritten digits (UCI optdigits test set):
  ``images`` (1797, 8, 8) uint8 in 0..16, ``target`` (1797,) uint8.
* ``assets/photo.npz``: ``image`` (64, 64) uint8 grey levels 0..255, the centre square of
  scikit-learn's sample photo ``china.jpg`` (a temple), made grey and shrunk with Pillow.

scikit-learn is only needed to make these files (it is a test extra); the playground
itself only reads them.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits, load_sample_image

ASSETS = Path(__file__).resolve().parents[1] / "assets"
PHOTO_SIZE = 64


def grey_photo(size: int = PHOTO_SIZE) -> np.ndarray:
    """(size, size) uint8: the centre square of china.jpg in grey levels, shrunk."""
    rgb = load_sample_image("china.jpg")              # (427, 640, 3) uint8
    h, w = rgb.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = Image.fromarray(rgb[top:top + side, left:left + side]).convert("L")
    return np.asarray(square.resize((size, size), Image.Resampling.LANCZOS), np.uint8)


def main() -> None:
    ASSETS.mkdir(exist_ok=True)
    digits = load_digits()
    np.savez_compressed(ASSETS / "digits.npz", images=digits.images.astype(np.uint8),
                        target=digits.target.astype(np.uint8))
    np.savez_compressed(ASSETS / "photo.npz", image=grey_photo())
    for name in ("digits.npz", "photo.npz"):
        print(f"{name}: {(ASSETS / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
