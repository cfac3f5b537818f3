"""How fast this machine is right now, for reading benchmark and load-test figures.

A shared machine (a cloud VM, a school server with other work on it) can be slower for
minutes at a time. ``machine_ms()`` times a fixed piece of plain Python: taken next to a
measurement, it tells "the code got slower" from "the machine was slower then"."""
from __future__ import annotations

import json
import statistics
import time


def machine_ms(repeats: int = 5) -> float:
    """Milliseconds this machine takes for a fixed piece of Python work (the median of a
    few tries): lower is faster; on the 2-core VM of docs/performance.md about 11-12."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        total = 0
        for i in range(200_000):
            total += i * i % 7
        times.append((time.perf_counter() - t) * 1e3)
    return round(statistics.median(times), 1)


def report(figures: dict, path: str) -> dict:
    """Print a benchmark's figures, one per line, and write them to ``path`` as JSON."""
    width = max(map(len, figures))
    for k, v in figures.items():
        print(f"{k:<{width}}  {v:,.3f}" if isinstance(v, float) else f"{k:<{width}}  {v}")
    with open(path, "w") as fh:
        json.dump(figures, fh, indent=2)
    print(f"written to {path}")
    return figures
