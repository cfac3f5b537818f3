"""Compiled programs shared by every session of a process, in one bounded cache.

A *kind* of program is a plain function ``fn(key, *args)`` whose ``key`` (hashable:
shapes, an architecture, a batch size) fixes everything that needs its own compilation.
``PROGRAMS.get(kind, key, args)`` returns the program compiled for ``key`` when it is
ready, else None while it compiles on the cache's one background thread; ``block=True``
compiles in the caller's thread if needed. So a server's event loop never compiles, and
every session of the process shares what any session compiled.

The cache is bounded (least recently used out): at most ``max_entries`` programs and
about ``max_bytes`` of their memory. Each program is compiled from its own freshly jitted
function, so that nothing of an evicted program stays behind in JAX's own caches (which
are keyed by the jitted function), and the C allocator hands freed memory back to the
system after an eviction: a server whose students try dozens of shapes keeps its size.

The compile thread runs at the lowest CPU priority where the system allows it (Linux:
threads have their own nice value), so a compile takes what the training of the pages
leaves. (A server also has the interpreter switch threads more often while one compiles:
``server.share_the_interpreter``.)

Importing this module changes nothing in the process; the first compile does.
"""
from __future__ import annotations

import collections
import concurrent.futures
import ctypes
import ctypes.util
import os
import threading

import jax

# how often each program of the engine was traced (== compiled), by name: the tests use
# it to prove that widget changes never recompile a general program
TRACES: collections.Counter = collections.Counter()

MAX_PROGRAMS = 96
MAX_BYTES = int(float(os.environ.get("PLAYGROUND_PROGRAM_CACHE_MB", "192")) * 2**20)
PROGRAM_OVERHEAD = 1 * 2**20    # the least a compiled program is counted for
COMPILE_NICE = 19
KEEP_NEWEST = 6           # programs the memory bound never evicts (see ``_add``)


def lowest_priority() -> None:
    """Run the calling thread (the compile thread, the warm-up) at nice COMPILE_NICE, where
    possible."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), COMPILE_NICE)
    except (AttributeError, OSError):       # not Linux, or not allowed: default priority
        pass


_TRIM: list = []       # glibc's malloc_trim, looked up once, at the first eviction


def release_memory() -> None:
    """Give the C allocator's free memory back to the system (glibc), else nothing."""
    if not _TRIM:
        trim = None
        try:
            name = ctypes.util.find_library("c")
            trim = getattr(ctypes.CDLL(name), "malloc_trim") if name else None
        except (OSError, AttributeError):   # not glibc: nothing to trim
            pass
        _TRIM.append(trim)
    if _TRIM[0] is not None:
        _TRIM[0](0)


def resident_bytes() -> int:
    """The process's resident memory (Linux), else 0."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0


def program_bytes(compiled, grew: int = 0) -> int:
    """About what a compiled program holds between calls: what the process grew while it
    compiled (its code and XLA's tables),
    at least the size of its code and PROGRAM_OVERHEAD. Its temporary buffers live only
    while it runs."""
    try:
        code = int(compiled.memory_analysis().generated_code_size_in_bytes)
    except Exception:       # a backend without a memory analysis
        code = 0
    return max(int(grew), code, PROGRAM_OVERHEAD)


class ProgramCache:
    """Programs compiled in one background thread, shared process-wide, bounded (LRU)."""

    def __init__(self, max_entries: int = MAX_PROGRAMS, max_bytes: int = MAX_BYTES):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._ready: collections.OrderedDict = collections.OrderedDict()  # (kind, key) -> prog
        self._sizes: dict = {}
        self._pending: dict = {}
        self._lock = threading.Lock()
        self._pool = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="compile", initializer=lowest_priority)
        self._kinds: dict = {}
        self._cpu_options: dict = {}
        self.evictions = 0

    def register(self, kind: str, fn, cpu_options: dict | None = None) -> None:
        """Serve a kind of program: ``fn(key, *args)``, a plain (not jitted) function.
        cpu_options: XLA compiler options for this kind on the CPU backend (an XLA that
        does not know them compiles the program with its defaults)."""
        self._kinds[kind] = fn
        if cpu_options:
            self._cpu_options[kind] = dict(cpu_options)

    def _compile(self, kind, key, args):
        fn = self._kinds[kind]

        def program(*a):          # a function of its own: see the module's docstring
            return fn(key, *a)
        before = resident_bytes()
        lowered = jax.jit(program).lower(*args)
        options = self._cpu_options.get(kind)
        compiled = None
        if options and jax.default_backend() == "cpu":
            try:
                compiled = lowered.compile(compiler_options=options)
            except Exception:     # an XLA without these options: compile with its defaults
                pass
        if compiled is None:
            compiled = lowered.compile()
        return compiled, program_bytes(compiled, resident_bytes() - before)

    def _add(self, ck, compiled, size) -> None:
        """Store a program (the lock held), then evict the least recently used ones."""
        self._ready[ck] = compiled
        self._ready.move_to_end(ck)
        # one program counts for at most an eighth of the budget: the growth measured
        # while it compiled includes what other threads allocated meanwhile
        self._sizes[ck] = min(size, self.max_bytes // 8)
        evicted = 0
        # the newest KEEP_NEWEST programs may be one model's set being prepared (its
        # siblings on their way): only the count bound may take those
        while len(self._ready) > self.max_entries or (
                len(self._ready) > KEEP_NEWEST and sum(self._sizes.values()) > self.max_bytes):
            old = next(iter(self._ready))
            del self._ready[old]
            self._sizes.pop(old, None)
            evicted += 1
        if evicted:
            self.evictions += evicted
            release_memory()

    def _store(self, ck, fut):
        try:
            compiled, size = fut.result()
        except Exception:   # a program that cannot compile is simply not used
            compiled = None
        with self._lock:
            self._pending.pop(ck, None)
            if compiled is not None:
                self._add(ck, compiled, size)

    def ready(self, kind, key) -> bool:
        """Whether the program is compiled (nothing is queued)."""
        with self._lock:
            return (kind, key) in self._ready

    def get(self, kind, key, args, block: bool = False):
        """The program for ``key``, or None while it compiles in the background (queued
        now if it was not); block=True: compile in this thread if needed."""
        ck = (kind, key)
        with self._lock:
            if ck in self._ready:
                self._ready.move_to_end(ck)
                return self._ready[ck]
            fut = self._pending.get(ck)
            if fut is None and not block:
                fut = self._pool.submit(self._compile, kind, key, args)
                self._pending[ck] = fut
                fut.add_done_callback(lambda f: self._store(ck, f))
        if not block:
            return None
        if fut is not None:
            try:
                fut.result()
            except Exception:
                pass
            with self._lock:
                if ck in self._ready:
                    return self._ready[ck]
        compiled, size = self._compile(kind, key, args)
        with self._lock:
            self._add(ck, compiled, size)
        return compiled

    def submit(self, job):
        """Run ``job()`` on the compile thread, after what is queued; returns its Future.
        (Work that compiles programs by itself, such as a whole new model's set-up.)"""
        return self._pool.submit(job)

    def wait(self) -> None:
        """Block until every queued compilation has finished."""
        while True:
            with self._lock:
                futs = list(self._pending.values())
            if not futs:
                return
            concurrent.futures.wait(futs)

    def __len__(self) -> int:
        with self._lock:
            return len(self._ready)

    @property
    def nbytes(self) -> int:
        """About what the cached programs hold (see ``program_bytes``)."""
        with self._lock:
            return sum(self._sizes.values())


PROGRAMS = ProgramCache()   # the process's cache: every kind of every module
