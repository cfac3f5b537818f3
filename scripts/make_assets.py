"""Write the bundled data of the convolution lab and the digits CNN into assets/.

    python scripts/make_assets.py                # the digits, the photo and the pictures
    python scripts/make_assets.py --thumbnails   # only the data sets' pictures

* ``assets/digits.npz``: scikit-learn's 8×8 handwritten digits (UCI optdigits test set):
  ``images`` (1797, 8, 8) uint8 in 0..16, ``target`` (1797,) uint8.
* ``assets/photo.npz``: ``image`` (64, 64) uint8 grey levels 0..255, the centre square of
  scikit-learn's sample photo ``china.jpg`` (a temple), made grey and shrunk with Pillow.

* ``assets/thumbnails.json``: {data set name: PNG data URI}, the dataset picker's pictures
  (``playground.ui.thumbnails.draw_dataset``), shipped so that a first page needs not make
  all thirteen data sets.

scikit-learn is only needed to make the first two files (it is a test extra); the playground
itself only reads them.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ASSETS = Path(__file__).resolve().parents[1] / "assets"
PHOTO_SIZE = 64


def grey_photo(size: int = PHOTO_SIZE) -> np.ndarray:
    """(size, size) uint8: the centre square of china.jpg in grey levels, shrunk."""
    from sklearn.datasets import load_sample_image
    rgb = load_sample_image("china.jpg")              # (427, 640, 3) uint8
    h, w = rgb.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = Image.fromarray(rgb[top:top + side, left:left + side]).convert("L")
    return np.asarray(square.resize((size, size), Image.Resampling.LANCZOS), np.uint8)


def write_thumbnails() -> None:
    """assets/thumbnails.json: each built-in data set's picture, as the picker shows it."""
    from playground.engine import datasets
    from playground.ui import thumbnails
    table = {name: thumbnails.draw_dataset(name) for name in datasets.DATASETS}
    (ASSETS / "thumbnails.json").write_text(json.dumps(table, indent=0, sort_keys=True) + "\n")


def main(args: list[str]) -> None:
    ASSETS.mkdir(exist_ok=True)
    write_thumbnails()
    print(f"thumbnails.json: {(ASSETS / 'thumbnails.json').stat().st_size:,} bytes")
    if "--thumbnails" in args:
        return
    from sklearn.datasets import load_digits
    digits = load_digits()
    np.savez_compressed(ASSETS / "digits.npz", images=digits.images.astype(np.uint8),
                        target=digits.target.astype(np.uint8))
    np.savez_compressed(ASSETS / "photo.npz", image=grey_photo())
    for name in ("digits.npz", "photo.npz"):
        print(f"{name}: {(ASSETS / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
