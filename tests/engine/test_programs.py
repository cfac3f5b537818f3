"""The process's program cache: shared, compiled off the caller's thread, bounded (LRU)."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from playground.engine import programs


def scale(k, x):
    return x * k


def cache_of(**kw):
    cache = programs.ProgramCache(**kw)
    cache.register("scale", scale)
    return cache


def test_a_program_compiles_in_the_background_and_is_shared():
    cache = cache_of()
    x = np.arange(4, dtype=np.float32)
    first = cache.get("scale", 3, (x,))          # queued: the caller does not wait
    cache.wait()
    prog = cache.get("scale", 3, (x,))
    assert first is None or first is prog
    np.testing.assert_array_equal(prog(x), 3 * x)
    assert cache.ready("scale", 3) and not cache.ready("scale", 4)
    assert cache.get("scale", 3, (x,)) is prog   # every later caller gets the same program


def test_the_compile_thread_is_not_the_callers_and_runs_at_low_priority():
    cache = cache_of()
    names = []

    def job():
        names.append(threading.current_thread().name)
        try:
            import os
            names.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        except (AttributeError, OSError):
            names.append(None)
    cache.submit(job).result()
    assert names[0].startswith("compile") and names[0] != threading.current_thread().name
    if names[1] is not None:
        assert names[1] == programs.COMPILE_NICE


def test_least_recently_used_programs_go_first_and_the_count_is_bounded():
    cache = cache_of(max_entries=3)
    x = np.ones(2, np.float32)
    for k in (1, 2, 3):
        cache.get("scale", k, (x,), block=True)
    cache.get("scale", 1, (x,))                  # used again: the newest now
    cache.get("scale", 4, (x,), block=True)      # evicts 2, the least recently used
    assert len(cache) == 3 and cache.evictions == 1
    assert [cache.ready("scale", k) for k in (1, 2, 3, 4)] == [True, False, True, True]


def test_the_memory_is_bounded(monkeypatch):
    """Each program counts for what the process grew while compiling it (here: 10 MB)."""
    monkeypatch.setattr(programs, "program_bytes", lambda compiled, grew=0: 10 * 2**20)
    cache = cache_of(max_bytes=85 * 2**20)
    for k in range(10):
        cache.get("scale", k, (np.ones(2, np.float32),), block=True)
    assert len(cache) == 8 and cache.nbytes == 80 * 2**20 and cache.evictions == 2
    assert not cache.ready("scale", 1) and cache.ready("scale", 2) and cache.ready("scale", 9)


def test_the_newest_programs_stay_and_one_counts_for_an_eighth_at_most(monkeypatch):
    """A program counts for at most an eighth of the budget (what the process grew while it
    compiled includes what other threads allocated meanwhile)."""
    monkeypatch.setattr(programs, "program_bytes", lambda compiled, grew=0: 10 * 2**20)
    cache = cache_of(max_bytes=10 * 2**20, max_entries=12)
    for k in range(10):                                   # each counted 10/8 = 1.25 MB
        cache.get("scale", k, (np.ones(2, np.float32),), block=True)
    assert len(cache) == 8 and cache.nbytes == 10 * 2**20 and cache.evictions == 2
    # so the newest six (up to one model's whole set) always fit in the budget together
    assert programs.KEEP_NEWEST * (cache.max_bytes // 8) <= cache.max_bytes


def test_a_program_counts_for_what_the_process_grew_and_at_least_a_floor():
    compiled = cache_of().get("scale", 1, (np.ones(2, np.float32),), block=True)
    assert programs.program_bytes(compiled, 12 * 2**20) == 12 * 2**20
    assert programs.program_bytes(compiled, -5) >= programs.PROGRAM_OVERHEAD
    assert programs.resident_bytes() > 0


def test_a_program_that_cannot_compile_is_not_stored():
    cache = programs.ProgramCache()
    cache.register("broken", lambda k, x: x @ np.ones((k, k)))
    assert cache.get("broken", 5, (np.ones(3, np.float32),)) is None
    cache.wait()
    assert not cache.ready("broken", 5)
    with pytest.raises(TypeError):
        cache.get("broken", 5, (np.ones(3, np.float32),), block=True)
