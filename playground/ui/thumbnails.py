"""Small pictures of each data set for the dataset picker, as PNG data URIs.

The pictures of the built-in data sets ship in ``assets/thumbnails.json`` (written by
``scripts/make_assets.py --thumbnails``): drawing them means making all thirteen data sets,
which took 1.5 s of the first page after a start. A test checks that the shipped pictures are
the ones ``draw_dataset`` makes; one missing from the file is drawn here."""
from __future__ import annotations

import base64
import functools
import io
import json

import numpy as np
from PIL import Image

from ..engine import assets, datasets
from . import theme

SIZE = 52
SHIPPED = assets.ASSETS_DIR / "thumbnails.json"


@functools.lru_cache(maxsize=1)
def shipped() -> dict[str, str]:
    """The shipped pictures, {data set name: PNG data URI}; empty where the file is missing
    or unreadable (each picture is then drawn)."""
    try:
        table = json.loads(SHIPPED.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(table, dict):
        return {}
    return {k: v for k, v in table.items() if isinstance(v, str)
            and v.startswith("data:image/png;base64,")}


@functools.lru_cache(maxsize=None)
def dataset_thumbnail(name: str) -> str:
    """A SIZE×SIZE picture of the data set `name` (seed 0, no noise) as a data URI."""
    return shipped().get(name) or draw_dataset(name)


def draw_dataset(name: str) -> str:
    """Draw the picture of data set `name` (seed 0, 300 points, no noise): a data URI."""
    X, y = datasets.make_dataset(name, 0, 300, 0.0)
    img = np.full((SIZE, SIZE, 3), 255, np.uint8)
    if name in datasets.ONE_D:
        cols = ((X[:, 0] + 6) / 12 * (SIZE - 1)).astype(int)
        rows = ((1.5 - y) / 3 * (SIZE - 1)).clip(0, SIZE - 1).astype(int)
        colour = np.tile(np.array(theme.rgb(theme.BLUE), np.uint8), (len(y), 1))
    else:
        cols = ((X[:, 0] + 6) / 12 * (SIZE - 1)).astype(int)
        rows = ((6 - X[:, 1]) / 12 * (SIZE - 1)).astype(int)
        blue, orange = np.array(theme.rgb(theme.BLUE)), np.array(theme.rgb(theme.ORANGE))
        t = ((np.clip(y, -1, 1) + 1) / 2)[:, None]
        colour = (orange + (blue - orange) * t).astype(np.uint8)
        if datasets.n_classes(name) > 2:           # class k in the k-th class colour
            palette = np.array([theme.rgb(c) for c in theme.CLASS_COLOURS], np.uint8)
            colour = palette[np.clip(y.astype(int), 0, len(palette) - 1)]
    for dr in (0, 1):
        for dc in (0, 1):
            img[np.clip(rows + dr, 0, SIZE - 1), np.clip(cols + dc, 0, SIZE - 1)] = colour
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


BOARD_SIZE = 25        # the class board's picture of a student's output


def boundary_thumbnail(codes: np.ndarray, classes: int = 2) -> str:
    """The output heatmap's colour codes ((GRID_RES, GRID_RES) uint8, row 0 at the bottom,
    ``Run.decision_codes``) as a BOARD_SIZE-pixel PNG data URI, in the page's colours."""
    lut = _lut(classes > 2)
    step = max(1, codes.shape[0] // BOARD_SIZE)
    small = np.asarray(codes)[::-1][::step, ::step][:BOARD_SIZE, :BOARD_SIZE]
    img = lut[np.clip(small.astype(int), 0, len(lut) - 1)]
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


@functools.lru_cache(maxsize=2)
def _lut(classes: bool) -> np.ndarray:
    """(n, 3) uint8: the heatmap's colour for each colour code (K classes, or −1..+1)."""
    palette = theme.CLASS_PALETTE if classes else theme.PALETTE
    return np.array([theme.rgb(c) for c in palette], np.uint8)
