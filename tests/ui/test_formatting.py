"""The page's number formatting: the readout above the loss curve."""
from __future__ import annotations

import math

import pytest

from playground.state.run import Run
from playground.ui.formatting import readout_text
from playground.ui.loss_panel import LossCurve


@pytest.mark.parametrize("kw", [dict(dataset="xor"), dict(dataset="sine", features=["x1"])])
def test_readout_is_the_loss_panels_text(kw):
    run = Run(**kw)
    run.train(5)
    curve = LossCurve(run)
    assert readout_text(run.metrics()) == curve.readout.object


def test_readout_format():
    m = {"epoch": 3, "train_loss": 0.25, "test_loss": 0.3456, "train_accuracy": 0.875,
         "test_accuracy": 0.5}
    assert readout_text(m) == (
        '<div class="pg-readout">Test loss <b>0.346</b> &nbsp;·&nbsp; Training loss '
        '<b>0.250</b><br>Test accuracy <b>50%</b> &nbsp;·&nbsp; Training accuracy '
        '<b>88%</b></div>')
    regression = {"epoch": 3, "train_loss": 0.25, "test_loss": 0.3456}
    assert readout_text(regression) == ('<div class="pg-readout">Test loss <b>0.346</b> '
                                        '&nbsp;·&nbsp; Training loss <b>0.250</b></div>')


@pytest.mark.parametrize("missing", [math.nan, None])
def test_no_test_points_show_a_dash_not_zero(missing):
    m = {"epoch": 3, "train_loss": 0.25, "test_loss": missing, "train_accuracy": 0.875,
         "test_accuracy": missing}
    text = readout_text(m)
    assert "Test loss <b>—</b> (no test points)" in text
    assert "Test accuracy <b>—</b>" in text and "Training accuracy <b>88%</b>" in text
    assert "nan" not in text.lower() and "0%" not in text


def test_a_run_without_test_points_reads_no_test_points():
    run = Run(dataset="gauss")
    run.clear_points()
    for x, y, c in [(1, 1, 1), (-1, -1, 1), (1, -1, -1), (-1, 1, -1)]:
        run.add_point(3 * x, 3 * y, c)
    run.train(3)
    text = readout_text(run.metrics())
    assert "(no test points)" in text and "Test accuracy <b>—</b>" in text
    assert "Training loss <b>" in text and "nan" not in text.lower()
