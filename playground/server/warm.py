"""Compile the programs every session shares before the first student needs them."""
from __future__ import annotations

import logging
import os
import threading
import time

from . import gcpolicy

log = logging.getLogger("playground")

DELAY_S = 20.0     # a server's warm-up waits this long for its first page (see app.py)
DONE = "Warm-up done"      # the log line's start once the shared programs are compiled
_lock = threading.Lock()
_thread: threading.Thread | None = None
_go = threading.Event()     # set: the warm-up may start
_delays: list = []          # the one timer that sets _go after a delay
_steps: list = []           # more to warm once the programs are (``also``)
_ahead = threading.Event()  # set: ``import_ahead`` has run


def also(step) -> None:
    """Warm ``step()`` too, once the shared programs are compiled: the page's own first-time
    work (app.py: the two slow labs built once). Once per step."""
    if step not in _steps:
        _steps.append(step)


# modules the background work imports on its first use of them, besides the first program's
# lowering: JAX's image resampling (the Digits lab's augmentation), a device put's helpers,
# SciPy's labels of connected areas (state/describe.py), the code page of the file names in
# a ``.npz`` (the assets)
AHEAD = ("jax.scipy.ndimage", "jax.experimental.multihost_utils", "scipy.ndimage",
         "encodings.cp437")


def import_ahead() -> None:
    """Import now what the warm-up, compile and build threads would import on first use
    (about 0.15 s, once per process; ``setup`` in app.py calls it before any of them
    starts). Panel makes each session inside ``record_modules``, which looks up every
    module imported meanwhile by name in ``sys.modules``; Python takes a module out of
    ``sys.modules`` and puts it back at the end of its import, so an import finishing in
    another thread at that moment failed the session (a ``KeyError`` for
    ``jaxlib.mlir.dialects._mhlo_ops_gen``, imported by the first program's lowering while
    a class's first pages were made: the page never came)."""
    if _ahead.is_set():
        return
    import importlib

    import jax
    import numpy as np
    jax.jit(lambda x: x + 1).lower(np.float32(0))     # the lowering's modules, nothing run
    for name in AHEAD:
        importlib.import_module(name)
    _ahead.set()


def start_delay() -> float:
    """DELAY_S, or PLAYGROUND_WARMUP_DELAY_S when set (0: warm up at once, as a load test
    whose clients never load a page in a browser wants)."""
    try:
        return max(0.0, float(os.environ.get("PLAYGROUND_WARMUP_DELAY_S", DELAY_S)))
    except ValueError:
        return DELAY_S


def run_steps() -> None:
    """The steps added (``also``), in order."""
    for step in list(_steps):
        step()


def warmup() -> None:
    """Block until the general programs (which serve any set-up at once) and the
    exact-shape programs of the default set-up are compiled, then run the steps added
    (``also``)."""
    from ..engine import programs, train
    from ..state.run import Run

    # pages built meanwhile (the first students) come first: this thread gets the CPU
    # they leave
    programs.lowest_priority()

    run = Run()
    run.tier = "auto"
    run.train(1)          # general program now; the exact one is queued
    # every data set's program and the split's (a student's first click on a data set),
    # and every kind of output's yardstick loss
    from ..engine import datasets, mlp
    datasets.warmup()
    mlp.warmup()
    run.decision_grid()
    train.PROGRAMS.wait()
    run.train(1)          # the exact programs now
    run.decision_grid()
    from ..state import network
    network.warmup()      # the neuron pictures of the network diagram
    import numpy as np    # uploads of more than 512 points use the larger data bucket
    big = np.random.default_rng(0).uniform(-5, 5, (1200, 2)).astype(np.float32)
    run.use_own_data(big, np.sign(big[:, 0] * big[:, 1]), classification=True)
    run.train(1)
    # the gradient-descent lab's programs: the landscape grid and the 5-seed LR finder
    from ..state.descent import run_landscape, run_lr_finder
    lab = Run()
    lab.tier = "auto"
    for _ in range(3):
        lab.train(1)
    run_landscape(lab, "pca")
    run_lr_finder(lab)
    # the heavy lane's general program (engine/lanes.py), for the playground's data: a
    # heavy page then moves there at once instead of after its compile
    from ..engine import lanes
    heavy = Run(batch_size=1)
    heavy.lane_allowed = True
    heavy.train(1)
    lanes.LANE.wait()
    # the Digits CNN tab's default model (prepared on the compile thread)
    from ..state.digits import DigitsRun
    DigitsRun().wait_ready()
    run_steps()
    # Everything alive now (modules, compiled programs) lives as long as the process:
    # keep it out of the garbage collector's full passes, which otherwise stall every
    # session's frames (docs/performance.md, "Code choices").
    gcpolicy.freeze()


def warmup_in_background(delay_s: float = 0.0) -> threading.Thread:
    """Start ``warmup`` once per process in a daemon thread, after ``delay_s`` seconds
    unless asked again without a delay sooner; returns that thread."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_warmup_after, name="playground-warmup",
                                       daemon=True)
            _thread.start()
        if delay_s <= 0:
            _go.set()
        elif not _go.is_set() and not _delays:
            timer = threading.Timer(delay_s, _go.set)
            timer.daemon = True
            timer.start()
            _delays.append(timer)
        return _thread



def _warmup_after() -> None:
    _go.wait()
    start = time.perf_counter()
    try:
        warmup()
    except RuntimeError as exc:
        # a server stopped while warming up: its thread pools take no more work ("cannot
        # schedule new futures after interpreter shutdown", or "... after shutdown" for a
        # pool already shut down, such as the one the labs are built in)
        if "cannot schedule new futures after" not in str(exc):
            raise
        return
    # in the server's log: the benchmark waits for it before it measures a steady rate
    log.info("%s in %.1f s", DONE, time.perf_counter() - start)
