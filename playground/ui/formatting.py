"""Text the page shows for numbers of the run (formatting only, no arithmetic on arrays)."""
from __future__ import annotations

import math

NO_VALUE = "—"          # a number there is none of (e.g. no test points)
NO_TEST_POINTS = "no test points"
SEPARATOR = " &nbsp;·&nbsp; "


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _value(value, spec: str) -> str:
    return NO_VALUE if _missing(value) else format(value, spec)


def readout_text(metrics: dict) -> str:
    """The numbers above the loss curve as HTML, from ``Run.metrics()``: test and training
    loss on the first line and, for classes, test and training accuracy on the second.

    A test value that is missing (NaN or None: there are no test points, e.g. your own data
    all in training) shows as "—", and the test loss says why, instead of a false 0."""
    no_test = _missing(metrics.get("test_loss"))
    parts = [f"Test loss <b>{_value(metrics['test_loss'], '.3f')}</b>"
             + (f" ({NO_TEST_POINTS})" if no_test else ""),
             f"Training loss <b>{_value(metrics['train_loss'], '.3f')}</b>"]
    if "test_accuracy" in metrics:
        parts.append(f"Test accuracy <b>{_value(metrics['test_accuracy'], '.0%')}</b>")
        parts.append(f"Training accuracy <b>{_value(metrics['train_accuracy'], '.0%')}</b>")
    return ('<div class="pg-readout">' + SEPARATOR.join(parts[:2])
            + ("<br>" + SEPARATOR.join(parts[2:]) if parts[2:] else "") + "</div>")
