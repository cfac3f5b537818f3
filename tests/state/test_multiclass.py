"""K classes and the problem type through the run, links, own data and every export: the
new data sets learn, mse is refused or adapted, links round-trip, hostile values give
notices, and the exported files carry a K-class network."""
import json
import math

import numpy as np
import pytest

from playground import Run
from playground.engine import datasets, mlp
from playground.export import settings as settings_io
from playground.export import script, weights
from playground.state import urlstate, userdata
from playground.ui.links import PAGE

from tests.export.common import in_process

MULTI = datasets.MULTICLASS


def exact_run(**kw):
    run = Run(**kw)
    run.tier = "exact"
    return run


# ------------------------------------------------------------------ data sets
@pytest.mark.parametrize("name", MULTI)
@pytest.mark.parametrize("noise", [0.0, 50.0])
def test_multiclass_sets_have_class_indices_in_range(name, noise):
    k = datasets.n_classes(name)
    X, y = datasets.make_dataset(name, 4, 300, noise)
    assert X.shape == (300, 2) and X.dtype == np.float32 and y.dtype == np.float32
    assert np.all(np.abs(X) <= 6.0) and np.all(np.isfinite(X))
    assert set(np.unique(y)) == set(range(k))
    assert np.all(np.bincount(y.astype(int)) >= 300 // k)          # balanced
    X2, y2 = datasets.make_dataset(name, 4, 300, noise)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)          # the seed decides
    X3, _ = datasets.make_dataset(name, 5, 300, noise)
    assert not np.array_equal(X, X3)
    assert datasets.is_classification(name) and datasets.problem_of(name) == "classification"


def test_noise_widens_the_classes():
    for name in MULTI:
        spread = []
        for noise in (0.0, 50.0):
            X, y = datasets.make_dataset(name, 0, 500, noise)
            # mean distance of a point to the centre of its class's points
            spread.append(np.mean([np.linalg.norm(X[y == c] - X[y == c].mean(0), axis=1).mean()
                                   for c in range(datasets.n_classes(name))]))
        assert spread[1] > spread[0], name


# Learning: each new set with a network chosen for it, a number of epochs and the test
# accuracy it must reach (measured figures are well above these thresholds).
LEARNING = [
    # data set, settings, epochs, least test accuracy
    ("blobs3", dict(hidden=[], learning_rate=0.1), 100, 0.97),
    ("blobs4", dict(hidden=[], learning_rate=0.1), 100, 0.97),
    ("blobs5", dict(hidden=[], learning_rate=0.1), 150, 0.95),
    ("spiral3", dict(hidden=[8, 8], activation="tanh", optimizer="adam",
                     learning_rate=0.01), 300, 0.90),
    ("pinwheel", dict(hidden=[8, 8], activation="tanh", optimizer="adam",
                      learning_rate=0.01), 200, 0.93),
]


@pytest.mark.parametrize("name,kw,epochs,least", LEARNING, ids=[c[0] for c in LEARNING])
def test_each_multiclass_set_learns(name, kw, epochs, least):
    run = exact_run(dataset=name, **kw)
    assert run.loss == "cross_entropy" and run.arch.output == mlp.SOFTMAX
    first = run.metrics()
    assert first["train_loss"] > 0.5 * math.log(run.classes)       # from about chance
    for _ in range(epochs // 50):
        m = run.train(50)
    m = run.train(epochs % 50) if epochs % 50 else m
    assert run.status == "trained", run.message
    assert m["test_accuracy"] >= least, (name, m)
    assert m["train_loss"] < 0.5 * first["train_loss"]


def test_the_three_arms_need_hidden_layers():
    run = exact_run(dataset="spiral3", hidden=[], learning_rate=0.1)
    run.train(100)
    assert run.metrics()["test_accuracy"] < 0.7          # straight borders cannot follow them


# ------------------------------------------------------------------- the run
def test_k_class_run_predicts_classes_and_probabilities():
    run = exact_run(dataset="blobs4", hidden=[6], learning_rate=0.1)
    run.train(40)
    assert run.classes == 4 and run.multiclass and run.arch.units == 4
    P = run.predict_proba(run.X_test)
    assert P.shape == (len(run.y_test), 4)
    np.testing.assert_allclose(P.sum(1), 1.0, rtol=1e-5)
    pred = run.predict(run.X_test)
    assert np.mean(pred == P.argmax(1)) > 0.99
    assert run.metrics()["test_accuracy"] == pytest.approx(np.mean(pred == run.y_test),
                                                           abs=0.011)
    c = run.confusion("test")
    assert c["counts"].shape == (4, 4) and c["counts"].sum() == len(run.y_test)
    assert np.trace(c["counts"]) / c["counts"].sum() == pytest.approx(
        run.metrics()["test_accuracy"], abs=1e-6)
    for cell in range(16):
        true, guess = divmod(cell, 4)
        rows = c["cell"] == cell
        assert np.all(run.y_test[rows] == true) and rows.sum() == c["counts"][true, guess]
    classes, sure = run.decision_classes()
    assert classes.shape == (100, 100) and set(np.unique(classes)) <= {0, 1, 2, 3}
    assert np.all((sure >= 0.25 - 1e-6) & (sure <= 1 + 1e-6))
    grids = np.stack([run.class_probability_grid(k) for k in range(4)])
    agree = grids.argmax(0) == classes
    assert agree.mean() > 0.99
    assert np.abs(grids.max(0) - sure)[agree].max() < 0.02
    np.testing.assert_array_equal(run.decision_grid(), classes.astype(np.float32))
    with pytest.raises(ValueError, match="k: a class"):
        run.class_probability_grid(4)
    with pytest.raises(ValueError, match="predict_proba"):
        Run().predict_proba([[0.0, 0.0]])


def test_mse_is_refused_for_k_classes_and_adapted_when_switching():
    with pytest.raises(ValueError, match="loss: blobs4 has 4 classes"):
        Run(dataset="blobs4", loss="mse")
    assert Run(dataset="blobs4").loss == "cross_entropy"          # the default adapts
    run = Run(dataset="circle")
    assert run.loss == "mse"
    run.dataset = "spiral3"
    assert run.loss == "cross_entropy" and "3 classes use a softmax" in run.message
    run.dataset = "circle"                                        # the squared error returns
    assert run.loss == "mse" and run.arch.output == 1
    run.dataset = "blobs5"
    run.loss = "mse"                                              # the menu: adapted back
    assert run.loss == "cross_entropy" and run.arch.output == mlp.SOFTMAX
    run.dataset = "xor"                                           # given back again
    assert run.loss == "mse"
    run.loss = "cross_entropy"                                    # chosen on two classes
    run.dataset = "blobs3"
    run.dataset = "moons"                                         # ... stays
    assert run.loss == "cross_entropy"
    assert "squared" in Run.param.loss.doc and "softmax" in Run.param.loss.doc


def test_problem_type_and_data_set_agree():
    assert Run(problem="regression").dataset == "plane"
    assert Run(dataset="sine").problem == "regression"
    assert Run(dataset="pinwheel").problem == "classification"
    with pytest.raises(ValueError, match="problem: circle is a classification data set"):
        Run(problem="regression", dataset="circle")
    with pytest.raises(ValueError):
        Run(problem="xyz")
    run = Run()
    run.problem = "regression"
    assert run.dataset == "plane" and run.loss == "mse" and not run.classification
    run.dataset = "blobs3"
    assert run.problem == "classification"
    run.problem = "classification"                   # already: nothing changes
    assert run.dataset == "blobs3"
    run.param.update(problem="regression", dataset="circle")     # the data set wins
    assert (run.problem, run.dataset) == ("classification", "circle")
    run.problem = "regression"
    run.use_own_data(np.zeros((6, 2)), np.linspace(-1, 1, 6), classification=False)
    assert run.dataset == "own" and run.problem == "regression"
    run.problem = "classification"                   # own regression data: the default set
    assert run.dataset == "circle"


# ----------------------------------------------------------------- own data
def test_own_data_with_k_classes():
    X = np.random.default_rng(0).uniform(-5, 5, (40, 2))
    y = np.arange(40) % 3
    run = Run()
    run.use_own_data(X, y, classification=True)
    assert run.classes == 3 and run.arch.units == 3 and run.loss == "cross_entropy"
    run.train(3)
    run.add_point(1.0, 1.0, 7.0)                     # a class out of range is kept in range
    assert run.y_train[-1] == 2.0 and run.classes == 3
    with pytest.raises(ValueError, match="labels"):
        run.use_own_data(X, np.arange(40) % 7, classification=True)
    with pytest.raises(ValueError, match="labels"):
        run.use_own_data(X, (np.arange(40) % 3) + 0.5, classification=True)
    csv = "x1,x2,label\n" + "\n".join(f"{i},{i % 5},{i % 4}" for i in range(20))
    d = userdata.parse_csv(csv.encode())
    assert d["classification"] and d["classes"] == 4 and set(d["y"]) == {0, 1, 2, 3}
    run.use_own_data(d["X"], d["y"], d["classification"], classes=d["classes"])
    assert run.classes == 4
    two = userdata.parse_csv(b"x1,x2,label\n1,2,0\n2,3,1\n3,1,0\n4,4,1\n")
    assert two["classes"] == 2 and set(two["y"]) == {-1.0, 1.0}
    six = userdata.parse_csv(("x1,x2,label\n" + "\n".join(f"{i},{i},{i % 6}"
                                                          for i in range(12))).encode())
    assert not six["classification"] and six["classes"] == 0       # 6 labels: regression


# ------------------------------------------------------------------- links
def test_links_round_trip_the_new_settings():
    for kw in (dict(dataset="blobs4"), dict(dataset="spiral3", hidden=[8, 8]),
               dict(dataset="pinwheel", loss="cross_entropy"), dict(problem="regression")):
        run = Run(**kw)
        search = urlstate.to_search(run.settings(), page=PAGE)
        settings, _, notices = urlstate.from_query(search, PAGE)
        assert notices == [], notices
        again = Run()
        assert urlstate.apply(again, settings) == []
        assert again.settings() == run.settings(), kw
    assert urlstate.to_search(Run(dataset="blobs4").settings()) == \
        "?dataset=blobs4&loss=cross_entropy"
    assert "problem" not in urlstate.to_search(Run(dataset="plane").settings())
    settings, _, notices = urlstate.from_query("?problem=regression", PAGE)
    run = Run()
    urlstate.apply(run, settings)
    assert (run.problem, run.dataset) == ("regression", "plane") and notices == []


@pytest.mark.parametrize("query,key", [
    ("?dataset=blobs9", "dataset=blobs9"), ("?problem=xyz", "problem=xyz"),
    ("?problem=regression&dataset=blobs4", "problem=regression"),
    ("?dataset=blobs4&loss=mse", "loss=mse"),
    ("?dataset=plane&problem=classification", "problem=classification"),
])
def test_bad_or_clashing_values_give_a_notice_not_a_crash(query, key):
    settings, _, notices = urlstate.from_query(query, PAGE)
    assert len(notices) == 1 and notices[0].startswith(key), notices
    run = Run()
    assert urlstate.apply(run, settings) == []
    assert run.problem == datasets.problem_of(run.dataset)
    run.train(1)
    assert run.status == "trained"


# ------------------------------------------------------------------- exports
def test_settings_and_weights_files_round_trip_a_k_class_run():
    run = exact_run(dataset="pinwheel", hidden=[5], learning_rate=0.1, optimizer="adam")
    run.train(20)
    text = settings_io.settings_to_json(run)
    assert json.loads(text)["settings"]["problem"] == "classification"
    again = settings_io.run_from_json(text)
    assert again.settings() == run.settings() and again.arch == run.arch
    data = weights.weights_npz(run)
    z = np.load(__import__("io").BytesIO(data))
    assert z["W1"].shape == (5, 5) and z["b1"].shape == (5,) and str(z["output"]) == "softmax_ce"
    loaded = weights.run_from_npz(data)
    loaded.tier = "exact"
    np.testing.assert_allclose(loaded.predict_proba(run.X_test), run.predict_proba(run.X_test),
                               rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="output"):
        weights.load_weights_npz(data, Run(hidden=[5]))             # two classes: refused
    with pytest.raises(ValueError, match="output units"):
        weights.load_weights_npz(data, Run(dataset="blobs3", hidden=[5]))
    file = settings_io.settings_to_json(Run(dataset="plane"))
    broken = file.replace('"problem": "regression"', '"problem": "classification"')
    with pytest.raises(ValueError, match="problem"):
        settings_io.settings_from_json(broken)


def test_the_exported_script_trains_a_k_class_run_to_the_same_numbers():
    run = exact_run(dataset="blobs3", hidden=[4], optimizer="adam", learning_rate=0.03,
                    batch_size=7, n_samples=90)
    m = run.train(12)
    code = script.python_script(run)
    assert 'OUTPUT = "softmax_ce"' in code and "3 classes, labels 0 to 2" in code
    result = in_process(code, 12)
    for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        assert result[key] == pytest.approx(m[key], abs=1e-5), key
