"""Compile the programs every session shares before the first student needs them."""
from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_thread: threading.Thread | None = None


def warmup() -> None:
    """Block until the general programs (which serve any set-up at once) and the
    exact-shape programs of the default set-up are compiled."""
    from .engine import train
    from .state.run import Run

    run = Run()
    run.tier = "auto"
    run.train(1)          # general program now; the exact one is queued
    run.decision_grid()
    train.PROGRAMS.wait()
    run.train(1)          # the exact programs now
    run.decision_grid()
    from .state import network
    network.warmup()      # the neuron pictures of the network diagram
    import numpy as np    # uploads of more than 512 points use the larger data bucket
    big = np.random.default_rng(0).uniform(-5, 5, (1200, 2)).astype(np.float32)
    run.use_own_data(big, np.sign(big[:, 0] * big[:, 1]), classification=True)
    run.train(1)
    # the gradient-descent lab's programs: the landscape grid and the 5-seed LR finder
    from .state.descent import run_landscape, run_lr_finder
    lab = Run()
    lab.tier = "auto"
    for _ in range(3):
        lab.train(1)
    run_landscape(lab, "pca")
    run_lr_finder(lab)
    # the Digits CNN tab's default model (prepared on the compile thread)
    from .state.digits import DigitsRun
    DigitsRun().wait_ready()
    # Everything alive now (modules, compiled programs) lives as long as the process:
    # keep it out of the garbage collector's full passes, which otherwise take ~300 ms
    # (measured) and stall every session's frames; with it frozen they take ~50 ms.
    gc.collect()
    gc.freeze()


def warmup_in_background() -> threading.Thread:
    """Start ``warmup`` once per process in a daemon thread; returns that thread."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=warmup, name="playground-warmup", daemon=True)
            _thread.start()
        return _thread
