"""The learner's own data: CSV validation and rescaling, clicked points, the big bucket."""
import math
import re

import numpy as np
import pytest

from playground import Run
from playground.state import urlstate
from playground.ui.links import PAGE
from playground.engine import train
from playground.state import userdata


def csv(rows, header="x1,x2,label"):
    return (header + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n").encode()


GOOD = [(x, y, int(x * y > 0)) for x, y in np.random.default_rng(1).uniform(-20, 20, (200, 2))]


def test_good_csv_is_rescaled_into_the_plot_with_a_note():
    d = userdata.parse_csv(csv(GOOD))
    assert d["X"].shape == (200, 2) and d["classification"] and not d["one_d"]
    assert d["X"].min() == pytest.approx(-5) and d["X"].max() == pytest.approx(5)
    assert set(np.unique(d["y"])) == {-1.0, 1.0}
    assert "→ [-5, 5]" in d["note"] and "label 1 → blue" in d["note"]


def test_one_d_csv_is_a_regression_curve():
    x = np.linspace(0, 100, 50)
    d = userdata.parse_csv(csv(zip(x, 3 * x + 7), header="x,y"))
    assert d["one_d"] and not d["classification"]
    assert np.all(d["X"][:, 1] == 0)
    assert d["y"].min() == pytest.approx(-1) and d["y"].max() == pytest.approx(1)


@pytest.mark.parametrize("data,message", [
    (csv(GOOD, header="a,b,c"), "missing columns"),
    (csv([(1, 2, 1), (2, "x", 0), (3, 3, 1), (4, 4, 0)]), "row 3: x2 is not a number"),
    (csv([(1, 2, 1), (2, "nan", 0), (3, 3, 1), (4, 4, 0)]), "row 3: x2 is missing"),
    (csv([(1, 2, 1), (2, "", 0), (3, 3, 1), (4, 4, 0)]), "row 3: x2 is not a number"),
    (csv([(i % 7, i % 5, i % 2) for i in range(5001)]), "more than 5,000 rows"),
    (b"x1,x2,label\n" + b"1,2,1\n" * 200_000, "may be at most 1 MB"),
    (b"", "^the file is empty$"),
    (b"\n\n  \n", "^the file is empty$"),
    (b"\xef\xbb\xbf", "^the file is empty$"),
    (b"x1,x2,label\n", "header line but no data rows"),
    (b"\nx1,x2,label\n1,2,1\n", "the first line is empty"),
    (b"x1;x2;label\n1;2;1\n", "separated by semicolons"),
    (b"x1\tx2\tlabel\n1\t2\t1\n", "separated by tabs"),
    (b"\xff\xfe\x00garbage", "UTF-16"),
    (b"PK\x03\x04\x14\x00\x00\x00", "not a text \\(CSV\\) file"),
    (b"x1,x2,label\n\xe9,1,1\n", "not a text \\(CSV\\) file in UTF-8"),
    (csv([(1, 2, 1)]), "has 1 data row; at least 4"),
    (b"x1,x2,label\n1,2\n3,4,1\n5,6,0\n7,8,1\n", "row 2: too few values"),
    (b"x1,x2,label\n=cmd|' /C calc'!A0,1,1\n1,2,0\n3,4,1\n5,6,0\n", "not a number"),
])
def test_bad_csv_is_refused_with_a_clear_message(data, message):
    with pytest.raises(ValueError, match=message):
        userdata.parse_csv(data)


def test_rejected_upload_keeps_what_is_on_screen():
    run = Run(dataset="xor")
    run.train(5)
    before = (run.dataset, run.epoch, run.X_train.copy())
    with pytest.raises(ValueError):
        run.use_own_data(np.zeros((3, 2)), np.zeros(4), True)
    assert (run.dataset, run.epoch) == before[:2] and np.array_equal(run.X_train, before[2])


def test_clicked_points_and_erase():
    run = Run(dataset="gauss")
    n = len(run.y_train)
    run.add_point(5.5, -5.5, 1)
    assert run.dataset == "own" and len(run.y_train) == n + 1 and run.classification
    assert run.y_train[-1] == 1.0 and tuple(run.X_train[-1]) == (5.5, -5.5)
    assert run.remove_point_near(5.4, -5.4)
    assert len(run.y_train) == n
    assert not run.remove_point_near(100, 100)
    run.clear_points()
    assert len(run.y_train) == len(run.y_test) == 0
    run.train(2)                                     # an empty plot trains without error
    for x, y, c in [(1, 1, 1), (-1, -1, 1), (1, -1, -1), (-1, 1, -1)]:
        run.add_point(3 * x, 3 * y, c)
    run.hidden = [4]
    run.train(200)
    assert run.metrics()["train_accuracy"] == 1.0
    with pytest.raises(ValueError, match="finite"):
        run.add_point(float("nan"), 0, 1)


def test_no_test_points_means_no_test_numbers_not_zero():
    run = Run(dataset="gauss", patience=3)
    run.clear_points()
    for x, y, c in [(1, 1, 1), (-1, -1, 1), (1, -1, -1), (-1, 1, -1)]:
        run.add_point(3 * x, 3 * y, c)               # clicked points all go to training
    assert not run.has_test_set and len(run.y_train) == 4
    for m in (run.metrics(), run.train(10)):
        assert math.isnan(m["test_loss"]) and math.isnan(m["test_accuracy"])
        assert math.isfinite(m["train_loss"]) and 0 <= m["train_accuracy"] <= 1
    assert all(math.isnan(v) for v in run.history["test_loss"] + run.history["test_accuracy"])
    assert run.status == "trained" and run.epoch == 10      # not diverged, not stopped early
    run.use_own_data(np.array([[1, 1], [2, 2], [-1, -1], [-2, -2]]), np.array([1, 1, -1, -1]),
                     classification=True)
    assert run.has_test_set and all(math.isfinite(v) for v in run.metrics().values())
    run.use_own_data(np.array([[1.0, 2.0]]), np.array([0.5]), classification=False)
    m = run.metrics()                                  # one point: training only
    assert set(m) == {"epoch", "train_loss", "test_loss"} and math.isnan(m["test_loss"])


def test_large_upload_uses_the_big_bucket_and_learns():
    X = np.random.default_rng(3).uniform(-5, 5, (4000, 2)).astype(np.float32)
    run = Run(hidden=[6])
    run.use_own_data(X, np.where(X[:, 0] > X[:, 1], 1.0, -1.0), classification=True)
    assert run._data.x_train.shape[0] == train.BUCKETS[1] and len(run.y_train) == 2000
    run.train(20)
    assert run.metrics()["test_accuracy"] > 0.95
    np.testing.assert_allclose(run.decision_grid().ravel(),
                               run.predict(np.stack(np.meshgrid(
                                   np.linspace(-6, 6, 100), np.linspace(-6, 6, 100)),
                                   -1).reshape(-1, 2)), atol=1e-5)


def test_own_data_do_not_travel_in_links():
    settings, _, notices = urlstate.from_query("?dataset=own", PAGE)
    assert "dataset" not in settings and "not stored in links" in notices[0]


@pytest.mark.parametrize("big", ["1e308", "1.7976931348623157e308", "1e300"])
def test_huge_values_are_rescaled_without_nan(big):
    rows = [(big, 1, 1), ("-" + big, 2, 0), (3, 3, 1), (4, 4, 0)]
    d = userdata.parse_csv(csv(rows))
    assert np.all(np.isfinite(d["X"])) and np.all(np.isfinite(d["y"]))
    assert d["X"][:, 0].tolist() == pytest.approx([5, -5, 0, 0], abs=1e-6)
    d = userdata.parse_csv(csv([(x, y) for x, y in zip((1, 2, 3, 4), (big, "-" + big, 0, 1))],
                               header="x,y"))
    assert np.all(np.isfinite(d["y"])) and d["y"].min() == -1 and d["y"].max() == 1
    run = Run()
    run.use_own_data(d["X"], d["y"], d["classification"], d["one_d"])
    assert np.all(np.isfinite(run.X_train)) and np.all(np.isfinite(run.y_train))
    from playground import export
    assert not re.search(r"\bnan\b", export.python_script(run), re.IGNORECASE)


def test_values_too_close_to_rescale_are_refused():
    tiny = csv([("5e-324", 1, 1), ("1e-323", 2, 0), ("5e-324", 3, 1), ("5e-324", 4, 0)])
    try:
        d = userdata.parse_csv(tiny)
    except ValueError as exc:
        assert "x1" in str(exc)
    else:
        assert np.all(np.isfinite(d["X"]))


def test_own_data_must_be_finite():
    run = Run()
    with pytest.raises(ValueError, match="finite"):
        run.use_own_data([[np.nan, 0.0], [1.0, 1.0]], [1.0, -1.0], True)
    assert run.dataset == "circle"
