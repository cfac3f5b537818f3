"""Learning rate (playground.engine.lr, engine.parallel): schedules and their use in
training, the LR finder, and parallel runs against separate runs."""
import jax
import numpy as np
import optax
import pytest

from playground import Run
from playground.engine import datasets, lr, mlp, parallel, train
from playground.state.descent import run_lr_finder
from playground.state.parallel import ParallelRuns
from playground.state.run import LEARNING_RATES


# ======================================================================== schedules
def test_schedule_values_at_known_epochs():
    f = lambda name, e, **kw: lr.schedule_lr(name, np.asarray(e), 0.1, **kw)
    np.testing.assert_allclose(f("constant", [0, 7, 1000]), 0.1)
    np.testing.assert_allclose(f("step", [0, 9, 10, 19, 20, 35], period=10, step_factor=0.5),
                               [0.1, 0.1, 0.05, 0.05, 0.025, 0.0125])
    # with no floor, cosine falls to 0 at the period; with the floor (the default) it
    # falls to floor·base_lr instead, along the same curve squeezed into [floor, 1]
    halves = np.array([1.0, (1 + np.cos(np.pi / 4)) / 2, 0.5, (1 - np.cos(np.pi / 4)) / 2, 0, 0])
    np.testing.assert_allclose(f("cosine", [0, 25, 50, 75, 100, 150], period=100, floor=0.0),
                               [0.1, 0.1 * (1 + np.cos(np.pi / 4)) / 2, 0.05,
                                0.1 * (1 - np.cos(np.pi / 4)) / 2, 0.0, 0.0], atol=1e-15)
    floor = lr.SCHEDULE_FLOOR
    assert floor == 0.1
    np.testing.assert_allclose(f("cosine", [0, 25, 50, 75, 100, 150], period=100),
                               0.1 * (floor + (1 - floor) * halves), atol=1e-15)
    # SGDR, cycles of 10, 20, 40 epochs: restarts at 0, 10, 30, 70; half-way at 5, 20, 50
    e = [0, 5, 10, 20, 30, 50, 70, 69.999]
    np.testing.assert_allclose(f("sgdr", e, period=10, cycle_mult=2),
                               [0.1, 0.05, 0.1, 0.05, 0.1, 0.05, 0.1, 0.0], atol=1e-6)
    np.testing.assert_allclose(f("sgdr", [0, 4, 8, 12, 16], period=8, cycle_mult=1),
                               [0.1, 0.05, 0.1, 0.05, 0.1], atol=1e-15)
    np.testing.assert_allclose(f("sgdr", [0, 3, 7.5, 12, 25.5, 6], period=3, cycle_mult=3),
                               [0.1, 0.1, 0.05, 0.1, 0.05, 0.075], atol=1e-12)   # 3, 9, 27
    oc = f("one_cycle", [0, 30, 100, 200], period=100, floor=1 / 25 / 1e4)
    np.testing.assert_allclose(oc, [0.1 / 25, 0.1, 0.1 / 25 / 1e4, 0.1 / 25 / 1e4])
    oc = f("one_cycle", [0, 30, 100, 200, 10_000], period=100)
    np.testing.assert_allclose(oc, [0.1 / 25, 0.1, 0.1 * floor, 0.1 * floor, 0.1 * floor])
    with pytest.raises(ValueError):
        lr.schedule_lr("warm", 0, 0.1)


def test_schedules_match_optax():
    """Cosine is optax's cosine decay with alpha = the floor; one-cycle is optax's one-cycle
    ending at floor·peak (final_div_factor = 1 / (div_factor · floor)); floors of 0 and of
    optax's default end give optax's defaults."""
    steps = np.arange(0, 130)
    floor = lr.SCHEDULE_FLOOR
    for kw, alpha in ((dict(floor=0.0), 0.0), ({}, floor)):
        np.testing.assert_allclose(lr.schedule_lr("cosine", steps, 0.3, period=100, **kw),
                                   optax.cosine_decay_schedule(0.3, 100, alpha=alpha)(steps),
                                   rtol=2e-6, atol=1e-8)
    for period in (100, 37):
        for kw, final_div in ((dict(floor=1 / 25 / 1e4), 1e4), ({}, 1 / (25 * floor))):
            sched = optax.cosine_onecycle_schedule(period, 0.3, final_div_factor=final_div)
            np.testing.assert_allclose(
                lr.schedule_lr("one_cycle", steps, 0.3, period=period, **kw),
                [float(sched(int(s))) for s in steps], rtol=2e-5, atol=1e-7)
    e = np.arange(0, 100)
    np.testing.assert_allclose(lr.schedule_lr("step", e, 1.0, period=7, step_factor=0.3),
                               optax.exponential_decay(1.0, 7, 0.3, staircase=True)(e),
                               rtol=2e-6)


def test_lrs_table_follows_a_schedule_without_recompiling():
    """A schedule through train_epochs(lrs=...) equals training epoch by epoch at each
    epoch's rate; crossing the table's length needs no new program."""
    arch = mlp.Arch((0, 1), (4,), ("tanh",), 1)
    aa = arch.arrays()
    rng = np.random.default_rng(2)
    X = rng.uniform(-4, 4, (60, 2)).astype(np.float32)
    from playground.engine import features
    F = np.asarray(features.all_features(X), np.float32)
    y = np.sign(X[:, 0] * X[:, 1]).astype(np.float32)
    data = train.make_data(F[:40], y[:40], F[40:], y[40:])
    state0 = train.init_state(jax.random.PRNGKey(1), aa)
    key = jax.random.PRNGKey(5)
    n = train.LR_TABLE_LEN + 6
    rates = lr.schedule_lr("sgdr", np.arange(n), 0.2, period=5, cycle_mult=2).astype(np.float32)
    hyper = train.make_hyper(0.2, "none", 0.0, 10, "momentum")
    s_all, m_all, _ = train.train_epochs(state0, arch, aa, hyper, data, key, 0, n,
                                         tier="general", lrs=rates)
    traces = dict(train.TRACES)
    s = state0
    for e in range(n):
        s, m, _ = train.train_epochs(s, arch, aa, train.make_hyper(float(rates[e]), "none", 0.0,
                                                                   10, "momentum"),
                                     data, key, e, 1, tier="general")
    assert train.TRACES["train_general"] == traces["train_general"]
    for a, b in zip(jax.tree.leaves(s_all), jax.tree.leaves(s)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    assert float(m_all.train_loss) == pytest.approx(float(m.train_loss), rel=1e-5)
    # the exact tier follows the same schedule (a few epochs: rounding differences
    # between the tiers grow over many epochs of momentum)
    out = {t: train.train_epochs(state0, arch, aa, hyper, data, key, 0, 8, tier=t,
                                 lrs=rates[:8]) for t in ("general", "exact")}
    assert out["exact"][2] == "exact"
    for a, b in zip(jax.tree.leaves(out["general"][0].params),
                    jax.tree.leaves(out["exact"][0].params)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="lrs"):
        train.train_epochs(state0, arch, aa, hyper, data, key, 0, 3, lrs=rates)


def test_run_follows_its_schedule_and_shows_the_current_rate():
    run = Run(schedule="step", schedule_epochs=3, step_factor=0.1, learning_rate=0.3)
    run.tier = "general"
    assert run.current_lr() == pytest.approx(0.3)
    np.testing.assert_allclose(run.learning_rates(np.arange(7)),
                               [0.3] * 3 + [0.03] * 3 + [0.003], rtol=1e-6)
    split = Run(**run.settings())
    split.tier = "general"
    run.train(7)
    for k in (2, 3, 2):
        split.train(k)
    assert run.current_lr() == pytest.approx(0.003, rel=1e-6)
    assert split.metrics() == run.metrics()
    plain = Run(learning_rate=0.3)
    plain.tier = "general"
    plain.train(7)
    assert plain.metrics() != run.metrics()
    epoch, loss = run.epoch, run.metrics()["train_loss"]
    run.schedule = "constant"                     # a hyperparameter: training carries on
    assert run.epoch == epoch and run.current_lr() == pytest.approx(0.3)
    assert run.metrics()["train_loss"] == loss


@pytest.mark.parametrize("schedule", ["cosine", "one_cycle"])
def test_cosine_and_one_cycle_keep_learning_after_their_period(schedule):
    """The default circle, schedule period 100: after 500 epochs the test accuracy is within
    2 points of the constant rate's (a rate of 0 after epoch 100 left it at ~80 %), and the
    rate at epoch 10,000 is the floor, 10 % of the learning rate, not 0."""
    constant = Run()
    constant.train(500)
    run = Run(schedule=schedule)
    run.train(500)
    target = constant.metrics()["test_accuracy"]
    assert run.metrics()["test_accuracy"] >= target - 0.02
    assert run.metrics()["test_accuracy"] >= 0.95
    floor = np.float32(0.03) * lr.SCHEDULE_FLOOR
    assert run.current_lr() == pytest.approx(floor, rel=1e-6)
    rates = run.learning_rates(np.array([100, 500, 10_000, 99_999]))
    assert np.all(rates > 0)
    np.testing.assert_allclose(rates, floor, rtol=1e-6)


def test_current_lr_is_the_rate_the_next_epoch_trains_with():
    """current_lr() after some epochs of a schedule: a twin that trains the next epoch at
    that rate, held constant, ends with the same weights as the run under its schedule."""
    kw = dict(schedule="one_cycle", schedule_epochs=10, learning_rate=0.3)
    run, twin = Run(**kw), Run(**kw)
    for r in (run, twin):
        r.tier = "general"
        r.train(3)
        r.train(4)
    assert run.current_lr() == pytest.approx(float(lr.schedule_lr("one_cycle", 7, 0.3, 10)),
                                             rel=1e-6)
    assert run.current_lr() != pytest.approx(0.3)        # a point on the way down
    twin.param.update(schedule="constant", learning_rate=run.current_lr())
    assert twin.current_lr() == run.current_lr()
    run.train(1)
    twin.train(1)
    _assert_same(run.state.params, twin.state.params, tol=0)
    assert run.metrics() == twin.metrics()


# ====================================================================== LR finder
@pytest.fixture(scope="module")
def diverging_run():
    """Linear output, squared error, plain SGD: large rates blow the loss up."""
    run = Run(dataset="plane", hidden=[4], activation="relu")
    run.tier = "general"
    return run


@pytest.fixture(scope="module")
def found(diverging_run):
    before = {k: np.asarray(v) for k, v in diverging_run.state.params.items()}
    result = run_lr_finder(diverging_run)
    after = diverging_run.state.params
    assert all(np.array_equal(before[k], np.asarray(after[k])) for k in before)  # a copy
    return result


def test_finder_rates_and_smoothing(found):
    lrs = found.lrs
    assert len(lrs) == lr.LR_FIND_STEPS
    assert lrs[0] == pytest.approx(lr.LR_FIND_START) and lrs[-1] == pytest.approx(10.0, rel=1e-6)
    assert lr.LR_FIND_START == 1e-5                      # the learning-rate menu's range
    ratios = lrs[1:] / lrs[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-4)         # exponential
    for raw, smooth in zip(found.losses, found.smoothed):
        avg, ref = 0.0, []
        for i, v in enumerate(raw[np.isfinite(raw)]):
            avg = lr.SMOOTHING * avg + (1 - lr.SMOOTHING) * v
            ref.append(avg / (1 - lr.SMOOTHING ** (i + 1)))
        np.testing.assert_allclose(smooth[:len(ref)], ref, rtol=1e-5)


def test_finder_stops_early_on_a_diverging_loss(found):
    assert found.losses.shape == (lr.LR_FIND_SEEDS, lr.LR_FIND_STEPS)
    assert np.all(found.recorded < lr.LR_FIND_STEPS)
    for raw, smooth, n in zip(found.losses, found.smoothed, found.recorded):
        assert np.all(np.isfinite(raw[:n])) and np.all(np.isnan(raw[n:]))
        # the stop comes at the first step whose smoothed loss exceeds 4× the best before
        over = smooth[1:n] > 4.0 * np.minimum.accumulate(smooth[:n - 1])
        assert np.isfinite(smooth[n - 1]) and over[-1] and not np.any(over[:-1])
    assert found.falls


def test_finder_suggestions_lie_in_range(found):
    for v in (found.suggestion, found.lr_steepest, found.lr_min_div10):
        assert lr.LR_FIND_START <= v <= lr.LR_FIND_END
    assert found.suggested_by == "minimum/10"
    assert found.suggestion == pytest.approx(found.lr_at_minimum / 10)
    common = int(np.min(found.recorded))
    i = int(np.argmin(np.abs(found.lrs - found.lr_at_minimum)))
    kept = found.mean[lr.SKIP_START:common - lr.SKIP_END]
    assert found.mean[i] == pytest.approx(np.min(kept))
    ok = np.isfinite(found.low)
    assert np.all(found.low[ok] <= found.mean[ok] + 1e-7)
    assert np.all(found.mean[ok] <= found.high[ok] + 1e-7)


def test_five_seed_vmap_equals_five_separate_calls(diverging_run, found):
    r = diverging_run
    keys = lr.finder_keys(r._shuffle_key)
    lrs = lr.finder_learning_rates()
    for s in range(lr.LR_FIND_SEEDS):
        losses, smooth = lr.lr_find_one(r.state.params, r._arch_arrays, r._hyper, r._data,
                                        keys[s], lrs)
        losses = np.asarray(losses)
        np.testing.assert_array_equal(np.isnan(losses), np.isnan(found.losses[s]))
        # the same numbers up to float32 rounding (the batched program orders some sums
        # differently), which grows to ~2e-4 in the last steps before the blow-up
        np.testing.assert_allclose(losses, found.losses[s], rtol=1e-3, equal_nan=True)
    assert len({tuple(np.round(x[:30], 6)) for x in found.losses}) == lr.LR_FIND_SEEDS


def test_finder_compiles_once_for_every_setup(found):
    before = train.TRACES["lr_finder"]
    other = Run(dataset="xor", hidden=[8, 8], optimizer="adam", batch_size=25,
                loss="cross_entropy", dropout=[0.2])
    result = run_lr_finder(other)
    assert train.TRACES["lr_finder"] == before
    assert lr.LR_FIND_START <= result.suggestion <= lr.LR_FIND_END


# not the three spiral arms: a problem of hundreds of epochs, on which the finder's few
# epochs of plain SGD lower the loss at no rate (its curve is flat, then climbs), with the
# default network or a bigger one
FINDER_CASES = [dict(dataset=name) for name in datasets.DATASETS if name != "spiral3"] + [
    dict(dataset="spiral", hidden=[8, 8, 8])]


@pytest.mark.parametrize("setup", FINDER_CASES,
                         ids=[c["dataset"] + "".join(f"-{h}" for h in c.get("hidden", []))
                              for c in FINDER_CASES])
def test_finder_suggests_a_rate_that_trains_on_every_data_set(setup):
    """The default network (Run() but for the data set) on every built-in data set, and the
    spiral with 8,8,8: the loss falls, the suggestion is one order of magnitude below the
    smoothed loss's minimum, where the curve still falls, and lies in [1e-3, 1] (sensible for
    these toy problems: 1e-6 came out before, from a flat curve of noise); 300 epochs at
    the suggested rate lower the training loss by at least 10 %, without diverging."""
    result = run_lr_finder(Run(**setup))
    assert result.falls
    assert 1e-3 <= result.suggestion <= 1.0
    assert result.suggestion == pytest.approx(result.lr_at_minimum / 10)
    at = lambda rate: result.mean[int(np.argmin(np.abs(np.log(result.lrs / rate))))]
    assert at(result.suggestion) > 1.01 * at(result.lr_at_minimum)
    assert 1e-3 <= lr.nearest_choice(result.suggestion, LEARNING_RATES) <= 1.0
    run = Run(**setup, learning_rate=result.suggestion)
    before = run.metrics()["train_loss"]
    after = run.train(300)["train_loss"]
    assert run.status == "trained" and after <= 0.9 * before


def test_finder_summary_of_flat_and_falling_curves():
    """summarize on made-up curves: a dip at 0.3 is found and 0.03 suggested; a flat curve
    of noise, or one whose lowest point is its first, suggests nothing (falls is False)."""
    lrs = lr.finder_learning_rates()
    rng = np.random.default_rng(0)
    noise = 0.003 * rng.standard_normal((lr.LR_FIND_SEEDS, len(lrs)))
    x = np.log10(lrs / 0.3)
    dip = 0.5 - 0.2 * np.exp(-x ** 2 / 0.5) + np.where(x > 0, 0.5 * x ** 2, 0) + noise
    found = lr.summarize(lrs, dip, dip)
    assert found.falls and found.lr_at_minimum == pytest.approx(0.3, rel=0.15)
    assert found.suggestion == pytest.approx(found.lr_at_minimum / 10)
    assert found.lr_steepest < found.lr_at_minimum
    flat = 0.5 + noise
    assert not lr.summarize(lrs, flat, flat).falls
    rising = 0.5 + 0.01 * np.log10(lrs / lrs[0]) + noise
    assert not lr.summarize(lrs, rising, rising).falls


# ================================================================== parallel runs
def _separate(run, params, rate, epochs, optimizer=None):
    """One ordinary (exact-tier) training of the run's set-up from params at rate."""
    hyper = train.make_hyper(rate, run.regularization, run.reg_rate, run.batch_size,
                             optimizer or run.optimizer)
    state = train.TrainState(params, train.opt_init(params))
    s, m, _ = train.train_epochs(state, run.arch, run._arch_arrays, hyper, run._data,
                                 run._shuffle_key, 0, epochs, tier="exact")
    return jax.device_get(mlp.to_exact(s.params, run.arch)), m


def _assert_same(a, b, tol=2e-5):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=tol, atol=tol)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_parallel_runs_across_rates_equal_separate_runs(optimizer):
    run = Run(dataset="xor", hidden=[5, 3], optimizer=optimizer, batch_size=7,
              regularization="l2", reg_rate=0.001)
    sweep = ParallelRuns(run, copies=5, lr_min=0.003, lr_max=0.05)
    m = sweep.train(4)
    start = run.state.params                   # the run has not trained: its first weights
    for k, rate in enumerate(sweep.values()):
        ref, mk = _separate(run, start, rate, 4)
        _assert_same(sweep.copy_params(k), ref)
        assert m["train_loss"][k] == pytest.approx(float(mk.train_loss), rel=1e-5)
        assert m["test_accuracy"][k] == pytest.approx(float(mk.test_accuracy), abs=1e-6)
    assert sweep.grids().shape == (5, parallel.GRID_RES, parallel.GRID_RES)
    assert sweep.curves()["train_loss"].shape == (2, 5)    # epoch 0 and epoch 4


def test_parallel_runs_across_seeds_equal_separate_runs_and_keep_the_schedule():
    run = Run(dataset="circle", hidden=[4, 2], schedule="cosine", schedule_epochs=6,
              learning_rate=0.1)
    sweep = ParallelRuns(run, over="seed", copies=3)
    sweep.train(3)
    sweep.train(2)
    traces = train.TRACES["train_packed"]
    for k, seed in enumerate(sweep.values()):
        probe = Run(**{**run.settings(), "seed": seed})        # that seed's first weights
        hyper = train.make_hyper(0.1, "none", 0.0, 10, "sgd")
        state = train.TrainState(probe.state.params, train.opt_init(probe.state.params))
        s, m, _ = train.train_epochs(state, run.arch, run._arch_arrays, hyper, run._data,
                                     run._shuffle_key, 0, 5, tier="exact",
                                     lrs=run.learning_rates(np.arange(5)))
        _assert_same(sweep.copy_params(k), jax.device_get(mlp.to_exact(s.params, run.arch)))
    sweep.lr_max = 1.0                                   # a new sweep: no new program
    sweep.over = "learning_rate"
    sweep.copies = 3
    sweep.train(1)
    assert train.TRACES["train_packed"] == traces


def test_a_diverging_copy_stops_and_leaves_the_others_alone():
    run = Run(dataset="plane", hidden=[6], activation="relu", learning_rate=0.01)
    sweep = ParallelRuns(run, copies=3, lr_min=0.01, lr_max=10.0)
    m = sweep.train(3)
    assert list(m["diverged"]) == [False, False, True]
    for k, rate in enumerate(sweep.values()[:2]):
        ref, _ = _separate(run, run.state.params, rate, 3)
        _assert_same(sweep.copy_params(k), ref)
    assert np.all(np.isfinite(sweep.copy_params(2)["W"][0]))        # its last good weights
    big = max(np.max(np.abs(w)) for w in sweep.copy_params(2)["W"])
    assert big <= train.DIVERGENCE_WEIGHT


def test_parallel_launches_equal_blocking_training_and_a_reset_drops_one():
    """launch + settle (the page's way: the event loop never waits) give what train gives;
    a launch still to be applied when the copies are reset, or the run set up anew, is
    dropped, computed or not."""
    run = Run(dataset="xor", hidden=[4], batch_size=5)
    ref = ParallelRuns(run, copies=3)
    ref.train(1)
    ref.train(1)
    sweep = ParallelRuns(run, copies=3)
    assert not sweep.pending and sweep.computed
    assert sweep.launch(1) is True and sweep.pending
    assert sweep.epoch == 0                                 # not applied before settle
    while not sweep.settle(wait=False):
        assert sweep.pending
    assert sweep.epoch == 1 and not sweep.pending
    assert sweep.launch(1) is True
    sweep.settle()
    assert sweep.epoch == 2
    for k in range(3):
        _assert_same(sweep.copy_params(k), ref.copy_params(k), tol=1e-6)
    np.testing.assert_allclose(sweep.curves()["train_loss"], ref.curves()["train_loss"],
                               rtol=1e-6)
    sweep.launch(1)
    sweep.reset()
    assert not sweep.pending and not sweep.settle() and sweep.epoch == 0
    sweep.launch(1)
    run.seed = 3                               # the run anew: the launch is stale
    assert not sweep.settle() and not sweep.pending and sweep.epoch == 0
    assert sweep.train(1)["epoch"] == 1        # afresh from the new set-up
