"""The heavy lane: a heavy launch trains on a second CPU device, with the same numbers, and
without one everything trains as before."""
from __future__ import annotations

import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from playground.engine import lanes, train
from playground.server import jaxconfig
from playground.state.run import Run

HAS_LANE = lanes.heavy_device() is not None


def test_a_launch_is_heavy_by_its_optimizer_steps():
    assert not lanes.heavy_launch(1, 250, 10)          # a default page: 25 steps
    assert not lanes.heavy_launch(7, 250, 10)          # 175
    assert lanes.heavy_launch(8, 250, 10)              # 200
    assert lanes.heavy_launch(1, 250, 1)               # one epoch at batch size 1
    assert lanes.heavy_launch(50, 250, 1)
    assert not lanes.heavy_launch(3, 250, 64)          # 12 steps
    assert not lanes.heavy_launch(1, 0, 1)             # no data: one step


needs_lane = pytest.mark.skipif(not HAS_LANE, reason="one CPU device: run in a process "
                                                    "with the lane (below)")


def test_the_lane_tests_pass_in_a_process_with_the_lane():
    """The test process keeps one CPU device (tests/conftest.py); the tests that need the
    heavy lane run here in a process of its own that has it, as a server has."""
    if HAS_LANE:
        pytest.skip("this process has the lane: its tests run here")
    if jax.devices()[0].platform != "cpu":
        pytest.skip("the first device is not a CPU: there is no heavy lane")
    env = {k: v for k, v in os.environ.items()
           if k not in ("XLA_FLAGS", "PLAYGROUND_LANES", "PYTEST_ADDOPTS")}
    env["PLAYGROUND_TEST_LANES"] = "1"
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          __file__, "-k", "on_the_lane_gives or never_takes or fails_to_compile "
                                    "or compute_on_the_lane or cnn_trains"],
                         env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "5 passed" in out.stdout and "skipped" not in out.stdout, out.stdout[-2000:]


@needs_lane
def test_a_heavy_launch_on_the_lane_gives_the_same_numbers():
    """The same run trained with and without the lane: the same weights (the lane runs
    the same programs on the other device), and the state comes back to the first
    device."""
    def trained(lane: bool):
        run = Run(batch_size=1, hidden=[5, 3], seed=3)
        run.tier = "auto"
        run.lane_allowed = lane
        for _ in range(4):
            run.train(2)
            train.PROGRAMS.wait()
            lanes.LANE.wait(120)
        return run

    plain, laned = trained(False), trained(True)
    assert plain.epoch == laned.epoch == 8
    for a, b in zip(jax.tree.leaves(plain.state.params), jax.tree.leaves(laned.state.params)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)
    assert plain.history["test_loss"] == pytest.approx(laned.history["test_loss"], rel=1e-4)
    leaf = jax.tree.leaves(laned.state)[0]
    assert leaf.devices() == {jax.devices()[0]}
    # the lane's own exact-shape program was compiled and used
    assert laned.last_tier == "exact" and train.PROGRAMS.ready("train_lane", train.exact_key(
        laned.arch, laned.hyper, laned.data, train.OPTIMIZERS[int(laned.hyper.optimizer)]))


@needs_lane
def test_the_lr_finder_and_a_landscape_compute_on_the_lane(monkeypatch):
    """The Gradient-descent tab's one-off computations (seconds each) run on the heavy
    device, so that light pages' epochs never queue behind them, with the same numbers."""
    from playground.engine import descent as descent_engine
    from playground.engine import lr as lr_engine
    from playground.state import descent as descent_state
    run = Run(seed=2)
    for _ in range(3):
        run.train(2)
    seen = []

    def spy(module, name):
        original = getattr(module, name)

        def on(params, *a, **k):
            seen.append(jax.tree.leaves(params)[0].devices())
            return original(params, *a, **k)
        monkeypatch.setattr(module, name, on)
        return original

    finder = spy(lr_engine, "lr_finder")
    landscape = spy(descent_engine, "loss_landscape")
    got = descent_state.run_lr_finder(run)
    ref = finder(run.state.params, run.arch_arrays, run.hyper, run.data, run.shuffle_key)
    np.testing.assert_allclose(got.mean, ref.mean, rtol=1e-4, atol=1e-6)
    assert got.suggestion == pytest.approx(ref.suggestion, rel=1e-4)
    got = descent_state.run_landscape(run, "pca")
    key = jax.random.fold_in(jax.random.PRNGKey(0), descent_state.LANDSCAPE_STREAM)
    ref = landscape(run.state.params, run.arch_arrays, run.data, run.trajectory_array(),
                    "pca", key, None)
    np.testing.assert_allclose(got.loss, ref.loss, rtol=1e-4, atol=1e-6)
    assert seen == [{lanes.heavy_device()}] * 2


@needs_lane
def test_the_digits_cnn_trains_on_the_lane_with_the_same_numbers(monkeypatch):
    """The Digits CNN's epochs (0.1–2 s each) compute on the heavy device, with its own
    program, and the weights come back to the first device: the same numbers as there."""
    from playground import DigitsRun
    from playground.engine import digits, programs
    small = dict(model="cnn", filters1=4, filters2=8, batch_size=32, hidden=16, seed=4)
    laned = DigitsRun(**small)
    laned.train(2)
    shapes = digits.spec_shapes(laned.spec)
    assert programs.PROGRAMS.ready("digits_train_lane", (shapes, 32))
    assert jax.tree.leaves(laned.state)[0].devices() == {jax.devices()[0]}
    monkeypatch.setattr(lanes.LANE, "device", lambda: None)    # as with one device
    plain = DigitsRun(**small)
    plain.train(2)
    for a, b in zip(jax.tree.leaves(plain.state.params), jax.tree.leaves(laned.state.params)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)
    assert plain.history["test_loss"] == pytest.approx(laned.history["test_loss"], rel=1e-4)
    assert np.array_equal(plain.predict(plain.split.x_test[:20]),
                          laned.predict(laned.split.x_test[:20]))


@needs_lane
def test_a_light_launch_never_takes_the_lane():
    run = Run(seed=1)                                   # 25 steps an epoch
    run.lane_allowed = True
    calls = []
    original = lanes.LANE.train_epochs
    try:
        lanes.LANE.train_epochs = lambda *a, **k: calls.append(a) or original(*a, **k)
        run.train(3)
        assert calls == []
        run.batch_size = 1
        run.train(1)
        assert len(calls) == 1
    finally:
        del lanes.LANE.train_epochs


def test_without_a_second_device_the_lane_is_never_used():
    """One device (a GPU, or PLAYGROUND_LANES=off): the caller trains as before."""
    lane = lanes.Lane(device=lambda: None)
    run = Run(batch_size=1)
    args = (run.state, run.arch, run.arch_arrays, run.hyper, run.data, run.shuffle_key, 0, 1)
    assert lane.train_epochs(*args) is None
    lane.wait()


@needs_lane
def test_a_lane_whose_program_fails_to_compile_is_given_up():
    lane = lanes.Lane()
    run = Run(batch_size=1)
    args = (run.state, run.arch, run.arch_arrays, run.hyper, run.data, run.shuffle_key, 0, 1)
    original = train.train_epochs

    def broken(*a, **k):
        raise RuntimeError("no compiler today")
    try:
        train.train_epochs = broken
        assert lane.train_epochs(*args) is None        # asked for its compile …
        lane.wait(60)                                  # … which failed
    finally:
        train.train_epochs = original
    assert lane.failed and lane.device() is None and lane.train_epochs(*args) is None


def test_the_server_asks_xla_for_two_cpu_devices_unless_told_not_to():
    env = {"XLA_FLAGS": "--xla_dump_to=/tmp/x"}
    assert jaxconfig.ask_for_lanes(env)
    assert env["XLA_FLAGS"] == "--xla_dump_to=/tmp/x --xla_force_host_platform_device_count=2"
    assert not jaxconfig.ask_for_lanes(env)                       # once
    custom = {"XLA_FLAGS": "--xla_force_host_platform_device_count=4"}
    assert not jaxconfig.ask_for_lanes(custom) and custom["XLA_FLAGS"].endswith("=4")
    off = {"PLAYGROUND_LANES": "off"}
    assert not jaxconfig.ask_for_lanes(off) and "XLA_FLAGS" not in off
    empty: dict = {}
    assert jaxconfig.ask_for_lanes(empty)
    assert empty["XLA_FLAGS"] == "--xla_force_host_platform_device_count=2"


def test_a_fresh_process_set_up_like_the_app_has_the_lane_and_off_has_none():
    code = ("from playground import server; server.install(); "
            "from playground.engine import lanes; print(lanes.heavy_device() is not None)")
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "PLAYGROUND_LANES")}
    env["JAX_PLATFORMS"] = "cpu"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "True", out.stderr[-2000:]
    env["PLAYGROUND_LANES"] = "off"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr[-2000:]


def test_a_lane_asked_for_while_the_server_shuts_down_does_nothing():
    """At exit (the warm-up or a page still asking) the lane neither raises nor waits."""
    lane = lanes.Lane(device=lambda: jax.devices()[0])     # any device will do here
    lane._pool = lanes.ThreadPoolExecutor(1)
    lane._pool.shutdown()                                   # as at interpreter exit
    run = Run(batch_size=1)
    args = (run.state, run.arch, run.arch_arrays, run.hyper, run.data, run.shuffle_key, 0, 1)
    assert lane.train_epochs(*args) is None
    lane.wait(5)
    assert not lane.failed
