"""The heavy lane: a second CPU device, so that one page's heavy training never makes the
light pages wait.

JAX runs one computation at a time on a device. On a server's CPU, a page training a big
network at batch size 1 launches chunks of 50–1,000 ms; every other page's epoch (well
under a millisecond) launched meanwhile waits behind them, and those pages lose their
frames' progress. XLA can present the CPU as two devices (``server.jaxconfig`` asks for
them); computations on different devices run side by side. A page that the scheduler
finds heavy while others train runs its launches here, on the second device, and the
light pages keep the first one to themselves (measured: a light epoch launched while a
heavy chunk runs is done in 2 ms instead of 1.1 s).

A launch is heavy when it takes many optimizer steps (``heavy_launch``): on a CPU a small
network's step costs about the same whatever its size (20–30 µs in the exact-shape
program, measured from 2 layers of 4 to 8 layers of 16), so LANE_STEPS steps are a few
milliseconds. A default page (25 steps an epoch, one epoch a frame) never goes there;
8 layers of 16 at batch size 1 and 50 epochs a frame (12,500 steps) always does. The
choice depends on the launch itself, never on how long launches took (a light page queued
behind a heavy one would look heavy).

Only the training launch moves: its inputs are copied to the heavy device, the training
programs run there (the exact-shape one compiled for that device in the background, the
general one meanwhile), and the new state is copied back, so everything else (pictures,
metrics) keeps computing on the first device as before. The general program for a shape
of inputs is compiled for the heavy device once per process, in a background thread at
low priority; until it is, ``train_epochs`` answers None and the caller trains on the
first device as usual. With one device (a GPU, or ``PLAYGROUND_LANES=off``) the lane is
never used.

    if lanes.heavy_launch(epochs, n_train, batch_size):
        out = lanes.LANE.train_epochs(state, arch, arch_arrays, hyper, data, key, epoch0, n)
    if out is None:               # no heavy lane (yet): as before
        out = train.train_epochs(...)
"""
from __future__ import annotations

import functools
import math
import threading
import concurrent.futures
from concurrent.futures import ThreadPoolExecutor

import jax

from . import programs, train

DEVICES = 2          # CPU devices a server asks XLA for (server/jaxconfig.py)
LANE_STEPS = 200     # a launch of at least this many optimizer steps is heavy


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    """Optimizer steps in one epoch over ``n_train`` points in batches of ``batch_size``."""
    return math.ceil(max(n_train, 1) / max(batch_size, 1))


def heavy_launch(epochs: int, n_train: int, batch_size: int) -> bool:
    """Whether a launch of ``epochs`` epochs over ``n_train`` points in batches of
    ``batch_size`` is heavy (at least LANE_STEPS optimizer steps)."""
    return epochs * steps_per_epoch(n_train, batch_size) >= LANE_STEPS


@functools.cache
def heavy_device():
    """The second CPU device, or None: the first device is not a CPU (a GPU computes
    everything), or XLA shows one CPU device."""
    devices = jax.devices()
    if devices[0].platform != "cpu" or len(devices) < 2:
        return None
    return devices[1]


def on_heavy_device(tree):
    """A copy of ``tree``'s JAX arrays on the heavy device (other leaves as they are), or
    ``tree`` itself where there is none. A lab's one-off computation (the LR finder, a loss
    landscape: seconds of compute) given these runs there, so light pages' epochs on the
    first device never queue behind it. Its programs compile for that device once per
    process (the warm-up does it on a server)."""
    device = LANE.device()
    if device is None:
        return tree
    return jax.tree.map(lambda x: jax.device_put(x, device) if isinstance(x, jax.Array)
                        else x, tree)


def _shape_key(args) -> tuple:
    return tuple((tuple(leaf.shape), str(leaf.dtype)) for leaf in jax.tree.leaves(args))


class Lane:
    """The heavy device and the input shapes whose general program is compiled for it."""

    def __init__(self, device=heavy_device):
        self._device = device
        self._ready: set = set()
        self._asked: set = set()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._futures: list = []           # the compiles asked for
        self.failed = False                # a compile failed: the lane is not used again

    def device(self):
        return None if self.failed else self._device()

    def ready(self, key) -> bool:
        return key in self._ready

    def train_epochs(self, state, arch, arch_arrays, hyper, data, key, epoch0: int,
                     n_epochs: int, lrs=None):
        """``train.train_epochs`` on the heavy device: (state on the first device,
        Metrics, the tier used), or None when there is no heavy device or its general
        program for these shapes is not compiled yet (it is then asked for)."""
        device = self.device()
        if device is None:
            return None
        args = (state, arch_arrays, hyper, data, key)
        shapes = _shape_key(args)
        if shapes not in self._ready:
            self._prepare(shapes, device, args, arch)
            return None
        state, arch_arrays, hyper, data, key = jax.device_put(args, device)
        state, m, tier = train.train_epochs(state, arch, arch_arrays, hyper, data, key,
                                            epoch0, n_epochs, tier="auto", lrs=lrs, lane=True)
        return jax.device_put(state, jax.devices()[0]), m, tier

    def _prepare(self, shapes, device, args, arch) -> None:
        with self._lock:
            if shapes in self._asked:
                return
            self._asked.add(shapes)
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="playground-lane")
            try:
                self._futures.append(self._pool.submit(self._compile, shapes, device, args,
                                                       arch))
            except RuntimeError:           # the interpreter is shutting down: no lane
                pass

    def _compile(self, shapes, device, args, arch) -> None:
        programs.lowest_priority()
        try:
            state, arch_arrays, hyper, data, key = jax.device_put(args, device)
            out = train.train_epochs(state, arch, arch_arrays, hyper, data, key, 0, 1,
                                     tier="general")
            jax.block_until_ready(out[0])
        except Exception:                  # never again: the first device serves all
            self.failed = True
            raise
        self._ready.add(shapes)

    def wait(self, timeout: float | None = None) -> None:
        """Block until the compiles asked for so far are done (tests, the warm-up); a
        failed one has set ``failed``."""
        with self._lock:
            futures = list(self._futures)
        concurrent.futures.wait(futures, timeout)


LANE = Lane()
