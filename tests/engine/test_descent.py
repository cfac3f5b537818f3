"""Gradient-descent lab engine (playground.engine.descent) and its states: one weight,
two weights (optimizer paths against optax by hand and numpy formulas), and the real
network's loss landscape (filter normalisation, PCA plane, centre = the run's loss)."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from playground import Run
from playground.engine import descent, train
from playground.state.descent import (ONE_WEIGHT_PRESETS, OneWeightDemo, TwoWeightRace,
                                      run_landscape)

X, Y = descent.PRICE_X, descent.PRICE_Y


# ====================================================================== one weight
def test_one_weight_gradient_and_curvature_match_finite_differences():
    h = 1e-4
    for w in (-1.0, 0.5, 2.0, 4.2):
        fd = (descent.one_weight_loss(w + h) - descent.one_weight_loss(w - h)) / (2 * h)
        assert descent.one_weight_gradient(w) == pytest.approx(fd, rel=1e-6)
        fd2 = (descent.one_weight_loss(w + h) - 2 * descent.one_weight_loss(w)
               + descent.one_weight_loss(w - h)) / h ** 2
        assert descent.one_weight_curvature() == pytest.approx(fd2, rel=1e-4)
    assert descent.one_weight_curvature() == 2 * np.sum(X ** 2) / len(X) == 22.0


def test_gradient_descent_converges_to_least_squares():
    w_star = np.linalg.lstsq(X[:, None], Y, rcond=None)[0][0]     # y = W·x, no intercept
    assert descent.least_squares_weight() == pytest.approx(w_star, rel=1e-12)
    assert descent.least_squares_weight() == pytest.approx(np.sum(X * Y) / np.sum(X * X))
    for lr in (0.002, 0.03, 0.08):
        path = descent.one_weight_path(0.5, lr, 3000)
        assert path[-1] == pytest.approx(w_star, abs=1e-9), lr
    assert descent.one_weight_gradient(w_star) == pytest.approx(0.0, abs=1e-12)


def test_divergence_bound_two_over_curvature():
    bound = descent.max_stable_learning_rate()
    assert bound == pytest.approx(2.0 / 22.0) and "2/L″" in descent.max_stable_learning_rate.__doc__
    w_star = descent.least_squares_weight()
    below = descent.one_weight_path(0.5, 0.99 * bound, 2000)
    above = descent.one_weight_path(0.5, 1.01 * bound, 2000)
    assert abs(below[-1] - w_star) < 1e-6 * abs(below[0] - w_star)
    assert abs(above[-1] - w_star) > 1e6 * abs(above[0] - w_star)
    # each step multiplies the distance to W* by exactly (1 − lr·L″)
    for lr in (0.99 * bound, 1.01 * bound):
        d = descent.one_weight_path(0.5, lr, 5) - w_star
        np.testing.assert_allclose(d[1:] / d[:-1], 1 - lr * 22.0, rtol=1e-9)


def test_one_step_arithmetic():
    s = descent.one_weight_step(2.5, 0.03)
    assert s.gradient == pytest.approx(2 * np.mean(X * (2.5 * X - Y)))
    assert s.change == pytest.approx(-0.03 * s.gradient)
    assert s.new_w == pytest.approx(2.5 - 0.03 * s.gradient)
    assert s.loss == pytest.approx(np.mean((2.5 * X - Y) ** 2))
    assert s.new_loss < s.loss
    ws, ls = descent.tangent_segment(2.5, 0.5)
    assert (ls[1] - ls[0]) / (ws[1] - ws[0]) == pytest.approx(s.gradient)


def test_one_weight_demo_presets_show_what_they_say():
    demo = OneWeightDemo()
    assert set(ONE_WEIGHT_PRESETS) >= {"good", "too_low", "too_high"}
    demo.apply_preset("good")
    demo.step(40)
    assert demo.status == "converged" and demo.w == pytest.approx(demo.best_w, abs=1e-6)
    demo.apply_preset("too_low")
    assert demo.history == [demo.start_w] and demo.status == "ready"
    demo.step(20)
    assert demo.start_w < demo.w < demo.best_w - 0.5          # crept, not there
    demo.apply_preset("too_high")
    assert demo.learning_rate > demo.max_stable_lr
    last = demo.step(500)
    assert demo.status == "diverged"
    assert np.all(np.diff(np.abs(np.array(demo.history) - demo.best_w)) > 0)
    assert last.new_w == demo.w and len(demo.history) < 501
    before = len(demo.history)
    demo.step(5)                                                 # no steps once diverged
    assert len(demo.history) == before
    demo.start_w = 3.0                                           # a new start resets
    assert demo.w == 3.0 and demo.status == "ready" and demo.last_step is None


# ===================================================================== two weights
def _optax_by_hand(name, loss, start, lr, beta, steps):
    """A plain Python loop of opt.update / optax.apply_updates."""
    opt = descent.path_optimizer(name, lr, beta)
    theta = jnp.asarray(start, jnp.float32)
    state = opt.init(theta)
    out = [np.asarray(theta)]
    for _ in range(steps):
        updates, state = opt.update(jax.grad(loss)(theta), state, theta)
        theta = optax.apply_updates(theta, updates)
        out.append(np.asarray(theta))
    return np.array(out)


@pytest.mark.parametrize("surface", ["valley", "logistic"])
def test_every_path_is_optax_applied_by_hand(surface):
    s = descent.SURFACES[surface]
    lr = 0.5 * s.learning_rate          # far from the minimum: no chaotic rounding growth
    race = descent.optimizer_paths(surface, s.start, lr, 0.8)
    assert race.paths.shape == (5, descent.PATH_STEPS + 1, 2)
    for k, name in enumerate(descent.PATH_OPTIMIZERS):
        ref = _optax_by_hand(name, s.loss, s.start, lr, 0.8, 25)
        np.testing.assert_allclose(race.paths[k, :26], ref, rtol=2e-5, atol=2e-6, err_msg=name)
        np.testing.assert_allclose(race.losses[k, :26],
                                   [float(s.loss(jnp.asarray(t))) for t in ref], rtol=2e-5)


def _numpy_path(name, grad, start, lr, beta, steps):
    """Textbook formulas: SGD θ −= lr·g; momentum v = β·v + g, θ −= lr·v;
    Nesterov v = β·v + g, θ −= lr·(g + β·v)."""
    theta, v = np.array(start, np.float64), np.zeros(2)
    out = [theta.copy()]
    for _ in range(steps):
        g = grad(theta)
        v = beta * v + g
        step = {"sgd": g, "momentum": v, "nesterov": g + beta * v}[name]
        theta = theta - lr * step
        out.append(theta.copy())
    return np.array(out)


@pytest.mark.parametrize("surface", ["valley", "linear"])
def test_sgd_momentum_nesterov_follow_the_update_formulas(surface):
    if surface == "valley":
        A, c = descent.VALLEY_MATRIX.astype(np.float64), descent.VALLEY_CENTER.astype(np.float64)
        grad = lambda t: A @ (t - c)
    else:
        x, y = descent.LINE_X.astype(np.float64), descent.LINE_Y.astype(np.float64)
        grad = lambda t: np.array([2 * np.mean((t[0] * x + t[1] - y) * x),
                                   2 * np.mean(t[0] * x + t[1] - y)])
    s = descent.SURFACES[surface]
    race = descent.optimizer_paths(surface, s.start, s.learning_rate, 0.7)
    for name in ("sgd", "momentum", "nesterov"):
        ref = _numpy_path(name, grad, s.start, np.float32(s.learning_rate), np.float32(0.7), 40)
        k = descent.PATH_OPTIMIZERS.index(name)
        np.testing.assert_allclose(race.paths[k, :41], ref, rtol=1e-4, atol=1e-5, err_msg=name)


def test_surfaces_grid_values_minima_and_saddle():
    t0, t1, Z = descent.surface_grid("linear", res=21)
    x, y = descent.LINE_X.astype(np.float64), descent.LINE_Y.astype(np.float64)
    ref = np.mean((t0[None, :, None] * x + t1[:, None, None] - y) ** 2, axis=-1)
    np.testing.assert_allclose(Z, ref, rtol=1e-5)
    for name, s in descent.SURFACES.items():
        g = jax.grad(s.loss)(jnp.asarray(s.minimum, jnp.float32))
        assert float(jnp.max(jnp.abs(g))) < 1e-4, name
        x0, x1, y0, y1 = s.extent
        assert x0 < s.start[0] < x1 and y0 < s.start[1] < y1
    H = np.asarray(jax.hessian(descent.SURFACES["saddle"].loss)(jnp.zeros(2)))
    assert np.linalg.eigvalsh(H)[0] < 0 < np.linalg.eigvalsh(H)[1]         # a saddle
    A = descent.VALLEY_MATRIX
    ev = np.linalg.eigvalsh(A)
    assert ev[1] / ev[0] == pytest.approx(descent.VALLEY_CONDITION, rel=1e-4)


def test_a_surfaces_grid_is_computed_once_and_read_only(monkeypatch):
    """The race card redraws its contour grid at every frame it changes: the same grid must
    not be computed again on the device (busy with other pages' training, the frame
    would wait behind them)."""
    from playground.engine.descent import surfaces
    calls = []
    jit = surfaces._surface_grid_jit
    monkeypatch.setattr(surfaces, "_surface_grid_jit", lambda *a: (calls.append(1), jit(*a))[1])
    surfaces._grid_of.cache_clear()
    a = descent.surface_grid("saddle", res=33)
    b = descent.surface_grid("saddle", res=33)
    assert len(calls) == 1 and all(x is y for x, y in zip(a, b))
    assert not a[2].flags.writeable
    with pytest.raises(ValueError):
        a[2][0, 0] = 0.0
    descent.surface_grid("saddle", res=33, extent=[-1, 1, -1, 1])
    descent.surface_grid("valley", res=33)
    assert len(calls) == 3
    surfaces._grid_of.cache_clear()


def test_momentum_wins_the_valley_and_paths_stop_when_they_diverge():
    s = descent.SURFACES["valley"]
    race = descent.optimizer_paths("valley", s.start, s.learning_rate, 0.9)
    dist = np.linalg.norm(race.paths - np.array(s.minimum), axis=-1)
    sgd, mom = (descent.PATH_OPTIMIZERS.index(n) for n in ("sgd", "momentum"))
    assert dist[mom, 100] < 0.1 * dist[sgd, 100]
    assert np.all(race.diverged_at == -1)
    wild = descent.optimizer_paths("valley", s.start, 1.0, 0.9)
    assert wild.diverged_at[sgd] > 0 and np.all(np.isfinite(wild.paths))
    assert np.all(np.abs(wild.paths) < descent.PATH_LIMIT)


def test_two_weight_race_state_steps_and_never_recompiles():
    race = TwoWeightRace()
    race.step(10)
    race.grid()
    before = dict(train.TRACES)
    assert race.steps == 10 and all(len(p) == 11 for p in race.paths().values())
    race.surface = "saddle"
    assert race.start == descent.SURFACES["saddle"].start and race.steps == 0
    race.step(30)
    race.learning_rate, race.beta, race.start = 0.2, 0.5, (1.0, -1.0)
    assert race.steps == 0
    race.step(descent.PATH_STEPS + 50)
    assert race.steps == descent.PATH_STEPS
    pos = race.positions()
    assert set(pos) == set(descent.PATH_OPTIMIZERS)
    t0, t1, Z = race.grid()
    assert Z.shape == (81, 81) and np.all(np.isfinite(Z))
    for name in ("surface_grid", "optimizer_paths"):
        assert train.TRACES[name] == before[name], name
    race.surface, race.learning_rate = "valley", 1.0
    race.step(200)
    assert race.diverged()["sgd"] and len(race.paths()["sgd"]) < 201


# ================================================================ the real network
@pytest.fixture(scope="module")
def trained():
    run = Run(dataset="xor", hidden=[5, 3], features=["x1", "x2", "x1x2"], activation="relu")
    run.tier = "exact"
    for _ in range(6):
        run.train(3)
    return run


def test_filter_normalised_directions(trained):
    params, aa = trained.state.params, trained._arch_arrays
    d = descent.filter_normalized_direction(jax.random.PRNGKey(4), params, aa.param_mask)
    d, p = jax.device_get(d), jax.device_get(params)
    for l, h in enumerate(trained.hidden):
        rows = list(trained.arch.features) if l == 0 else list(range(trained.hidden[l - 1]))
        for j in range(h):
            assert np.linalg.norm(d["W_hidden"][l][rows, j]) == pytest.approx(
                np.linalg.norm(p["W_hidden"][l][rows, j]), rel=1e-5)
    assert np.linalg.norm(d["W_out"]) == pytest.approx(np.linalg.norm(p["W_out"]), rel=1e-5)
    assert not np.any(d["b_hidden"]) and not np.any(d["b_out"])     # biases: zero
    mask = jax.device_get(aa.param_mask)
    assert not np.any(d["W_hidden"][mask["W_hidden"] == 0])          # padding stays zero
    assert not np.any(d["W_out"][mask["W_out"] == 0])
    # a direction, not the weights themselves
    assert not np.allclose(d["W_hidden"][0], p["W_hidden"][0])


def test_pca_plane_explains_a_planar_trajectory_entirely():
    rng = np.random.default_rng(0)
    c = rng.normal(size=descent.N_PARAMS)
    u, v = np.linalg.qr(rng.normal(size=(descent.N_PARAMS, 2)))[0].T
    t = np.linspace(0, 1, 30)
    a, b = 3 * t, np.sin(4 * t)
    traj = c + a[:, None] * u + b[:, None] * v
    d1, d2, ratios = descent.trajectory_pca(traj)
    assert ratios.sum() == pytest.approx(1.0, abs=1e-9)
    assert descent.explained_variance(traj, d1, d2) == pytest.approx(1.0, abs=1e-9)
    coords = descent.plane_coordinates(traj, traj[-1], d1, d2)
    # the projection keeps every distance of a planar trajectory
    np.testing.assert_allclose(np.linalg.norm(coords[:, None] - coords[None], axis=-1),
                               np.linalg.norm(traj[:, None] - traj[None], axis=-1), atol=1e-8)
    assert coords[0, 0] < 0                                     # d1 points start -> end
    # a trajectory with a third direction is not explained entirely, and the ratio is
    # the share of its variance in the first two principal components
    w = np.linalg.qr(np.stack([u, v, rng.normal(size=descent.N_PARAMS)], 1))[0][:, 2]
    bent = traj + (0.3 * np.cos(9 * t))[:, None] * w
    d1, d2, ratios = descent.trajectory_pca(bent)
    s = np.linalg.svd(bent - bent.mean(0), compute_uv=False)
    assert ratios.sum() == pytest.approx((s[:2] ** 2).sum() / (s ** 2).sum(), rel=1e-9)
    assert descent.explained_variance(bent, d1, d2) == pytest.approx(ratios.sum(), rel=1e-9)
    assert ratios.sum() < 0.999


@pytest.mark.parametrize("directions", ["pca", "random"])
def test_landscape_centre_is_the_runs_loss(trained, directions):
    land = run_landscape(trained, directions, seed=2)
    n = descent.LANDSCAPE_RES
    assert land.loss.shape == (n, n) and land.alphas[n // 2] == 0 == land.betas[n // 2]
    assert land.loss[n // 2, n // 2] == pytest.approx(trained.metrics()["train_loss"], rel=1e-5)
    assert land.path.shape == (len(trained.trajectory), 2)
    np.testing.assert_allclose(land.path[-1], 0.0, atol=1e-5)        # the run is the centre
    # a corner of the grid, evaluated on its own by the training program's evaluation
    i, j = 3, n - 2
    p = jax.tree.map(lambda w, u, v: w + land.alphas[j] * u + land.betas[i] * v,
                     trained.state.params, descent.unflatten_params(land.d1),
                     descent.unflatten_params(land.d2))
    m = train.evaluate_general(p, trained._arch_arrays, trained._data)
    assert land.loss[i, j] == pytest.approx(float(m.train_loss), rel=1e-4)
    mask = descent.flatten_params(trained._arch_arrays.param_mask) == 0
    assert not np.any(land.d1[mask]) and not np.any(land.d2[mask])
    if directions == "pca":
        assert 0.5 < land.explained <= 1.0 + 1e-9
        assert np.max(np.abs(land.path[:, 0])) < land.alphas[-1]    # the path fits
    else:
        assert 0.0 <= land.explained < 0.5


def test_trajectory_is_recorded_bounded_and_reset(monkeypatch):
    from playground.state import run as run_module
    monkeypatch.setattr(run_module, "TRAJECTORY_MAX", 8)
    run = Run(hidden=[3])
    run.tier = "exact"
    assert run.trajectory_array().shape == (1, descent.N_PARAMS)
    for _ in range(12):
        run.train(1)
    assert len(run.trajectory) <= 8 and len(run.trajectory) == len(run.trajectory_epochs)
    assert run.trajectory_epochs[-1] == 12 and run.trajectory_epochs[0] == 0
    assert run.trajectory_epochs == sorted(run.trajectory_epochs)
    np.testing.assert_array_equal(run.trajectory[-1], descent.flatten_params(run.state.params))
    np.testing.assert_array_equal(descent.flatten_params(descent.unflatten_params(
        run.trajectory[-1])), run.trajectory[-1])
    run.learning_rate = 0.1                                   # hyperparameters: kept
    assert len(run.trajectory) > 1
    run.hidden = [4]                                          # a new network: afresh
    assert run.trajectory_epochs == [0] and len(run.trajectory) == 1


def test_landscape_program_compiles_once(trained):
    run_landscape(trained)
    before = train.TRACES["landscape"]
    other = Run(dataset="spiral", hidden=[8, 8, 8], activation="sine", loss="cross_entropy")
    land = run_landscape(other, "random")                 # at epoch 0: one snapshot
    assert train.TRACES["landscape"] == before
    assert land.loss[20, 20] == pytest.approx(other.metrics()["train_loss"], rel=1e-5)
