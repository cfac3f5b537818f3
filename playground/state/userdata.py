"""A learner's own data: a CSV file checked and rescaled into the plot, or clicked points.

No Panel here: ``parse_csv`` takes bytes and returns arrays plus a note that tells the
learner how the values were scaled. Every rejection is a ValueError with a message a
student can act on; nothing in a file is ever evaluated.
"""
from __future__ import annotations

import csv
import io
import math

import numpy as np

MAX_BYTES = 1_000_000
MAX_ROWS = 5000
SPAN = 5.0          # inputs are rescaled into [-SPAN, SPAN] (the plot shows [-6, 6])
MAX_CLASSES = 5     # labels 0..K-1 make K classes, K from 3 to MAX_CLASSES


def _numbers(rows, column, name):
    out = []
    for line, row in rows:
        text = row[column].strip()
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"row {line}: {name} is not a number ({text[:20]!r})") from None
        if not math.isfinite(value):
            raise ValueError(f"row {line}: {name} is missing or not finite ({text[:20]!r})")
        out.append(value)
    return np.asarray(out, np.float64)


def _rescale(v, name, lo=-SPAN, hi=SPAN):
    """v (float64) linearly onto [lo, hi]. Halves first, so values up to ±1.8e308 never
    overflow; anything that still is not finite is refused (never a NaN point)."""
    a, b = float(v.min()), float(v.max())
    if a == b:
        return np.zeros_like(v), f"{name} is constant ({a:g}) → 0"
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        span = b / 2 - a / 2
        out = lo + (v / 2 - a / 2) / span * (hi - lo)
    if span <= 0 or not np.all(np.isfinite(out)):
        raise ValueError(f"{name}: the values ({a:g} to {b:g}) are too close together to "
                         f"rescale; use plainer numbers")
    return np.clip(out, lo, hi), f"{name} [{a:g}, {b:g}] → [{lo:g}, {hi:g}]"


def _text(data: bytes) -> str:
    """The file as text, or a ValueError saying what kind of file it is instead."""
    if not data.strip():
        raise ValueError("the file is empty")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ValueError("the file is UTF-16 text; save it again as CSV (UTF-8)")
    if b"\x00" in data[:4096]:
        raise ValueError("the file is not a text (CSV) file; it looks like a spreadsheet, "
                         "an image or another binary file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the file is not a text (CSV) file in UTF-8; save it again as "
                         "CSV (UTF-8)") from None


def parse_csv(data: bytes) -> dict:
    """Check and rescale a CSV with columns x1, x2, label (2-D) or x, y (1-D regression).

    Returns {"X": (n, 2) float32, "y": (n,) float32, "classification": bool,
    "classes": int, "one_d": bool, "note": str}. Two distinct labels make a two-class
    problem (the larger label becomes blue +1); labels that are exactly 0, 1, …, K−1 with
    K = 3..MAX_CLASSES make K classes (kept as they are); otherwise labels are rescaled into
    [-1, 1] (regression, classes 0)."""
    if len(data) > MAX_BYTES:
        raise ValueError(f"the file is {len(data) / 1e6:.1f} MB; a CSV file may be at most "
                         f"{MAX_BYTES / 1e6:g} MB")
    text = _text(data)
    if not text.strip():
        raise ValueError("the file is empty")
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error):
        raise ValueError("the file is empty") from None
    if {"x1", "x2", "label"} <= set(header):
        names, one_d = ("x1", "x2", "label"), False
    elif {"x", "y"} <= set(header):
        names, one_d = ("x", "y"), True
    elif not any(header):
        raise ValueError("the first line is empty; it must name the columns: x1, x2, label "
                         "(or x, y for a 1-D curve)")
    elif len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        sep = "semicolons" if ";" in header[0] else "tabs"
        raise ValueError(f"the values are separated by {sep}; separate them by commas "
                         f"(save as CSV, comma-separated)")
    else:
        raise ValueError(f"missing columns: need x1, x2, label (or x, y for a 1-D curve); "
                         f"found {', '.join(h[:15] for h in header[:6]) or 'none'}")
    cols = [header.index(n) for n in names]
    rows = []
    try:
        for i, row in enumerate(reader, start=2):
            if not any(c.strip() for c in row):
                continue
            if len(rows) >= MAX_ROWS:
                raise ValueError(f"more than {MAX_ROWS:,} rows; at most {MAX_ROWS:,} please")
            if len(row) <= max(cols):
                raise ValueError(f"row {i}: too few values")
            rows.append((i, row))
    except csv.Error as exc:
        raise ValueError(f"not a valid CSV file ({exc})") from None
    if not rows:
        raise ValueError("the file has a header line but no data rows; at least 4 are needed")
    if len(rows) < 4:
        raise ValueError(f"the file has {len(rows)} data row{'s' * (len(rows) != 1)}; at "
                         f"least 4 are needed")
    values = [_numbers(rows, c, n) for c, n in zip(cols, names)]
    labels = values[-1]
    notes = []
    xs = []
    for v, n in zip(values[:-1], names[:-1]):
        scaled, note = _rescale(v, n)
        xs.append(scaled)
        notes.append(note)
    X = np.stack([xs[0], xs[1] if not one_d else np.zeros_like(xs[0])], 1)
    distinct = np.unique(labels)
    many = (not one_d and 3 <= len(distinct) <= MAX_CLASSES
            and np.array_equal(distinct, np.arange(len(distinct))))
    classification = not one_d and (len(distinct) == 2 or many)
    classes = len(distinct) if classification else 0
    if many:
        y = labels.copy()
        notes.append(f"labels 0 to {len(distinct) - 1}: {len(distinct)} classes")
    elif classification:
        y = np.where(labels == distinct[1], 1.0, -1.0)
        notes.append(f"label {distinct[1]:g} → blue (+1), {distinct[0]:g} → orange (−1)")
    else:
        y, note = _rescale(labels, names[-1], -1.0, 1.0)
        notes.append(note)
    X, y = X.astype(np.float32), y.astype(np.float32)
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):     # never a NaN point
        raise ValueError("some values could not be rescaled into the plot")
    return {"X": X, "y": y,
            "classification": bool(classification), "classes": classes, "one_d": one_d,
            "note": f"{len(rows):,} rows; " + "; ".join(notes)}
